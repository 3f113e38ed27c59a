"""clone_model: same architecture, new weights."""

import numpy as np
import pytest

import lamina as keras
from lamina import layers


def _functional():
    a = keras.Input((4,), name="a")
    b = keras.Input((2,), name="b")
    shared = layers.Dense(3, name="shared")
    x = layers.concatenate([shared(a), layers.Dense(3)(b)])
    return keras.Model({"a": a, "b": b}, [layers.Dense(1)(x), shared(a)])


def test_clone_functional_has_new_weights_and_same_function():
    model = _functional()
    clone = keras.models.clone_model(model)
    assert clone.get_config() == model.get_config()
    assert not any(c is w for c, w in zip(clone.weights, model.weights, strict=True))
    clone.set_weights(model.get_weights())
    x = {"a": np.ones((2, 4), np.float32), "b": np.ones((2, 2), np.float32)}
    for got, want in zip(clone.predict(x, verbose=0), model.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_clone_sequential_with_clone_function_and_input_tensors():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.Dropout(0.5)])
    seen = []

    def keep(layer):
        seen.append(layer.name)
        return layer

    inputs = keras.Input((3,))
    clone = keras.models.clone_model(model, input_tensors=inputs, clone_function=keep)
    assert seen == [layer.name for layer in model.layers]
    assert clone.layers[0] is model.layers[0] and clone.input is inputs
    fresh = keras.models.clone_model(model)
    assert fresh.layers[0] is not model.layers[0]
    assert fresh.weights[0].shape == model.weights[0].shape


def test_clone_model_checks_its_arguments():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    with pytest.raises(TypeError, match="expects a Model"):
        keras.models.clone_model(layers.Dense(2))
    with pytest.raises(TypeError, match="must return a Layer"):
        keras.models.clone_model(model, clone_function=lambda layer: None)
    with pytest.raises(ValueError, match="input_tensors must be 1"):
        keras.models.clone_model(model, input_tensors=[keras.Input((3,)), keras.Input((3,))])
