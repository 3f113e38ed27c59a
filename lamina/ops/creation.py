"""Tensors made from a shape: zeros, ones, full, arange, eye, their `_like` forms, one_hot."""

from typing import Any

import numpy as np

from lamina.backend import default_xp, floatx, get_xp
from lamina.ops.core import convert_to_tensor
from lamina.tensor import Tensor


def _shape(op: str, shape: Any) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    if any(not isinstance(n, int | np.integer) or n < 0 for n in shape):
        raise ValueError(f"{op}: shape must hold non-negative integers. Received: shape={shape}")
    return tuple(int(n) for n in shape)


def zeros(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of zeros (floatx unless `dtype` is given).

    Example:
    >>> lamina.ops.zeros((2, 3)).shape
    (2, 3)
    """
    return Tensor(default_xp().zeros(_shape("zeros", shape), dtype=dtype or floatx()))


def ones(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of ones (floatx unless `dtype` is given)."""
    return Tensor(default_xp().ones(_shape("ones", shape), dtype=dtype or floatx()))


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """A tensor filled with `fill_value`."""
    if dtype is None:
        dtype = floatx() if isinstance(fill_value, float) else np.asarray(fill_value).dtype
    return Tensor(default_xp().full(_shape("full", shape), fill_value, dtype=dtype))


def zeros_like(x: Any, dtype: Any = None) -> Tensor:
    """Zeros of the shape (and dtype, unless given) of `x`."""
    x = convert_to_tensor(x)
    return Tensor(get_xp(x.data).zeros(x.shape, dtype=dtype or x.dtype))


def ones_like(x: Any, dtype: Any = None) -> Tensor:
    """Ones of the shape (and dtype, unless given) of `x`."""
    x = convert_to_tensor(x)
    return Tensor(get_xp(x.data).ones(x.shape, dtype=dtype or x.dtype))


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """`fill_value` in the shape (and dtype, unless given) of `x`."""
    x = convert_to_tensor(x)
    return Tensor(get_xp(x.data).full(x.shape, fill_value, dtype=dtype or x.dtype))


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in `[start, stop)`; integer arguments give int32 unless `dtype` says."""
    if step == 0:
        raise ValueError("arange: step must not be 0. Received: step=0")
    if dtype is None:
        values = (start, stop, step)
        dtype = floatx() if any(isinstance(v, float) for v in values) else "int32"
    return Tensor(
        default_xp().arange(start, stop, step, dtype=dtype)
        if stop is not None
        else default_xp().arange(start, step=step, dtype=dtype)
    )


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:
    """A 2-D tensor with ones on the `k`-th diagonal and zeros elsewhere."""
    if N < 0 or (M is not None and M < 0):
        raise ValueError(f"eye: sizes must be non-negative. Received: N={N}, M={M}")
    return Tensor(default_xp().eye(N, M, k=k, dtype=dtype or floatx()))


def identity(n: int, dtype: Any = None) -> Tensor:
    """The `n` x `n` identity matrix."""
    if n < 0:
        raise ValueError(f"identity: n must be non-negative. Received: n={n}")
    return eye(n, dtype=dtype)


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None) -> Tensor:
    """One-hot encode class ids `x` into a new axis of length `num_classes`.

    `x` holds integers, or floats with whole values (`2.0`), as Keras accepts; ids outside
    `[0, num_classes)` give rows of zeros.

    Raises:
        TypeError: if `x` holds neither integers nor floats.
        ValueError: if a float id is not a whole number, or `num_classes` is not positive.

    Example:
    >>> lamina.ops.one_hot([0, 2], 3).numpy()
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    x = convert_to_tensor(x)
    if x.dtype.kind not in "iuf":
        raise TypeError(f"one_hot: x must hold integer class ids. Received: x.dtype={x.dtype}")
    if not isinstance(num_classes, int | np.integer) or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be a positive int. Received: {num_classes!r}")
    xp = get_xp(x.data)
    ids = x.data
    if x.dtype.kind == "f":
        whole = xp.isfinite(ids) & (xp.trunc(ids) == ids)
        if not bool(whole.all()):
            bad = ids[~whole].ravel()[:3].tolist()
            raise ValueError(
                "one_hot: float class ids must be whole numbers (round them first, or pass "
                f"integers). Received: x containing {bad}"
            )
    out = (ids[..., None] == xp.arange(num_classes)).astype(dtype or floatx())
    if axis != -1:
        out = xp.moveaxis(out, -1, axis)
    return Tensor(out)
