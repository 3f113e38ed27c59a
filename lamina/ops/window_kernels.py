"""Compiled loops for the windowed ops (convolution and max pooling), NumPy arrays only.

Each kernel is one pass over memory where NumPy needs several: col2im (the input gradient of
a convolution, summed from one matrix product instead of one product per kernel position),
max pooling that keeps its argmax, and the bias, relu and relu-mask passes of the fused
convolution. (A compiled im2col was measured too: no faster than NumPy's copy of a strided
view, and slower with one channel.) Callers run them only where `jit_enabled` holds and keep
their `xp` path otherwise. Spatial inputs are 3-D here (`(batch, depth, height, width,
channels)`): 1-D and 2-D callers add unit axes (`as_3d`, `lead_3d`).
"""

from typing import Any

import numpy as np

from lamina.backend.jit import njit


def as_3d(x: Any) -> Any:
    """`x` `(batch, *spatial, channels)` viewed with 3 spatial axes (unit axes first)."""
    return x.reshape(x.shape[0], *(1,) * (5 - x.ndim), *x.shape[1:])


def lead_3d(values: tuple, unit: int) -> tuple:
    """Per-axis `values` (size, strides, pads) led by `unit` entries for the axes `as_3d` adds."""
    return (unit,) * (3 - len(values)) + tuple(values)


@njit
def col2im(dcols, size, strides, dilation, pads, out, dx):
    """Add each row of the C-contiguous `dcols` `(rows, positions * channels)` into the zeroed
    `dx` where its window took it from: the adjoint of im2col (the padding's share is dropped).
    """
    n_, d_, h_, w_, c_ = dx.shape
    xf, cf = dx.reshape(-1), dcols.reshape(-1)
    # Unsigned flat indices: Numba checks signed ones for negative (wraparound) values, and
    # that check keeps LLVM from vectorizing the channel loop (6x slower measured).
    cu, o = np.uint64(c_), np.uint64(0)
    for n in range(n_):
        for od in range(out[0]):
            for oh in range(out[1]):
                for ow in range(out[2]):
                    for kd in range(size[0]):
                        d = od * strides[0] + kd * dilation[0] - pads[0]
                        for kh in range(size[1]):
                            h = oh * strides[1] + kh * dilation[1] - pads[1]
                            for kw in range(size[2]):
                                w = ow * strides[2] + kw * dilation[2] - pads[2]
                                if 0 <= d < d_ and 0 <= h < h_ and 0 <= w < w_:
                                    at = np.uint64((((n * d_ + d) * h_ + h) * w_ + w) * c_)
                                    for c in range(cu):
                                        xf[at + c] += cf[o + c]
                                o += cu


@njit
def max_pool_argmax(x, size, strides, pads, y, arg):
    """Fill `y` with each window's maximum and `arg` with the flat spatial index in `x` of its
    first occurrence (row-major window order); NaN wins, as in `np.maximum`. Padding never
    wins: every window of 'same' or 'valid' padding holds an input element."""
    n_, d_, h_, w_, c_ = x.shape
    _, od_, oh_, ow_, _ = y.shape
    for n in range(n_):
        for od in range(od_):
            for oh in range(oh_):
                for ow in range(ow_):
                    first = True
                    for kd in range(size[0]):
                        d = od * strides[0] + kd - pads[0]
                        if d < 0 or d >= d_:
                            continue
                        for kh in range(size[1]):
                            h = oh * strides[1] + kh - pads[1]
                            if h < 0 or h >= h_:
                                continue
                            for kw in range(size[2]):
                                w = ow * strides[2] + kw - pads[2]
                                if w < 0 or w >= w_:
                                    continue
                                flat = (d * h_ + h) * w_ + w
                                for c in range(c_):
                                    v = x[n, d, h, w, c]
                                    best = y[n, od, oh, ow, c]
                                    # `not v <= best`: v is larger or NaN; a NaN best stays.
                                    if first or (best == best and not v <= best):
                                        y[n, od, oh, ow, c] = v
                                        arg[n, od, oh, ow, c] = flat
                                first = False


@njit
def max_pool_scatter(grad, arg, dx):
    """Add each output's gradient to the input element `arg` names, in the zeroed `dx`
    `(batch, spatial positions, channels)`."""
    n_, od_, oh_, ow_, c_ = grad.shape
    for n in range(n_):
        for od in range(od_):
            for oh in range(oh_):
                for ow in range(ow_):
                    for c in range(c_):
                        dx[n, arg[n, od, oh, ow, c], c] += grad[n, od, oh, ow, c]


@njit
def add_bias_relu(y, bias, relu):
    """`y` `(rows, channels)` plus `bias`, then (with `relu`) clipped at 0, in place."""
    rows, c_ = y.shape
    for r in range(rows):
        for c in range(c_):
            v = y[r, c] + bias[c]
            y[r, c] = 0 if relu and v < 0 else v  # NaN stays, as in `np.maximum`


@njit
def relu_grad_and_bias_grad(grad, y, dy, db):
    """`dy = grad * (y > 0)` and `db` its column sums, in one pass over `(rows, channels)`."""
    rows, c_ = grad.shape
    db[:] = 0
    for r in range(rows):
        for c in range(c_):
            g = grad[r, c] * (y[r, c] > 0)
            dy[r, c] = g
            db[c] += g
