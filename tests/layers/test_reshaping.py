"""Flatten, Reshape, Permute and RepeatVector against NumPy."""

import numpy as np
import pytest

import lamina
from lamina import layers

X = np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4)


def test_flatten():
    np.testing.assert_array_equal(layers.Flatten()(X).numpy(), X.reshape(2, 12))
    assert layers.Flatten()(lamina.Input((3, 4))).shape == (None, 12)
    assert layers.Flatten()(lamina.Input((None, 4))).shape == (None, None)
    channels_first = layers.Flatten(data_format="channels_first")(X).numpy()
    np.testing.assert_array_equal(channels_first, X.transpose(0, 2, 1).reshape(2, 12))


def test_reshape():
    np.testing.assert_array_equal(layers.Reshape((4, 3))(X).numpy(), X.reshape(2, 4, 3))
    np.testing.assert_array_equal(layers.Reshape((-1,))(X).numpy(), X.reshape(2, 12))
    assert layers.Reshape((2, -1))(lamina.Input((3, 4))).shape == (None, 2, 6)
    assert layers.Reshape((6, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)


@pytest.mark.parametrize("target", [(-1, -1), (0, 3), (-2, 6)])
def test_reshape_refuses_bad_targets(target):
    with pytest.raises(ValueError, match="target_shape"):
        layers.Reshape(target)


def test_reshape_to_a_wrong_size_fails_with_the_shapes():
    with pytest.raises(ValueError, match="reshape"):
        layers.Reshape((5,))(X)


def test_permute():
    np.testing.assert_array_equal(layers.Permute((2, 1))(X).numpy(), X.transpose(0, 2, 1))
    assert layers.Permute((2, 1))(lamina.Input((3, 4))).shape == (None, 4, 3)
    with pytest.raises(ValueError, match=r"permutation of 1..2. Received: dims=\(0, 1\)"):
        layers.Permute((0, 1))


def test_repeat_vector():
    x = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
    out = layers.RepeatVector(3)(x).numpy()
    assert out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out[:, 1], x)
    with pytest.raises(ValueError, match="positive integer"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match=r"2-D inputs.*\(2, 3, 4\)"):
        layers.RepeatVector(2)(X)
