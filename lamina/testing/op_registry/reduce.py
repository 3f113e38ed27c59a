"""Registry entries for reductions: sum, mean, max, prod, var, logsumexp, argmax, cumprod..."""

import numpy as np

from lamina import ops
from lamina.testing.op_registry.base import (
    ErrorCase,
    OpInfo,
    Sample,
    axis_error,
    distinct,
    forward_only,
    strided,
    transposed,
    uniform,
)


def reduction_samples(make=None, keepdims: bool = True, zero_spread_grad: bool = True):
    """Samples over every kind of `axis`: None, int, negative, tuple, with and without keepdims.

    `zero_spread_grad=False` marks the samples that reduce a single element as forward-only
    (std has no derivative where the variance is 0).
    """

    def make_samples(rng):
        def m(*shape):
            return make(rng, shape) if make else uniform(rng, shape)

        k = {"keepdims": True} if keepdims else {}
        single = {"grad": zero_spread_grad}
        return [
            Sample((m(3, 4),), {}, "all axes"),
            Sample((m(3, 4),), {"axis": 0}, "axis 0"),
            Sample((m(3, 4),), {"axis": -1, **k}, "axis -1"),
            Sample((m(2, 3, 4),), {"axis": (0, 2)}, "tuple axis"),
            Sample((m(2, 3, 4),), {"axis": (-1, 1), **k}, "tuple axis"),
            Sample((m(),), {}, "0-d", **single),
            Sample((m(1),), {"axis": 0}, "size-1", **single),
            Sample((m(1, 1),), k, "size-1 axes", **single),
            Sample((m(3, 1),), {"axis": 1}, "size-1 axis", **single),
            Sample((transposed(m(3, 5)),), {"axis": 1}, "transposed"),
            Sample((strided(m(2, 3)),), {"axis": 0}, "strided"),
            Sample((m(8, 10),), {"axis": 1}, "large"),
            Sample((m(8, 10),), {}, "large, all axes"),
        ]

    return make_samples


def _errors(op: str) -> tuple[ErrorCase, ...]:
    return (
        axis_error(op),
        ErrorCase((np.array(["a"]),), {}, TypeError, rf"^{op}: expected a numeric"),
    )


def _signed(rng, shape):
    sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    return uniform(rng, shape, 0.5, 1.5) * sign


def _prod_samples(rng):
    with_zero = _signed(rng, (3, 4))
    with_zero[1, 2] = 0.0
    two_zeros = _signed(rng, (3, 4))
    two_zeros[0, 1] = two_zeros[0, 3] = 0.0
    return [
        *reduction_samples(_signed)(rng),
        Sample((with_zero,), {"axis": 1}, "a zero"),
        Sample((with_zero,), {}, "a zero, all axes"),
        Sample((two_zeros,), {"axis": 1}, "two zeros"),
    ]


def _logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _cumsum_samples(rng):
    def u(*shape):
        return uniform(rng, shape)

    return [
        Sample((u(3, 4),), {}, "flattened"),
        Sample((u(3, 4),), {"axis": 0}, "axis 0"),
        Sample((u(2, 3, 4),), {"axis": -1}, "axis -1"),
        Sample((u(),), {}, "0-d"),
        Sample((u(1),), {"axis": 0}, "size-1"),
        Sample((transposed(u(3, 5)),), {"axis": 1}, "transposed"),
        Sample((strided(u(2, 3)),), {"axis": 0}, "strided"),
        Sample((u(8, 10),), {"axis": 1}, "large"),
    ]


def _cumprod_samples(rng):
    with_zero = _signed(rng, (3, 4))
    with_zero[0, 1] = with_zero[2, 3] = 0.0
    two_zeros = _signed(rng, (2, 5))
    two_zeros[:, 1] = two_zeros[0, 3] = two_zeros[1, 4] = 0.0
    return [
        *_cumsum_samples(rng),
        Sample((with_zero,), {"axis": 1}, "zeros"),
        Sample((with_zero,), {}, "zeros, flattened"),
        Sample((two_zeros,), {"axis": -1}, "two zeros in a row"),
        Sample((transposed(with_zero),), {"axis": 0}, "zeros, transposed"),
    ]


def _arg_samples(rng):
    ties = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])
    return [
        Sample((distinct(rng, (3, 4)),), {}, "flattened"),
        Sample((distinct(rng, (3, 4)),), {"axis": 0}, "axis 0"),
        Sample((distinct(rng, (3, 4)),), {"axis": -1, "keepdims": True}, "keepdims"),
        Sample((ties,), {"axis": 1}, "ties pick the first"),
        Sample((np.array(2.0),), {}, "0-d"),
        Sample((np.array([5.0]),), {"axis": 0}, "size-1"),
        Sample((transposed(distinct(rng, (3, 5))),), {"axis": 1}, "transposed"),
        Sample((np.array([[1, 7, 7], [4, 0, 2]]),), {"axis": 1}, "integers"),
    ]


def _count_samples(rng):
    x = np.where(rng.random((3, 4)) < 0.5, 0.0, uniform(rng, (3, 4)))
    return [
        Sample((x,), {}, "all axes"),
        Sample((x,), {"axis": 0}, "axis 0"),
        Sample((x,), {"axis": (0, 1)}, "tuple axis"),
        Sample((np.array(0.0),), {}, "0-d"),
        Sample((transposed(x),), {"axis": 1}, "transposed"),
        Sample((np.array([[True, False], [True, True]]),), {"axis": 1}, "booleans"),
    ]


def _empty_error(op: str) -> ErrorCase:
    return ErrorCase((np.ones((0, 3)),), {}, ValueError, rf"^{op}: cannot reduce an empty")


OPS = [
    OpInfo("sum", ops.sum, np.sum, reduction_samples(), raises=_errors("sum")),
    OpInfo("mean", ops.mean, np.mean, reduction_samples(), raises=_errors("mean")),
    OpInfo(
        "max",
        ops.max,
        np.max,
        reduction_samples(distinct),
        raises=(*_errors("max"), _empty_error("max")),
    ),
    OpInfo(
        "min",
        ops.min,
        np.min,
        reduction_samples(distinct),
        raises=(*_errors("min"), _empty_error("min")),
    ),
    OpInfo("prod", ops.prod, np.prod, _prod_samples, raises=_errors("prod")),
    OpInfo("var", ops.var, np.var, reduction_samples(), raises=_errors("var")),
    OpInfo(
        "std",
        ops.std,
        np.std,
        reduction_samples(zero_spread_grad=False),
        raises=_errors("std"),
    ),
    OpInfo(
        "logsumexp", ops.logsumexp, _logsumexp, reduction_samples(), raises=_errors("logsumexp")
    ),
    OpInfo(
        "cumsum",
        ops.cumsum,
        lambda x, axis=None: np.cumsum(x, axis=axis),
        _cumsum_samples,
        raises=(axis_error("cumsum"),),
    ),
    OpInfo(
        "cumprod",
        ops.cumprod,
        lambda x, axis=None: np.cumprod(x, axis=axis),
        _cumprod_samples,
        raises=(axis_error("cumprod"),),
    ),
    forward_only("argmax", np.argmax, _arg_samples, (axis_error("argmax"), _empty_error("argmax"))),
    forward_only("argmin", np.argmin, _arg_samples, (axis_error("argmin"), _empty_error("argmin"))),
    forward_only("count_nonzero", np.count_nonzero, _count_samples, (axis_error("count_nonzero"),)),
]
