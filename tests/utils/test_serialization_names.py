"""The serialization names Keras 3 also exposes under `keras.utils`."""

import pytest

import lamina as keras

NAMES = [
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
    "serialize_keras_object",
]


@pytest.mark.parametrize("name", NAMES)
def test_utils_re_exports_the_saving_function(name):
    assert getattr(keras.utils, name) is getattr(keras.saving, name)
    assert name in keras.utils.__all__


def test_a_custom_object_round_trips_through_keras_utils():
    @keras.utils.register_keras_serializable(package="utils_test")
    class Doubling(keras.layers.Layer):
        def call(self, x):
            return x * 2

    assert keras.utils.get_registered_name(Doubling) == "utils_test>Doubling"
    assert keras.utils.get_registered_object("utils_test>Doubling") is Doubling
    config = keras.utils.serialize_keras_object(Doubling(name="twice"))
    restored = keras.utils.deserialize_keras_object(config)
    assert type(restored) is Doubling and restored.name == "twice"

    class Unregistered(Doubling):
        pass

    assert keras.utils.get_registered_object("Unregistered") is None
    with keras.utils.custom_object_scope({"Unregistered": Unregistered}):
        assert keras.utils.get_registered_object("Unregistered") is Unregistered
    assert keras.utils.get_custom_objects()["utils_test>Doubling"] is Doubling
