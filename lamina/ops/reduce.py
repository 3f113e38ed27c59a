"""Reductions: sum, mean, max, min, prod, var, std, logsumexp, argmax, argmin, cumsum, cumprod."""

from typing import Any

import numpy as np

from lamina.backend import get_xp
from lamina.function import Function
from lamina.ops.core import cast, convert_to_tensor, float_input, normalize_axis, numeric_input
from lamina.ops.elementwise import sqrt
from lamina.ops.movement import reshape
from lamina.tensor import Tensor


def _expand_like(grad: Any, in_shape: tuple, axis: Any, keepdims: bool) -> Any:
    """Reshape a reduced gradient so it broadcasts against the input again."""
    if keepdims or axis is None and grad.ndim == 0:
        return grad
    axes = range(len(in_shape)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    shape = list(in_shape)
    for a in axes:
        shape[a] = 1
    return grad.reshape(shape)


class SumOp(Function):
    axis: int | tuple[int, ...] | None
    keepdims: bool

    def forward(self, x):
        self.in_shape = x.shape
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, grad):
        # Every summed element gets the upstream gradient.
        xp = get_xp(grad)
        g = _expand_like(grad, self.in_shape, self.axis, self.keepdims)
        return (xp.broadcast_to(g, self.in_shape),)


class MeanOp(Function):
    axis: int | tuple[int, ...] | None
    keepdims: bool

    def forward(self, x):
        self.in_shape = x.shape
        out = x.mean(axis=self.axis, keepdims=self.keepdims)
        self.count = x.size // (out.size or 1) if x.size else 1
        return out

    def backward(self, grad):
        # Each element contributes 1/n of the mean.
        xp = get_xp(grad)
        g = _expand_like(grad, self.in_shape, self.axis, self.keepdims) / self.count
        return (xp.broadcast_to(g, self.in_shape),)


class ExtremumOp(Function):
    """max or min; ties share the gradient equally."""

    axis: int | tuple[int, ...] | None
    keepdims: bool
    largest: bool  # max when True, min when False

    def forward(self, x):
        self.x = x
        reduce = x.max if self.largest else x.min
        self.out = reduce(axis=self.axis, keepdims=True)
        return self.out if self.keepdims else self.out.reshape(_drop(x.shape, self.axis))

    def backward(self, grad):
        # d max(x) = dx at the arg max (split evenly among ties)
        mask = (self.x == self.out).astype(self.x.dtype)  # a bool mask would divide to float64
        share = mask / mask.sum(axis=self.axis, keepdims=True)
        g = _expand_like(grad, self.x.shape, self.axis, self.keepdims)
        return (share * g,)


def _drop(shape: tuple, axis: Any) -> tuple:
    if axis is None:
        return ()
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(n for i, n in enumerate(shape) if i not in axes)


class ProdOp(Function):
    axis: int | tuple[int, ...] | None
    keepdims: bool

    def forward(self, x):
        self.x = x
        return x.prod(axis=self.axis, keepdims=self.keepdims)

    def backward(self, grad):
        # d prod = product of all the other elements, computed without dividing (zeros are fine)
        xp = get_xp(grad)
        x, axes = self.x, self.axis
        axes = (
            tuple(range(x.ndim)) if axes is None else (axes if isinstance(axes, tuple) else (axes,))
        )
        rest = [i for i in range(x.ndim) if i not in axes]
        perm = rest + list(axes)
        moved = x.transpose(perm)
        flat = moved.reshape(moved.shape[: len(rest)] + (-1,))
        ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
        left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = xp.flip(
            xp.cumprod(xp.concatenate([ones, xp.flip(flat, -1)[..., :-1]], axis=-1), axis=-1), -1
        )
        others = (left * right).reshape(moved.shape).transpose(np.argsort(perm))
        g = _expand_like(grad, x.shape, self.axis, self.keepdims)
        return (others * g,)


class LogSumExpOp(Function):
    axis: int | tuple[int, ...] | None
    keepdims: bool

    def forward(self, x):
        xp = get_xp(x)
        m = x.max(axis=self.axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        self.x = x
        self.out = m + xp.log(xp.exp(x - m).sum(axis=self.axis, keepdims=True))
        return self.out if self.keepdims else self.out.reshape(_drop(x.shape, self.axis))

    def backward(self, grad):
        # d logsumexp = softmax(x) dx
        xp = get_xp(grad)
        g = _expand_like(grad, self.x.shape, self.axis, self.keepdims)
        return (g * xp.exp(self.x - self.out),)


class CumsumOp(Function):
    axis: int

    def forward(self, x):
        return get_xp(x).cumsum(x, axis=self.axis)

    def backward(self, grad):
        # Each input element reaches every later output: a reversed cumulative sum.
        return (_reverse_cumsum(get_xp(grad), grad, self.axis),)


class CumprodOp(Function):
    """Exact also with zeros: before an axis's first zero, `d y_i / d x_k = y_i / x_k`; at the
    first zero, the products that skip it (that zero set to 1); after it, nothing."""

    axis: int

    def forward(self, x):
        self.x = x
        self.out = get_xp(x).cumprod(x, axis=self.axis)
        return self.out

    def backward(self, grad):
        # d y_i / d x_k = prod of x_j for j <= i, j != k (for i >= k): summed over i.
        xp, x, axis = get_xp(grad), self.x, self.axis
        zeros_so_far = xp.cumsum(x == 0, axis=axis)
        before = zeros_so_far == 0
        first_zero = (x == 0) & (zeros_so_far == 1)
        later = _reverse_cumsum(xp, grad * self.out, axis) / xp.where(before, x, 1)
        skipping = xp.cumprod(xp.where(first_zero, 1, x), axis=axis)
        at_zero = _reverse_cumsum(xp, grad * skipping, axis)
        return (xp.where(before, later, xp.where(first_zero, at_zero, 0)),)


def _reverse_cumsum(xp: Any, a: Any, axis: int) -> Any:
    return xp.flip(xp.cumsum(xp.flip(a, axis), axis=axis), axis)


def _reduce(fn_cls: type[Function], op: str, x: Any, axis: Any, keepdims: bool, **attrs) -> Tensor:
    x = numeric_input(op, x)
    axis = normalize_axis(op, axis, x.ndim)
    return fn_cls.apply(x, axis=axis, keepdims=bool(keepdims), **attrs)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over `axis` (an int, a tuple, or None for all).

    Example:
    >>> lamina.ops.sum([[1.0, 2.0], [3.0, 4.0]], axis=0).numpy()
    array([4., 6.], dtype=float32)
    """
    return _reduce(SumOp, "sum", x, axis, keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over `axis`; integer inputs give floatx."""
    return _reduce(MeanOp, "mean", float_input("mean", x), axis, keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over `axis`; the gradient goes to the maximal elements (shared on ties)."""
    x = convert_to_tensor(x)
    _check_not_empty("max", x, axis)
    return _reduce(ExtremumOp, "max", x, axis, keepdims, largest=True)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Minimum over `axis`; the gradient goes to the minimal elements (shared on ties)."""
    x = convert_to_tensor(x)
    _check_not_empty("min", x, axis)
    return _reduce(ExtremumOp, "min", x, axis, keepdims, largest=False)


def _check_not_empty(op: str, x: Tensor, axis: Any) -> None:
    if x.size == 0:
        raise ValueError(f"{op}: cannot reduce an empty tensor. Received: x.shape={x.shape}")


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product over `axis`."""
    return _reduce(ProdOp, "prod", x, axis, keepdims)


def var(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population variance over `axis` (divides by n)."""
    x = float_input("var", x)
    normalize_axis("var", axis, x.ndim)  # so that errors name var, not mean
    centered = x - mean(x, axis=axis, keepdims=True)
    return mean(centered * centered, axis=axis, keepdims=keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation over `axis`."""

    x = float_input("std", x)
    normalize_axis("std", axis, x.ndim)  # so that errors name std, not mean
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """`log(sum(exp(x)))` over `axis`, shifted by the maximum so large inputs stay finite."""
    return _reduce(LogSumExpOp, "logsumexp", float_input("logsumexp", x), axis, keepdims)


def cumsum(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
    """Cumulative sum along `axis` (over the flattened tensor when None)."""

    x = convert_to_tensor(x) if dtype is None else cast(x, dtype)
    if axis is None:
        return CumsumOp.apply(reshape(x, (-1,)), axis=0)
    return CumsumOp.apply(x, axis=normalize_axis("cumsum", axis, x.ndim))


def cumprod(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
    """Cumulative product along `axis` (over the flattened tensor when None); the gradient is
    exact also where `x` has zeros.

    Example:
    >>> lamina.ops.cumprod([1.0, 2.0, 3.0]).numpy()
    array([1., 2., 6.], dtype=float32)
    """
    x = numeric_input("cumprod", x) if dtype is None else cast(x, dtype)
    if axis is None:
        return CumprodOp.apply(reshape(x, (-1,)), axis=0)
    return CumprodOp.apply(x, axis=normalize_axis("cumprod", axis, x.ndim))


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the maximum along `axis` (of the flattened tensor when None); not differentiable."""
    x = convert_to_tensor(x)
    _check_not_empty("argmax", x, axis)
    axis = normalize_axis("argmax", axis, x.ndim)
    return Tensor(get_xp(x.data).argmax(x.data, axis=axis, keepdims=keepdims).astype("int32"))


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the minimum along `axis`; not differentiable."""
    x = convert_to_tensor(x)
    _check_not_empty("argmin", x, axis)
    axis = normalize_axis("argmin", axis, x.ndim)
    return Tensor(get_xp(x.data).argmin(x.data, axis=axis, keepdims=keepdims).astype("int32"))


def count_nonzero(x: Any, axis: Any = None) -> Tensor:
    """Number of non-zero elements along `axis`; not differentiable."""
    x = convert_to_tensor(x)
    axis = normalize_axis("count_nonzero", axis, x.ndim)
    return Tensor(get_xp(x.data).asarray(get_xp(x.data).count_nonzero(x.data, axis=axis)))
