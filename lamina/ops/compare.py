"""Comparisons and logical ops; their results are booleans with no gradient."""

from typing import Any

from lamina.backend import get_xp
from lamina.ops.core import convert_to_tensor, normalize_axis, numeric_input, operands
from lamina.tensor import Tensor


def _compare(op: str, ufunc: str, x: Any, y: Any) -> Tensor:
    x, y = operands(op, x, y)
    try:
        return Tensor(getattr(get_xp(x.data), ufunc)(x.data, y.data))
    except ValueError:
        raise ValueError(
            f"{op}: shapes {x.shape} and {y.shape} cannot be broadcast together. "
            f"Received: x.shape={x.shape}, y.shape={y.shape}"
        ) from None


def equal(x: Any, y: Any) -> Tensor:
    """Elementwise `x == y`."""
    return _compare("equal", "equal", x, y)


def not_equal(x: Any, y: Any) -> Tensor:
    """Elementwise `x != y`."""
    return _compare("not_equal", "not_equal", x, y)


def less(x: Any, y: Any) -> Tensor:
    """Elementwise `x < y`."""
    return _compare("less", "less", x, y)


def less_equal(x: Any, y: Any) -> Tensor:
    """Elementwise `x <= y`."""
    return _compare("less_equal", "less_equal", x, y)


def greater(x: Any, y: Any) -> Tensor:
    """Elementwise `x > y`."""
    return _compare("greater", "greater", x, y)


def greater_equal(x: Any, y: Any) -> Tensor:
    """Elementwise `x >= y`."""
    return _compare("greater_equal", "greater_equal", x, y)


def logical_and(x: Any, y: Any) -> Tensor:
    """Elementwise logical and."""
    return _compare("logical_and", "logical_and", x, y)


def logical_or(x: Any, y: Any) -> Tensor:
    """Elementwise logical or."""
    return _compare("logical_or", "logical_or", x, y)


def logical_not(x: Any) -> Tensor:
    """Elementwise logical not."""
    x = convert_to_tensor(x)
    return Tensor(get_xp(x.data).logical_not(x.data))


def isnan(x: Any) -> Tensor:
    """Elementwise test for NaN."""
    x = numeric_input("isnan", x)
    return Tensor(get_xp(x.data).isnan(x.data))


def isfinite(x: Any) -> Tensor:
    """Elementwise test for finite values."""
    x = numeric_input("isfinite", x)
    return Tensor(get_xp(x.data).isfinite(x.data))


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether every element along `axis` is true."""
    x = convert_to_tensor(x)
    axis = normalize_axis("all", axis, x.ndim)
    return Tensor(get_xp(x.data).asarray(x.data.all(axis=axis, keepdims=keepdims)))


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether any element along `axis` is true."""
    x = convert_to_tensor(x)
    axis = normalize_axis("any", axis, x.ndim)
    return Tensor(get_xp(x.data).asarray(x.data.any(axis=axis, keepdims=keepdims)))
