"""The Keras 2 graph functions: placeholder, gradients, function, learning phase, clear_session."""

import numpy as np
import pytest

import lamina
from lamina import backend as K
from lamina import layers


def tiny_convnet(dtype="float64", seed=0):
    """A small float64 convnet: conv -> conv -> flatten -> softmax over 4 classes."""
    lamina.utils.set_random_seed(seed)
    inputs = lamina.Input((7, 7, 2), dtype=dtype)
    x = layers.Conv2D(4, 3, activation="tanh", dtype=dtype, name="conv_a")(inputs)
    x = layers.Conv2D(3, 3, activation="tanh", dtype=dtype, name="conv_b")(x)
    x = layers.Flatten(dtype=dtype)(x)
    outputs = layers.Dense(4, activation="softmax", dtype=dtype)(x)
    return lamina.Model(inputs, outputs)


def numeric_gradient(f, x, eps=1e-6):
    """Central differences of the scalar `f` at every element of `x` (float64)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


@pytest.fixture
def model():
    return tiny_convnet()


@pytest.fixture
def images():
    return np.random.default_rng(0).normal(size=(2, 7, 7, 2))


def test_gradient_through_slicing_of_the_output_matches_finite_differences(model, images):
    loss = model.output[:, 2]  # as the book's `model.output[:, 386]`
    grads = K.gradients(loss, model.input)
    assert isinstance(grads, list) and grads[0].shape == (None, 7, 7, 2)
    f = K.function([model.input], [loss, grads[0]])
    value, grad = f([images])
    assert isinstance(value, np.ndarray) and value.shape == (2,)
    expected = numeric_gradient(lambda x: f([x])[0].sum(), images)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-9)


def test_gradient_of_a_channel_mean_of_a_layer_output(model, images):
    # The filter-visualization loss: mean of one channel of an intermediate activation.
    loss = K.mean(model.get_layer("conv_a").output[:, :, :, 1])
    grad_tensor = K.gradients(loss, model.input)[0]
    grad_tensor = grad_tensor / (K.sqrt(K.mean(K.square(grad_tensor))) + 1e-5)
    f = K.function([model.input], [loss, grad_tensor])
    _, grad = f([images])
    raw = numeric_gradient(lambda x: f([x])[0], images)
    expected = raw / (np.sqrt(np.mean(raw**2)) + 1e-5)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-8)


def test_gradient_with_respect_to_an_intermediate_layer_output_grad_cam(model, images):
    conv = model.get_layer("conv_b")
    class_output = model.output[:, 1]
    grads = K.gradients(class_output, conv.output)[0]
    assert grads.shape == conv.output.shape
    pooled = K.mean(grads, axis=(0, 1, 2))
    f = K.function([model.input], [pooled, conv.output[0], grads])
    pooled_value, conv_value, grad = f([images[:1]])
    # Differentiate by feeding the conv output itself: the head as a function of it.
    head = K.function([conv.output], [class_output])
    features = K.function([model.input], [conv.output])([images[:1]])[0]
    expected = numeric_gradient(lambda c: head([c])[0].sum(), features)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(pooled_value, expected.mean(axis=(0, 1, 2)), rtol=1e-5, atol=1e-9)
    heatmap = np.maximum((conv_value * pooled_value).mean(axis=-1), 0)
    assert heatmap.shape == (3, 3) and np.isfinite(heatmap).all()


def test_gradient_with_respect_to_a_placeholder_and_a_variable():
    x = K.placeholder((None, 3), dtype="float64")
    w = K.variable(np.array([1.0, -2.0, 0.5]), dtype="float64")
    loss = K.sum(K.square(x * w))
    grad_x, grad_w = K.gradients(loss, [x, w])
    f = K.function([x], [grad_x, grad_w])
    data = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    gx, gw = f([data])
    np.testing.assert_allclose(gx, 2 * data * w.numpy() ** 2)
    np.testing.assert_allclose(gw, (2 * data**2 * w.numpy()).sum(axis=0))


def test_gradient_of_something_the_loss_does_not_depend_on_is_none(model):
    other = K.placeholder((None, 3))
    loss = K.mean(model.output)
    unrelated = K.variable(np.ones(3))
    assert K.gradients(loss, [other, unrelated]) == [None, None]
    grads = K.gradients(loss, [other, model.input])
    assert grads[0] is None and grads[1] is not None


def test_deep_dream_loop_increases_the_loss(model, images):
    # The book's DeepDream recipe: gradient ascent on the input image.
    loss = K.variable(0.0)
    for name, coeff in (("conv_a", 0.5), ("conv_b", 1.0)):
        activation = model.get_layer(name).output
        loss += coeff * K.sum(K.square(activation[:, 1:-1, 1:-1, :])) / 10.0
    grads = K.gradients(loss, model.input)[0]
    grads /= K.maximum(K.mean(K.abs(grads)), 1e-7)
    fetch = K.function([model.input], [loss, grads])
    x = images[:1].copy()
    losses = []
    for _ in range(5):
        value, grad = fetch([x])
        losses.append(float(value))
        x += 0.01 * grad
    assert all(b > a for a, b in zip(losses, losses[1:], strict=False)), losses


def test_function_builds_its_graph_once(model, images, monkeypatch):
    f = K.function([model.input], [model.output])
    calls = []
    monkeypatch.setattr("lamina.legacy_backend.graph._plan", lambda *a: calls.append(a) or [])
    first, second = f([images])[0], f([images])[0]
    assert calls == []
    np.testing.assert_allclose(first, model.predict(images, verbose=0), rtol=1e-6)
    np.testing.assert_array_equal(first, second)


def test_function_with_a_single_output_and_intermediate_outputs(model, images):
    f = K.function([model.input], model.output)
    assert f([images]).shape == (2, 4)
    g = K.function([model.input], [model.get_layer("conv_a").output, model.output])
    conv, out = g([images])
    assert conv.shape == (2, 5, 5, 4) and out.shape == (2, 4)


def test_function_names_the_placeholder_not_fed(model):
    extra = K.placeholder((None, 4), name="targets")
    loss = K.mean(K.square(model.output - extra))
    with pytest.raises(ValueError, match="'targets'.*not among the inputs"):
        K.function([model.input], [loss])


def test_function_names_the_placeholder_and_both_shapes(model):
    f = K.function([model.input], [model.output])
    name = model.input.name
    with pytest.raises(ValueError, match=rf"{name!r}.*\(None, 7, 7, 2\).*\(7, 7, 2\)"):
        f([np.zeros((7, 7, 2))])
    with pytest.raises(ValueError, match="expects a list of 1 array"):
        f([np.zeros((1, 7, 7, 2)), np.zeros(3)])


def test_function_rejects_none_outputs_and_updates(model):
    with pytest.raises(ValueError, match=r"outputs\[1\] is None"):
        K.function([model.input], [model.output, None])
    with pytest.raises(NotImplementedError, match="updates"):
        K.function([model.input], [model.output], updates=[(1, 2)])
    with pytest.raises(TypeError, match=r"inputs\[0\]"):
        K.function([np.zeros(3)], [model.output])


def test_gradients_needs_a_symbolic_loss():
    with pytest.raises(TypeError, match="GradientTape"):
        K.gradients(K.constant(1.0), [K.variable(1.0)])


def test_placeholder_shapes_and_errors():
    x = K.placeholder(shape=(None, 28, 28, 1))
    assert K.int_shape(x) == (None, 28, 28, 1) and K.is_placeholder(x)
    assert K.int_shape(K.placeholder(ndim=2)) == (None, None)
    with pytest.raises(ValueError, match="ndim=None"):
        K.placeholder()


@pytest.fixture
def fresh_session():
    K.clear_session()
    yield
    K.clear_session()


def dropout_model():
    inputs = lamina.Input((50,))
    return lamina.Model(inputs, layers.Dropout(0.5)(inputs))


def test_learning_phase_placeholder_selects_training(fresh_session):
    model = dropout_model()
    phase = K.learning_phase()
    assert K.is_placeholder(phase)
    f = K.function([model.input, phase], [model.output])
    x = np.ones((4, 50), dtype="float32")
    np.testing.assert_array_equal(f([x, 0])[0], x)
    assert (f([x, 1])[0] == 0).any()
    np.testing.assert_array_equal(K.function([model.input], [model.output])([x])[0], x)


def test_set_learning_phase_before_building(fresh_session, recwarn):
    K.set_learning_phase(1)
    assert K.learning_phase() == 1
    model = dropout_model()
    x = np.ones((4, 50), dtype="float32")
    assert (K.function([model.input], [model.output])([x])[0] == 0).any()
    assert not recwarn.list
    with pytest.raises(ValueError, match="0 or 1. Received: value=2"):
        K.set_learning_phase(2)


def test_set_learning_phase_after_a_model_was_built_warns(fresh_session):
    dropout_model()
    with pytest.warns(UserWarning, match="after a model was built"):
        K.set_learning_phase(0)
    assert K.learning_phase() == 0


def test_clear_session_resets_names_and_phase(fresh_session):
    K.set_learning_phase(0)
    first = layers.Dense(2).name
    K.clear_session()
    assert layers.Dense(2).name == first
    assert K.is_placeholder(K.learning_phase())


def test_backend_attribute_errors():
    with pytest.raises(AttributeError, match="no attribute 'not_a_function'"):
        K.not_a_function  # noqa: B018
    assert K.image_data_format() == "channels_last"


def test_in_train_phase_follows_the_fed_or_set_phase(fresh_session):
    x = K.placeholder((None, 2))
    phase = K.learning_phase()
    out = K.in_train_phase(x * 2, lambda: x * 3)
    f = K.function([x, phase], [out])
    data = np.ones((1, 2), dtype="float32")
    np.testing.assert_array_equal(f([data, 1])[0], [[2, 2]])
    np.testing.assert_array_equal(f([data, 0])[0], [[3, 3]])
    np.testing.assert_array_equal(K.function([x], [out])([data])[0], [[3, 3]])
    test_out = K.in_test_phase(x * 2, x * 3)
    np.testing.assert_array_equal(K.function([x, phase], [test_out])([data, 1])[0], [[3, 3]])
    assert K.in_train_phase(lambda: "train", "test", training=1) == "train"
    assert K.in_test_phase("test", "train", training=False) == "test"
    K.set_learning_phase(1)
    assert K.in_train_phase("train", "test") == "train"
