"""get_config/from_config for every family, the custom-object registry, graph configs."""

import inspect
import json

import numpy as np
import pytest

import lamina
from lamina import (
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    optimizers,
    regularizers,
)
from lamina.layers.serialization import builtin_layer_classes
from lamina.optimizers import schedules
from lamina.saving import (
    ModelFileError,
    custom_object_scope,
    get_registered_name,
    get_registered_object,
    register_serializable,
)
from lamina.serialization.values import decode_value, encode_value

# Arguments for the classes that have required ones (the rest are built with defaults).
LAYER_ARGS = {
    "Activation": {"activation": "tanh"},
    "Dense": {
        "units": 3,
        "activation": "relu",
        "kernel_initializer": initializers.HeNormal(seed=1),
        "kernel_regularizer": regularizers.L1L2(l1=0.01, l2=0.02),
        "bias_constraint": constraints.MaxNorm(2.0),
    },
    "Dot": {"axes": [1, 1], "normalize": True},
    "Dropout": {"rate": 0.25, "noise_shape": [None, 1], "seed": 3},
    "InputLayer": {"shape": (3,), "dtype": "float64"},
    "OpLayer": {"op": "getitem", "args": [None, (slice(None), slice(0, 2, None), Ellipsis)]},
    "Permute": {"dims": (1,)},
    "Reshape": {"target_shape": (-1, 1)},
    "RepeatVector": {"n": 2},
    "ReLU": {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5},
    "LeakyReLU": {"negative_slope": 0.2},
    "ELU": {"alpha": 0.5},
    "Softmax": {"axis": -1},
    "Concatenate": {"axis": 1},
    "GaussianNoise": {"stddev": 0.5, "seed": 2},
    "GaussianDropout": {"rate": 0.5, "seed": 2},
    "SpatialDropout1D": {"rate": 0.5, "seed": 2},
    "SpatialDropout2D": {"rate": 0.5, "data_format": "channels_first"},
    "Conv1D": {"filters": 2, "kernel_size": 3, "padding": "causal"},
    "Conv2D": {"filters": 2, "kernel_size": (3, 2), "strides": 2, "groups": 2},
    "Conv1DTranspose": {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1},
    "Conv2DTranspose": {"filters": 2, "kernel_size": (3, 2), "padding": "same"},
    "DepthwiseConv1D": {"kernel_size": 3, "depth_multiplier": 2},
    "DepthwiseConv2D": {"kernel_size": 3, "depthwise_regularizer": "l2"},
    "SeparableConv1D": {"filters": 2, "kernel_size": 3, "dilation_rate": 2},
    "SeparableConv2D": {"filters": 2, "kernel_size": 3, "depth_multiplier": 3},
    "Embedding": {"input_dim": 5, "output_dim": 2, "mask_zero": True},
    "SimpleRNN": {"units": 2, "dropout": 0.5, "return_sequences": True},
    "LSTM": {"units": 2, "unit_forget_bias": False, "go_backwards": True},
    "GRU": {"units": 2, "reset_after": False, "recurrent_dropout": 0.25},
    "SimpleRNNCell": {"units": 2, "dropout": 0.5},
    "LSTMCell": {"units": 2, "unit_forget_bias": False},
    "GRUCell": {"units": 2, "reset_after": False},
    "RNN": {"cell": lamina.layers.LSTMCell(2), "return_sequences": True},
    "StackedRNNCells": {"cells": [lamina.layers.GRUCell(2), lamina.layers.SimpleRNNCell(3)]},
    "Bidirectional": {"layer": lamina.layers.GRU(2), "merge_mode": "ave"},
    "TimeDistributed": {"layer": lamina.layers.Dense(2)},
}
CONVS = {name for name in LAYER_ARGS if "Conv" in name}
# they take rank-3 or rank-4 inputs, or ids
NOT_2D = {"SpatialDropout1D", "SpatialDropout2D", "Embedding", "SimpleRNN", "LSTM", "GRU", "RNN"}
# Cells take (inputs, states): their calls are covered by tests/layers/test_rnn_cells.py.
NOT_2D |= {"SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"}
NOT_2D |= {"Bidirectional", "TimeDistributed"}
MERGES = {"Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract"}
# layers that take (2, 4) floats
CALLED = MERGES | set(LAYER_ARGS) - NOT_2D - CONVS | {"Flatten", "Layer"}
OTHER_ARGS = {
    "LossFunctionWrapper": {"fn": losses.mean_squared_error, "name": "wrapped"},
    "MeanMetricWrapper": {"fn": metrics.binary_accuracy, "threshold": 0.3},
    "IoU": {"num_classes": 3, "target_class_ids": [0, 2]},
    "MeanIoU": {"num_classes": 3},
    "OneHotIoU": {"num_classes": 3, "target_class_ids": [1]},
    "OneHotMeanIoU": {"num_classes": 3},
    "BinaryIoU": {"target_class_ids": [1]},
    "PrecisionAtRecall": {"recall": 0.5},
    "RecallAtPrecision": {"precision": 0.5},
    "SensitivityAtSpecificity": {"specificity": 0.5},
    "SpecificityAtSensitivity": {"sensitivity": 0.5},
    "CosineDecay": {"initial_learning_rate": 0.1, "decay_steps": 10},
    "CosineDecayRestarts": {"initial_learning_rate": 0.1, "first_decay_steps": 10},
    "ExponentialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    "InverseTimeDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    "PiecewiseConstantDecay": {"boundaries": [5, 10], "values": [0.1, 0.01, 0.001]},
    "PolynomialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10},
}
FAMILIES = {
    "losses": losses,
    "metrics": metrics,
    "optimizers": optimizers,
    "initializers": initializers,
    "regularizers": regularizers,
    "constraints": constraints,
    "schedules": schedules,
}


def family_classes():
    for family, module in FAMILIES.items():
        classes = {id(o): o for o in module._REGISTRY.objects.values() if inspect.isclass(o)}
        for cls in sorted(classes.values(), key=lambda c: c.__name__):
            yield pytest.param(family, cls, id=f"{family}-{cls.__name__}")


@pytest.mark.parametrize(("family", "cls"), list(family_classes()))
def test_every_registered_class_round_trips(family, cls):
    module = FAMILIES[family]
    try:
        obj = cls(**OTHER_ARGS.get(cls.__name__, {}))
        config = obj.get_config()
    except (TypeError, NotImplementedError) as e:  # an abstract base, or unknown arguments
        pytest.skip(f"{cls.__name__} cannot be made without arguments: {e}")
    json.dumps(config, allow_nan=False)
    text = json.dumps(module.serialize(obj), allow_nan=False)
    back = module.deserialize(json.loads(text))
    assert type(back) is cls
    assert back.get_config() == config


@pytest.mark.parametrize("name", sorted(builtin_layer_classes()))
def test_every_layer_round_trips_with_equal_outputs(name):
    cls = builtin_layer_classes()[name]
    if name in ("Functional", "Model", "Sequential"):
        pytest.skip("models are covered by test_model_file.py")
    lamina.utils.set_random_seed(0)
    layer = cls(**LAYER_ARGS.get(name, {}))
    config = layer.get_config()
    text = json.dumps(config, allow_nan=False)
    clone = cls.from_config(json.loads(text))
    assert type(clone) is cls
    assert clone.get_config() == config
    if name == "InputLayer" or name not in CALLED:
        return
    x = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    args = [x, x + 1.0] if name in MERGES else x
    if name == "OpLayer":
        args = [x]
    out = layer(args)
    clone(args)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(args).numpy(), out.numpy())


def test_values_json_cannot_hold_are_encoded_exactly():
    value = [
        (1, 2),
        slice(None, -1, 2),
        Ellipsis,
        np.float32(0.1),
        np.arange(6, dtype="int16").reshape(2, 3),
        {"k": (None,)},
    ]
    back = decode_value(json.loads(json.dumps(encode_value(value))))
    assert back[0] == (1, 2) and back[1] == slice(None, -1, 2) and back[2] is Ellipsis
    assert back[3] == np.float32(0.1) and back[3].dtype == np.float32
    np.testing.assert_array_equal(back[4], value[4])
    assert back[4].dtype == np.int16 and back[5] == {"k": (None,)}
    with pytest.raises(ValueError, match="dtype object"):
        encode_value(np.array([object()]))
    with pytest.raises(ModelFileError, match="__numpy__"):
        decode_value({"class_name": "__numpy__", "config": {"value": [1], "dtype": "object"}})


def test_op_layer_only_runs_public_ops():
    for op in ("__loader__", "np", "random", "_tensor_module", "eval"):
        with pytest.raises(ValueError, match="unknown op"):
            layers.OpLayer(op=op, args=[None])
    config = layers.OpLayer(op="add", args=[None, 1.0]).get_config()
    config["op"] = "__class__"
    with pytest.raises(ValueError, match="unknown op"):
        layers.OpLayer.from_config(config)


def test_no_config_value_is_opened_as_a_path(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password\n")
    model = lamina.Sequential([layers.Dense(2, input_shape=(3,))])
    config = json.loads(model.to_json())
    config["config"]["layers"].append(
        {
            "module": "lamina.layers",
            "class_name": "TextVectorization",
            "config": {"name": "tv", "vocabulary": str(secret)},
            "registered_name": None,
        }
    )
    with pytest.raises(ModelFileError, match="lamina never opens a path"):
        lamina.models.model_from_json(json.dumps(config))


def test_functional_config_has_the_keras_layout():
    a = lamina.Input((4,), name="in_a")
    dense = layers.Dense(2, name="shared")
    out = layers.Add(name="sum")([dense(a), dense(a * 2.0)])
    config = lamina.Model(a, [out]).get_config()
    by_name = {entry["name"]: entry for entry in config["layers"]}
    assert config["input_layers"] == ["in_a", 0, 0]
    assert config["output_layers"] == [["sum", 0, 0]]
    assert by_name["in_a"]["inbound_nodes"] == []
    assert len(by_name["shared"]["inbound_nodes"]) == 2
    first = by_name["shared"]["inbound_nodes"][0]["args"][0]
    assert first["class_name"] == "__keras_tensor__"
    assert first["config"]["keras_history"] == ["in_a", 0, 0]
    merged = by_name["sum"]["inbound_nodes"][0]["args"][0]
    assert [t["config"]["keras_history"] for t in merged] == [["shared", 0, 0], ["shared", 1, 0]]
    json.dumps(config, allow_nan=False)


def test_functional_from_config_refuses_broken_graphs():
    a = lamina.Input((4,), name="gin")
    config = lamina.Model(a, layers.Dense(2, name="gd")(a)).get_config()
    broken = json.loads(json.dumps(config))
    broken["layers"][1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["gd", 0, 0]
    with pytest.raises(ModelFileError, match="cannot be rebuilt"):
        lamina.models.Functional.from_config(broken)
    broken = json.loads(json.dumps(config))
    broken["output_layers"] = ["nowhere", 0, 0]
    with pytest.raises(ModelFileError, match="never made"):
        lamina.models.Functional.from_config(broken)
    broken = json.loads(json.dumps(config))
    broken["layers"].append(broken["layers"][1])
    with pytest.raises(ModelFileError, match="two layers are named 'gd'"):
        lamina.models.Functional.from_config(broken)


def test_duplicate_layer_names_cannot_be_saved():
    a = lamina.Input((2,))
    model = lamina.Model(a, layers.Dense(2, name="twin")(layers.Dense(2, name="twin")(a)))
    with pytest.raises(ValueError, match="two layers named 'twin'"):
        model.get_config()


def test_sequential_config_starts_with_its_input():
    model = lamina.Sequential([layers.Dense(2, input_shape=(3,)), layers.ReLU()])
    config = model.get_config()
    assert [e["class_name"] for e in config["layers"]] == ["InputLayer", "Dense", "ReLU"]
    clone = lamina.Sequential.from_config(json.loads(json.dumps(config)))
    assert clone.input.shape == (None, 3) and len(clone.layers) == 2


# ----- the registry -------------------------------------------------------------------------


@register_serializable(package="cfg")
class Doubling(initializers.Initializer):
    def __init__(self, value=1.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, 2 * self.value, dtype=dtype or "float32")

    def get_config(self):
        return {"value": self.value}


@register_serializable(package="cfg", name="halve")
def halve(x):
    return x * 0.5


def test_registered_objects_are_found_by_name_in_nested_configs():
    assert get_registered_name(Doubling) == "cfg>Doubling"
    assert get_registered_name(halve) == "cfg>halve"
    assert get_registered_name(layers.Dense) == "Dense"
    assert get_registered_object("cfg>Doubling") is Doubling
    assert get_registered_object("Doubling") is Doubling
    assert initializers.serialize(Doubling(3.0))["registered_name"] == "cfg>Doubling"
    dense = layers.Dense(2, kernel_initializer=Doubling(3.0), activation=halve)
    clone = layers.Dense.from_config(json.loads(json.dumps(dense.get_config())))
    assert isinstance(clone.kernel_initializer, Doubling) and clone.kernel_initializer.value == 3.0
    assert clone.activation is halve


def test_custom_object_scope_and_its_limits():
    def triple(x):
        return x * 3

    config = layers.Dense(2, activation=triple).get_config()
    with pytest.raises(ValueError, match="Unknown activation 'triple'"):
        layers.Dense.from_config(config)
    with custom_object_scope({"triple": triple}):
        assert layers.Dense.from_config(config).activation is triple
    with pytest.raises(TypeError, match="custom_objects must be a dict"):
        with custom_object_scope(["triple"]):
            pass


def test_register_serializable_checks_its_arguments():
    with pytest.raises(ValueError, match="without '>'"):
        register_serializable(package="a>b")
    with pytest.raises(TypeError, match="no get_config"):
        register_serializable()(type("NoConfig", (), {}))
    with pytest.raises(TypeError, match="classes and functions"):
        register_serializable()(42)


def test_unsaveable_configs_name_the_problem():
    class Holder(layers.Layer):
        def __init__(self, table=None, **kwargs):
            super().__init__(**kwargs)
            self.table = table

        def get_config(self):
            return {**super().get_config(), "table": self.table}

    with pytest.raises(ValueError, match=r"table\[1\] holds a ndarray"):
        lamina.Sequential([lamina.Input((2,)), Holder([1, np.zeros(2)])]).to_json()

    class NoConfig(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

    with pytest.raises(ValueError, match=r"takes \['units'\].*no get_config"):
        lamina.Sequential([lamina.Input((2,)), NoConfig(3)]).to_json()
