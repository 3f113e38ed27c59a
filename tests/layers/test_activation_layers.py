"""ReLU, LeakyReLU, ELU and Softmax layers against NumPy formulas."""

import numpy as np
import pytest

from lamina import layers

X = np.array([[-3.0, -1.0, -0.1, 0.5, 2.0, 8.0]], "float32")


def test_relu_plain_and_with_options():
    np.testing.assert_allclose(layers.ReLU()(X).numpy(), np.maximum(X, 0))
    np.testing.assert_allclose(layers.ReLU(max_value=6.0)(X).numpy(), np.clip(X, 0, 6))
    out = layers.ReLU(negative_slope=0.1, threshold=1.0)(X).numpy()
    np.testing.assert_allclose(out, np.where(X >= 1.0, X, 0.1 * (X - 1.0)), rtol=1e-6)


@pytest.mark.parametrize("kwargs", [{"max_value": -1.0}, {"negative_slope": -0.5}])
def test_relu_refuses_negative_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        layers.ReLU(**kwargs)


def test_leaky_relu_keras3_default_and_keras2_alpha():
    np.testing.assert_allclose(
        layers.LeakyReLU()(X).numpy(), np.where(X > 0, X, 0.3 * X), rtol=1e-6
    )
    layer = layers.LeakyReLU(alpha=0.2)
    assert layer.negative_slope == 0.2
    np.testing.assert_allclose(layer(X).numpy(), np.where(X > 0, X, 0.2 * X), rtol=1e-6)


def test_elu():
    out = layers.ELU(alpha=0.5)(X).numpy()
    np.testing.assert_allclose(out, np.where(X > 0, X, 0.5 * (np.exp(X) - 1)), rtol=1e-6)


def test_softmax_over_an_axis_and_with_a_mask():
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    out = layers.Softmax(axis=1)(x).numpy()
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(out, e / e.sum(axis=1, keepdims=True), rtol=1e-5)
    mask = np.array([[True, True, False]])
    masked = layers.Softmax()(np.zeros((1, 3), "float32"), mask=mask).numpy()
    np.testing.assert_allclose(masked, [[0.5, 0.5, 0.0]], atol=1e-7)


def test_relu_with_max_value_6_is_one_op():
    """MobileNetV2's `ReLU(6.0)`: one relu6 pass, not relu then minimum."""
    import lamina
    from lamina.ops.nn import Relu6Op

    x = lamina.Variable(X)
    with lamina.GradientTape() as tape:
        y = layers.ReLU(max_value=6.0)(x)
    assert isinstance(y._node, Relu6Op)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [[0, 0, 0, 1, 1, 0]])
