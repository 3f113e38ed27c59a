"""Max pooling routes each window's gradient to exactly one element: its first maximum."""

import numpy as np
import pytest

import lamina
from lamina import ops


@pytest.mark.parametrize(
    ("pool_size", "strides", "padding"), [(2, None, "valid"), (3, 1, "valid"), (2, 1, "same")]
)
def test_max_pool_ties_get_the_gradient_once(pool_size, strides, padding):
    x = lamina.Variable(np.zeros((1, 4, 4, 1), dtype="float32"))  # every window is a tie
    with lamina.GradientTape() as tape:
        y = ops.max_pool(x, pool_size, strides, padding)
        loss = ops.sum(y)
    dx = tape.gradient(loss, x).numpy()
    assert dx.sum() == y.shape[1] * y.shape[2]
    assert set(np.unique(dx)) <= set(range(y.size + 1))
    # the first element of the first window (row-major) takes that window's gradient
    assert dx[0, 0, 0, 0] >= 1


def test_max_pool_gradient_goes_to_the_first_maximum_of_each_window():
    x = np.array([[1, 3, 3, 0], [3, 2, 0, 0], [0, 0, 5, 5], [0, 0, 5, 5]], dtype="float32")
    v = lamina.Variable(x.reshape(1, 4, 4, 1))
    with lamina.GradientTape() as tape:
        loss = ops.sum(ops.max_pool(v, 2))
    expected = [[0, 1, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    np.testing.assert_array_equal(tape.gradient(loss, v).numpy()[0, ..., 0], expected)
