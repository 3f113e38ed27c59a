"""Keras 3 op nodes in functional configs (the masks Keras records) become lamina OpLayers."""

import numpy as np
import pytest

from lamina.saving.keras_import import KerasFileError
from lamina.saving.keras_import.config_translation import model_from_config

OPS_MODULE = "keras.src.ops.numpy"


def _ref(layer, index=0):
    return {"class_name": "__keras_tensor__", "config": {"keras_history": [layer, 0, index]}}


def _input(name, shape, dtype):
    config = {"batch_shape": [None, *shape], "dtype": dtype, "sparse": False, "name": name}
    return {"module": "keras.layers", "class_name": "InputLayer", "config": config, "name": name}


def _op(class_name, name, args, module=OPS_MODULE, **config):
    return {
        "module": module,
        "class_name": class_name,
        "registered_name": class_name,
        "config": {"name": name, **config},
        "name": name,
        "inbound_nodes": [{"args": args, "kwargs": {}}],
    }


def _config(mask_op):
    """Steps averaged under a mask that an op computes from token ids (`mask=` in the call)."""
    pooling = {
        "module": "keras.layers",
        "class_name": "GlobalAveragePooling1D",
        "config": {"name": "pool", "data_format": "channels_last", "keepdims": False},
        "name": "pool",
        "inbound_nodes": [{"args": [_ref("x")], "kwargs": {"mask": _ref(mask_op["name"])}}],
    }
    layers = [_input("ids", [4], "int32"), _input("x", [4, 2], "float32"), mask_op, pooling]
    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {
            "name": "model",
            "trainable": True,
            "layers": layers,
            "input_layers": [["ids", 0, 0], ["x", 0, 0]],
            "output_layers": ["pool", 0, 0],
        },
    }


IDS = np.array([[3, 0, 5, 0], [0, 2, 2, 1]], dtype="int32")
X = np.arange(16, dtype="float32").reshape(2, 4, 2)


@pytest.mark.parametrize("module", [OPS_MODULE, None])  # legacy .h5 configs name no module
@pytest.mark.parametrize(("class_name", "keep"), [("NotEqual", IDS != 0), ("Equal", IDS == 0)])
def test_an_op_computes_the_mask_a_layer_call_is_given(module, class_name, keep):
    op = _op(class_name, "m", [_ref("ids"), 0], module=module)
    model, entries = model_from_config(_config(op))
    got = model.predict([IDS, X], verbose=0)
    expected = (X * keep[..., None]).sum(1) / keep.sum(1, keepdims=True)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert [e.class_name for e in entries] == ["InputLayer", "InputLayer", "GlobalAveragePooling1D"]


def test_a_reduction_op_takes_its_axis_and_keepdims():
    any_op = _op("Any", "m", [_ref("ne")], axis=-1, keepdims=False)
    config = _config(any_op)
    ne = _op("NotEqual", "ne", [_ref("x"), 0.0])
    config["config"]["layers"].insert(2, ne)
    model, _ = model_from_config(config)
    x = X.copy()
    x[0, 1:] = 0.0
    np.testing.assert_allclose(model.predict([IDS, x], verbose=0)[0], x[0, 0], rtol=1e-6)


@pytest.mark.parametrize(
    ("op", "match"),
    [
        (_op("Svd", "m", [_ref("ids")]), r"op 'm' \(Svd\): unknown Keras op class 'Svd'"),
        (_op("Any", "m", [_ref("ids")], axis="last"), r"expected axis to be an integer"),
        (_op("Any", "m", [_ref("ids")], where=True), r"has no setting \['where'\]"),
        (_op("NotEqual", "m", [_ref("ids"), "0"]), r"tensors and plain numbers"),
        (_op("NotEqual", "m", [_ref("ids")]), r"takes 2 positional argument"),
        (_op("NotEqual", "m", [1, 0]), r"is given no tensor"),
    ],
)
def test_unknown_ops_and_bad_op_settings_are_refused_with_the_op_named(op, match):
    with pytest.raises(KerasFileError, match=match):
        model_from_config(_config(op))
