"""Functional models: several inputs and outputs, shared layers, nesting, symbolic ops."""

import numpy as np
import pytest

import lamina
from lamina import layers

rng = np.random.default_rng(0)


def test_several_inputs_and_outputs():
    a = lamina.Input((3,), name="a")
    b = lamina.Input((2,), name="b")
    merged = layers.concatenate([a, b])
    hidden = layers.Dense(4, activation="relu", name="hidden")(merged)
    out1 = layers.Dense(1, name="score")(hidden)
    out2 = layers.Dense(3, activation="softmax", name="cls")(hidden)
    model = lamina.Model(inputs=[a, b], outputs=[out1, out2], name="two_by_two")
    assert model.name == "two_by_two"
    assert model.inputs == [a, b] and model.outputs == [out1, out2]
    assert model.input == [a, b] and model.output == [out1, out2]
    assert model.input_names == ["a", "b"] and model.output_names == ["score", "cls"]
    xa, xb = np.ones((5, 3)), np.ones((5, 2))
    p1, p2 = model.predict([xa, xb], verbose=0)
    assert p1.shape == (5, 1) and p2.shape == (5, 3)
    q1, _ = model.predict({"a": xa, "b": xb}, verbose=0)  # inputs by name
    np.testing.assert_array_equal(p1, q1)
    names = [layer.name for layer in model.layers]
    assert names[:2] == ["a", "b"] and names[-3:] == ["hidden", "score", "cls"]
    assert model.get_layer("hidden").kernel.shape == (5, 4)


def test_dict_outputs_are_returned_as_dicts():
    x = lamina.Input((2,))
    model = lamina.Model(x, {"double": x * 2, "neg": -x})
    out = model.predict(np.ones((3, 2)), verbose=0)
    assert set(out) == {"double", "neg"}
    np.testing.assert_array_equal(out["neg"], -np.ones((3, 2)))


def test_shared_layer_uses_one_set_of_weights():
    shared = layers.Dense(2, name="shared")
    a, b = lamina.Input((3,)), lamina.Input((3,))
    model = lamina.Model([a, b], layers.subtract([shared(a), shared(b)]))
    assert len(model.weights) == 2
    xa = rng.standard_normal((4, 3)).astype("float32")
    np.testing.assert_allclose(model.predict([xa, xa], verbose=0), np.zeros((4, 2)))
    assert len(shared._inbound_nodes) == 2
    assert shared.input is a  # the first call's


def test_nested_sequential_inside_a_functional_model():
    encoder = lamina.Sequential(
        [layers.Dense(4, activation="relu", input_shape=(6,)), layers.Dense(2)], name="encoder"
    )
    x = lamina.Input((6,))
    z = encoder(x)
    out = layers.Dense(1)(z)
    model = lamina.Model(x, out)
    assert z.shape == (None, 2)
    assert model.get_layer("encoder") is encoder
    assert len(model.weights) == 6
    data = rng.standard_normal((3, 6)).astype("float32")
    expected = model.layers[-1](encoder(data)).numpy()
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    before = encoder.get_weights()
    model.fit(data, np.ones((3, 1)), epochs=1, verbose=0)
    assert not np.array_equal(before[0], encoder.get_weights()[0])  # trained through the nesting


def test_functional_model_as_a_layer_twice():
    x = lamina.Input((3,))
    inner = lamina.Model(x, layers.Dense(2)(x))
    a, b = lamina.Input((3,)), lamina.Input((3,))
    outer = lamina.Model([a, b], layers.add([inner(a), inner(b)]))
    assert len(outer.weights) == 2
    data = np.ones((2, 3), "float32")
    np.testing.assert_allclose(
        outer.predict([data, data], verbose=0), 2 * inner.predict(data, verbose=0), rtol=1e-6
    )


def test_slicing_and_arithmetic_on_symbolic_tensors():
    x = lamina.Input((4,))
    first = x[:, 0]
    pair = x[:, 1:3]
    y = 2 * pair + 1
    z = y - x[:, 3:4] / 2
    w = -(z**2)
    model = lamina.Model(x, [first, y, w])
    assert first.shape == (None,) and y.shape == (None, 2)
    data = rng.standard_normal((5, 4)).astype("float32")
    got_first, got_y, got_w = model.predict(data, verbose=0)
    np.testing.assert_allclose(got_first, data[:, 0])
    np.testing.assert_allclose(got_y, 2 * data[:, 1:3] + 1, rtol=1e-6)
    np.testing.assert_allclose(got_w, -((2 * data[:, 1:3] + 1 - data[:, 3:4] / 2) ** 2), rtol=1e-5)


def test_arithmetic_between_two_branches():
    a, b = lamina.Input((3,)), lamina.Input((3,))
    model = lamina.Model([a, b], [a + b, a * b + a @ np.eye(3, dtype="float32")])
    xa, xb = np.full((2, 3), 2.0), np.full((2, 3), 3.0)
    total, mixed = model.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(total, np.full((2, 3), 5.0))
    np.testing.assert_allclose(mixed, np.full((2, 3), 8.0))


def test_model_construction_errors():
    x = lamina.Input((3,))
    hidden = layers.Dense(2)(x)
    with pytest.raises(ValueError, match="must come straight from lamina.Input"):
        lamina.Model(hidden, layers.Dense(1)(hidden))
    other = lamina.Input((3,), name="other")
    with pytest.raises(ValueError, match=r"depend on inputs not passed.*\['other'\]"):
        lamina.Model(x, layers.add([hidden, layers.Dense(2)(other)]))
    with pytest.raises(TypeError, match="expects symbolic tensors"):
        lamina.Model(x, np.ones(3))


def test_calling_with_the_wrong_number_of_inputs():
    a, b = lamina.Input((3,)), lamina.Input((3,))
    model = lamina.Model([a, b], layers.add([a, b]))
    with pytest.raises(ValueError, match=r"expects 2 input\(s\). Received: 1"):
        model(np.ones((1, 3), "float32"))


def test_layers_used_in_a_graph_know_their_input_and_output():
    x = lamina.Input((3,))
    dense = layers.Dense(2)
    y = dense(x)
    model = lamina.Model(x, y)
    assert model.get_layer(dense.name).output is y
    assert model.get_layer(index=0).output is x


def test_a_forward_pass_drops_each_activation_after_its_last_use():
    """Without a tape only the activations still to be read stay alive (peak memory)."""
    import weakref

    refs, dead = [], []

    class Remember(lamina.layers.Layer):
        def call(self, x):
            refs.append(weakref.ref(x))
            return x

    class Check(lamina.layers.Layer):
        def call(self, x):
            dead.append([ref() is None for ref in refs[-2:]])
            return x

    inputs = lamina.Input((3,))
    first = lamina.layers.Dense(4, name="first")(inputs)
    second = lamina.layers.Dense(4, name="second")(Remember()(first))
    skip = lamina.layers.Add()([second, first])  # `first` is read again here
    outputs = Check()(lamina.layers.Dense(2)(Remember()(skip)))
    model = lamina.Model(inputs, outputs)
    model.predict(np.ones((2, 3), "float32"), verbose=0)
    # At Check: `first`'s value (read by Add) is gone, and so is Add's (read by Dense).
    assert dead[-1] == [True, True]


def test_layer_call_may_use_the_graphs_tensors_from_a_closure():
    # Keras 2 programs (the book's VAE) compute a loss in a layer's call on symbolic tensors
    # of the model held in a closure; each run of the model gives them their current values.
    from lamina import backend as K

    inputs = lamina.Input((3,))
    hidden = layers.Dense(2, name="hidden")(inputs)
    outputs = layers.Dense(3)(hidden)

    class HiddenPenalty(layers.Layer):
        def call(self, x):
            self.add_loss(K.mean(K.square(hidden)) + 0 * K.sum(x))
            return x

    model = lamina.Model(inputs, HiddenPenalty()(outputs))
    x = rng.standard_normal((5, 3)).astype("float32")
    model(x)
    [penalty] = model.losses
    expected = np.mean(np.square(lamina.Model(inputs, hidden).predict(x, verbose=0)))
    assert float(penalty) == pytest.approx(float(expected), rel=1e-5)
    # The gradient reaches the hidden layer's weights through the closure.
    model.compile(optimizer="sgd")
    kernel = model.get_layer("hidden").kernel.numpy().copy()
    model.train_on_batch(x)
    assert not np.array_equal(kernel, model.get_layer("hidden").kernel.numpy())
    # Outside a run of the model the tensors stay symbolic: ops on them add graph nodes.
    assert isinstance(K.square(hidden), type(hidden))


def test_a_model_built_inside_a_call_stays_symbolic_when_the_layer_is_probed():
    class InnerModel(layers.Layer):
        def call(self, x):
            inner_in = lamina.Input((x.shape[-1],))
            inner = lamina.Model(inner_in, inner_in * 2.0)
            return inner(x)

    inputs = lamina.Input((3,))
    outputs = InnerModel()(inputs)  # the shape is worked out by calling it on zeros
    assert outputs.shape == (None, 3)
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(lamina.Model(inputs, outputs).predict(x, verbose=0), 2 * x)


def test_a_tensor_read_from_a_closure_lives_until_that_layer_runs():
    """`first` has no declared reader after `second`, but `AddMean` reads it from a closure:
    the forward pass must keep it until then (the book's VAE loss reads `z_mean` so)."""
    inputs = lamina.Input((3,))
    first = lamina.layers.Dense(4, name="first")(inputs)
    second = lamina.layers.Dense(2, name="second")(first)

    class AddMean(lamina.layers.Layer):
        def call(self, x):
            return x + lamina.backend.mean(first)  # Keras 2 style, as the book

    outputs = AddMean()(lamina.layers.Dense(2)(second))
    model = lamina.Model(inputs, outputs)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    hidden = model.get_layer("first")(x).numpy()
    expected = model.layers[-2](model.get_layer("second")(hidden)).numpy() + hidden.mean()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)
