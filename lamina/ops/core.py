"""Conversion to tensors, dtype promotion and broadcasting shared by every op."""

from typing import Any

import numpy as np

from lamina.backend import default_xp, floatx, get_xp, is_array, to_device, to_numpy
from lamina.function import Function, is_recording
from lamina.tensor import Tensor


def convert_to_tensor(x: Any, dtype: Any = None) -> Tensor:
    """Return `x` (array, list, scalar or tensor) as a tensor, cast to `dtype` when given.

    Python floats and float lists become `lamina.backend.floatx()`; NumPy arrays keep their dtype
    and move to the GPU when it is the device (`lamina.backend.set_device("gpu")`).

    Example:
    >>> lamina.ops.convert_to_tensor([1, 2, 3], dtype="float32")
    """
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == np.dtype(dtype) else cast(x, dtype)
    if is_array(x):
        x = to_device(x)
        return Tensor(x if dtype is None else x.astype(dtype, copy=False))
    if isinstance(x, np.generic):
        return Tensor(default_xp().asarray(x, dtype=dtype))
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"convert_to_tensor: cannot make a tensor of {type(x).__name__} ({err}). "
            f"Received: x={x!r:.80}"
        ) from None
    if arr.dtype == object:
        raise TypeError(
            "convert_to_tensor: expected a number, a (nested) list of numbers of a regular "
            f"shape, or an array. Received: x={x!r:.80}"
        )
    if dtype is None and arr.dtype == np.float64:
        arr = arr.astype(floatx())
    xp = default_xp()
    return Tensor(arr if xp is np else xp.asarray(arr))


def convert_to_numpy(x: Any) -> np.ndarray:
    """Return `x` as a NumPy array (copied from the GPU when needed)."""
    if isinstance(x, Tensor):
        return x.numpy()
    return to_numpy(x)


def shape(x: Any) -> tuple[int, ...]:
    """The shape of `x` (a tensor, array, list or scalar) as a tuple of ints.

    Example:
    >>> lamina.ops.shape([[1.0, 2.0, 3.0]])
    (1, 3)
    """
    return tuple(int(n) for n in convert_to_tensor(x).shape)


def stop_gradient(x: Any) -> Tensor:
    """Return `x` as a tensor through which no gradient flows.

    Example:
    >>> y = lamina.ops.stop_gradient(x) * w   # d/dx is zero
    """
    return Tensor(convert_to_tensor(x).data)


def is_tensor(x: Any) -> bool:
    """Return True if `x` is a lamina tensor (or Variable)."""
    return isinstance(x, Tensor)


def _scalar_dtype(scalar: Any, other: np.dtype) -> np.dtype:
    """A Python scalar takes the other operand's dtype unless it must widen it (float and int)."""
    if isinstance(scalar, bool):
        return other
    if isinstance(scalar, float) and other.kind in "biu":
        return np.dtype(floatx())
    if isinstance(scalar, int) and other.kind == "b":
        return np.dtype(np.int64)  # as NumPy: a mask times 2 counts, it does not stay boolean
    if isinstance(scalar, complex):
        return np.result_type(other, np.complex64)
    return other


def _widen_for(scalar: Any, t: Tensor) -> Tensor:
    """Cast `t` to the dtype a Python scalar needs (an int tensor times 0.5 gives floatx)."""
    dtype = _scalar_dtype(scalar, t.dtype)
    return t if dtype == t.dtype else cast(t, dtype)


def result_dtype(a: np.dtype, b: np.dtype) -> np.dtype:
    """The dtype two tensors combine to, as in Keras: an int or bool with a float gives the float
    (int32 + float32 is float32, where NumPy would widen to float64); otherwise NumPy's rule."""
    if a.kind in "biu" and b.kind in "fc":
        return b
    if b.kind in "biu" and a.kind in "fc":
        return a
    return np.result_type(a, b)


def _is_python_scalar(x: Any) -> bool:
    return isinstance(x, int | float | bool) and not isinstance(x, Tensor)


def operands(op: str, x: Any, y: Any) -> tuple[Tensor, Tensor]:
    """Convert the two operands of a binary op to tensors of one dtype.

    A Python scalar is "weak", as in Keras 3: it adopts the other operand's dtype (an array or
    list converted first), so `0.1 * float64_array` keeps float64. Two tensors of different
    dtypes are both cast to their result type.
    """
    if not isinstance(x, Tensor) and not _is_python_scalar(x):
        x = convert_to_tensor(x)
    if not isinstance(y, Tensor) and not _is_python_scalar(y):
        y = convert_to_tensor(y)
    if not isinstance(x, Tensor):
        if not isinstance(y, Tensor):
            x, y = convert_to_tensor(x), convert_to_tensor(y)
        else:
            y = _widen_for(x, numeric_input(op, y))
            return Tensor(get_xp(y.data).asarray(x, dtype=y.dtype)), y
    if not isinstance(y, Tensor):
        x = _widen_for(y, numeric_input(op, x))
        return x, Tensor(get_xp(x.data).asarray(y, dtype=x.dtype))
    x, y = numeric_input(op, x), numeric_input(op, y)
    if x.dtype != y.dtype:
        try:
            common = result_dtype(x.dtype, y.dtype)
        except TypeError:
            raise TypeError(
                f"{op}: cannot combine dtypes {x.dtype} and {y.dtype}. "
                f"Received: x.dtype={x.dtype}, y.dtype={y.dtype}"
            ) from None
        x, y = cast(x, common), cast(y, common)
    return x, y


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """NumPy's broadcast shape of two shapes (a fast path for the binary ops' hot loop)."""
    if len(a) < len(b):
        a, b = b, a
    lead = len(a) - len(b)
    out = list(a[:lead])
    for m, n in zip(a[lead:], b, strict=True):
        if m == n or n == 1:
            out.append(m)
        elif m == 1:
            out.append(n)
        else:
            raise ValueError(f"shapes {a} and {b} cannot be broadcast together")
    return tuple(out)


def broadcast_pair(op: str, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Broadcast `x` and `y` to one shape, explicitly (via `broadcast_to`) where gradients flow.

    Inputs nobody differentiates are left to the array module's own broadcasting.
    """
    if x.shape == y.shape:
        return x, y
    try:
        shape = broadcast_shape(x.shape, y.shape)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {x.shape} and {y.shape} cannot be broadcast together. "
            f"Received: x.shape={x.shape}, y.shape={y.shape}"
        ) from None
    if is_recording():
        if x.shape != shape and (x._node is not None or x._tracked):
            x = broadcast_to(x, shape)
        if y.shape != shape and (y._node is not None or y._tracked):
            y = broadcast_to(y, shape)
    return x, y


def sum_to_shape(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum `grad` over the axes along which an array of `shape` was broadcast."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1
    )
    out = grad.sum(axis=axes, keepdims=True) if axes else grad
    return out.reshape(shape)


class BroadcastToOp(Function):
    shape: tuple[int, ...]

    def forward(self, x):
        self.in_shape = x.shape
        return get_xp(x).broadcast_to(x, self.shape)

    def backward(self, grad):
        # d(broadcast x)/dx sums the copies back.
        return (sum_to_shape(grad, self.in_shape),)


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Tensor:
    """Broadcast `x` to `shape` (NumPy rules); its gradient sums over the new axes.

    Example:
    >>> lamina.ops.broadcast_to([1.0, 2.0], (3, 2)).shape
    (3, 2)
    """
    x = convert_to_tensor(x)
    shape = tuple(int(n) for n in shape)
    try:
        if len(shape) < x.ndim or broadcast_shape(x.shape, shape) != shape:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"broadcast_to: cannot broadcast shape {x.shape} to {shape}. Received: shape={shape}"
        ) from None
    if x.shape == shape:
        return x
    return BroadcastToOp.apply(x, shape=shape)


class CastOp(Function):
    dtype: np.dtype

    def forward(self, x):
        self.in_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, grad):
        # The gradient of a cast is the gradient cast back; integer inputs get none.
        if self.in_dtype.kind not in "fc":
            return (None,)
        return (grad.astype(self.in_dtype),)


def cast(x: Any, dtype: Any) -> Tensor:
    """Cast `x` to `dtype`; differentiable between float types.

    Example:
    >>> lamina.ops.cast([1.7, -2.2], "int32").numpy()
    array([ 1, -2], dtype=int32)
    """
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"cast: unknown dtype. Received: dtype={dtype!r}") from None
    x = convert_to_tensor(x)
    if x.dtype == dtype:
        return x
    return CastOp.apply(x, dtype=dtype)


def numeric_input(op: str, x: Any) -> Tensor:
    """Convert `x` to a tensor of numbers or booleans; strings and objects raise TypeError."""
    x = convert_to_tensor(x)
    if x.dtype.kind not in "biufc":
        raise TypeError(
            f"{op}: expected a numeric tensor. Received: dtype={x.dtype} with shape {x.shape}"
        )
    return x


def float_input(op: str, x: Any) -> Tensor:
    """Convert `x` to a tensor; integer and bool inputs become floatx, as in Keras."""
    x = numeric_input(op, x)
    if x.dtype.kind not in "fc":
        x = cast(x, floatx())
    return x


def normalize_axis(op: str, axis: Any, ndim: int) -> Any:
    """Return `axis` (None, int or sequence) with negative values resolved, or raise."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, int | np.integer) or not -ndim <= a < max(ndim, 1):
            raise ValueError(
                f"{op}: axis {a!r} is out of range for a tensor of rank {ndim}. "
                f"Received: axis={axis}"
            )
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis. Received: axis={axis}")
    return out[0] if isinstance(axis, int | np.integer) else tuple(out)
