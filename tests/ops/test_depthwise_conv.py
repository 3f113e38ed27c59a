"""The im2col-free depthwise path of `ops.conv` agrees with a full convolution whose kernel is
zero off the block diagonal, forward and backward, on odd shapes."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.ops.conv import ConvOp


def full_kernel(w):
    """The `(*size, channels, channels * m)` kernel that convolves like depthwise kernel `w`."""
    *size, channels, m = w.shape
    full = np.zeros((*size, channels, channels * m))
    for c in range(channels):
        full[..., c, c * m : (c + 1) * m] = w[..., c, :]
    return full


def block_diagonal(full, m):
    """The depthwise kernel read back from a full kernel's gradient (inverse of full_kernel)."""
    channels = full.shape[-2]
    return np.stack([full[..., c, c * m : (c + 1) * m] for c in range(channels)], axis=-2)


CASES = [
    ((2, 7, 3), 3, {}),
    ((2, 9, 2), 1, {"strides": 2, "padding": "same"}),
    ((2, 7, 6, 3), 1, {"strides": (2, 1), "padding": "same"}),
    ((2, 7, 6, 3), 3, {"dilation_rate": 2}),
    ((1, 8, 7, 2), 3, {"strides": 3, "padding": "valid"}),
    ((2, 3, 7, 6), 3, {"data_format": "channels_first", "padding": "same", "dilation_rate": 2}),
    ((1, 5, 4, 6, 2), 2, {"strides": 2, "padding": "same"}),
]


@pytest.mark.parametrize(("x_shape", "m", "kwargs"), CASES)
def test_depthwise_matches_full_block_diagonal_conv(x_shape, m, kwargs):
    rng = np.random.default_rng(0)
    nd = len(x_shape) - 2
    channels_first = kwargs.get("data_format") == "channels_first"
    channels = x_shape[1] if channels_first else x_shape[-1]
    x_value = rng.normal(size=x_shape)
    w_value = rng.normal(size=(*(3,) * nd, channels, m))
    results = []
    for fn, kernel_value in (
        (ops.depthwise_conv, w_value),
        (ops.conv, full_kernel(w_value)),
    ):
        x, kernel = lamina.Variable(x_value), lamina.Variable(kernel_value)
        with lamina.GradientTape() as tape:
            y = fn(x, kernel, **kwargs)
            loss = ops.sum(y * ops.convert_to_tensor(np.arange(y.size).reshape(y.shape) % 7))
        dx, dk = (g.numpy() for g in tape.gradient(loss, [x, kernel]))
        results.append((y.numpy(), dx, dk if fn is ops.depthwise_conv else block_diagonal(dk, m)))
    for depthwise, reference in zip(*results, strict=True):
        np.testing.assert_allclose(depthwise, reference, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("m", [1, 3])
def test_separable_channels_first_matches_channels_last(m):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 9, 8, 4))
    dw, pw = rng.normal(size=(3, 3, 4, m)), rng.normal(size=(1, 1, 4 * m, 5))
    kwargs = {"strides": 2, "padding": "same"}
    last = ops.separable_conv(x, dw, pw, **kwargs).numpy()
    x_first = np.moveaxis(x, -1, 1)
    first = ops.separable_conv(x_first, dw, pw, data_format="channels_first", **kwargs)
    np.testing.assert_allclose(np.moveaxis(first.numpy(), 1, -1), last, rtol=1e-10, atol=1e-10)


def test_depthwise_saves_the_input_not_the_im2col_matrix():
    x = ops.convert_to_tensor(np.ones((2, 8, 8, 4)))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = ops.depthwise_conv(x, np.ones((3, 3, 4, 2)), padding="same")
    node = y._node
    assert isinstance(node, ConvOp)
    # im2col would keep 9 values per input value; the depthwise path keeps the padded input.
    assert node.cols.shape == (2, 10, 10, 4)


def test_grouped_conv_with_several_channels_per_group_still_matches():
    rng = np.random.default_rng(2)
    x, kernel = rng.normal(size=(2, 6, 5, 4)), rng.normal(size=(3, 3, 2, 6))
    y = ops.conv(x, kernel, padding="same").numpy()
    halves = [
        ops.conv(x[..., 2 * g : 2 * g + 2], kernel[..., 3 * g : 3 * g + 3], padding="same")
        for g in range(2)
    ]
    np.testing.assert_allclose(y, np.concatenate([h.numpy() for h in halves], -1), rtol=1e-10)
