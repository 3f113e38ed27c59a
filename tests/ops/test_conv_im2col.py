"""Both im2col layouts (position-major for fewer than 4 channels, channels_last otherwise)
give the convolution a direct sum over the kernel computes, values and gradients."""

import numpy as np
import pytest

import lamina
from lamina import ops


def direct_conv(x, kernel, strides, dilation):
    """Valid convolution of `x` `(n, h, w, c)` as an explicit sum over kernel positions."""
    (kh, kw), (sh, sw), (dh, dw) = kernel.shape[:2], strides, dilation
    oh = (x.shape[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (x.shape[2] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((x.shape[0], oh, ow, kernel.shape[-1]))
    for i in range(kh):
        for j in range(kw):
            window = x[:, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw :: sw][:, :, :ow]
            y += window @ kernel[i, j]
    return y


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize(("strides", "dilation"), [((1, 1), (1, 1)), ((2, 1), (1, 2))])
def test_conv_matches_the_direct_sum(channels, strides, dilation):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 9, 8, channels))
    kernel = rng.normal(size=(3, 2, channels, 5))
    xv, kv = lamina.Variable(x), lamina.Variable(kernel)
    with lamina.GradientTape() as tape:
        y = ops.conv(xv, kv, strides=strides, dilation_rate=dilation)
        loss = ops.sum(y * y)
    np.testing.assert_allclose(y.numpy(), direct_conv(x, kernel, strides, dilation), rtol=1e-12)
    dx, dk = tape.gradient(loss, [xv, kv])
    eps, direction = 1e-6, rng.normal(size=kernel.shape)

    def loss_at(k):
        return np.sum(direct_conv(x, k, strides, dilation) ** 2)

    slope = (loss_at(kernel + eps * direction) - loss_at(kernel - eps * direction)) / (2 * eps)
    np.testing.assert_allclose(np.sum(dk.numpy() * direction), slope, rtol=1e-6)
    assert dx.shape == x.shape
