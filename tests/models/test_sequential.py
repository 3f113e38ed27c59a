"""Sequential: add, pop, the ways to give the input shape, and deferred building."""

import numpy as np
import pytest

import lamina
from lamina import layers


def mnist_net():
    return lamina.Sequential(
        [
            layers.Dense(512, activation="relu", input_shape=(784,)),
            layers.Dense(10, activation="softmax"),
        ]
    )


def test_input_shape_on_the_first_layer_builds_at_once():
    model = mnist_net()
    assert model.built
    assert model.input.shape == (None, 784) and model.output.shape == (None, 10)
    assert model.count_params() == 407_050
    assert [w.shape for w in model.weights] == [(784, 512), (512,), (512, 10), (10,)]


def test_starting_with_input():
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(3), layers.Dense(2)])
    assert model.built and model.output.shape == (None, 2)
    assert len(model.layers) == 2  # the input is not a layer of the list
    assert model.inputs == [model.input]


def test_starting_with_an_input_layer():
    model = lamina.Sequential([layers.InputLayer(shape=(4,)), layers.Dense(2)])
    assert model.output.shape == (None, 2) and len(model.layers) == 1


def test_add_then_pop():
    model = lamina.Sequential()
    model.add(lamina.Input((4,)))
    model.add(layers.Dense(3, name="hidden"))
    model.add(layers.Dense(2, name="out"))
    assert [layer.name for layer in model.layers] == ["hidden", "out"]
    assert model.output.shape == (None, 2)
    popped = model.pop()
    assert popped.name == "out"
    assert [layer.name for layer in model.layers] == ["hidden"]
    assert model.output.shape == (None, 3)
    assert len(model.weights) == 2
    model.add(layers.Dense(5))
    assert model.predict(np.ones((2, 4)), verbose=0).shape == (2, 5)


def test_add_errors():
    model = lamina.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="an Input can only come first"):
        model.add(lamina.Input((3,)))
    with pytest.raises(TypeError, match="expects a Layer. Received: int"):
        model.add(3)
    with pytest.raises(ValueError, match="no layers to remove"):
        lamina.Sequential().pop()


def test_deferred_build_on_first_call():
    model = lamina.Sequential([layers.Dense(3), layers.Dense(2)])
    assert not model.built and model.weights == []
    with pytest.raises(AttributeError, match="has no input yet"):
        _ = model.input
    out = model(np.ones((5, 4), "float32"))
    assert model.built and out.shape == (5, 2)
    assert model.input.shape == (None, 4)
    assert model.count_params() == 4 * 3 + 3 + 3 * 2 + 2


def test_deferred_build_on_fit():
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([layers.Dense(3, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.ones((8, 4)), np.zeros((8, 1)), epochs=2, verbose=0)
    assert model.built and len(history.history["loss"]) == 2


def test_explicit_build():
    model = lamina.Sequential([layers.Dense(3)])
    model.build((None, 6))
    assert model.built and model.layers[0].kernel.shape == (6, 3)
    with pytest.raises(ValueError, match="needs an input shape"):
        lamina.Sequential([layers.Dense(3)]).build()


def test_get_layer_by_name_and_index():
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(3, name="a"), layers.Dense(2)])
    assert model.get_layer("a") is model.layers[0]
    assert model.get_layer(index=-1) is model.layers[1]
    with pytest.raises(ValueError, match=r"No layer named 'b'.*\['a', "):
        model.get_layer("b")
    with pytest.raises(ValueError, match="has 2 layers. Received: index=5"):
        model.get_layer(index=5)
    with pytest.raises(ValueError, match="exactly one of name or index"):
        model.get_layer()


def test_sequential_as_a_layer_of_another_sequential():
    inner = lamina.Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(2)])
    outer = lamina.Sequential([inner, layers.Dense(1)])
    assert outer.predict(np.ones((2, 4)), verbose=0).shape == (2, 1)
    assert len(outer.weights) == 6


def test_a_dict_keyed_by_the_input_name_is_the_input():
    model = lamina.Sequential([lamina.Input((4,), name="features"), layers.Dense(2)])
    x = np.ones((3, 4), dtype="float32")
    np.testing.assert_allclose(model({"features": x}).numpy(), model(x).numpy())


@pytest.mark.parametrize("built", [True, False])
def test_any_other_dict_is_refused(built):
    model = lamina.Sequential([layers.Dense(2)])
    if built:
        model.build((None, 4))
    with pytest.raises(ValueError) as err:
        model({"a": np.ones((3, 4)), "b": np.ones((3, 4))})
    message = str(err.value)
    assert "has a single input: pass it as one array" in message
    assert ("or as {'input_layer" in message) == built
    assert message.endswith("Received: inputs=a dict with keys ['a', 'b']")
    assert not model.built or built
