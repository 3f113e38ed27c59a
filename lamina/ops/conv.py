"""Convolutions (plain, grouped, depthwise, separable, transposed) in 1, 2 or 3 spatial dims.

Internally channels_last: `x` is `(batch, *spatial, channels)` and a kernel is
`(*kernel_size, in_channels // groups, out_channels)`, Keras's layout. The forward pass builds
the im2col matrix from a strided view of the padded input and does one matrix product (or,
for large enough 3x3 stride-1 convolutions with Numba, Winograd's F(2x2, 3x3), `winograd`). With
Numba (`jit_enabled`) the input gradient is one matrix product summed into place by a compiled
col2im, and the bias and relu passes are compiled (`window_kernels`); otherwise the input
gradient adds one matrix product per kernel position into a strided slice, never `np.add.at`.
A depthwise convolution (one input channel per group) skips im2col: it is a sum over kernel
positions of a strided slice of the input times that position's weights.
"""

import itertools
import math
from typing import Any

import numpy as np

from lamina.backend import get_xp, jit_enabled
from lamina.function import Function, recording
from lamina.ops import window_kernels, winograd
from lamina.ops.core import cast, float_input
from lamina.ops.movement import reshape, transpose
from lamina.tensor import Tensor

Pads = tuple[tuple[int, int], ...]


def pad_spatial(x: Any, pads: Pads, value: float = 0.0) -> Any:
    """`x` with its spatial axes padded by `pads`; a negative pad crops instead."""
    xp = get_xp(x)
    grow = [(0, 0), *((max(lo, 0), max(hi, 0)) for lo, hi in pads), (0, 0)]
    if any(lo or hi for lo, hi in grow):
        x = xp.pad(x, grow, constant_values=value)
    crop = [slice(None)]
    crop += [
        slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pads, x.shape[1:-1], strict=True)
    ]
    return x[tuple(crop)] if any(lo < 0 or hi < 0 for lo, hi in pads) else x


def window_slice(offsets: tuple, strides: tuple, out: tuple) -> tuple:
    """The index of the input elements that one kernel position meets, for every output."""
    spatial = (
        slice(o, o + s * (n - 1) + 1, s) for o, s, n in zip(offsets, strides, out, strict=True)
    )
    return (slice(None), *spatial, slice(None))


def window_offsets(size: tuple, dilation: tuple):
    """The offset of each kernel position in the padded input, in row-major order."""
    return itertools.product(*(range(0, k * d, d) for k, d in zip(size, dilation, strict=True)))


def _positions(size: tuple, dilation: tuple, strides: tuple, out: tuple):
    """`(pos, window)`: each kernel position and the input slice it meets, for every output."""
    for pos, offsets in zip(
        itertools.product(*map(range, size)), window_offsets(size, dilation), strict=True
    ):
        yield pos, window_slice(offsets, strides, out)


def output_size(length: int, pads: tuple, size: int, stride: int, dilation: int) -> int:
    return (length + pads[0] + pads[1] - dilation * (size - 1) - 1) // stride + 1


def _im2col(xpad: Any, size: tuple, strides: tuple, dilation: tuple, out: tuple) -> Any:
    """A `(batch, *out, *size, channels)` view of the windows of `xpad` (no copy)."""
    xp = get_xp(xpad)
    sn, *sx, sc = xpad.strides
    shape = (xpad.shape[0], *out, *size, xpad.shape[-1])
    view_strides = (
        sn,
        *(a * s for a, s in zip(sx, strides, strict=True)),
        *(a * d for a, d in zip(sx, dilation, strict=True)),
        sc,
    )
    return xp.lib.stride_tricks.as_strided(xpad, shape, view_strides)


def _col2im(dcols: Any, padded_shape: tuple, strides: tuple, dilation: tuple) -> Any:
    """The adjoint of `_im2col`: `dcols` `(batch, *out, *size, channels)` summed into place."""
    xp = get_xp(dcols)
    nd = len(strides)
    out, size = dcols.shape[1 : 1 + nd], dcols.shape[1 + nd : 1 + 2 * nd]
    dx = xp.zeros(padded_shape, dtype=dcols.dtype)
    for pos, window in _positions(size, dilation, strides, out):
        dx[window] += dcols[(slice(None),) * (1 + nd) + pos]
    return dx


def _depthwise_conv(xpad: Any, w: Any, strides: tuple, dilation: tuple, out: tuple) -> Any:
    """`(batch, *out, channels, m)`: the sum over positions p of `xpad[window p] * w[p]`."""
    xp = get_xp(xpad)
    y = xp.zeros((xpad.shape[0], *out, *w.shape[-2:]), dtype=xpad.dtype)
    # One product buffer, multiplied into in place: 1.6x faster than an einsum per position
    # (MobileNetV2's 3x3 depthwise layers, measured with one thread).
    product = xp.empty_like(y)
    for pos, window in _positions(w.shape[:-2], dilation, strides, out):
        xp.multiply(xpad[window][..., None], w[pos], out=product)
        y += product
    return y


def _depthwise_input_grad(grad: Any, w: Any, padded: tuple, strides: tuple, dilation: tuple):
    """The padded input's gradient: `grad` `(batch, *out, channels, m)` times w[p], per window."""
    xp = get_xp(grad)
    dx = xp.zeros(padded, dtype=grad.dtype)
    for pos, window in _positions(w.shape[:-2], dilation, strides, grad.shape[1:-2]):
        dx[window] += xp.einsum("...cm,cm->...c", grad, w[pos])
    return dx


def _depthwise_kernel_grad(xpad: Any, grad: Any, size: tuple, strides: tuple, dilation: tuple):
    """`(*size, channels, m)`: per position, `xpad[window p] * grad` summed over batch and space."""
    xp = get_xp(grad)
    dw = xp.empty((*size, *grad.shape[-2:]), dtype=grad.dtype)
    axes = "nxyz"[: grad.ndim - 2]  # einsum sums over batch and space only when they are named
    for pos, window in _positions(size, dilation, strides, grad.shape[1:-2]):
        dw[pos] = xp.einsum(f"{axes}c,{axes}cm->cm", xpad[window], grad)
    return dw


class _ConvBaseOp(Function):
    """Strides, dilation, pads and groups of a convolution, and its three products."""

    strides: tuple
    dilation: tuple
    pads: tuple
    groups: int

    def _depthwise(self, kernel_shape: tuple) -> bool:
        """Whether each group holds one input channel: then no im2col, see `_depthwise_conv`."""
        return self.groups > 1 and kernel_shape[-2] == 1

    def _padded(self, x: Any, size: tuple) -> tuple[Any, tuple]:
        """`(xpad, out)`: the padded input, contiguous, and the output's spatial shape."""
        xpad = get_xp(x).ascontiguousarray(pad_spatial(x, self.pads))
        out = tuple(
            output_size(n, (0, 0), k, s, d)
            for n, k, s, d in zip(xpad.shape[1:-1], size, self.strides, self.dilation, strict=True)
        )
        return xpad, out

    def _cols(self, xpad: Any, size: tuple, out: tuple) -> Any:
        """The `(rows, positions * channels)` im2col matrix of the padded input `xpad`."""
        xp, channels = get_xp(xpad), xpad.shape[-1]
        if self.groups == 1 and channels < 4:
            # With so few channels each window is a few short runs, and copying the view below
            # moves them one by one. The transposed matrix, filled one kernel position at a
            # time, copies runs of a whole output row: 6x faster with one channel, 1.4x with
            # three; BLAS multiplies its transpose as fast.
            channels_first = xp.moveaxis(xpad, -1, 0)
            cols_t = xp.empty((math.prod(size), channels, xpad.shape[0], *out), dtype=xpad.dtype)
            for i, offsets in enumerate(window_offsets(size, self.dilation)):
                window = window_slice(offsets, self.strides, out)[:-1]
                cols_t[i] = channels_first[(slice(None), *window)]
            return cols_t.reshape(math.prod(cols_t.shape[:2]), -1).T
        win = _im2col(xpad, size, self.strides, self.dilation, out)
        nd = len(out)
        return win.reshape(math.prod(win.shape[: 1 + nd]), math.prod(win.shape[1 + nd :]))

    def _geometry_3d(self, size: tuple, out: tuple) -> tuple:
        """Kernel size, strides, dilation, leading pads and output size for `window_kernels`."""
        pads = tuple(lo for lo, _ in self.pads)
        per_axis = ((size, 1), (self.strides, 1), (self.dilation, 1), (pads, 0), (out, 1))
        return tuple(window_kernels.lead_3d(values, unit) for values, unit in per_axis)

    def _conv(self, x: Any, kernel: Any) -> tuple[Any, Any, tuple]:
        """`(y, cols, out)`: the convolution of `x` and the im2col matrix it used (the padded
        input for a depthwise kernel)."""
        xp = get_xp(x)
        size, (n, o), g = kernel.shape[:-2], (x.shape[0], kernel.shape[-1]), self.groups
        xpad, out = self._padded(x, size)
        if self._depthwise(kernel.shape):
            w = kernel.reshape(*size, g, o // g)
            y = _depthwise_conv(xpad, w, self.strides, self.dilation, out)
            return y.reshape(n, *out, o), xpad, out
        cols = self._cols(xpad, size, out)
        if g == 1:
            y = cols @ kernel.reshape(-1, o)
        else:
            k = kernel.reshape(-1, kernel.shape[-2], g, o // g)
            c = cols.reshape(cols.shape[0], k.shape[0], g, k.shape[1])
            y = xp.einsum("mkgc,kcgo->mgo", c, k, optimize=True).reshape(-1, o)
        return y.reshape(n, *out, o), cols, out

    def _input_grad(self, grad: Any, kernel: Any, x_shape: tuple) -> Any:
        xp = get_xp(grad)
        nd, o = len(self.strides), kernel.shape[-1]
        g2 = grad.reshape(-1, o)
        size = kernel.shape[:-2]
        if jit_enabled(grad) and not self._depthwise(kernel.shape):
            if self.groups == 1:
                dcols = g2 @ kernel.reshape(-1, o).T
            else:
                dcols = self._grouped_input_cols(g2, kernel)
            dx = np.zeros(x_shape, dtype=grad.dtype)
            geometry = self._geometry_3d(size, grad.shape[1:-1])
            window_kernels.col2im(np.ascontiguousarray(dcols), *geometry, window_kernels.as_3d(dx))
            return dx
        padded = (
            x_shape[0],
            *(n + lo + hi for n, (lo, hi) in zip(x_shape[1:-1], self.pads, strict=True)),
            x_shape[-1],
        )
        if self._depthwise(kernel.shape):
            g = self.groups
            w = kernel.reshape(*size, g, o // g)
            grad = grad.reshape(*grad.shape[:-1], g, o // g)
            dx = _depthwise_input_grad(grad, w, padded, self.strides, self.dilation)
        elif self.groups == 1:
            # One product per kernel position added straight into place: a third faster than
            # one product into a (rows, positions * channels) matrix and then NumPy's col2im.
            dx = xp.zeros(padded, dtype=grad.dtype)
            shape = (*grad.shape[:-1], x_shape[-1])
            for pos, window in _positions(size, self.dilation, self.strides, grad.shape[1:-1]):
                dx[window] += (g2 @ kernel[pos].T).reshape(shape)
        else:
            dcols = self._grouped_input_cols(g2, kernel)
            dcols = dcols.reshape(*grad.shape[: 1 + nd], *size, x_shape[-1])
            dx = _col2im(dcols, padded, self.strides, self.dilation)
        return pad_spatial(dx, tuple((-lo, -hi) for lo, hi in self.pads))

    def _grouped_input_cols(self, g2: Any, kernel: Any) -> Any:
        """`(rows, positions * channels)`: the im2col-shaped input gradient of a grouped conv."""
        g, o = self.groups, kernel.shape[-1]
        k = kernel.reshape(-1, kernel.shape[-2], g, o // g)
        dcols = get_xp(g2).einsum("mgo,kcgo->mkgc", g2.reshape(-1, g, o // g), k, optimize=True)
        return dcols.reshape(g2.shape[0], -1)

    def _kernel_grad(self, cols: Any, grad: Any, kernel_shape: tuple) -> Any:
        xp = get_xp(grad)
        o, g = kernel_shape[-1], self.groups
        if self._depthwise(kernel_shape):
            grad = grad.reshape(*grad.shape[:-1], g, o // g)
            size = kernel_shape[:-2]
            dw = _depthwise_kernel_grad(cols, grad, size, self.strides, self.dilation)
            return dw.reshape(kernel_shape)
        g2 = grad.reshape(-1, o)
        if g == 1:
            return (cols.T @ g2).reshape(kernel_shape)
        c = cols.reshape(cols.shape[0], -1, g, kernel_shape[-2])
        dk = xp.einsum("mkgc,mgo->kcgo", c, g2.reshape(-1, g, o // g), optimize=True)
        return dk.reshape(kernel_shape)


class ConvOp(_ConvBaseOp):
    def _winograd(self, x: Any, kernel: Any) -> bool:
        """Whether `winograd.conv3x3` computes this convolution faster than im2col: a 3x3,
        stride-1 kernel, compiled kernels, and (measured, one thread) at least 32 channels and
        filters and a 10x10 output (1.15-1.5x faster forward, 1-1.25x backward there; slower
        with 16 channels or a 7x7 output: `benchmarks/winograd_conv.py`)."""
        c, k = kernel.shape[-2:]
        out = (n + lo + hi - 2 for n, (lo, hi) in zip(x.shape[1:-1], self.pads, strict=True))
        return (
            kernel.shape[:-2] == (3, 3)
            and self.strides == self.dilation == (1, 1)
            and self.groups == 1
            and min(c, k) >= 32
            and min(out) >= 10
            and jit_enabled(x, kernel)
        )

    def forward(self, x, kernel):
        self.kernel, self.x_shape, self.tiles = kernel, x.shape, None
        if self._winograd(x, kernel):
            xpad, _ = self._padded(x, (3, 3))
            self.padded_shape = xpad.shape
            # Without a tape recording, no backward will read the tiles.
            y, self.tiles = winograd.conv3x3(xpad, kernel, keep_tiles=recording())
            return y
        y, self.cols, _ = self._conv(x, kernel)
        return y

    def backward(self, grad):
        if self.tiles is not None:
            # y = A^T [U * V] A per tile: the transforms' adjoints in reverse (`winograd`)
            dx, dk = winograd.conv3x3_grads(grad, self.tiles, self.kernel, self.padded_shape)
            dx = pad_spatial(dx, tuple((-lo, -hi) for lo, hi in self.pads))
            return (dx if self.needs_grad[0] else None), (dk if self.needs_grad[1] else None)
        # y = cols @ K: dK = cols^T dy, dx = col2im(dy K^T)
        dx = self._input_grad(grad, self.kernel, self.x_shape) if self.needs_grad[0] else None
        dk = self._kernel_grad(self.cols, grad, self.kernel.shape) if self.needs_grad[1] else None
        return dx, dk


class ConvBiasOp(ConvOp):
    """`conv(x, kernel) + bias`, then relu when `relu`: one op whose bias and relu run in place
    in the fresh product, as `DenseOp` does (the separate add and relu allocated and read two
    more activations of the layer's output size)."""

    relu: bool

    def forward(self, x, kernel, bias):
        y = super().forward(x, kernel)
        if jit_enabled(y, bias):
            window_kernels.add_bias_relu(y.reshape(-1, y.shape[-1]), bias, self.relu)
        else:
            y += bias
            if self.relu:
                get_xp(y).maximum(y, 0, out=y)
        if self.relu:
            self.y = y
        return y

    def backward(self, grad):
        # d relu(conv(x, K) + b) = [y > 0] (conv(dx, K) + conv(x, dK) + db)
        db = None
        if self.relu and jit_enabled(grad, self.y):
            o = grad.shape[-1]
            masked, db = np.empty(self.y.shape, grad.dtype), np.empty(o, grad.dtype)
            window_kernels.relu_grad_and_bias_grad(
                grad.reshape(-1, o), self.y.reshape(-1, o), masked.reshape(-1, o), db
            )
            grad = masked
        elif self.relu:
            grad = grad * (self.y > 0)
        dx, dk = super().backward(grad)
        if self.needs_grad[2] and db is None:
            # A product with ones: BLAS sums the rows 9x faster than `sum(axis=0)` here.
            g2 = grad.reshape(-1, grad.shape[-1])
            db = get_xp(grad).ones(g2.shape[0], dtype=g2.dtype) @ g2
        return dx, dk, db


class ConvTransposeOp(_ConvBaseOp):
    """The adjoint of `ConvOp` in its input: `y` of `out_shape` such that conv(y) has x's shape."""

    out_shape: tuple

    def forward(self, x, kernel):
        self.x, self.kernel = x, kernel
        return self._input_grad(x, kernel, (x.shape[0], *self.out_shape, kernel.shape[-2]))

    def backward(self, grad):
        # y = conv^T(x, K): dx = conv(dy, K), dK = cols(dy)^T x
        dx, cols, _ = self._conv(grad, self.kernel)
        dk = self._kernel_grad(cols, self.x, self.kernel.shape) if self.needs_grad[1] else None
        return (dx if self.needs_grad[0] else None), dk


# ----- public wrappers ----------------------------------------------------------------------


def normalize_tuple(op: str, name: str, value: Any, n: int, minimum: int = 1) -> tuple:
    """`value` (an int or a sequence of `n` ints, each >= `minimum`) as a tuple of `n` ints."""
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if len(values) != n or not all(isinstance(v, int) and v >= minimum for v in values):
        raise ValueError(
            f"{op}: expected {name} to be an integer >= {minimum} or a tuple of {n} of them. "
            f"Received: {name}={value!r}"
        )
    return values


def normalize_padding(op: str, padding: Any, allowed: tuple = ("valid", "same")) -> str:
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in allowed:
        raise ValueError(
            f"{op}: expected padding to be one of {allowed}. Received: padding={padding!r}"
        )
    return mode


def normalize_data_format(op: str, data_format: Any) -> str:
    data_format = "channels_last" if data_format is None else data_format
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{op}: expected data_format to be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


def same_pads(lengths: tuple, size: tuple, strides: tuple, dilation: tuple) -> Pads:
    """TensorFlow's 'same' padding: output `ceil(n / stride)`, the odd pixel on the right."""
    pads = []
    for n, k, s, d in zip(lengths, size, strides, dilation, strict=True):
        total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def to_channels_last(x: Tensor, data_format: str) -> Tensor:
    if data_format == "channels_last":
        return x
    return transpose(x, (0, *range(2, x.ndim), 1))


def to_channels_first(x: Tensor, data_format: str) -> Tensor:
    if data_format == "channels_last":
        return x
    return transpose(x, (0, x.ndim - 1, *range(1, x.ndim - 1)))


def _check_inputs(op: str, inputs: Any, kernel: Any, kernel_name: str = "kernel") -> tuple:
    x, kernel = float_input(op, inputs), float_input(op, kernel)
    if x.ndim not in (3, 4, 5):
        raise ValueError(
            f"{op}: expected inputs of rank 3, 4 or 5 (batch, spatial axes, channels). "
            f"Received: inputs.shape={x.shape}"
        )
    if kernel.ndim != x.ndim:
        raise ValueError(
            f"{op}: expected a {kernel_name} of the same rank as the inputs ({x.ndim}). "
            f"Received: inputs.shape={x.shape}, {kernel_name}.shape={kernel.shape}"
        )
    if kernel.dtype != x.dtype:
        kernel = cast(kernel, x.dtype)
    return x, kernel


def _strides_dilation_padding(
    op: str, nd: int, strides: Any, dilation_rate: Any, padding: Any
) -> tuple[tuple, tuple, str]:
    """The checked strides, dilation and padding mode of an `nd`-D convolution `op`."""
    strides = normalize_tuple(op, "strides", strides, nd)
    dilation = normalize_tuple(op, "dilation_rate", dilation_rate, nd)
    return strides, dilation, normalize_padding(op, padding)


def _geometry(
    op: str, x: Tensor, size: tuple, strides: Any, padding: Any, dilation_rate: Any
) -> dict:
    """The op parameters of a convolution of channels_last `x`; raises on empty outputs."""
    nd = x.ndim - 2
    strides, dilation, mode = _strides_dilation_padding(op, nd, strides, dilation_rate, padding)
    spatial = x.shape[1:-1]
    pads = same_pads(spatial, size, strides, dilation) if mode == "same" else ((0, 0),) * nd
    out = tuple(map(output_size, spatial, pads, size, strides, dilation))
    if min(out) <= 0:
        raise ValueError(
            f"{op}: the kernel (size {size}, dilation {dilation}) is larger than the "
            f"{mode!r}-padded input {spatial}, so the output would be empty; use a smaller "
            f"kernel, padding='same' or a larger input. Received: inputs.shape={x.shape}"
        )
    return {"strides": strides, "dilation": dilation, "pads": pads}


def conv(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> Tensor:
    """General N-D convolution (1D, 2D or 3D), grouped when the kernel has fewer input channels.

    Args:
        inputs: `(batch, *spatial, channels)` (or channels first).
        kernel: `(*kernel_size, channels // groups, filters)`.
        strides, dilation_rate: an int or one per spatial axis.
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Example:
    >>> lamina.ops.conv(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 2))).shape
    (1, 2, 2, 2)
    """
    return _grouped_conv("conv", inputs, kernel, strides, padding, data_format, dilation_rate)


def conv_bias(
    inputs: Any,
    kernel: Any,
    bias: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
    relu: bool = False,
) -> Tensor:
    """`conv(inputs, kernel, ...) + bias` (and relu with `relu=True`) as one fused op.

    Args:
        bias: `(filters,)`, added along the channel axis.

    Example:
    >>> from lamina.ops.conv import conv_bias
    >>> conv_bias(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 2)), [0, -9.5], relu=True)[0, 0, 0]
    tensor([9., 0.], dtype=float64)
    """
    return _grouped_conv(
        "conv", inputs, kernel, strides, padding, data_format, dilation_rate, bias=bias, relu=relu
    )


def _grouped_conv(
    op: str,
    inputs: Any,
    kernel: Any,
    strides: Any,
    padding: Any,
    data_format: Any,
    dilation_rate: Any,
    depthwise: bool = False,
    bias: Any = None,
    relu: bool = False,
) -> Tensor:
    """`conv` with errors naming `op`; a `depthwise` kernel `(*size, channels, multiplier)`;
    with a `bias`, the fused `ConvBiasOp`."""
    data_format = normalize_data_format(op, data_format)
    x, kernel = _check_inputs(op, inputs, kernel)
    x = to_channels_last(x, data_format)
    channels = x.shape[-1]
    if depthwise:
        if kernel.shape[-2] != channels:
            raise ValueError(
                f"{op}: the kernel's input channels (kernel.shape[-2]) must equal the inputs' "
                f"channels. Received: input channels={channels}, kernel.shape={kernel.shape}"
            )
        kernel = reshape(kernel, (*kernel.shape[:-2], 1, channels * kernel.shape[-1]))
    group_channels, filters = kernel.shape[-2], kernel.shape[-1]
    if group_channels == 0 or channels % group_channels or filters % (channels // group_channels):
        raise ValueError(
            f"{op}: the input channels must be a multiple of the kernel's input channels "
            "(the group size), and the kernel's filters a multiple of the number of groups. "
            f"Received: input channels={channels}, kernel.shape={kernel.shape}"
        )
    geometry = _geometry(op, x, kernel.shape[:-2], strides, padding, dilation_rate)
    geometry["groups"] = channels // group_channels
    if bias is None:
        y = ConvOp.apply(x, kernel, **geometry)
    else:
        bias = float_input(op, bias)
        if bias.shape != (filters,):
            raise ValueError(
                f"{op}: expected a bias of shape ({filters},), one per filter. "
                f"Received: bias.shape={bias.shape}"
            )
        bias = bias if bias.dtype == x.dtype else cast(bias, x.dtype)
        y = ConvBiasOp.apply(x, kernel, bias, relu=bool(relu), **geometry)
    return to_channels_first(y, data_format)


def depthwise_conv(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> Tensor:
    """Depthwise convolution: each input channel convolved with its own `multiplier` filters.

    Args:
        kernel: `(*kernel_size, channels, depth_multiplier)`; output channel `c * m + j` comes
            from input channel `c` and filter `j`.

    Example:
    >>> lamina.ops.depthwise_conv(np.ones((1, 4, 4, 3)), np.ones((3, 3, 3, 2))).shape
    (1, 2, 2, 6)
    """
    return _grouped_conv(
        "depthwise_conv", inputs, kernel, strides, padding, data_format, dilation_rate, True
    )


def separable_conv(
    inputs: Any,
    depthwise_kernel: Any,
    pointwise_kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> Tensor:
    """A depthwise convolution followed by a 1x1 (pointwise) convolution.

    Args:
        depthwise_kernel: `(*kernel_size, channels, depth_multiplier)`.
        pointwise_kernel: `(*ones, channels * depth_multiplier, filters)`.

    Example:
    >>> dw, pw = np.ones((3, 3, 3, 1)), np.ones((1, 1, 3, 8))
    >>> lamina.ops.separable_conv(np.ones((1, 4, 4, 3)), dw, pw).shape
    (1, 2, 2, 8)
    """
    op = "separable_conv"
    y = _grouped_conv(
        op, inputs, depthwise_kernel, strides, padding, data_format, dilation_rate, True
    )
    return _grouped_conv(op, y, pointwise_kernel, 1, "valid", data_format, 1)


def conv_transpose_pads(
    size: int, stride: int, dilation: int, padding: str, output_padding: int | None
) -> tuple[int, int]:
    """The pads of the convolution that `conv_transpose` is the adjoint of (Keras's sizes)."""
    k = (size - 1) * dilation + 1
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        left, right = k - 1, k - 1 + extra
    else:
        total = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
        left = min(total // 2 + total % 2, k - 1)
        right = total - left
    return k - 1 - left, k - 1 - right


def conv_transpose(
    inputs: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    output_padding: Any = None,
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> Tensor:
    """Transposed convolution (the gradient of `conv` with respect to its input).

    Args:
        kernel: `(*kernel_size, filters, channels)`: Keras's transposed layout.
        output_padding: None, or an int or one per axis added to the output's end.

    Example:
    >>> lamina.ops.conv_transpose(np.ones((1, 2, 2, 1)), np.ones((3, 3, 4, 1)), 2).shape
    (1, 5, 5, 4)
    """
    op = "conv_transpose"
    data_format = normalize_data_format(op, data_format)
    x, kernel = _check_inputs(op, inputs, kernel)
    x = to_channels_last(x, data_format)
    nd = x.ndim - 2
    if kernel.shape[-1] != x.shape[-1]:
        raise ValueError(
            f"{op}: the kernel's last axis must equal the inputs' channels. "
            f"Received: input channels={x.shape[-1]}, kernel.shape={kernel.shape}"
        )
    strides, dilation, mode = _strides_dilation_padding(op, nd, strides, dilation_rate, padding)
    extras = (None,) * nd
    if output_padding is not None:
        extras = normalize_tuple(op, "output_padding", output_padding, nd, 0)
    size = kernel.shape[:-2]
    pads = tuple(map(conv_transpose_pads, size, strides, dilation, (mode,) * nd, extras))
    out = tuple(
        (n - 1) * s + (k - 1) * d + 1 - lo - hi
        for n, s, k, d, (lo, hi) in zip(x.shape[1:-1], strides, size, dilation, pads, strict=True)
    )
    if min(out) <= 0:
        raise ValueError(
            f"{op}: the output would be empty. Received: inputs.shape={x.shape}, "
            f"kernel.shape={kernel.shape}, strides={strides}, padding={padding!r}"
        )
    y = ConvTransposeOp.apply(
        x, kernel, strides=strides, dilation=dilation, pads=pads, groups=1, out_shape=out
    )
    return to_channels_first(y, data_format)
