"""Elementwise arithmetic: add, multiply, exp, log, clip, where and their kin."""

from typing import Any

import numpy as np

from lamina.backend import get_xp
from lamina.function import Function
from lamina.ops.core import (
    broadcast_pair,
    broadcast_to,
    convert_to_tensor,
    float_input,
    numeric_input,
    operands,
)
from lamina.tensor import Tensor


def _binary(fn_cls: type[Function], op: str, x: Any, y: Any) -> Tensor:
    x, y = broadcast_pair(op, *operands(op, x, y))
    return fn_cls.apply(x, y)


class AddOp(Function):
    def forward(self, x, y):
        return x + y

    def backward(self, grad):
        # d(x+y) = dx + dy
        return grad, grad


class SubtractOp(Function):
    def forward(self, x, y):
        return x - y

    def backward(self, grad):
        # d(x-y) = dx - dy
        return grad, -grad if self.needs_grad[1] else None


class MultiplyOp(Function):
    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, grad):
        # d(xy) = y dx + x dy
        gx = grad * self.y if self.needs_grad[0] else None
        gy = grad * self.x if self.needs_grad[1] else None
        return gx, gy


class DivideOp(Function):
    def forward(self, x, y):
        self.x, self.y = x, y
        return x / y

    def backward(self, grad):
        # d(x/y) = dx/y - x dy/y^2
        gx = grad / self.y if self.needs_grad[0] else None
        gy = -grad * self.x / (self.y * self.y) if self.needs_grad[1] else None
        return gx, gy


class PowerOp(Function):
    def forward(self, x, y):
        self.x, self.y = x, y
        self.out = x**y
        return self.out

    def backward(self, grad):
        # d(x^y) = y x^(y-1) dx + x^y log(x) dy
        xp = get_xp(grad)
        gx = grad * self.y * self.x ** (self.y - 1) if self.needs_grad[0] else None
        gy = None
        if self.needs_grad[1]:
            safe = xp.where(self.x > 0, self.x, 1)
            gy = grad * self.out * xp.log(safe)
        return gx, gy


class MaximumOp(Function):
    def forward(self, x, y):
        self.x_wins = x >= y
        return get_xp(x).maximum(x, y)

    def backward(self, grad):
        # The gradient goes to the larger input (to x on ties).
        return grad * self.x_wins, grad * ~self.x_wins


class MinimumOp(Function):
    def forward(self, x, y):
        self.x_wins = x <= y
        return get_xp(x).minimum(x, y)

    def backward(self, grad):
        # The gradient goes to the smaller input (to x on ties).
        return grad * self.x_wins, grad * ~self.x_wins


def add(x: Any, y: Any) -> Tensor:
    """Elementwise `x + y` with broadcasting.

    Example:
    >>> lamina.ops.add([1.0, 2.0], 1.0).numpy()
    array([2., 3.], dtype=float32)
    """
    return _binary(AddOp, "add", x, y)


def subtract(x: Any, y: Any) -> Tensor:
    """Elementwise `x - y` with broadcasting."""
    return _binary(SubtractOp, "subtract", x, y)


def multiply(x: Any, y: Any) -> Tensor:
    """Elementwise `x * y` with broadcasting."""
    return _binary(MultiplyOp, "multiply", x, y)


def divide(x: Any, y: Any) -> Tensor:
    """Elementwise true division `x / y` with broadcasting; integers divide to floats."""
    x, y = operands("divide", x, y)
    if x.dtype.kind not in "fc":
        x, y = float_input("divide", x), float_input("divide", y)
    return _binary(DivideOp, "divide", x, y)


def power(x: Any, y: Any) -> Tensor:
    """Elementwise `x ** y` with broadcasting."""
    return _binary(PowerOp, "power", x, y)


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise maximum of `x` and `y`."""
    return _binary(MaximumOp, "maximum", x, y)


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise minimum of `x` and `y`."""
    return _binary(MinimumOp, "minimum", x, y)


class NegativeOp(Function):
    def forward(self, x):
        return -x

    def backward(self, grad):
        # d(-x) = -dx
        return (-grad,)


class SquareOp(Function):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        # d(x^2) = 2x dx
        return (2 * self.x * grad,)


class SqrtOp(Function):
    def forward(self, x):
        self.out = get_xp(x).sqrt(x)
        return self.out

    def backward(self, grad):
        # d sqrt(x) = dx / (2 sqrt(x))
        return (grad / (2 * self.out),)


class ExpOp(Function):
    def forward(self, x):
        self.out = get_xp(x).exp(x)
        return self.out

    def backward(self, grad):
        # d exp(x) = exp(x) dx
        return (grad * self.out,)


class Expm1Op(Function):
    def forward(self, x):
        self.out = get_xp(x).expm1(x)
        return self.out

    def backward(self, grad):
        # d (exp(x) - 1) = exp(x) dx
        return (grad * (self.out + 1),)


class LogOp(Function):
    def forward(self, x):
        self.x = x
        return get_xp(x).log(x)

    def backward(self, grad):
        # d log(x) = dx / x
        return (grad / self.x,)


class Log1pOp(Function):
    def forward(self, x):
        self.x = x
        return get_xp(x).log1p(x)

    def backward(self, grad):
        # d log(1 + x) = dx / (1 + x)
        return (grad / (1 + self.x),)


class SinOp(Function):
    def forward(self, x):
        self.x = x
        return get_xp(x).sin(x)

    def backward(self, grad):
        # d sin(x) = cos(x) dx
        return (grad * get_xp(grad).cos(self.x),)


class CosOp(Function):
    def forward(self, x):
        self.x = x
        return get_xp(x).cos(x)

    def backward(self, grad):
        # d cos(x) = -sin(x) dx
        return (-grad * get_xp(grad).sin(self.x),)


class TanOp(Function):
    def forward(self, x):
        self.out = get_xp(x).tan(x)
        return self.out

    def backward(self, grad):
        # d tan(x) = (1 + tan(x)^2) dx
        return (grad * (1 + self.out * self.out),)


class ArcsinOp(Function):
    def forward(self, x):
        self.x = x
        return get_xp(x).arcsin(x)

    def backward(self, grad):
        # d arcsin(x) = dx / sqrt(1 - x^2)
        return (grad / get_xp(grad).sqrt(1 - self.x * self.x),)


class ArccosOp(Function):
    def forward(self, x):
        self.x = x
        return get_xp(x).arccos(x)

    def backward(self, grad):
        # d arccos(x) = -dx / sqrt(1 - x^2)
        return (-grad / get_xp(grad).sqrt(1 - self.x * self.x),)


class ArctanOp(Function):
    def forward(self, x):
        self.x = x
        return get_xp(x).arctan(x)

    def backward(self, grad):
        # d arctan(x) = dx / (1 + x^2)
        return (grad / (1 + self.x * self.x),)


class SinhOp(Function):
    def forward(self, x):
        self.x = x
        return get_xp(x).sinh(x)

    def backward(self, grad):
        # d sinh(x) = cosh(x) dx
        return (grad * get_xp(grad).cosh(self.x),)


class CoshOp(Function):
    def forward(self, x):
        self.x = x
        return get_xp(x).cosh(x)

    def backward(self, grad):
        # d cosh(x) = sinh(x) dx
        return (grad * get_xp(grad).sinh(self.x),)


class AbsOp(Function):
    def forward(self, x):
        self.x = x
        return get_xp(x).abs(x)

    def backward(self, grad):
        # d|x| = sign(x) dx
        return (grad * get_xp(grad).sign(self.x),)


class ClipOp(Function):
    lo: Any  # a scalar or an array broadcastable to x
    hi: Any

    def forward(self, x):
        xp = get_xp(x)
        self.inside = (x >= self.lo) & (x <= self.hi)
        return xp.clip(x, self.lo, self.hi)

    def backward(self, grad):
        # The gradient passes where x lies inside [lo, hi].
        return (grad * self.inside,)


def negative(x: Any) -> Tensor:
    """Elementwise `-x`."""
    return NegativeOp.apply(numeric_input("negative", x))


def square(x: Any) -> Tensor:
    """Elementwise `x * x`."""
    return SquareOp.apply(numeric_input("square", x))


def sqrt(x: Any) -> Tensor:
    """Elementwise square root."""
    return SqrtOp.apply(float_input("sqrt", x))


def exp(x: Any) -> Tensor:
    """Elementwise `e ** x`."""
    return ExpOp.apply(float_input("exp", x))


def expm1(x: Any) -> Tensor:
    """Elementwise `exp(x) - 1`, accurate for small x."""
    return Expm1Op.apply(float_input("expm1", x))


def log(x: Any) -> Tensor:
    """Elementwise natural logarithm."""
    return LogOp.apply(float_input("log", x))


def log1p(x: Any) -> Tensor:
    """Elementwise `log(1 + x)`, accurate for small x."""
    return Log1pOp.apply(float_input("log1p", x))


def abs(x: Any) -> Tensor:
    """Elementwise absolute value."""
    return AbsOp.apply(numeric_input("abs", x))


def absolute(x: Any) -> Tensor:
    """Alias of `abs`."""
    return abs(x)


def sign(x: Any) -> Tensor:
    """Elementwise sign (-1, 0 or 1); not differentiable (zero gradient)."""
    x = numeric_input("sign", x)
    return Tensor(get_xp(x.data).sign(x.data))


def sin(x: Any) -> Tensor:
    """Elementwise sine (radians)."""
    return SinOp.apply(float_input("sin", x))


def cos(x: Any) -> Tensor:
    """Elementwise cosine (radians)."""
    return CosOp.apply(float_input("cos", x))


def tan(x: Any) -> Tensor:
    """Elementwise tangent (radians)."""
    return TanOp.apply(float_input("tan", x))


def arcsin(x: Any) -> Tensor:
    """Elementwise inverse sine, in `[-pi/2, pi/2]`; NaN outside `[-1, 1]`."""
    return ArcsinOp.apply(float_input("arcsin", x))


def arccos(x: Any) -> Tensor:
    """Elementwise inverse cosine, in `[0, pi]`; NaN outside `[-1, 1]`."""
    return ArccosOp.apply(float_input("arccos", x))


def arctan(x: Any) -> Tensor:
    """Elementwise inverse tangent, in `(-pi/2, pi/2)`."""
    return ArctanOp.apply(float_input("arctan", x))


def sinh(x: Any) -> Tensor:
    """Elementwise hyperbolic sine."""
    return SinhOp.apply(float_input("sinh", x))


def cosh(x: Any) -> Tensor:
    """Elementwise hyperbolic cosine."""
    return CoshOp.apply(float_input("cosh", x))


def round(x: Any, decimals: int = 0) -> Tensor:
    """Elementwise rounding to `decimals` places, halves to even (as NumPy); not
    differentiable (zero gradient).

    Example:
    >>> lamina.ops.round([0.5, 1.5, 2.25], decimals=0).numpy()
    array([0., 2., 2.], dtype=float32)
    """
    x = numeric_input("round", x)
    if not isinstance(decimals, int | np.integer) or isinstance(decimals, bool):
        raise TypeError(f"round: `decimals` must be an int. Received: decimals={decimals!r}")
    return Tensor(get_xp(x.data).round(x.data, int(decimals)))


def floor(x: Any) -> Tensor:
    """Elementwise largest integer not above `x` (integers become floatx); not differentiable
    (zero gradient)."""
    x = float_input("floor", x)
    return Tensor(get_xp(x.data).floor(x.data))


def ceil(x: Any) -> Tensor:
    """Elementwise smallest integer not below `x` (integers become floatx); not differentiable
    (zero gradient)."""
    x = float_input("ceil", x)
    return Tensor(get_xp(x.data).ceil(x.data))


def clip(x: Any, x_min: Any, x_max: Any) -> Tensor:
    """Clip the values of `x` to `[x_min, x_max]`; the gradient is 1 inside, 0 outside.

    Example:
    >>> lamina.ops.clip([-2.0, 0.5, 3.0], 0.0, 1.0).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """
    x = numeric_input("clip", x)
    lo = x_min.data if isinstance(x_min, Tensor) else x_min
    hi = x_max.data if isinstance(x_max, Tensor) else x_max
    return ClipOp.apply(x, lo=lo, hi=hi)


class WhereOp(Function):
    condition: Any  # a boolean array of the inputs' shape

    def forward(self, x, y):
        return get_xp(x).where(self.condition, x, y)

    def backward(self, grad):
        # The gradient goes to x where the condition holds, to y elsewhere.
        xp = get_xp(grad)
        gx = xp.where(self.condition, grad, 0) if self.needs_grad[0] else None
        gy = xp.where(self.condition, 0, grad) if self.needs_grad[1] else None
        return gx, gy


def where(condition: Any, x1: Any = None, x2: Any = None) -> Tensor:
    """Pick elements from `x1` where `condition` holds, from `x2` elsewhere.

    With only `condition`, return the indices where it holds (as `nonzero`, stacked).

    Example:
    >>> lamina.ops.where([True, False], [1.0, 2.0], [3.0, 4.0]).numpy()
    array([1., 4.], dtype=float32)
    """
    cond = convert_to_tensor(condition)
    xp = get_xp(cond.data)
    if x1 is None and x2 is None:
        return Tensor(xp.stack(xp.nonzero(cond.data), axis=-1))
    if x1 is None or x2 is None:
        raise ValueError("where: give both x1 and x2, or neither. Received: only one of them")
    x, y = operands("where", x1, x2)
    try:
        shape = np.broadcast_shapes(cond.shape, x.shape, y.shape)
    except ValueError:
        raise ValueError(
            f"where: shapes {cond.shape}, {x.shape} and {y.shape} cannot be broadcast together. "
            f"Received: condition.shape={cond.shape}, x1.shape={x.shape}, x2.shape={y.shape}"
        ) from None
    if x.shape != shape:
        x = broadcast_to(x, shape)
    if y.shape != shape:
        y = broadcast_to(y, shape)
    return WhereOp.apply(x, y, condition=xp.asarray(cond.data, dtype=bool))


__all__ = [
    "abs",
    "absolute",
    "add",
    "arccos",
    "arcsin",
    "arctan",
    "ceil",
    "clip",
    "cos",
    "cosh",
    "divide",
    "exp",
    "expm1",
    "floor",
    "log",
    "log1p",
    "maximum",
    "minimum",
    "multiply",
    "negative",
    "power",
    "round",
    "sign",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "where",
]
