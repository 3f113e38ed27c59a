"""Max and average pooling in 1, 2 or 3 spatial dims, channels_last internally.

Both loop over the window positions on strided slices of the padded input (`pool_size`
vectorized passes, no im2col copy). Max pooling's backward pass routes each gradient to the
first input element equal to its window's maximum. With Numba (`jit_enabled`) its forward pass
is one compiled pass that keeps each maximum's position and its backward pass one scatter to
those positions; otherwise the forward pass keeps only the maxima and the backward pass finds
them again with an equality mask per position (written in place when windows do not overlap).
"""

import math
from typing import Any

import numpy as np

from lamina.backend import get_xp, jit_enabled
from lamina.function import Function
from lamina.ops import window_kernels
from lamina.ops.conv import (
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    output_size,
    pad_spatial,
    same_pads,
    to_channels_first,
    to_channels_last,
    window_offsets,
    window_slice,
)
from lamina.ops.core import float_input
from lamina.tensor import Tensor


class _PoolBaseOp(Function):
    size: tuple
    strides: tuple
    pads: tuple

    def _out(self, padded: tuple) -> tuple:
        return tuple(
            output_size(n, (0, 0), k, s, 1)
            for n, k, s in zip(padded, self.size, self.strides, strict=True)
        )

    def _windows(self, xpad: Any):
        """Each window position's strided slice of `xpad`, in row-major order."""
        out = self._out(xpad.shape[1:-1])
        for offsets in window_offsets(self.size, (1,) * len(self.size)):
            yield window_slice(offsets, self.strides, out)


class MaxPoolOp(_PoolBaseOp):
    def forward(self, x):
        if jit_enabled(x):
            return self._forward_compiled(x)
        self.arg = None
        xp = get_xp(x)
        self.xpad = pad_spatial(x, self.pads, value=-xp.inf)
        windows = self._windows(self.xpad)
        self.out = self.xpad[next(windows)].copy()
        for index in windows:
            xp.maximum(self.out, self.xpad[index], out=self.out)
        return self.out

    def _forward_compiled(self, x):
        """The maxima, and in `self.arg` where each one is, from one compiled pass."""
        spatial = x.shape[1:-1]
        out = self._out(tuple(n + lo + hi for n, (lo, hi) in zip(spatial, self.pads, strict=True)))
        y = np.empty((x.shape[0], *out, x.shape[-1]), x.dtype)
        self.arg = np.empty(y.shape, np.intp)
        self.x_shape = x.shape
        lead, as_3d = window_kernels.lead_3d, window_kernels.as_3d
        pads = tuple(lo for lo, _ in self.pads)
        window_kernels.max_pool_argmax(
            as_3d(x),
            lead(self.size, 1),
            lead(self.strides, 1),
            lead(pads, 0),
            as_3d(y),
            as_3d(self.arg),
        )
        return y

    def backward(self, grad):
        # d max / dx = 1 at the first argmax of each window, 0 elsewhere
        if self.arg is not None:
            n, c = self.x_shape[0], self.x_shape[-1]
            dx = np.zeros((n, math.prod(self.x_shape[1:-1]), c), grad.dtype)
            window_kernels.max_pool_scatter(
                window_kernels.as_3d(grad), window_kernels.as_3d(self.arg), dx
            )
            return (dx.reshape(self.x_shape),)
        xp = get_xp(grad)
        dx = xp.zeros(self.xpad.shape, dtype=grad.dtype)
        overlap = any(k > s for k, s in zip(self.size, self.strides, strict=True))
        taken = None
        for index in self._windows(dx):
            hit = self.xpad[index] == self.out
            if taken is None:
                taken = hit
            else:
                xp.greater(hit, taken, out=hit)  # hit and not taken: the first argmax only
                taken |= hit
            if overlap:
                dx[index] += grad * hit
            else:
                xp.multiply(grad, hit, out=dx[index])
        return (pad_spatial(dx, tuple((-lo, -hi) for lo, hi in self.pads)),)


class AveragePoolOp(_PoolBaseOp):
    def forward(self, x):
        xp = get_xp(x)
        xpad = pad_spatial(x, self.pads)
        self.padded_shape = xpad.shape
        # 'same' windows average only the input elements they cover, as in Keras.
        ones = pad_spatial(xp.ones((1, *x.shape[1:-1], 1), dtype=x.dtype), self.pads)
        total = count = None
        for index in self._windows(xpad):
            total = xpad[index].copy() if total is None else total + xpad[index]
            count = ones[index].copy() if count is None else count + ones[index]
        self.count = count
        return total / count

    def backward(self, grad):
        # d mean / dx = 1 / count for each element of the window
        xp = get_xp(grad)
        share = grad / self.count
        dx = xp.zeros(self.padded_shape, dtype=grad.dtype)
        for index in self._windows(dx):
            dx[index] += share
        return (pad_spatial(dx, tuple((-lo, -hi) for lo, hi in self.pads)),)


def _pool(
    op: str, cls: type, inputs: Any, pool_size: Any, strides: Any, padding: str, data_format: Any
) -> Tensor:
    data_format = normalize_data_format(op, data_format)
    x = float_input(op, inputs)
    if x.ndim not in (3, 4, 5):
        raise ValueError(
            f"{op}: expected inputs of rank 3, 4 or 5 (batch, spatial axes, channels). "
            f"Received: inputs.shape={x.shape}"
        )
    x = to_channels_last(x, data_format)
    nd = x.ndim - 2
    size = normalize_tuple(op, "pool_size", pool_size, nd)
    strides = size if strides is None else normalize_tuple(op, "strides", strides, nd)
    mode = normalize_padding(op, padding)
    spatial = x.shape[1:-1]
    pads = same_pads(spatial, size, strides, (1,) * nd) if mode == "same" else ((0, 0),) * nd
    out = tuple(map(output_size, spatial, pads, size, strides, (1,) * nd))
    if min(out) <= 0:
        raise ValueError(
            f"{op}: the pool size {size} is larger than the {mode!r}-padded input {spatial}, so "
            f"the output would be empty; use padding='same' or a smaller pool_size. "
            f"Received: inputs.shape={x.shape}"
        )
    y = cls.apply(x, size=size, strides=strides, pads=pads)
    return to_channels_first(y, data_format)


def max_pool(
    inputs: Any,
    pool_size: Any,
    strides: Any = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Max pooling over windows of `pool_size` (strides default to `pool_size`).

    Example:
    >>> lamina.ops.max_pool(np.arange(16.0).reshape(1, 4, 4, 1), 2)[0, ..., 0].numpy()
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """
    return _pool("max_pool", MaxPoolOp, inputs, pool_size, strides, padding, data_format)


def average_pool(
    inputs: Any,
    pool_size: Any,
    strides: Any = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> Tensor:
    """Average pooling over windows of `pool_size`; with 'same' padding the border windows
    average only the input elements they cover.

    Example:
    >>> lamina.ops.average_pool(np.arange(16.0).reshape(1, 4, 4, 1), 2)[0, ..., 0].numpy()
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    return _pool("average_pool", AveragePoolOp, inputs, pool_size, strides, padding, data_format)
