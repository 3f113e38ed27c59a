"""Activations: values against NumPy formulas, get/serialize, gradients."""

import math

import numpy as np
import pytest

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
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_values_by_name(name):
    fn = activations.get(name)
    out = fn(Tensor(X))
    out = out.numpy() if isinstance(out, Tensor) else np.asarray(out)
    # ops.gelu's erf is a polynomial approximation good to 1.5e-7 absolute.
    atol = 1e-6 if name == "gelu" else 1e-7
    np.testing.assert_allclose(out, REFERENCE[name](X), rtol=1e-6, atol=atol)


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
