"""Registry entries for random ops: shape, dtype, seeded reproducibility and statistics.

The reference of a random op only gives the expected shape and dtype (an empty array); the
values are judged by `check_random` on large draws.
"""

import math

import numpy as np

from lamina import ops
from lamina.backend import floatx
from lamina.testing.op_registry.base import ErrorCase, OpInfo, Sample, transposed, uniform

_N = 20_000  # large enough that 5 standard errors are a tight bound


def _close(name: str, value: float, expected: float, tol: float) -> None:
    if not abs(value - expected) <= tol:
        raise AssertionError(f"{name}: {value:.4f}, expected {expected:.4f} +- {tol:.4f}")


def _template(shape, dtype=None, **_):
    return np.empty(shape, dtype or floatx())


def _draw_samples(**kwargs):
    def make(rng):
        return [
            Sample((), {"shape": (2, 3), "seed": 1, **kwargs}, "2-d"),
            Sample((), {"shape": (), "seed": 2, **kwargs}, "0-d"),
            Sample((), {"shape": (1,), "seed": 3, **kwargs}, "size-1"),
            Sample((), {"shape": (0, 4), "seed": 4, **kwargs}, "empty"),
            Sample((), {"shape": (4,), "dtype": "float64", "seed": 5, **kwargs}, "float64"),
            Sample((), {"shape": (_N,), "seed": 6, **kwargs}, "large"),
        ]

    return make


def _check_normal(out: np.ndarray, sample: Sample) -> None:
    mean, stddev = sample.kwargs.get("mean", 0.0), sample.kwargs.get("stddev", 1.0)
    if out.size >= 1000:
        _close("normal mean", out.mean(), mean, 5 * stddev / math.sqrt(out.size))
        _close("normal stddev", out.std(), stddev, 0.03 * stddev)


def _check_uniform(out: np.ndarray, sample: Sample) -> None:
    lo, hi = sample.kwargs.get("minval", 0.0), sample.kwargs.get("maxval", 1.0)
    if out.size and not (out.min() >= lo and out.max() < hi):
        raise AssertionError(f"uniform: values outside [{lo}, {hi}): {out.min()}, {out.max()}")
    if out.size >= 1000:
        width = hi - lo
        _close("uniform mean", out.mean(), (lo + hi) / 2, 5 * width / math.sqrt(12 * out.size))
        _close("uniform stddev", out.std(), width / math.sqrt(12), 0.03 * width)


# The standard deviation of a unit normal truncated to [-2, 2].
_TRUNCATED_STD = math.sqrt(
    1 - 4 * math.exp(-2) / math.sqrt(2 * math.pi) / math.erf(2 / math.sqrt(2))
)


def _check_truncated(out: np.ndarray, sample: Sample) -> None:
    mean, stddev = sample.kwargs.get("mean", 0.0), sample.kwargs.get("stddev", 1.0)
    if out.size and np.abs(out - mean).max() > 2 * stddev * (1 + 1e-6):
        raise AssertionError("truncated_normal: a value lies more than 2 stddevs from the mean")
    if out.size >= 1000:
        _close("truncated_normal mean", out.mean(), mean, 5 * stddev / math.sqrt(out.size))
        _close("truncated_normal stddev", out.std(), stddev * _TRUNCATED_STD, 0.03 * stddev)


def _check_categorical(out: np.ndarray, sample: Sample) -> None:
    logits = sample.inputs[0]
    if out.size and (out.min() < 0 or out.max() >= logits.shape[1]):
        raise AssertionError(f"categorical: class ids outside [0, {logits.shape[1]})")
    if out.shape[1] >= 1000:
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        for row in range(out.shape[0]):
            freq = np.bincount(out[row], minlength=logits.shape[1]) / out.shape[1]
            for k in range(logits.shape[1]):
                tol = 5 * math.sqrt(p[row, k] * (1 - p[row, k]) / out.shape[1]) + 1e-3
                _close(f"categorical frequency of class {k} in row {row}", freq[k], p[row, k], tol)


def _check_dropout(out: np.ndarray, sample: Sample) -> None:
    x, rate = sample.inputs[0], sample.kwargs["rate"]
    kept = out != 0
    expected = x.astype(out.dtype) / np.asarray(1 - rate, dtype=out.dtype)
    np.testing.assert_allclose(out[kept], expected[kept], rtol=1e-6, err_msg="dropout: scaling")
    if out.size >= 1000 and sample.kwargs.get("noise_shape") is None:
        _close("dropout: fraction dropped", 1 - kept.mean(), rate, 5 * math.sqrt(0.25 / out.size))


def _dropout_samples(rng):
    def u(*shape):
        return uniform(rng, shape, 0.5, 2.0)  # no zeros, so a zero output means dropped

    k = {"rate": 0.5, "seed": 11}
    return [
        Sample((u(3, 4),), k, "2-d"),
        Sample((u(),), k, "0-d"),
        Sample((u(1),), {"rate": 0.3, "seed": 12}, "size-1"),
        Sample((transposed(u(3, 5)),), k, "transposed"),
        Sample((u(4, 6),), {"rate": 0.5, "noise_shape": (None, 1), "seed": 13}, "noise_shape"),
        Sample((u(8, 10),), k, "large"),
        Sample((u(100, 200),), {"rate": 0.2, "seed": 14}, "statistics", grad=False),
    ]


def _dropout_reference(x, rate, noise_shape=None, seed=None):
    return np.empty_like(x)


def _categorical_samples(rng):
    logits = np.array([[0.0, 1.0, -1.0], [2.0, 2.0, 0.0]])
    return [
        Sample((logits,), {"num_samples": 5, "seed": 1}, "small"),
        Sample((logits[:1, :1],), {"num_samples": 1, "seed": 2}, "size-1"),
        Sample((transposed(uniform(rng, (3, 2))),), {"num_samples": 4, "seed": 3}, "transposed"),
        Sample((logits,), {"num_samples": _N, "seed": 4}, "statistics"),
    ]


_SHAPE_ERROR = ErrorCase((), {"shape": (-1, 2)}, ValueError, r": shape must hold non-negative")
_SEED_ERROR = ErrorCase((), {"shape": (2,), "seed": "x"}, TypeError, r"seed")

DROPOUT = OpInfo(
    "dropout",
    ops.random.dropout,
    _dropout_reference,
    _dropout_samples,
    raises=(
        ErrorCase((np.ones(3),), {"rate": 1.0}, ValueError, r"^dropout: rate"),
        ErrorCase((np.ones(3),), {"rate": -0.1}, ValueError, r"^dropout: rate"),
    ),
    check_random=_check_dropout,
)

OPS = [
    OpInfo(
        "random.normal",
        ops.random.normal,
        _template,
        _draw_samples(mean=1.5, stddev=2.0),
        differentiable=False,
        raises=(_SHAPE_ERROR, _SEED_ERROR),
        check_random=_check_normal,
    ),
    OpInfo(
        "random.uniform",
        ops.random.uniform,
        _template,
        _draw_samples(minval=-1.0, maxval=3.0),
        differentiable=False,
        raises=(
            _SHAPE_ERROR,
            _SEED_ERROR,
            ErrorCase((), {"shape": (2,), "minval": 1, "maxval": 0}, ValueError, r"^uniform: "),
        ),
        check_random=_check_uniform,
    ),
    OpInfo(
        "random.truncated_normal",
        ops.random.truncated_normal,
        _template,
        _draw_samples(mean=-1.0, stddev=0.5),
        differentiable=False,
        raises=(_SHAPE_ERROR, _SEED_ERROR),
        check_random=_check_truncated,
    ),
    OpInfo(
        "random.categorical",
        ops.random.categorical,
        lambda logits, num_samples, dtype="int32", seed=None: np.empty(
            (logits.shape[0], num_samples), dtype
        ),
        _categorical_samples,
        differentiable=False,
        raises=(
            ErrorCase((np.ones(3),), {"num_samples": 2}, ValueError, r"^categorical: .*\(3,\)"),
        ),
        check_random=_check_categorical,
    ),
    DROPOUT,
]
