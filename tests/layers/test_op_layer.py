"""OpLayer: tensors at any depth of its arguments, its config, and the names it may run."""

import json

import numpy as np
import pytest

import lamina
from lamina import layers, ops
from lamina.layers.core.op_layer import TENSOR

X = np.arange(8, dtype="float32").reshape(2, 4)


def _round_trip(layer: layers.OpLayer) -> layers.OpLayer:
    config = json.loads(json.dumps(layer.get_config()))
    clone = layers.OpLayer.from_config(config)
    assert clone.get_config() == config
    return clone


def test_tensors_in_nested_lists_and_kwargs_survive_the_config():
    layer = layers.OpLayer("concatenate", [[TENSOR, TENSOR]], {"axis": 0})
    kw = layers.OpLayer("losses.huber", [], {"y_true": TENSOR, "y_pred": TENSOR, "delta": 0.5})
    for op_layer, want in (
        (layer, np.concatenate([X, X + 1], axis=0)),
        (kw, lamina.losses.huber(X, X + 1, delta=0.5).numpy()),
    ):
        clone = _round_trip(op_layer)
        np.testing.assert_allclose(clone([X, X + 1]).numpy(), want)
        np.testing.assert_allclose(op_layer([X, X + 1]).numpy(), want)


def test_configs_with_none_for_tensors_still_load():
    # As lamina wrote OpLayers before (and as Keras op nodes are imported): None for a tensor.
    layer = layers.OpLayer.from_config({"op": "add", "args": [None, None], "name": "old_add"})
    np.testing.assert_allclose(layer([X, X]).numpy(), 2 * X)
    config = _round_trip(layer).get_config()
    assert config["args"][0] == {"class_name": "__tensor__", "config": {}}


def test_none_is_a_value_once_tensors_are_marked():
    layer = _round_trip(layers.OpLayer("sum", [TENSOR, None, True]))
    np.testing.assert_allclose(layer([X]).numpy(), [[X.sum()]])


def test_a_wrong_number_of_inputs_is_named():
    layer = layers.OpLayer("add", [TENSOR, TENSOR], name="two")
    with pytest.raises(ValueError, match=r"OpLayer 'two' \(add\) takes 2 input tensor\(s\)"):
        layer([X])


@pytest.mark.parametrize(
    "op",
    [
        "losses.MeanSquaredError",  # a class: only functions may be named
        "losses.get",
        "losses.__class__",
        "losses.to_loss",
        "activations.get",
        "activations.__builtins__",
        "metrics.mse",
        "os.system",
        "random",
        "__import__",
    ],
)
def test_only_public_ops_losses_and_activations_may_be_named(op):
    with pytest.raises(ValueError, match="unknown op"):
        layers.OpLayer(op, [TENSOR])


def test_loss_and_activation_nodes_run_their_functions():
    for op, fn in (
        ("losses.mse", lamina.losses.mean_squared_error),
        ("activations.swish", lamina.activations.silu),
        ("add", ops.add),
    ):
        assert layers.OpLayer.function(op) is fn
