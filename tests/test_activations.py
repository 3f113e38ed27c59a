"""Activations: values against NumPy formulas, get/serialize, gradients."""

import math

import numpy as np
import pytest

import lamina
from lamina import Tensor, activations
from lamina.testing import check_gradients

X = np.array([[-3.0, -1.0, -0.2, 0.0, 0.4, 2.0, 7.0]])


def sig(x):
    return 1 / (1 + np.exp(-x))


def erf(x):
    return np.vectorize(math.erf)(x)


REFERENCE = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "gelu": lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))),
    "sigmoid": sig,
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "tanh": np.tanh,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * sig(x),
    "swish": lambda x: x * sig(x),
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
    "log_softmax": lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
    "linear": lambda x: x,
    "exponential": np.exp,
    "celu": lambda x: np.where(x >= 0, x, np.expm1(x)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "log_sigmoid": lambda x: np.log(sig(x)),
    "soft_shrink": lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x)),
    "sparse_sigmoid": lambda x: np.clip((x + 1) / 2, 0, 1),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "tanh_shrink": lambda x: x - np.tanh(x),
}

# Keras 3.6+ activations; glu, sparsemax and threshold need more than an elementwise reference.
NEW_IN_KERAS_3_6 = [
    "celu",
    "glu",
    "hard_shrink",
    "hard_tanh",
    "log_sigmoid",
    "soft_shrink",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "tanh_shrink",
    "threshold",
]


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_values_by_name(name):
    fn = activations.get(name)
    out = fn(Tensor(X))
    out = out.numpy() if isinstance(out, Tensor) else np.asarray(out)
    np.testing.assert_allclose(out, REFERENCE[name](X), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "name", sorted(set(REFERENCE) - {"linear", "relu6", "hard_sigmoid", "hard_silu"})
)
def test_gradients(name):
    fn = activations.get(name)
    x = np.array([[-1.7, -0.3, 0.45, 1.2, 2.5]])
    check_gradients(lambda t: fn(t), [x], atol=1e-5)


def test_relu_options():
    x = np.array([-10.0, -5.0, 0.0, 5.0, 10.0])
    np.testing.assert_allclose(activations.relu(x, max_value=5.0).numpy(), [0, 0, 0, 5, 5])
    np.testing.assert_allclose(activations.relu(x, threshold=5.0).numpy(), [0, 0, 0, 0, 10])
    np.testing.assert_allclose(
        activations.relu(x, negative_slope=0.5).numpy(), [-5, -2.5, 0, 5, 10]
    )
    np.testing.assert_allclose(
        activations.relu(x, negative_slope=0.5, threshold=1.0, max_value=8.0).numpy(),
        [-5.5, -3.0, -0.5, 5.0, 8.0],
    )


def test_gelu_approximate_and_softmax_axis():
    x = np.array([0.5, -1.0])
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(activations.gelu(x, approximate=True).numpy(), tanh_form, rtol=1e-6)
    m = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(activations.softmax(m, axis=0).numpy().sum(0), [1.0, 1.0])


def test_get_none_callable_and_unknown():
    assert activations.get(None) is activations.linear
    assert activations.get(np.tanh) is np.tanh
    assert activations.get("swish") is activations.silu
    with pytest.raises(ValueError, match="Unknown activation 'rleu'.*relu"):
        activations.get("rleu")
    with pytest.raises(ValueError, match="Received: 3"):
        activations.get(3)


def test_serialize_round_trip():
    for name in ("relu", "softmax", "gelu", "linear", "leaky_relu"):
        fn = activations.get(name)
        assert activations.serialize(fn) == name
        assert activations.deserialize(activations.serialize(fn)) is fn
    assert activations.serialize(activations.swish) == "silu"


@pytest.mark.parametrize("name", NEW_IN_KERAS_3_6)
def test_new_activations_round_trip_by_name(name):
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    assert activations.serialize(fn) == name
    assert activations.deserialize(activations.serialize(fn)) is fn


def test_keras_documented_examples():
    # The examples in the docstrings of `keras.ops`.
    def run(fn, x, *args, **kwargs):
        return fn(np.array(x), *args, **kwargs).numpy()

    np.testing.assert_allclose(run(activations.celu, [-1.0, 0.0, 1.0]), [-0.63212056, 0, 1])
    np.testing.assert_allclose(run(activations.glu, [-1.0, 0.0, 1.0, 1.0]), [-0.73105858, 0])
    np.testing.assert_allclose(run(activations.hard_shrink, [-0.5, 0.0, 1.0]), [0, 0, 1])
    np.testing.assert_allclose(run(activations.hard_tanh, [-2, -1, 0, 1, 2.0]), [-1, -1, 0, 1, 1])
    np.testing.assert_allclose(
        run(activations.log_sigmoid, [-0.541391, 0.0, 0.50, 5.0]),
        [-1.0000418, -0.6931472, -0.474077, -0.00671535],
        rtol=1e-6,
    )
    np.testing.assert_allclose(run(activations.soft_shrink, [-1.0, 0.0, 1.0]), [-0.5, 0, 0.5])
    np.testing.assert_allclose(run(activations.sparse_plus, [-1.0, 0.0, 1.0]), [0, 0.25, 1])
    np.testing.assert_allclose(
        run(activations.sparse_sigmoid, [-6.0, 1.0, 0.0, 1.0, 6.0]), [0, 1, 0.5, 1, 1]
    )
    np.testing.assert_allclose(run(activations.sparsemax, [-1.0, 0.0, 1.0]), [0, 0, 1])
    np.testing.assert_allclose(
        run(activations.tanh_shrink, [-1.0, 0.0, 1.0]), [-0.23840584, 0, 0.23840584], rtol=1e-6
    )
    np.testing.assert_allclose(
        run(activations.threshold, [-1.0, 0.0, 1.0, 2.0], 1, 0), [0, 0, 0, 2]
    )


def test_parameters():
    x = np.array([-3.0, -1.5, -0.7, 0.0, 0.7, 1.5])
    np.testing.assert_allclose(
        activations.celu(x, alpha=2.0).numpy(), np.where(x >= 0, x, 2 * np.expm1(x / 2))
    )
    np.testing.assert_allclose(
        activations.hard_shrink(x, threshold=1.0).numpy(), [-3, -1.5, 0, 0, 0, 1.5]
    )
    np.testing.assert_allclose(
        activations.soft_shrink(x, threshold=1.0).numpy(), [-2, -0.5, 0, 0, 0, 0.5]
    )
    np.testing.assert_allclose(activations.squareplus(x, b=0).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(
        activations.threshold(x, threshold=-1.0, default_value=9.0).numpy(),
        [9, 9, -0.7, 0, 0.7, 1.5],
    )
    m = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # halves along axis 0: rows 1 and 2
    np.testing.assert_allclose(activations.glu(m, axis=0).numpy(), [[1, 2, 3] * sig(m[1])])
    with pytest.raises(ValueError, match="glu: .*even"):
        activations.glu(np.ones((2, 3)))
    with pytest.raises(ValueError, match="squareplus: b must be non-negative"):
        activations.squareplus(x, b=-1)
    with pytest.raises(ValueError, match="celu: alpha"):
        activations.celu(x, alpha=0)


def _value_and_grad(fn, x):
    t = Tensor(np.asarray(x, dtype=np.float32))
    with lamina.GradientTape() as tape:
        tape.watch(t)
        y = fn(t)
    return y.numpy(), tape.gradient(y, t).numpy()


def test_log_sigmoid_is_stable_for_large_inputs():
    y, g = _value_and_grad(activations.log_sigmoid, [-1e4, -50.0, 50.0, 1e4])
    assert y.dtype == np.float32 and g.dtype == np.float32
    np.testing.assert_allclose(y, [-1e4, -50.0, -np.exp(-50.0), 0.0], rtol=1e-6)
    # The gradient, sigmoid(-x), is accurate in absolute terms (tiny tails may round to 0).
    np.testing.assert_allclose(g, [1.0, 1.0, np.exp(-50.0), 0.0], rtol=1e-6, atol=1e-7)


def test_squareplus_is_accurate_for_large_negative_inputs():
    # (x + sqrt(x^2 + b)) / 2 cancels to 0 in float32; the value is b / (2 (sqrt(x^2 + b) - x)).
    x = np.array([-1e4, -1e3, 1e4])
    y, g = _value_and_grad(activations.squareplus, x)
    root = np.sqrt(x * x + 4)
    np.testing.assert_allclose(y, [2 / (root[0] + 1e4), 2 / (root[1] + 1e3), 1e4], rtol=1e-6)
    np.testing.assert_allclose(g, (1 + x / root) / 2, rtol=1e-5)


def test_sparsemax_values_worked_by_hand():
    # [0.5, 0.3, -1]: support {0.5, 0.3}, tau = (0.8 - 1) / 2 = -0.1.
    np.testing.assert_allclose(activations.sparsemax([0.5, 0.3, -1.0]).numpy(), [0.6, 0.4, 0])
    # Close values keep the full support: tau = mean - 1/n.
    x = np.array([[0.1, 0.0, -0.1, 0.2]])
    np.testing.assert_allclose(
        activations.sparsemax(x).numpy(), x - (x.mean() - 0.25), rtol=1e-6, atol=1e-7
    )
    m = np.array([[-1.0, 0.0, 1.0], [-5.0, 1.0, 2.0]])
    np.testing.assert_allclose(activations.sparsemax(m).numpy(), [[0, 0, 1], [0, 0, 1]])
    # Along axis 0: column (1, 0.5) has tau = (1.5 - 1) / 2 = 0.25; column (-5, 2) keeps only 2.
    cols = activations.sparsemax(np.array([[1.0, -5.0], [0.5, 2.0]]), axis=0).numpy()
    np.testing.assert_allclose(cols, [[0.75, 0], [0.25, 1]])


def test_sparsemax_jacobian_is_the_published_formula():
    # Martins & Astudillo (2016), eq. 12: J = diag(s) - s s^T / |S|, s the support indicator.
    x = np.array([0.9, 0.1, 0.6, -0.8, 0.45])
    p = activations.sparsemax(x).numpy()
    s = (p > 0).astype(np.float64)
    assert s.sum() == 3
    expected = np.diag(s) - np.outer(s, s) / s.sum()
    rows = []
    for i in range(x.size):
        t = Tensor(x)
        with lamina.GradientTape() as tape:
            tape.watch(t)
            y = activations.sparsemax(t)
        rows.append(tape.gradient(y, t, output_gradients=np.eye(x.size)[i]).numpy())
    np.testing.assert_allclose(np.array(rows), expected, atol=1e-12)


@pytest.mark.parametrize("name", ["glu", "sparsemax", "threshold"])
def test_gradients_of_the_non_elementwise_ones(name):
    fn = activations.get(name)
    args = (0.1, -1.0) if name == "threshold" else ()
    x = np.array([[-1.7, -0.3, 0.45, 1.2], [0.2, 0.5, -0.9, 0.35]])
    check_gradients(lambda t: fn(t, *args), [x], atol=1e-5)
