"""Registry entries for activations, softmax and log-softmax."""

import math

import numpy as np

from lamina import ops
from lamina.testing.op_registry.base import (
    ErrorCase,
    OpInfo,
    Sample,
    axis_error,
    combine,
    strided,
    string_error,
    transposed,
    unary_op,
    unary_samples,
    uniform,
)

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _gelu(x, approximate=True):
    if approximate:
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1 + np.tanh(inner))
    return (0.5 * x * _erfc(-x / math.sqrt(2))).astype(x.dtype)


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _softmax_samples(rng):
    def u(*shape):
        return uniform(rng, shape, -3.0, 3.0)

    return [
        Sample((u(3, 4),), {}, "last axis"),
        Sample((u(3, 4),), {"axis": 0}, "axis 0"),
        Sample((u(2, 3, 4),), {"axis": 1}, "middle axis"),
        Sample((u(5),), {}, "1-d"),
        Sample((u(1),), {}, "size-1"),
        Sample((u(3, 1),), {"axis": -1}, "size-1 axis"),
        Sample((transposed(u(3, 5)),), {"axis": 0}, "transposed"),
        Sample((strided(u(2, 3)),), {}, "strided"),
        Sample((u(8, 10),), {}, "large"),
    ]


def _activation(name, reference, low=-3.0, high=3.0, avoid=(), alias_of=None) -> OpInfo:
    return unary_op(name, reference, low, high, avoid, alias_of)


def _softmax_info(name, fn, reference) -> OpInfo:
    return OpInfo(
        name,
        fn,
        reference,
        _softmax_samples,
        raises=(
            axis_error(name),
            ErrorCase((np.ones(()),), {}, ValueError, rf"^{name}: axis -1 .* rank 0"),
        ),
    )


def _silu(x):
    return x * _sigmoid(x)


OPS = [
    _activation("relu", lambda x: np.maximum(x, 0), avoid=(0.0,)),
    _activation("relu6", lambda x: np.clip(x, 0, 6), -2.0, 8.0, avoid=(0.0, 6.0)),
    OpInfo(
        "leaky_relu",
        ops.leaky_relu,
        lambda x, negative_slope=0.2: np.where(x > 0, x, negative_slope * x),
        combine(
            unary_samples(-3.0, 3.0, (0.0,)),
            unary_samples(-3.0, 3.0, (0.0,), negative_slope=0.01),
        ),
        raises=(string_error("leaky_relu"),),
    ),
    OpInfo(
        "elu",
        ops.elu,
        _elu,
        combine(unary_samples(-3.0, 3.0, (0.0,)), unary_samples(-3.0, 3.0, (0.0,), alpha=0.5)),
        raises=(string_error("elu"),),
    ),
    _activation("selu", lambda x: _SELU_SCALE * _elu(x, _SELU_ALPHA), avoid=(0.0,)),
    _activation("sigmoid", _sigmoid),
    _activation("hard_sigmoid", lambda x: np.clip((x + 3) / 6, 0, 1), -5.0, 5.0, (-3.0, 3.0)),
    _activation("tanh", np.tanh),
    _activation("softplus", lambda x: np.log1p(np.exp(x))),
    _activation("softsign", lambda x: x / (1 + np.abs(x)), avoid=(0.0,)),
    _activation("silu", _silu),
    _activation("swish", _silu, alias_of="silu"),
    OpInfo(
        "gelu",
        ops.gelu,
        _gelu,
        combine(
            unary_samples(-3.0, 3.0),
            unary_samples(-3.0, 3.0, approximate=False),
            unary_samples(-40.0, 40.0, approximate=False),
        ),
        raises=(string_error("gelu"),),
    ),
    _softmax_info("softmax", ops.softmax, _softmax),
    _softmax_info("log_softmax", ops.log_softmax, _log_softmax),
]


# ----- Keras 3.6+ activations ---------------------------------------------------------------


def _celu(x, alpha=1.0):
    return np.where(x >= 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))


def _glu_halves(*xs, axis=-1):
    """GLU's definition, `a * sigmoid(b)`, on `x` split in halves or on the halves themselves."""
    a, b = np.split(xs[0], 2, axis=axis) if len(xs) == 1 else xs
    return a * _sigmoid(b)


def _glu(*xs, axis=-1):
    """`ops.glu` on `x`, or on the two halves concatenated along `axis`."""
    x = xs[0] if len(xs) == 1 else ops.concatenate(list(xs), axis=axis)
    return ops.glu(x, axis=axis)


def _glu_samples(rng):
    def u(*shape):
        return uniform(rng, shape, -3.0, 3.0)

    # glu's input always has an even length along `axis`, so it is never size-1; the samples
    # with two inputs pass the halves `a` and `b` (size-1 among them), concatenated for the call.
    return [
        Sample((u(3, 4),), {}, "last axis"),
        Sample((u(4, 3),), {"axis": 0}, "axis 0"),
        Sample((u(2, 4, 3),), {"axis": 1}, "middle axis"),
        Sample((u(6),), {}, "1-d"),
        Sample((u(2),), {}, "halves of one"),
        Sample((u(1), u(1)), {}, "size-1 halves"),
        Sample((u(1, 1, 1), u(1, 1, 1)), {"axis": 1}, "size-1 axes halves"),
        Sample((u(3, 2), u(3, 2)), {}, "2-d halves"),
        Sample((transposed(u(4, 5)),), {"axis": 0}, "transposed"),
        Sample((strided(u(3, 4)),), {}, "strided"),
        Sample((u(8, 10),), {}, "large"),
        Sample((u(0, 4),), {}, "empty"),
    ]


def _sparse_plus(x):
    return np.where(x <= -1, 0, np.where(x < 1, 0.25 * (x + 1) ** 2, x))


def _soft_shrink(x, threshold=0.5):
    return np.where(x > threshold, x - threshold, np.where(x < -threshold, x + threshold, 0))


def _squareplus(x, b=4):
    return (x + np.sqrt(x * x + b)) / 2


def _sparsemax_tau(x):
    """The threshold of sparsemax over the last axis, found by bisection in float64: the `tau`
    with `sum(max(x - tau, 0)) == 1`, which lies in `[max(x) - 1, max(x)]`."""
    x = x.astype(np.float64)
    hi = x.max(axis=-1, keepdims=True)
    lo = hi - 1
    for _ in range(200):
        mid = (lo + hi) / 2
        too_low = np.maximum(x - mid, 0).sum(axis=-1, keepdims=True) > 1
        lo, hi = np.where(too_low, mid, lo), np.where(too_low, hi, mid)
    return (lo + hi) / 2


def _sparsemax(x, axis=-1):
    if x.shape[axis] == 0 or x.size == 0:
        return x.copy()
    moved = np.moveaxis(x, axis, -1)
    out = np.maximum(moved.astype(np.float64) - _sparsemax_tau(moved), 0)
    return np.moveaxis(out, -1, axis).astype(x.dtype)


def _sparsemax_samples(rng):
    def u(*shape, axis=-1, low=-1.5, high=1.5):
        """Values no closer than 0.05 to the threshold, where sparsemax has kinks."""
        for _ in range(100):
            x = uniform(rng, shape, low, high)
            if x.size == 0:
                return x
            moved = np.moveaxis(x, axis, -1)
            if np.abs(moved - _sparsemax_tau(moved)).min() > 0.05:
                return x
        raise RuntimeError(f"no sparsemax sample of shape {shape} away from the kinks")

    return [
        Sample((u(3, 5),), {}, "last axis"),
        Sample((u(3, 4, axis=0),), {"axis": 0}, "axis 0"),
        Sample((u(2, 3, 4, axis=1),), {"axis": 1}, "middle axis"),
        Sample((u(5),), {}, "1-d"),
        Sample((u(1),), {}, "size-1"),
        Sample((u(3, 1),), {}, "size-1 axis"),
        Sample((u(2, 4, low=-0.1, high=0.1),), {}, "full support"),
        Sample((np.array([[3.0, 0.5, -1.0], [0.2, 2.0, 0.1]]),), {}, "one winner"),
        Sample((transposed(u(5, 3, axis=0)),), {"axis": 0}, "transposed"),
        Sample((strided(u(2, 3)),), {}, "strided"),
        Sample((u(8, 10),), {}, "large"),
        Sample((u(0, 3),), {}, "empty"),
        Sample((u(3, 0),), {}, "empty axis"),
    ]


def _param_errors(name, **kwargs):
    """A string input and, for each keyword, a value the op must reject."""
    errors = [string_error(name)]
    for key, value in kwargs.items():
        errors.append(ErrorCase((np.ones(3),), {key: value}, ValueError, rf"^{name}: .*{key}="))
    return tuple(errors)


OPS += [
    OpInfo(
        "celu",
        ops.celu,
        _celu,
        combine(
            unary_samples(-3.0, 3.0),
            unary_samples(-3.0, 3.0, alpha=0.5),
            unary_samples(-3.0, 3.0, alpha=2.0),
        ),
        raises=_param_errors("celu", alpha=0.0),
    ),
    OpInfo(
        "glu",
        _glu,
        _glu_halves,
        _glu_samples,
        raises=(
            string_error("glu"),
            axis_error("glu"),
            ErrorCase((np.ones(()),), {}, ValueError, r"^glu: axis -1 .* rank 0"),
            ErrorCase((np.ones((2, 3)),), {}, ValueError, r"^glu: .*even.*\(2, 3\)"),
        ),
    ),
    OpInfo(
        "hard_shrink",
        ops.hard_shrink,
        lambda x, threshold=0.5: np.where(np.abs(x) > threshold, x, 0),
        combine(
            unary_samples(-3.0, 3.0, (-0.5, 0.5)),
            unary_samples(-3.0, 3.0, (-1.0, 1.0), threshold=1.0),
        ),
        raises=(string_error("hard_shrink"),),
    ),
    _activation("hard_tanh", lambda x: np.clip(x, -1, 1), avoid=(-1.0, 1.0)),
    _activation("log_sigmoid", lambda x: np.log(_sigmoid(x))),
    OpInfo(
        "soft_shrink",
        ops.soft_shrink,
        _soft_shrink,
        combine(
            unary_samples(-3.0, 3.0, (-0.5, 0.5)),
            unary_samples(-3.0, 3.0, (-1.0, 1.0), threshold=1.0),
        ),
        raises=(string_error("soft_shrink"),),
    ),
    _activation("sparse_plus", _sparse_plus),
    _activation("sparse_sigmoid", lambda x: np.clip((x + 1) / 2, 0, 1), avoid=(-1.0, 1.0)),
    OpInfo(
        "sparsemax",
        ops.sparsemax,
        _sparsemax,
        _sparsemax_samples,
        raises=(
            string_error("sparsemax"),
            axis_error("sparsemax"),
            ErrorCase((np.ones(()),), {}, ValueError, r"^sparsemax: axis -1 .* rank 0"),
        ),
    ),
    OpInfo(
        "squareplus",
        ops.squareplus,
        _squareplus,
        combine(
            unary_samples(-3.0, 3.0),
            unary_samples(-3.0, 3.0, b=1.0),
            unary_samples(-3.0, 3.0, (0.0,), b=0.0),
        ),
        raises=_param_errors("squareplus", b=-1.0),
    ),
    _activation("tanh_shrink", lambda x: x - np.tanh(x)),
    OpInfo(
        "threshold",
        ops.threshold,
        lambda x, threshold, default_value: np.where(x > threshold, x, default_value),
        combine(
            unary_samples(-3.0, 3.0, (0.5,), threshold=0.5, default_value=0.0),
            unary_samples(-3.0, 3.0, (-1.0,), threshold=-1.0, default_value=-2.5),
        ),
        raises=(
            ErrorCase(
                (np.array(["a"]),),
                {"threshold": 0.0, "default_value": 0.0},
                TypeError,
                r"^threshold: expected a numeric",
            ),
        ),
    ),
]
