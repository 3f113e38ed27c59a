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
    transposed,
    unary_samples,
    uniform,
)

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _gelu(x, approximate=True):
    if approximate:
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1 + np.tanh(inner))
    return (0.5 * x * (1 + _erf(x / math.sqrt(2)))).astype(x.dtype)


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


def _string_error(op: str) -> ErrorCase:
    return ErrorCase((np.array(["a"]),), {}, TypeError, rf"^{op}: expected a numeric")


def _activation(name, reference, low=-3.0, high=3.0, avoid=(), alias_of=None) -> OpInfo:
    return OpInfo(
        name,
        getattr(ops, name),
        reference,
        unary_samples(low, high, avoid),
        raises=(_string_error(alias_of or name),),
    )


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
        raises=(_string_error("leaky_relu"),),
    ),
    OpInfo(
        "elu",
        ops.elu,
        _elu,
        combine(unary_samples(-3.0, 3.0, (0.0,)), unary_samples(-3.0, 3.0, (0.0,), alpha=0.5)),
        raises=(_string_error("elu"),),
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
        combine(unary_samples(-3.0, 3.0), unary_samples(-3.0, 3.0, approximate=False)),
        raises=(_string_error("gelu"),),
        atol=1e-6,  # the exact form's erf approximation is good to 1.5e-7
        grad_atol=1e-5,
    ),
    _softmax_info("softmax", ops.softmax, _softmax),
    _softmax_info("log_softmax", ops.log_softmax, _log_softmax),
]
