"""The op record and the deterministic sample makers every op family builds on."""

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lamina import ops


@dataclass(frozen=True)
class Sample:
    """One call of an op: `fn(*inputs, **kwargs)`.

    Float arrays in `inputs` become tensors that gradients are checked for; integer and boolean
    arrays (indices, masks) become tensors that are not differentiated. `grad=False` marks a
    forward-only sample (a point where the op is not differentiable, such as std at 0).
    """

    inputs: tuple = ()
    kwargs: dict = field(default_factory=dict)
    desc: str = ""
    grad: bool = True


@dataclass(frozen=True)
class ErrorCase:
    """A call that must raise `error` with a message matching `match` (a regex)."""

    inputs: tuple
    kwargs: dict
    error: type[Exception]
    match: str


@dataclass(frozen=True)
class OpInfo:
    """What the generic op tests need to know about one public op.

    Args:
        name: the public name: `"add"` for `lamina.ops.add`, `"random.normal"` for
            `lamina.ops.random.normal`.
        fn: calls the op on tensors: `fn(*tensors, **kwargs)`.
        reference: the NumPy equivalent, called on the same arrays and kwargs (None for random
            ops, which are checked by `check_random` instead).
        samples: makes the sample calls from a seeded generator.
        differentiable: whether gradients are checked (comparisons, argmax, creation and
            random draws are checked forward only).
        raises: calls that must raise.
        atol, rtol: forward tolerances in float64.
        grad_atol, grad_rtol, grad_eps: gradient-check settings.
        check_random: for random ops, `check_random(out, sample)` checks the statistics of a
            large draw and raises AssertionError when they are off.
    """

    name: str
    fn: Callable[..., Any]
    reference: Callable[..., Any] | None
    samples: Callable[[np.random.Generator], Sequence[Sample]]
    differentiable: bool = True
    raises: tuple[ErrorCase, ...] = ()
    atol: float = 1e-10
    rtol: float = 1e-7
    grad_atol: float = 1e-6
    grad_rtol: float = 1e-5
    grad_eps: float = 1e-6
    check_random: Callable[[np.ndarray, Sample], None] | None = None

    @property
    def is_random(self) -> bool:
        return self.check_random is not None

    def sample_inputs(self) -> list[Sample]:
        """The samples, the same on every run (the generator is seeded from the op's name)."""
        return list(self.samples(np.random.default_rng(zlib.crc32(self.name.encode()))))


def uniform(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    low: float = -2.0,
    high: float = 2.0,
    avoid: Sequence[float] = (),
    margin: float = 0.1,
) -> np.ndarray:
    """Float64 values in `[low, high)`, kept `margin` away from each point in `avoid` (kinks)."""
    x = np.asarray(rng.uniform(low, high, size=shape))
    for p in avoid:
        near = np.abs(x - p) < margin
        x = np.where(near, p + np.where(x >= p, margin, -margin), x)
    return x


def distinct(rng: np.random.Generator, shape: tuple[int, ...], spacing: float = 0.25) -> np.ndarray:
    """Float64 values at least `spacing` apart, in random order (no ties for max, sort...)."""
    n = int(np.prod(shape))
    values = (np.arange(n) - n / 2) * spacing + rng.uniform(0, spacing / 4, size=n)
    return rng.permutation(values).reshape(shape)


def transposed(x: np.ndarray) -> np.ndarray:
    """A non-contiguous view of `x` with the same values, in reversed axis order of memory."""
    return np.ascontiguousarray(x.T).T


def strided(x: np.ndarray) -> np.ndarray:
    """A non-contiguous view of `x` with the same values: every other element of a bigger array."""
    big = np.zeros(tuple(2 * n for n in x.shape), dtype=x.dtype)
    big[tuple(slice(None, None, 2) for _ in x.shape)] = x
    return big[tuple(slice(None, None, 2) for _ in x.shape)]


def unary_samples(
    low: float = -2.0, high: float = 2.0, avoid: Sequence[float] = (), **kwargs: Any
) -> Callable[[np.random.Generator], list[Sample]]:
    """Samples for a one-input elementwise op: 2-d, 0-d, size-1, non-contiguous, large, empty."""

    def make(rng: np.random.Generator) -> list[Sample]:
        def u(*shape: int) -> np.ndarray:
            return uniform(rng, shape, low, high, avoid)

        return [
            Sample((u(3, 4),), kwargs, "2-d"),
            Sample((u(),), kwargs, "0-d"),
            Sample((u(1),), kwargs, "size-1"),
            Sample((u(1, 1, 2),), kwargs, "size-1 axes"),
            Sample((transposed(u(3, 5)),), kwargs, "transposed"),
            Sample((strided(u(2, 3)),), kwargs, "strided"),
            Sample((u(8, 10),), kwargs, "large"),
            Sample((u(0, 3),), kwargs, "empty"),
        ]

    return make


def spec_samples(
    *specs: tuple[Sequence, dict, str],
) -> Callable[[np.random.Generator], list[Sample]]:
    """Samples from `(input shapes, kwargs, desc)` specs; a shape written `("T", shape)` or
    `("S", shape)` gives a transposed or strided (non-contiguous) input."""

    def make(rng: np.random.Generator) -> list[Sample]:
        out = []
        for shapes, kwargs, desc in specs:
            inputs = []
            for shape in shapes:
                if shape and shape[0] in ("T", "S"):
                    view = transposed if shape[0] == "T" else strided
                    inputs.append(view(uniform(rng, shape[1])))
                else:
                    inputs.append(uniform(rng, shape))
            out.append(Sample(tuple(inputs), kwargs, desc))
        return out

    return make


def forward_only(
    name: str,
    reference: Callable[..., Any],
    samples: Callable[[np.random.Generator], Sequence[Sample]],
    raises: tuple[ErrorCase, ...] = (),
) -> OpInfo:
    """The entry of a `lamina.ops` function without a gradient (a comparison, a creation op)."""
    return OpInfo(name, getattr(ops, name), reference, samples, differentiable=False, raises=raises)


def string_error(op: str) -> ErrorCase:
    """A numeric op must reject a string array with a TypeError naming the op."""
    return ErrorCase((np.array(["a"]),), {}, TypeError, rf"^{op}: expected a numeric")


def unary_op(
    name: str,
    reference: Callable[..., Any],
    low: float = -2.0,
    high: float = 2.0,
    avoid: Sequence[float] = (),
    alias_of: str | None = None,
) -> OpInfo:
    """The entry of a one-input elementwise `lamina.ops` function (`alias_of`: the name its
    errors give)."""
    return OpInfo(
        name,
        getattr(ops, name),
        reference,
        unary_samples(low, high, avoid),
        raises=(string_error(alias_of or name),),
    )


def binary_samples(
    make_x: Callable[[np.random.Generator, tuple], np.ndarray],
    make_y: Callable[[np.random.Generator, tuple], np.ndarray] | None = None,
) -> Callable[[np.random.Generator], list[Sample]]:
    """Samples for an elementwise op of two inputs, including every broadcasting pattern."""
    make_y = make_y or make_x
    pairs = [
        ((3, 4), (3, 4), "same shape"),
        ((3, 1), (1, 4), "broadcast both"),
        ((2, 3, 4), (4,), "broadcast rank"),
        ((), (3, 4), "0-d x"),
        ((3, 4), (), "0-d y"),
        ((), (), "both 0-d"),
        ((1,), (1,), "size-1"),
        ((1, 3), (2, 1, 1), "size-1 axes"),
        ((8, 10), (10,), "large"),
    ]

    def make(rng: np.random.Generator) -> list[Sample]:
        out = [Sample((make_x(rng, a), make_y(rng, b)), {}, d) for a, b, d in pairs]
        out.append(
            Sample((transposed(make_x(rng, (3, 4))), strided(make_y(rng, (3, 4)))), {}, "strided")
        )
        return out

    return make


def shape_errors(op: str) -> tuple[ErrorCase, ...]:
    """Binary ops must reject shapes that do not broadcast, naming the op and the shapes."""
    return (
        ErrorCase(
            (np.ones((3,)), np.ones((4,))),
            {},
            ValueError,
            rf"^{op}: .*\(3,\).*\(4,\)",
        ),
        ErrorCase((np.ones((2, 3)), np.array(["a", "b", "c"])), {}, TypeError, rf"^{op}: .*<U1"),
    )


def axis_error(op: str, **kwargs: Any) -> ErrorCase:
    """An axis out of range for a rank-2 input must raise a ValueError naming the op."""
    return ErrorCase((np.ones((2, 3)),), {"axis": 2, **kwargs}, ValueError, rf"^{op}: axis 2")


def combine(
    *makers: Callable[[np.random.Generator], Sequence[Sample]],
) -> Callable[[np.random.Generator], list[Sample]]:
    """One sample maker from several (to cover an op's options, say)."""
    return lambda rng: [s for make in makers for s in make(rng)]
