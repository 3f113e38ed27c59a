"""The numeric Keras 2 backend functions, mapped onto `lamina.ops`.

Each works on eager tensors and arrays (giving a tensor) and on symbolic tensors (adding a node
to the graph, so that `K.mean(model.output[:, 0])` can be fed through `K.function`).
"""

import math
from typing import Any

import numpy as np

from lamina import ops
from lamina.backend import floatx
from lamina.layers import Concatenate, Lambda
from lamina.layers.symbolic import KerasTensor, has_symbolic, op_layer_call
from lamina.legacy_backend.symbolic_layers import ConcatenateConstants, RandomLayer, ShapeLayer
from lamina.tensor import Tensor
from lamina.variable import Variable


def _call(op: str, *args: Any, **kwargs: Any) -> Any:
    """`lamina.ops.<op>` on eager values, or a graph node when an argument is symbolic."""
    if has_symbolic(args, kwargs):
        return op_layer_call(op, args, kwargs)
    return getattr(ops, op)(*args, **kwargs)


# ----- variables, constants and values ---------------------------------------------------------


def variable(value: Any, dtype: Any = None, name: str | None = None) -> Variable:
    """A `Variable` holding `value` (floatx for floats); `v + 1` gives a tensor."""
    value = np.asarray(value)
    if dtype is None and value.dtype.kind == "f":
        dtype = floatx()
    return Variable(value, dtype=dtype, name=name)


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> Tensor:
    """A tensor of `value` (broadcast to `shape` when given), floatx by default."""
    value = np.asarray(value, dtype=dtype or floatx())
    if shape is not None:
        value = np.broadcast_to(value, tuple(shape))
    return ops.convert_to_tensor(np.array(value))


def zeros(shape: Any, dtype: Any = None, name: str | None = None) -> Variable:
    """A variable of zeros, as in Keras 2."""
    return Variable(np.zeros(tuple(shape), dtype=dtype or floatx()), name=name)


def ones(shape: Any, dtype: Any = None, name: str | None = None) -> Variable:
    """A variable of ones, as in Keras 2."""
    return Variable(np.ones(tuple(shape), dtype=dtype or floatx()), name=name)


def eye(size: int, dtype: Any = None, name: str | None = None) -> Variable:
    """A variable holding the identity matrix of `size`."""
    return Variable(np.eye(size, dtype=dtype or floatx()), name=name)


def zeros_like(x: Any, dtype: Any = None) -> Any:
    """Zeros of the shape of `x`."""
    return _call("zeros_like", x, dtype=dtype)


def ones_like(x: Any, dtype: Any = None) -> Any:
    """Ones of the shape of `x`."""
    return _call("ones_like", x, dtype=dtype)


def cast_to_floatx(x: Any) -> np.ndarray:
    """`x` as a NumPy array of floatx."""
    return np.asarray(x, dtype=floatx())


def _eager(x: Any, fn: str) -> Any:
    if isinstance(x, KerasTensor):
        raise TypeError(
            f"K.{fn} needs a value; a symbolic tensor has none until fed. Evaluate it with "
            f"K.function([placeholders], [x]). Received: x={x!r}"
        )
    return x


def eval(x: Any) -> np.ndarray:  # noqa: A001 - Keras 2's name
    """The value of a tensor or variable as a NumPy array."""
    return np.array(ops.convert_to_numpy(_eager(x, "eval")))


def get_value(x: Any) -> np.ndarray:
    """The value of a variable as a NumPy array."""
    return eval(_eager(x, "get_value"))


def batch_get_value(xs: list) -> list[np.ndarray]:
    """The values of a list of variables."""
    return [get_value(x) for x in xs]


def set_value(x: Variable, value: Any) -> None:
    """Assign a NumPy value to a variable."""
    if not isinstance(x, Variable):
        raise TypeError(f"K.set_value expects a Variable. Received: x={type(x).__name__}")
    x.assign(np.asarray(value))


def batch_set_value(tuples: list) -> None:
    """`set_value` for each `(variable, value)` pair."""
    for x, value in tuples:
        set_value(x, value)


# ----- shapes ---------------------------------------------------------------------------------


def int_shape(x: Any) -> tuple:
    """The static shape as a tuple of ints (None for unknown sizes, such as the batch)."""
    return tuple(x.shape)


def shape(x: Any) -> Any:
    """The dynamic shape as an int32 tensor (symbolic for a symbolic `x`), indexable."""
    if isinstance(x, KerasTensor):
        return ShapeLayer()(x)
    return ops.convert_to_tensor(np.array(np.shape(x), dtype="int32"))


def ndim(x: Any) -> int:
    """The number of axes."""
    return len(x.shape)


def dtype(x: Any) -> str:
    """The dtype's name (`"float32"`)."""
    return np.dtype(x.dtype).name


def count_params(x: Any) -> int:
    """The number of values in a variable or tensor."""
    return math.prod(int_shape(x))


def is_keras_tensor(x: Any) -> bool:
    """Whether `x` is a symbolic tensor of the functional API."""
    return isinstance(x, KerasTensor)


def cast(x: Any, dtype: Any) -> Any:
    """`x` converted to `dtype`."""
    return _call("cast", x, dtype)


def reshape(x: Any, shape: Any) -> Any:
    """`x` with a new shape (-1 for one inferred size)."""
    return _call("reshape", x, tuple(shape))


def permute_dimensions(x: Any, pattern: Any) -> Any:
    """`x` with its axes reordered as `pattern` says."""
    return _call("transpose", x, tuple(pattern))


def transpose(x: Any) -> Any:
    """`x` with its axes reversed."""
    return _call("transpose", x)


def flatten(x: Any) -> Any:
    """`x` as one axis."""
    return _call("reshape", x, (-1,))


def batch_flatten(x: Any) -> Any:
    """`x` as `(batch, everything else)`."""
    return _call("reshape", x, (-1, math.prod(x.shape[1:])))


def expand_dims(x: Any, axis: int = -1) -> Any:
    """`x` with a new axis of size 1 at `axis`."""
    return _call("expand_dims", x, axis)


def squeeze(x: Any, axis: int) -> Any:
    """`x` without the axis of size 1 at `axis`."""
    return _call("squeeze", x, axis)


def concatenate(tensors: list, axis: int = -1) -> Any:
    """The tensors joined along `axis`."""
    tensors = list(tensors)
    if not has_symbolic(tensors):
        return ops.concatenate(tensors, axis=axis)
    symbols = [t for t in tensors if isinstance(t, KerasTensor)]
    if len(symbols) == len(tensors):
        return Concatenate(axis=axis)(tensors)
    parts = [None if isinstance(t, KerasTensor) else t for t in tensors]
    return ConcatenateConstants(parts, axis)(symbols)


def stack(x: list, axis: int = 0) -> Any:
    """The tensors stacked along a new `axis` (eager tensors only)."""
    return ops.stack(list(x), axis=axis)


def tile(x: Any, n: Any) -> Any:
    """`x` repeated `n[i]` times along each axis."""
    return _call("tile", x, n)


def repeat_elements(x: Any, rep: int, axis: int) -> Any:
    """Each element of `x` repeated `rep` times along `axis`."""
    return _call("repeat", x, rep, axis=axis)


def reverse(x: Any, axes: Any) -> Any:
    """`x` reversed along `axes`."""
    return _call("flip", x, axis=axes)


def gather(reference: Any, indices: Any) -> Any:
    """The rows of `reference` at `indices`."""
    return _call("take", reference, indices, axis=0)


def one_hot(indices: Any, num_classes: int) -> Any:
    """One-hot vectors for integer `indices`."""
    return _call("one_hot", indices, num_classes)


def arange(start: Any, stop: Any = None, step: int = 1, dtype: str = "int32") -> Tensor:
    """The numbers from `start` to `stop` (excluded) by `step`."""
    return ops.arange(start, stop, step, dtype=dtype)


# ----- math -----------------------------------------------------------------------------------


def _reduce(op: str, doc: str) -> Any:
    def reduce(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return _call(op, x, axis=tuple(axis) if isinstance(axis, list) else axis, keepdims=keepdims)

    reduce.__name__ = reduce.__qualname__ = op
    reduce.__doc__ = f"The {doc} of `x` along `axis` (all axes when None)."
    return reduce


mean = _reduce("mean", "mean")
sum = _reduce("sum", "sum")  # noqa: A001 - Keras 2's name
max = _reduce("max", "maximum")  # noqa: A001 - Keras 2's name
min = _reduce("min", "minimum")  # noqa: A001 - Keras 2's name
prod = _reduce("prod", "product")
var = _reduce("var", "variance")
std = _reduce("std", "standard deviation")
any = _reduce("any", "logical or")  # noqa: A001 - Keras 2's name
all = _reduce("all", "logical and")  # noqa: A001 - Keras 2's name
logsumexp = _reduce("logsumexp", "log of the sum of exponentials")


def _unary(op: str, doc: str, name: str | None = None) -> Any:
    def unary(x: Any) -> Any:
        return _call(op, x)

    unary.__name__ = unary.__qualname__ = name or op
    unary.__doc__ = f"The element-wise {doc} of `x`."
    return unary


square = _unary("square", "square")
abs = _unary("abs", "absolute value")  # noqa: A001 - Keras 2's name
sqrt = _unary("sqrt", "square root")
exp = _unary("exp", "exponential")
log = _unary("log", "natural logarithm")
sign = _unary("sign", "sign")
sin = _unary("sin", "sine")
cos = _unary("cos", "cosine")
sigmoid = _unary("sigmoid", "sigmoid")
hard_sigmoid = _unary("hard_sigmoid", "hard sigmoid")
tanh = _unary("tanh", "hyperbolic tangent")
softplus = _unary("softplus", "softplus")
softsign = _unary("softsign", "softsign")
stop_gradient = _unary("stop_gradient", "value, with no gradient flowing back through it,")
identity = _unary("copy", "copy (the gradient passes through)", "identity")
round = _unary("round", "nearest integer (halves to even)")  # noqa: A001 - Keras 2's name


def _binary(op: str, doc: str) -> Any:
    def binary(x: Any, y: Any) -> Any:
        return _call(op, x, y)

    binary.__name__ = binary.__qualname__ = op
    binary.__doc__ = f"The element-wise {doc} of `x` and `y` (broadcast)."
    return binary


maximum = _binary("maximum", "maximum")
minimum = _binary("minimum", "minimum")
equal = _binary("equal", "`x == y`")
not_equal = _binary("not_equal", "`x != y`")
greater = _binary("greater", "`x > y`")
greater_equal = _binary("greater_equal", "`x >= y`")
less = _binary("less", "`x < y`")
less_equal = _binary("less_equal", "`x <= y`")


def pow(x: Any, a: Any) -> Any:  # noqa: A001 - Keras 2's name
    """`x` to the power `a`, element-wise."""
    return _call("power", x, a)


def clip(x: Any, min_value: Any, max_value: Any) -> Any:
    """`x` limited to `[min_value, max_value]`."""
    return _call("clip", x, min_value, max_value)


def dot(x: Any, y: Any) -> Any:
    """The matrix product; for n-d `x`, over the last axis of `x` and the one before the last of
    `y` (as `np.dot`)."""
    return _call("dot", x, y)


def batch_dot(x: Any, y: Any, axes: Any = None) -> Any:
    """Per-sample dot products: for each index of axis 0, `x[i]` and `y[i]` contracted over
    `axes` (an int for both, or one axis each; default: the last of `x` and the one before the
    last of `y`, else the last). A result with one axis gains a second of size 1 (Keras 2).

    Example:
    >>> K.batch_dot(np.ones((32, 20)), np.ones((32, 20)), axes=1).shape
    (32, 1)
    """
    x_ndim, y_ndim = len(x.shape), len(y.shape)
    if axes is None:
        axes = (x_ndim - 1, y_ndim - 1 if y_ndim == 2 else y_ndim - 2)
    elif isinstance(axes, int):
        axes = (axes, axes)
    a, b = (int(v) % n for v, n in zip(axes, (x_ndim, y_ndim), strict=True))
    if x_ndim < 2 or y_ndim < 2 or 0 in (a, b):
        raise ValueError(
            "K.batch_dot expects tensors of rank 2 or more and axes other than the batch axis. "
            f"Received: x.shape={x.shape}, y.shape={y.shape}, axes={axes}"
        )
    letters = iter("bcdefghijklmnopqrstuvwxyz")
    x_sub = ["a"] + [next(letters) for _ in range(x_ndim - 1)]
    y_sub = ["a"] + [next(letters) for _ in range(y_ndim - 1)]
    y_sub[b] = x_sub[a]
    out = [c for c in x_sub if c != x_sub[a]] + [c for c in y_sub[1:] if c != x_sub[a]]
    result = _call("einsum", f"{''.join(x_sub)},{''.join(y_sub)}->{''.join(out)}", x, y)
    return expand_dims(result, 1) if len(out) == 1 else result


def argmax(x: Any, axis: int = -1) -> Any:
    """The index of the largest value along `axis`."""
    return _call("argmax", x, axis=axis)


def argmin(x: Any, axis: int = -1) -> Any:
    """The index of the smallest value along `axis`."""
    return _call("argmin", x, axis=axis)


def cumsum(x: Any, axis: int = 0) -> Any:
    """The running sum along `axis`."""
    return _call("cumsum", x, axis=axis)


def cumprod(x: Any, axis: int = 0) -> Any:
    """The running product along `axis`."""
    return _call("cumprod", x, axis=axis)


def l2_normalize(x: Any, axis: Any = None) -> Any:
    """`x` divided by its L2 norm along `axis` (at least 1e-12 squared, as TensorFlow)."""
    return x / sqrt(maximum(sum(square(x), axis=axis, keepdims=True), 1e-12))


def switch(condition: Any, then_expression: Any, else_expression: Any) -> Any:
    """`then_expression` where `condition` holds, `else_expression` elsewhere."""
    return _call("where", condition, then_expression, else_expression)


# ----- activations ----------------------------------------------------------------------------


def relu(x: Any, alpha: float = 0.0, max_value: float | None = None) -> Any:
    """Rectified linear unit: `alpha * x` below 0, capped at `max_value` when given."""
    y = _call("leaky_relu", x, negative_slope=alpha) if alpha else _call("relu", x)
    return y if max_value is None else minimum(y, max_value)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit."""
    return _call("elu", x, alpha=alpha)


def softmax(x: Any, axis: int = -1) -> Any:
    """Softmax along `axis`."""
    return _call("softmax", x, axis=axis)


def dropout(x: Any, level: float, noise_shape: Any = None, seed: Any = None) -> Any:
    """`x` with a fraction `level` of values set to 0 and the rest scaled by `1 / (1 - level)`."""
    return _call("dropout", x, level, noise_shape=noise_shape, seed=seed)


def print_tensor(x: Any, message: str = "") -> Any:
    """`x`, printing `message` and its value when computed (at once for an eager `x`; on
    every `K.function` call for a symbolic one)."""

    def show(value: Any) -> Any:
        print(message, ops.convert_to_numpy(value))
        return value

    if isinstance(x, KerasTensor):
        return Lambda(show, output_shape=lambda shape: shape)(x)
    return show(x)


# ----- random ---------------------------------------------------------------------------------


def _random(kind: str, shape: Any, dtype: Any, seed: Any, **params: Any) -> Any:
    dims = list(shape)
    symbolic = [d for d in dims if isinstance(d, KerasTensor)]
    if symbolic:
        template = [None if isinstance(d, KerasTensor) else int(d) for d in dims]
        return RandomLayer(kind, template, params, seed=seed, dtype=dtype or floatx())(symbolic)
    return getattr(ops.random, kind)(tuple(int(d) for d in dims), dtype=dtype, seed=seed, **params)


def random_normal(
    shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None
) -> Any:
    """Normal random values; `shape` may mix ints and `K.shape(x)[i]`."""
    return _random("normal", shape, dtype, seed, mean=mean, stddev=stddev)


def random_uniform(
    shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None
) -> Any:
    """Uniform random values in `[minval, maxval)`; `shape` may mix ints and `K.shape(x)[i]`."""
    return _random("uniform", shape, dtype, seed, minval=minval, maxval=maxval)


def truncated_normal(
    shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None
) -> Any:
    """Normal random values redrawn beyond two standard deviations."""
    return _random("truncated_normal", shape, dtype, seed, mean=mean, stddev=stddev)


def random_normal_variable(
    shape: Any,
    mean: float,
    scale: float,
    dtype: Any = None,
    name: str | None = None,
    seed: Any = None,
) -> Variable:
    """A variable of normal random values (standard deviation `scale`)."""
    return variable(eval(random_normal(shape, mean, scale, dtype, seed)), dtype, name)


def random_uniform_variable(
    shape: Any,
    low: float,
    high: float,
    dtype: Any = None,
    name: str | None = None,
    seed: Any = None,
) -> Variable:
    """A variable of uniform random values in `[low, high)`."""
    return variable(eval(random_uniform(shape, low, high, dtype, seed)), dtype, name)


def random_binomial(shape: Any, p: float = 0.0, dtype: Any = None, seed: Any = None) -> Any:
    """Random 0/1 values, 1 with probability `p`."""
    return cast(less(random_uniform(shape, seed=seed), p), dtype or floatx())


__all__ = [
    name
    for name, value in list(globals().items())
    if callable(value) and getattr(value, "__module__", None) == __name__ and name[0] != "_"
]
