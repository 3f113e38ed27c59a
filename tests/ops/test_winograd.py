"""Winograd F(2x2, 3x3) gives the 'valid' 3x3 convolution and its exact gradients."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.backend import set_jit_enabled
from lamina.ops import winograd
from lamina.ops.conv import ConvBiasOp, conv_bias

SHAPES = [  # (batch, height, width, channels, filters): even and odd outputs, a single tile
    (2, 6, 6, 1, 1),
    (2, 5, 7, 3, 64),
    (3, 13, 13, 32, 64),
    (1, 4, 4, 32, 1),
    (2, 9, 8, 1, 64),
]
TOLERANCE = {"float32": {"rtol": 1e-4, "atol": 1e-4}, "float64": {"rtol": 1e-11, "atol": 1e-11}}


@pytest.fixture(params=[True, False], ids=["compiled", "numpy"])
def jit(request):
    if request.param:
        pytest.importorskip("numba")
    previous = set_jit_enabled(request.param)
    yield request.param
    set_jit_enabled(previous)


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
def test_matches_the_convolution(shape, dtype, jit):
    x, kernel, _ = sample(shape, dtype)
    y, tiles = winograd.conv3x3(x, kernel)
    assert y.dtype == tiles.dtype == dtype and y.flags.c_contiguous
    n, h, w, c, _ = shape
    assert tiles.shape == (16, n * ((h - 1) // 2) * ((w - 1) // 2), c)  # 2x2 tiles of (h-2, w-2)
    np.testing.assert_allclose(y, ops.conv(x, kernel).numpy(), **TOLERANCE[dtype])
    np.testing.assert_allclose(y, direct_conv(x.astype("float64"), kernel), **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
def test_gradients_match_the_convolution(shape, dtype, jit):
    x, kernel, grad = sample(shape, dtype)
    _, tiles = winograd.conv3x3(x, kernel)
    dx, dk = winograd.conv3x3_grads(grad, tiles, kernel, x.shape)
    assert dx.shape == x.shape and dk.shape == kernel.shape and dx.dtype == dk.dtype == dtype
    wide = [a.astype("float64") for a in (x, kernel, grad)]
    expected_dx, expected_dk = direct_grads(*wide)
    np.testing.assert_allclose(dx, expected_dx, **TOLERANCE[dtype])
    np.testing.assert_allclose(dk, expected_dk, **TOLERANCE[dtype])


def test_compiled_and_numpy_paths_agree():
    """Nine images: the compiled path's last chunk is a partial one."""
    pytest.importorskip("numba")
    x, kernel, grad = sample((9, 8, 11, 5, 3), "float64")
    results = []
    for enabled in (True, False):
        previous = set_jit_enabled(enabled)
        try:
            y, tiles = winograd.conv3x3(x, kernel)
            results.append((y, tiles, *winograd.conv3x3_grads(grad, tiles, kernel, x.shape)))
        finally:
            set_jit_enabled(previous)
    for compiled, reference in zip(*results, strict=True):
        np.testing.assert_allclose(compiled, reference, rtol=1e-12, atol=1e-12)


def test_without_keeping_tiles_the_output_is_the_same(jit):
    """Nine images: the compiled path reuses one chunk's tiles, the last chunk a partial one."""
    x, kernel, _ = sample((9, 8, 11, 5, 3), "float64")
    kept, tiles = winograd.conv3x3(x, kernel)
    y, none = winograd.conv3x3(x, kernel, keep_tiles=False)
    assert tiles is not None and none is None
    np.testing.assert_array_equal(y, kept)


def test_each_transform_pairs_with_its_adjoint():
    """<T a, b> == <a, T^T b> for the input, output and kernel transforms, odd sizes included."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 6, 3))
    dtiles = rng.normal(size=(16, 2 * 3 * 2, 3))
    lhs = np.sum(winograd.input_tiles(x, (5, 4)) * dtiles)
    np.testing.assert_allclose(lhs, np.sum(x * winograd.input_from_tiles(dtiles, x.shape)))
    m, dy = rng.normal(size=(16, 2 * 3 * 2, 4)), rng.normal(size=(2, 5, 4, 4))
    lhs = np.sum(winograd.output_from_tiles(m, 2, (5, 4)) * dy)
    np.testing.assert_allclose(lhs, np.sum(m * winograd.output_grad_tiles(dy)))
    kernel, du = rng.normal(size=(3, 3, 2, 4)), rng.normal(size=(16, 2, 4))
    lhs = np.sum(winograd.kernel_tiles(kernel) * du)
    np.testing.assert_allclose(lhs, np.sum(kernel * winograd.kernel_from_tiles(du)))


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_uses_winograd_when_it_is_faster_and_agrees_with_im2col(padding):
    """32 channels and filters, a 12x12 output: the compiled Winograd path (`ConvOp.tiles`);
    the same values and gradients as im2col (Numba off), through the fused bias and relu."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=(3, 14, 13, 32)), rng.normal(size=(3, 3, 32, 32)) / 10]
    arrays.append(rng.normal(size=32))
    results = []
    for enabled in (True, False):
        previous = set_jit_enabled(enabled)
        try:
            variables = [lamina.Variable(a) for a in arrays]
            with lamina.GradientTape() as tape:
                y = conv_bias(*variables, padding=padding, relu=True)
                loss = ops.sum(y * np.cos(np.arange(32)))
            assert isinstance(y._node, ConvBiasOp)
            assert (y._node.tiles is not None) == enabled
            results.append([y.numpy(), *(g.numpy() for g in tape.gradient(loss, variables))])
        finally:
            set_jit_enabled(previous)
    for winograd_result, im2col_result in zip(*results, strict=True):
        np.testing.assert_allclose(winograd_result, im2col_result, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("x_shape", "kernel_shape", "kwargs"),
    [
        ((1, 14, 14, 16), (3, 3, 16, 32), {}),  # 16 channels
        ((1, 9, 12, 32), (3, 3, 32, 32), {}),  # a 7-row output
        ((1, 14, 14, 32), (3, 3, 32, 32), {"strides": 2}),
        ((1, 14, 14, 32), (3, 3, 32, 32), {"dilation_rate": 2}),
        ((1, 14, 14, 32), (5, 5, 32, 32), {}),
    ],
)
def test_conv_keeps_im2col_where_winograd_is_slower_or_does_not_apply(
    x_shape, kernel_shape, kwargs
):
    pytest.importorskip("numba")
    previous = set_jit_enabled(True)
    try:
        x = lamina.Variable(np.ones(x_shape))
        with lamina.GradientTape():
            y = ops.conv(x, np.ones(kernel_shape), **kwargs)
        assert y._node.tiles is None
    finally:
        set_jit_enabled(previous)
