"""The compiled (Numba) paths of convolution and max pooling agree with the NumPy paths."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.backend import set_jit_enabled
from lamina.ops.conv import conv_bias, conv_transpose

pytest.importorskip("numba")


@pytest.fixture(params=[True, False], ids=["compiled", "numpy"])
def jit(request):
    previous = set_jit_enabled(request.param)
    yield request.param
    set_jit_enabled(previous)


def both_paths(fn, *arrays):
    """`fn`'s output and the gradients of `sum(output * weights)` for every array, computed
    with the compiled kernels and with NumPy."""
    results = []
    for enabled in (True, False):
        previous = set_jit_enabled(enabled)
        try:
            variables = [lamina.Variable(a) for a in arrays]
            with lamina.GradientTape() as tape:
                out = fn(*variables)
                weights = np.random.default_rng(9).normal(size=out.shape).astype(out.dtype)
                loss = ops.sum(out * weights)
            grads = tape.gradient(loss, variables)
            results.append([out.numpy(), *(g.numpy() for g in grads)])
        finally:
            set_jit_enabled(previous)
    return results


def assert_paths_agree(results, dtype):
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-12}
    for compiled, reference in zip(*results, strict=True):
        assert compiled.dtype == reference.dtype == dtype
        np.testing.assert_allclose(compiled, reference, **tol)


POOLS = [
    ((2, 7, 5, 3), {"pool_size": 2}),  # odd sizes: the last row and column are dropped
    ((2, 7, 5, 3), {"pool_size": 3, "strides": 1}),  # overlapping windows
    ((2, 7, 5, 3), {"pool_size": 3, "strides": 2, "padding": "same"}),
    ((1, 6, 6, 2), {"pool_size": (2, 3), "strides": (1, 2), "padding": "same"}),
    ((2, 9, 4), {"pool_size": 4, "strides": 3, "padding": "same"}),
    ((1, 4, 5, 3, 2), {"pool_size": 2, "strides": 1, "padding": "same"}),
    ((2, 3, 6, 5), {"pool_size": 2, "data_format": "channels_first"}),  # strided input
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("shape", "kwargs"), POOLS)
def test_max_pool_paths_agree(shape, kwargs, dtype):
    x = np.random.default_rng(0).normal(size=shape).astype(dtype)
    assert_paths_agree(both_paths(lambda v: ops.max_pool(v, **kwargs), x), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("shape", "kwargs"), POOLS)
def test_max_pool_paths_agree_on_ties(shape, kwargs, dtype):
    # integers in 0..2: most windows hold their maximum more than once
    x = np.random.default_rng(1).integers(0, 3, size=shape).astype(dtype)
    assert_paths_agree(both_paths(lambda v: ops.max_pool(v, **kwargs), x), dtype)


def test_max_pool_keeps_nan_and_the_first_maximum(jit):
    x = np.array([[1, 3, 3, np.nan], [3, 2, 0, 0]], dtype="float32").reshape(1, 2, 4, 1)
    v = lamina.Variable(x)
    with lamina.GradientTape() as tape:
        y = ops.max_pool(v, 2)
        loss = ops.sum(y * np.array([1.0, 0.0], dtype="float32").reshape(1, 1, 2, 1))
    assert y.numpy()[0, 0, 0, 0] == 3 and np.isnan(y.numpy()[0, 0, 1, 0])
    np.testing.assert_array_equal(tape.gradient(loss, v).numpy()[0, :, :2, 0], [[0, 1], [0, 0]])


CONVS = [
    ((2, 7, 6, 3), (3, 3, 3, 4), {}),
    ((2, 7, 6, 3), (3, 3, 3, 4), {"padding": "same"}),
    ((2, 8, 7, 3), (3, 2, 3, 4), {"strides": (2, 3), "padding": "same"}),
    ((2, 9, 8, 2), (3, 3, 2, 3), {"dilation_rate": 2, "padding": "same"}),
    ((2, 9, 8, 4), (3, 3, 2, 6), {"strides": 2}),  # grouped: two groups
    ((2, 11, 3), (4, 3, 5), {"strides": 3, "padding": "same"}),
    ((1, 5, 4, 6, 2), (2, 3, 2, 2, 3), {"padding": "same"}),
    ((2, 3, 7, 6), (3, 3, 3, 4), {"data_format": "channels_first"}),  # strided input
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize(("x_shape", "k_shape", "kwargs"), CONVS)
def test_conv_bias_paths_agree(x_shape, k_shape, kwargs, relu, dtype):
    rng = np.random.default_rng(2)
    x, k = rng.normal(size=x_shape).astype(dtype), rng.normal(size=k_shape).astype(dtype)
    b = rng.normal(size=k_shape[-1]).astype(dtype)

    def fn(xv, kv, bv):
        return conv_bias(xv, kv, bv, relu=relu, **kwargs)

    assert_paths_agree(both_paths(fn, x, k, b), dtype)


TRANSPOSED = [
    ((2, 4, 5, 3), {"strides": 2}),
    ((2, 4, 5, 3), {"strides": 2, "padding": "same", "output_padding": 1}),
    ((2, 6, 3), {"strides": 3, "padding": "same"}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("x_shape", "kwargs"), TRANSPOSED)
def test_conv_transpose_paths_agree(x_shape, kwargs, dtype):
    rng = np.random.default_rng(3)
    x = rng.normal(size=x_shape).astype(dtype)
    k = rng.normal(size=(*(3,) * (len(x_shape) - 2), 2, x_shape[-1])).astype(dtype)
    assert_paths_agree(both_paths(lambda xv, kv: conv_transpose(xv, kv, **kwargs), x, k), dtype)
