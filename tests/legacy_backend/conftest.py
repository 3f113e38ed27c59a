"""A gradient check through the Keras 2 graph: `K.gradients` against central differences."""

import numpy as np
import pytest

from lamina import backend as K


def _check_k_gradients(fn, value: np.ndarray, eps: float = 1e-6) -> None:
    """Check `K.gradients` of a random weighting of `fn(x)`, fed through `K.function` at
    `value` (float64), against central differences of the same function."""
    weights = np.random.default_rng(0).normal(size=K.eval(fn(value)).shape)
    x = K.placeholder(value.shape, dtype="float64")
    loss = K.sum(fn(x) * K.constant(weights, dtype="float64"))
    grad = K.function([x], K.gradients(loss, [x]))([value])[0]
    forward = K.function([x], [loss])
    numeric = np.zeros_like(value)
    for i in np.ndindex(value.shape):
        step = np.zeros_like(value)
        step[i] = eps
        numeric[i] = (forward([value + step])[0] - forward([value - step])[0]) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


@pytest.fixture
def check_k_gradients():
    """`check_k_gradients(fn, value)`: K.gradients of `fn` agree with central differences."""
    return _check_k_gradients
