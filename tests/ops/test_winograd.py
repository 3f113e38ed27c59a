"""Winograd F(2x2, 3x3) gives the 'valid' 3x3 convolution and its exact gradients."""

import numpy as np
import pytest

from lamina import ops
from lamina.ops import winograd

SHAPES = [  # (batch, height, width, channels, filters): even and odd outputs, a single tile
    (2, 6, 6, 1, 1),
    (2, 5, 7, 3, 64),
    (3, 13, 13, 32, 64),
    (1, 4, 4, 32, 1),
    (2, 9, 8, 1, 64),
]
TOLERANCE = {"float32": {"rtol": 1e-4, "atol": 1e-4}, "float64": {"rtol": 1e-11, "atol": 1e-11}}


def direct_conv(x, kernel):
    """The 'valid' 3x3 convolution as an explicit sum over the 9 kernel positions."""
    oh, ow = x.shape[1] - 2, x.shape[2] - 2
    return sum(x[:, i : i + oh, j : j + ow] @ kernel[i, j] for i in range(3) for j in range(3))


def direct_grads(x, kernel, grad):
    """The gradients of `sum(direct_conv(x, kernel) * grad)` for `x` and `kernel`."""
    oh, ow = grad.shape[1:3]
    dx, dk = np.zeros_like(x), np.zeros_like(kernel)
    for i in range(3):
        for j in range(3):
            dx[:, i : i + oh, j : j + ow] += grad @ kernel[i, j].T
            dk[i, j] = np.einsum("nhwc,nhwk->ck", x[:, i : i + oh, j : j + ow], grad)
    return dx, dk


def sample(shape, dtype):
    n, h, w, c, k = shape
    rng = np.random.default_rng(h * w + c)
    x = rng.normal(size=(n, h, w, c)).astype(dtype)
    kernel = rng.normal(size=(3, 3, c, k)).astype(dtype)
    grad = rng.normal(size=(n, h - 2, w - 2, k)).astype(dtype)
    return x, kernel, grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_the_convolution(shape, dtype):
    x, kernel, _ = sample(shape, dtype)
    y, tiles = winograd.conv3x3(x, kernel)
    assert y.dtype == tiles.dtype == dtype and y.flags.c_contiguous
    n, h, w, c, _ = shape
    assert tiles.shape == (16, n * ((h - 1) // 2) * ((w - 1) // 2), c)  # 2x2 tiles of (h-2, w-2)
    np.testing.assert_allclose(y, ops.conv(x, kernel).numpy(), **TOLERANCE[dtype])
    np.testing.assert_allclose(y, direct_conv(x.astype("float64"), kernel), **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
def test_gradients_match_the_convolution(shape, dtype):
    x, kernel, grad = sample(shape, dtype)
    _, tiles = winograd.conv3x3(x, kernel)
    dm = winograd.output_grad_tiles(grad)
    dk = winograd.kernel_grad(tiles, dm)
    dx = winograd.input_grad(dm, kernel, x.shape)
    assert dx.shape == x.shape and dk.shape == kernel.shape and dx.dtype == dk.dtype == dtype
    wide = [a.astype("float64") for a in (x, kernel, grad)]
    expected_dx, expected_dk = direct_grads(*wide)
    np.testing.assert_allclose(dx, expected_dx, **TOLERANCE[dtype])
    np.testing.assert_allclose(dk, expected_dk, **TOLERANCE[dtype])


def test_each_transform_pairs_with_its_adjoint():
    """<T a, b> == <a, T^T b> for the input and output transforms, odd sizes included."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 6, 3))
    dtiles = rng.normal(size=(16, 2 * 3 * 2, 3))
    lhs = np.sum(winograd.input_tiles(x, (5, 4)) * dtiles)
    np.testing.assert_allclose(lhs, np.sum(x * winograd.input_from_tiles(dtiles, x.shape)))
    m, dy = rng.normal(size=(16, 2 * 3 * 2, 4)), rng.normal(size=(2, 5, 4, 4))
    lhs = np.sum(winograd.output_from_tiles(m, 2, (5, 4)) * dy)
    np.testing.assert_allclose(lhs, np.sum(m * winograd.output_grad_tiles(dy)))
