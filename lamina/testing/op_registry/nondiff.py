"""Registry entries for conversions, comparisons and creation ops (and the differentiable cast).

Comparisons, logical ops and creation ops have no gradient: their entries are marked
`differentiable=False` and checked forward only.
"""

import numpy as np

from lamina import ops
from lamina.backend import floatx
from lamina.testing.op_registry.base import (
    ErrorCase,
    OpInfo,
    Sample,
    axis_error,
    forward_only,
    shape_errors,
    strided,
    string_error,
    transposed,
    uniform,
)


def _ints_as_floats(rng, shape):
    """Small integers as floats, so that equal and less_equal see ties."""
    return np.asarray(rng.integers(-2, 3, size=shape), dtype=np.float64)


def _compare_samples(rng):
    def f(*shape):
        return _ints_as_floats(rng, shape)

    return [
        Sample((f(3, 4), f(3, 4)), {}, "same shape"),
        Sample((f(3, 1), f(1, 4)), {}, "broadcast both"),
        Sample((f(2, 3, 4), f(4)), {}, "broadcast rank"),
        Sample((f(), f(3, 4)), {}, "0-d"),
        Sample((f(1), f(1)), {}, "size-1"),
        Sample((f(3, 4), np.arange(-2, 2)), {}, "float and int"),
        Sample((transposed(f(3, 4)), strided(f(3, 4))), {}, "strided"),
        Sample((np.array([1.0, np.nan, np.inf]), np.array([np.nan, np.nan, np.inf])), {}, "nan"),
    ]


def _logical_samples(rng):
    def b(*shape):
        return np.asarray(rng.random(shape) < 0.5)

    return [
        Sample((b(3, 4), b(3, 4)), {}, "same shape"),
        Sample((b(3, 1), b(4)), {}, "broadcast"),
        Sample((b(), b(2, 2)), {}, "0-d"),
        Sample((b(1), b(1)), {}, "size-1"),
        Sample((transposed(b(3, 4)), b(3, 4)), {}, "transposed"),
        Sample((_ints_as_floats(rng, (3, 4)), b(3, 4)), {}, "numbers as truth values"),
    ]


def _compare(name: str, reference) -> OpInfo:
    return forward_only(name, reference, _compare_samples, shape_errors(name))


def _unary_predicate_samples(rng):
    x = uniform(rng, (3, 4))
    x[0, 0], x[1, 2], x[2, 3] = np.nan, np.inf, -np.inf
    return [
        Sample((x,), {}, "2-d with nan and inf"),
        Sample((np.array(np.nan),), {}, "0-d"),
        Sample((np.array([1.0]),), {}, "size-1"),
        Sample((transposed(x),), {}, "transposed"),
        Sample((np.array([1, 0, 3]),), {}, "integers"),
    ]


def _reduce_bool_samples(rng):
    x = np.asarray(rng.random((3, 4)) < 0.7)
    return [
        Sample((x,), {}, "all axes"),
        Sample((x,), {"axis": 0}, "axis 0"),
        Sample((x,), {"axis": -1, "keepdims": True}, "keepdims"),
        Sample((np.array(True),), {}, "0-d"),
        Sample((np.array([0.0, 2.0]),), {"axis": 0}, "numbers"),
        Sample((transposed(x),), {"axis": (0, 1)}, "transposed, tuple axis"),
    ]


def _cast_samples(rng):
    x = uniform(rng, (3, 4))
    return [
        Sample((x,), {"dtype": "float32"}, "to float32"),
        Sample((x,), {"dtype": "float64"}, "to the same dtype"),
        Sample((uniform(rng, ()),), {"dtype": "float32"}, "0-d"),
        Sample((uniform(rng, (1,)),), {"dtype": "float16"}, "size-1, float16", grad=False),
        Sample((transposed(x),), {"dtype": "float32"}, "transposed"),
        Sample((x * 3,), {"dtype": "int32"}, "to int32", grad=False),
        Sample((np.array([1, -2, 3]),), {"dtype": "float64"}, "from int"),
        Sample((np.array([True, False]),), {"dtype": "float32"}, "from bool"),
    ]


def _convert(x, dtype=None, as_list=False):
    value = x.numpy() if ops.is_tensor(x) else x
    return ops.convert_to_tensor(value.tolist() if as_list else value, dtype=dtype)


def _convert_reference(x, dtype=None, as_list=False):
    if as_list and dtype is None and x.dtype.kind == "f":
        dtype = floatx()  # Python floats become floatx
    return np.asarray(x, dtype=dtype)


def _conversion_samples(rng):
    x = uniform(rng, (3, 4))
    return [
        Sample((x,), {}, "array"),
        Sample((x,), {"dtype": "float32"}, "array, cast"),
        Sample((x,), {"as_list": True}, "nested list"),
        Sample((np.arange(3),), {"as_list": True}, "int list"),
        Sample((uniform(rng, ()),), {"as_list": True}, "Python float"),
        Sample((transposed(x),), {}, "transposed"),
    ]


def _shape_samples(**kwargs):
    def make(rng):
        return [
            Sample((), {"shape": (2, 3), **kwargs}, "2-d"),
            Sample((), {"shape": (), **kwargs}, "0-d"),
            Sample((), {"shape": 3, **kwargs}, "int shape"),
            Sample((), {"shape": (1,), "dtype": "int32", **kwargs}, "size-1, int32"),
            Sample((), {"shape": (0, 2), "dtype": "float64", **kwargs}, "empty, float64"),
        ]

    return make


def _like_samples(**kwargs):
    def make(rng):
        return [
            Sample((uniform(rng, (2, 3)),), kwargs, "2-d"),
            Sample((uniform(rng, ()),), kwargs, "0-d"),
            Sample((np.arange(3),), kwargs, "int"),
            Sample((uniform(rng, (1,)),), {"dtype": "float32", **kwargs}, "size-1, dtype"),
            Sample((transposed(uniform(rng, (2, 3))),), kwargs, "transposed"),
        ]

    return make


def _negative_shape(op: str, **kwargs) -> ErrorCase:
    return ErrorCase((), {"shape": (2, -1), **kwargs}, ValueError, rf"^{op}: shape")


def _fixed(*samples: Sample):
    return lambda rng: list(samples)


def _floatx(dtype):
    return dtype or floatx()


def _arange(start, stop=None, step=1, dtype=None):
    if dtype is None:
        dtype = floatx() if float in {type(start), type(stop), type(step)} else "int32"
    return np.arange(start, stop, step, dtype=dtype)


OPS = [
    _compare("equal", np.equal),
    _compare("not_equal", np.not_equal),
    _compare("less", np.less),
    _compare("less_equal", np.less_equal),
    _compare("greater", np.greater),
    _compare("greater_equal", np.greater_equal),
    forward_only("logical_and", np.logical_and, _logical_samples, shape_errors("logical_and")[:1]),
    forward_only("logical_or", np.logical_or, _logical_samples, shape_errors("logical_or")[:1]),
    forward_only(
        "logical_not",
        np.logical_not,
        lambda rng: [Sample(s.inputs[:1], {}, s.desc) for s in _logical_samples(rng)],
    ),
    # Its gradient is zero by design, which central differences would contradict.
    forward_only("stop_gradient", lambda x: x, _unary_predicate_samples),
    forward_only("isnan", np.isnan, _unary_predicate_samples, (string_error("isnan"),)),
    forward_only("isfinite", np.isfinite, _unary_predicate_samples, (string_error("isfinite"),)),
    forward_only("all", np.all, _reduce_bool_samples, (axis_error("all"),)),
    forward_only("any", np.any, _reduce_bool_samples, (axis_error("any"),)),
    OpInfo(
        "cast",
        ops.cast,
        lambda x, dtype: x.astype(dtype),
        _cast_samples,
        raises=(ErrorCase((np.ones(2),), {"dtype": "no-such-type"}, TypeError, r"^cast: "),),
        # Through float32 and float16 the central differences need a wider step.
        grad_eps=1e-2,
        grad_atol=1e-3,
        grad_rtol=1e-3,
    ),
    OpInfo(
        "convert_to_tensor",
        _convert,
        _convert_reference,
        _conversion_samples,
        differentiable=False,
        raises=(ErrorCase((), {"x": [[1.0, 2.0], [3.0]]}, TypeError, r"^convert_to_tensor: "),),
    ),
    forward_only(
        "convert_to_numpy",
        lambda x: x,
        lambda rng: [
            Sample((uniform(rng, (3, 4)),), {}, "2-d"),
            Sample((uniform(rng, ()),), {}, "0-d"),
            Sample((transposed(uniform(rng, (2, 3))),), {}, "transposed"),
        ],
    ),
    OpInfo(
        "shape",
        ops.shape,
        np.shape,
        lambda rng: [
            Sample((uniform(rng, (2, 3)),), {}, "2-d"),
            Sample((uniform(rng, ()),), {}, "0-d"),
            Sample((uniform(rng, (1,)),), {}, "size-1"),
            Sample((uniform(rng, (0, 4)),), {}, "empty"),
            Sample((transposed(uniform(rng, (2, 3))),), {}, "transposed"),
        ],
        differentiable=False,
    ),
    OpInfo(
        "is_tensor",
        lambda x, raw=False: ops.is_tensor(x.numpy() if raw else x),
        lambda x, raw=False: np.asarray(not raw),
        lambda rng: [
            Sample((uniform(rng, (2,)),), {}, "tensor"),
            Sample((uniform(rng, (2,)),), {"raw": True}, "array"),
            Sample((uniform(rng, ()),), {}, "0-d"),
            Sample((transposed(uniform(rng, (2, 3))),), {}, "transposed"),
        ],
        differentiable=False,
    ),
    forward_only(
        "zeros",
        lambda shape, dtype=None: np.zeros(shape, _floatx(dtype)),
        _shape_samples(),
        (_negative_shape("zeros"),),
    ),
    forward_only(
        "ones",
        lambda shape, dtype=None: np.ones(shape, _floatx(dtype)),
        _shape_samples(),
        (_negative_shape("ones"),),
    ),
    forward_only(
        "full",
        lambda shape, fill_value, dtype=None: np.full(
            shape, fill_value, dtype or (floatx() if isinstance(fill_value, float) else None)
        ),
        _shape_samples(fill_value=2.5),
        (_negative_shape("full", fill_value=1.0),),
    ),
    forward_only(
        "zeros_like", lambda x, dtype=None: np.zeros_like(x, dtype=dtype), _like_samples()
    ),
    forward_only("ones_like", lambda x, dtype=None: np.ones_like(x, dtype=dtype), _like_samples()),
    forward_only(
        "full_like",
        lambda x, fill_value, dtype=None: np.full_like(x, fill_value, dtype=dtype),
        _like_samples(fill_value=3),
    ),
    forward_only(
        "arange",
        _arange,
        _fixed(
            Sample((), {"start": 5}, "stop only"),
            Sample((), {"start": 2, "stop": 9, "step": 3}, "step"),
            Sample((), {"start": 3, "stop": 0, "step": -1}, "negative step"),
            Sample((), {"start": 0.0, "stop": 1.0, "step": 0.25}, "floats"),
            Sample((), {"start": 0, "stop": 4, "dtype": "float64"}, "dtype"),
            Sample((), {"start": 0}, "empty"),
        ),
        (ErrorCase((), {"start": 0, "stop": 3, "step": 0}, ValueError, r"^arange: "),),
    ),
    forward_only(
        "eye",
        lambda N, M=None, k=0, dtype=None: np.eye(N, M, k=k, dtype=_floatx(dtype)),
        _fixed(
            Sample((), {"N": 3}, "square"),
            Sample((), {"N": 2, "M": 4, "k": 1}, "rectangular, offset"),
            Sample((), {"N": 1, "dtype": "int32"}, "size-1"),
            Sample((), {"N": 0}, "empty"),
        ),
        (ErrorCase((), {"N": -1}, ValueError, r"^eye: "),),
    ),
    forward_only(
        "identity",
        lambda n, dtype=None: np.identity(n, dtype=_floatx(dtype)),
        _fixed(Sample((), {"n": 3}, "3x3"), Sample((), {"n": 1, "dtype": "float64"}, "size-1")),
        (ErrorCase((), {"n": -2}, ValueError, r"^identity: "),),
    ),
    forward_only(
        "one_hot",
        lambda x, num_classes, axis=-1, dtype=None: np.moveaxis(
            (x[..., None] == np.arange(num_classes)).astype(_floatx(dtype)), -1, axis
        ),
        _fixed(
            Sample((np.array([0, 2, 1]),), {"num_classes": 3}, "1-d"),
            Sample((np.array([[1, 0], [3, 3]]),), {"num_classes": 4, "axis": 0}, "axis 0"),
            Sample((np.array(1),), {"num_classes": 2, "dtype": "int32"}, "0-d"),
            Sample((np.array([5, -1]),), {"num_classes": 3}, "out of range gives zeros"),
            Sample((np.array([2.0, 0.0, -0.0]),), {"num_classes": 3}, "whole floats"),
            Sample((np.array([1.0]),), {"num_classes": 2, "axis": 0}, "size-1 float"),
            Sample((transposed(np.array([[0.0, 1.0], [2.0, 3.0]])),), {"num_classes": 4}, "T"),
        ),
        (
            ErrorCase((np.array(["a"]),), {"num_classes": 3}, TypeError, r"^one_hot: "),
            ErrorCase((np.array([True]),), {"num_classes": 3}, TypeError, r"^one_hot: "),
            ErrorCase((np.arange(2),), {"num_classes": 0}, ValueError, r"^one_hot: "),
            ErrorCase(
                (np.array([1.0, 0.5]),),
                {"num_classes": 3},
                ValueError,
                r"^one_hot: float class ids must be whole numbers.*Received: x containing \[0\.5\]",
            ),
            ErrorCase(
                (np.array([np.nan]),), {"num_classes": 3}, ValueError, r"^one_hot: .*\[nan\]"
            ),
        ),
    ),
]
