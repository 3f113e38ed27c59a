"""Registry entries for elementwise arithmetic: add, multiply, exp, log, sin, round, where..."""

import numpy as np

from lamina import ops
from lamina.backend import floatx
from lamina.testing.op_registry.base import (
    ErrorCase,
    OpInfo,
    Sample,
    binary_samples,
    shape_errors,
    strided,
    string_error,
    transposed,
    unary_op,
    unary_samples,
    uniform,
)


def _u(low: float = -2.0, high: float = 2.0):
    return lambda rng, shape: uniform(rng, shape, low, high)


def _away_from_zero(rng, shape):
    sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    return uniform(rng, shape, 0.5, 2.0) * sign


def _grid(offset: float):
    """Values on a grid of step 0.5 shifted by `offset`: two grids 0.25 apart never tie."""

    def make(rng, shape):
        k = np.asarray(rng.integers(-4, 4, size=shape), dtype=np.float64)
        return k * 0.5 + offset + rng.uniform(0, 0.05, size=shape)

    return make


def _where_samples(rng):
    def c(*shape):
        return np.asarray(rng.random(shape) < 0.5)

    def u(*shape):
        return uniform(rng, shape)

    return [
        Sample((c(3, 4), u(3, 4), u(3, 4)), {}, "same shape"),
        Sample((c(3, 4), u(3, 1), u(4)), {}, "broadcast values"),
        Sample((c(2, 3, 4), u(3, 4), u()), {}, "condition broadcasts"),
        Sample((c(4), u(3, 1), u(3, 4)), {}, "condition broadcast"),
        Sample((c(), u(), u()), {}, "0-d"),
        Sample((c(1), u(1), u(1)), {}, "size-1"),
        Sample((transposed(c(3, 4)), transposed(u(3, 4)), strided(u(3, 4))), {}, "strided"),
        Sample((c(8, 10), u(8, 10), u(10)), {}, "large"),
        Sample((c(3, 4),), {}, "indices only"),
    ]


def _where_reference(condition, *xs):
    if not xs:
        return np.stack(np.nonzero(condition), axis=-1)
    return np.where(condition, *xs)


def _sign_samples(rng):
    x = uniform(rng, (3, 4))
    x[0, :2] = 0.0
    return [
        Sample((x,), {}, "2-d with zeros"),
        Sample((np.array(-1.5),), {}, "0-d"),
        Sample((transposed(uniform(rng, (3, 5))),), {}, "transposed"),
        Sample((np.array([3, 0, -2]),), {}, "integers"),
    ]


def _rounding_samples(rng):
    halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])
    return [
        *unary_samples(-3.0, 3.0)(rng),
        Sample((halves,), {}, "halves"),
        Sample((np.array([3, -2]),), {}, "integers"),
    ]


def _round_samples(rng):
    return [
        *_rounding_samples(rng),
        Sample((np.array([0.125, 0.375, -1.2345, 12.5]),), {"decimals": 2}, "decimals=2"),
        Sample((np.array([1234.5, 15.0, -25.0]),), {"decimals": -1}, "decimals=-1"),
    ]


def _floats_first(reference):
    """`reference` on integers cast to floatx first, as `floor` and `ceil` do."""
    return lambda x: reference(x if x.dtype.kind == "f" else x.astype(floatx()))


def _rounding(name, reference, samples, *raises) -> OpInfo:
    return OpInfo(
        name,
        getattr(ops, name),
        reference,
        samples,
        differentiable=False,
        raises=(string_error(name), *raises),
    )


def _binary(name, reference, make_x=None, make_y=None, **kw) -> OpInfo:
    return OpInfo(
        name,
        getattr(ops, name),
        reference,
        binary_samples(make_x or _u(), make_y),
        raises=shape_errors(name),
        **kw,
    )


OPS = [
    _binary("add", np.add),
    _binary("subtract", np.subtract),
    _binary("multiply", np.multiply),
    _binary("divide", np.true_divide, _u(), _away_from_zero),
    _binary("power", np.power, _u(0.5, 2.0), _u(-2.0, 2.0)),
    _binary("maximum", np.maximum, _grid(0.25), _grid(0.0)),
    _binary("minimum", np.minimum, _grid(0.25), _grid(0.0)),
    unary_op("negative", np.negative),
    unary_op("square", np.square),
    unary_op("sqrt", np.sqrt, 0.2, 3.0),
    unary_op("exp", np.exp),
    unary_op("expm1", np.expm1),
    unary_op("log", np.log, 0.2, 3.0),
    unary_op("log1p", np.log1p, -0.5, 2.0),
    unary_op("sin", np.sin, -4.0, 4.0),
    unary_op("cos", np.cos, -4.0, 4.0),
    unary_op("tan", np.tan, -1.3, 1.3),
    unary_op("arcsin", np.arcsin, -0.9, 0.9),
    unary_op("arccos", np.arccos, -0.9, 0.9),
    unary_op("arctan", np.arctan, -3.0, 3.0),
    unary_op("sinh", np.sinh),
    unary_op("cosh", np.cosh),
    unary_op("abs", np.abs, avoid=(0.0,)),
    unary_op("absolute", np.abs, avoid=(0.0,), alias_of="abs"),
    OpInfo(
        "sign",
        ops.sign,
        np.sign,
        _sign_samples,
        differentiable=False,
        raises=(string_error("sign"),),
    ),
    _rounding(
        "round",
        np.round,
        _round_samples,
        ErrorCase((np.ones(2),), {"decimals": 0.5}, TypeError, r"^round: `decimals` must be"),
    ),
    _rounding("floor", _floats_first(np.floor), _rounding_samples),
    _rounding("ceil", _floats_first(np.ceil), _rounding_samples),
    OpInfo(
        "clip",
        ops.clip,
        lambda x, x_min, x_max: np.clip(x, x_min, x_max),
        unary_samples(-2.0, 2.0, avoid=(-1.0, 1.0), x_min=-1.0, x_max=1.0),
        raises=(ErrorCase((np.array(["a"]),), {"x_min": 0, "x_max": 1}, TypeError, r"^clip: "),),
    ),
    OpInfo(
        "where",
        ops.where,
        _where_reference,
        _where_samples,
        raises=(
            ErrorCase(
                (np.ones(3, bool), np.ones(3), np.ones(4)),
                {},
                ValueError,
                r"^where: shapes \(3,\), \(3,\) and \(4,\)",
            ),
            ErrorCase((np.ones(3, bool), np.ones(3)), {}, ValueError, r"^where: give both"),
        ),
    ),
]
