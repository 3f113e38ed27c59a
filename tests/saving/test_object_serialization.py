"""serialize/deserialize_keras_object, nested layers in configs, Model.from_config."""

import json

import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.saving import (
    ModelFileError,
    deserialize_keras_object,
    register_keras_serializable,
    serialize_keras_object,
)


@register_keras_serializable(package="objser")
class Wrapper(layers.Layer):
    """Holds a layer in its config as the object itself (default from_config rebuilds it)."""

    def __init__(self, inner, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner
        self.scale = scale

    def call(self, x):
        return self.inner(x) * self.scale

    def get_config(self):
        return {**super().get_config(), "inner": self.inner, "scale": self.scale}


@register_keras_serializable(package="objser")
class ExplicitWrapper(Wrapper):
    """Keras 3's documented pattern: serialize in get_config, deserialize in from_config."""

    def get_config(self):
        return {**super().get_config(), "inner": layers.serialize(self.inner)}

    @classmethod
    def from_config(cls, config):
        inner = layers.deserialize(config.pop("inner"))
        return cls(inner, **config)


def _nested_model():
    inputs = keras.Input((4,))
    x = Wrapper(layers.Dense(3, kernel_regularizer=keras.regularizers.L2(0.1)), 2.0)(inputs)
    outputs = ExplicitWrapper(layers.Dense(2, activation="relu"))(x)
    return keras.Model(inputs, outputs)


def _same_outputs(a, b):
    x = np.random.default_rng(0).random((3, 4), dtype=np.float32)
    np.testing.assert_allclose(a.predict(x, verbose=0), b.predict(x, verbose=0), rtol=1e-6)


def test_model_from_config_rebuilds_a_functional_model():
    model = _nested_model()
    config = json.loads(json.dumps(model.get_config()))
    assert config["layers"][1]["config"]["inner"]["class_name"] == "Dense"
    clone = keras.Model.from_config(config)
    assert isinstance(clone, keras.models.Functional)
    assert isinstance(clone.layers[1].inner, layers.Dense)
    assert clone.layers[1].inner.kernel_regularizer.l2 == pytest.approx(0.1)
    clone.set_weights(model.get_weights())
    _same_outputs(model, clone)
    from_json = keras.models.model_from_json(model.to_json())
    from_json.set_weights(model.get_weights())
    _same_outputs(model, from_json)


def test_sequential_from_config_and_json():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dropout(0.2)])
    clone = keras.Sequential.from_config(model.get_config())
    assert [type(x) for x in clone.layers] == [type(x) for x in model.layers]
    assert isinstance(keras.models.model_from_json(model.to_json()), keras.Sequential)


def test_from_config_errors_are_short_and_name_the_problem():
    config = _nested_model().get_config()
    config["layers"][1]["config"]["inner"]["class_name"] = "NoSuchLayer"
    with pytest.raises(ValueError, match="unknown layer class 'NoSuchLayer'") as info:
        keras.Model.from_config(config)
    assert len(str(info.value)) < 400
    with pytest.raises(TypeError, match="Received: config of type str"):
        keras.Model.from_config("not a config")
    with pytest.raises(ModelFileError, match="Received: config of type list"):
        keras.models.Functional.from_config([config])
    with pytest.raises(TypeError, match="unknown keyword argument") as info:
        keras.Sequential(bogus=list(range(1000)))
    assert len(str(info.value)) < 200 and "bogus=" in str(info.value)


def test_nested_layers_survive_save_and_load(tmp_path):
    model = _nested_model()
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    _same_outputs(model, loaded)


def test_a_nested_unregistered_layer_is_refused_at_load(tmp_path):
    class Local(layers.Layer):
        pass

    model = keras.Sequential([keras.Input((2,)), Wrapper(Local())])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ModelFileError, match="unknown layer class 'Local'"):
        keras.models.load_model(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects={"Local": Local})
    assert isinstance(loaded.layers[0].inner, Local)


def test_serialize_keras_object_uses_keras_3_layout():
    init = serialize_keras_object(keras.initializers.HeNormal(seed=1))
    assert init == {
        "module": "lamina.initializers",
        "class_name": "HeNormal",
        "config": {"seed": 1},
        "registered_name": None,
    }
    dense = serialize_keras_object(layers.Dense(3, name="d"))
    assert set(dense) == {"module", "class_name", "config", "registered_name"}
    fn = serialize_keras_object(keras.activations.relu)
    assert fn == {
        "module": "lamina.activations",
        "class_name": "function",
        "config": "relu",
        "registered_name": "relu",
    }
    assert deserialize_keras_object(fn) is keras.activations.relu
    rebuilt = deserialize_keras_object(json.loads(json.dumps(dense)))
    assert isinstance(rebuilt, layers.Dense) and rebuilt.units == 3
    assert deserialize_keras_object({"a": [1, init]})["a"][1].seed == 1


def test_deserialize_keras_object_reads_keras_3_dicts():
    init = deserialize_keras_object(
        {
            "module": "keras.initializers",
            "class_name": "HeNormal",
            "config": {"seed": 7},
            "registered_name": None,
        }
    )
    assert isinstance(init, keras.initializers.HeNormal) and init.seed == 7
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}
    dense = deserialize_keras_object(
        {
            "module": "keras.layers",
            "class_name": "Dense",
            "config": {"name": "d", "units": 2, "activation": "relu", "dtype": policy},
            "registered_name": None,
        }
    )
    assert isinstance(dense, layers.Dense) and dense.units == 2 and dense.name == "d"
    with pytest.raises(ValueError, match="never loads code"):
        deserialize_keras_object({"module": "keras.layers", "class_name": "Lambda", "config": {}})
    wrapper = deserialize_keras_object(
        {
            "module": "my_project.layers",  # never imported: found through the registry
            "class_name": "Wrapper",
            "config": {"inner": serialize_keras_object(layers.Dense(1))},
            "registered_name": "objser>Wrapper",
        }
    )
    assert isinstance(wrapper.inner, layers.Dense)


def test_unknown_or_unsaveable_objects_are_refused():
    with pytest.raises(ValueError, match="Unknown object 'Nope'"):
        deserialize_keras_object({"module": "os", "class_name": "Nope", "config": {}})
    with pytest.raises(TypeError, match="not registered"):
        serialize_keras_object(lambda x: x)
    with pytest.raises(TypeError, match="no get_config|get_config"):
        serialize_keras_object(object())


def test_layers_deserialize_checks_its_argument():
    dense = layers.Dense(2)
    assert layers.deserialize(dense) is dense
    with pytest.raises(TypeError, match="'class_name'"):
        layers.deserialize("Dense")
    with pytest.raises(TypeError, match="is not a layer"):
        layers.deserialize(serialize_keras_object(keras.initializers.Zeros()))
