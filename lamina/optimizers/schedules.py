"""Learning-rate schedules (`keras.optimizers.schedules`): step -> learning rate (a float).

Example:
>>> sched = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> sched(10)
0.05
"""

import math
from typing import Any

from lamina import serialization

_REGISTRY = serialization.Registry("learning rate schedule", "lamina.optimizers.schedules")


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value!r}")
    return value


def _non_negative(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"Argument `{name}` must be >= 0. Received: {name}={value!r}")
    return float(value)


class LearningRateSchedule:
    """Base class: `__call__(step)` returns the learning rate at an integer step.

    Example:
    >>> class Halving(LearningRateSchedule):
    ...     def __call__(self, step):
    ...         return 0.1 * 0.5 ** (int(step) // 100)
    ...     def get_config(self):
    ...         return {}
    """

    def __call__(self, step: Any) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must implement get_config()")

    @classmethod
    def from_config(cls, config: dict) -> "LearningRateSchedule":
        return cls(**config)


class _RateDecay(LearningRateSchedule):
    """Base of the schedules that apply `decay_rate` once per `decay_steps` steps."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool,
        name: str,
    ) -> None:
        self.initial_learning_rate = _non_negative(initial_learning_rate, "initial_learning_rate")
        self.decay_steps = _positive(decay_steps, "decay_steps")
        self.decay_rate = _non_negative(decay_rate, "decay_rate")
        self.staircase = bool(staircase)
        self.name = name

    def _periods(self, step: Any) -> float:
        """`step / decay_steps`, floored if `staircase`."""
        p = float(step) / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_RateDecay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)` (integer division if
    `staircase`).

    Example:
    >>> ExponentialDecay(1.0, 10, 0.5, staircase=True)(15)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step: Any) -> float:
        return self.initial_learning_rate * self.decay_rate ** self._periods(step)


class InverseTimeDecay(_RateDecay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)` (floored if `staircase`).

    Example:
    >>> InverseTimeDecay(1.0, 1, 0.5)(2)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step: Any) -> float:
        return self.initial_learning_rate / (1 + self.decay_rate * self._periods(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` up to `boundaries[0]` (inclusive), `values[1]` up to `boundaries[1]`, ...

    Example:
    >>> sched = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    >>> sched(100), sched(101), sched(500)
    (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries: list, values: list, name: str = "PiecewiseConstant") -> None:
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                "The length of `values` must be the length of `boundaries` plus 1. "
                f"Received: len(boundaries)={len(boundaries)}, len(values)={len(values)}"
            )
        if any(b2 < b1 for b1, b2 in zip(boundaries, boundaries[1:], strict=False)):
            raise ValueError(f"`boundaries` must be increasing. Received: boundaries={boundaries}")
        self.boundaries = list(boundaries)
        self.values = [float(v) for v in values]
        self.name = name

    def __call__(self, step: Any) -> float:
        step = float(step)
        for b, v in zip(self.boundaries, self.values, strict=False):
            if step <= b:
                return v
        return self.values[-1]

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from `initial_learning_rate` to `end_learning_rate` over `decay_steps`.

    `(initial - end) * (1 - step / decay_steps) ** power + end`, with the step capped at
    `decay_steps`, or, with `cycle`, `decay_steps` stretched to the next multiple past the step.

    Example:
    >>> PolynomialDecay(1.0, 10, end_learning_rate=0.0)(5)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        self.initial_learning_rate = _non_negative(initial_learning_rate, "initial_learning_rate")
        self.decay_steps = _positive(decay_steps, "decay_steps")
        self.end_learning_rate = _non_negative(end_learning_rate, "end_learning_rate")
        self.power = float(power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step: Any) -> float:
        step = float(step)
        steps = float(self.decay_steps)
        if self.cycle:
            steps *= max(1.0, math.ceil(step / steps))
        else:
            step = min(step, steps)
        frac = 1 - step / steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * frac**self.power + self.end_learning_rate

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


def _cosine(fraction: float, alpha: float) -> float:
    return (1 - alpha) * 0.5 * (1 + math.cos(math.pi * fraction)) + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay (Loshchilov & Hutter), optionally after a linear warmup.

    Without warmup: `initial * ((1 - alpha) * 0.5 * (1 + cos(pi * step / decay_steps)) + alpha)`
    with the step capped at `decay_steps`. With `warmup_target`, the rate first rises linearly
    from `initial_learning_rate` to `warmup_target` over `warmup_steps`, then decays from there.

    Example:
    >>> CosineDecay(1.0, 10)(5)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        self.initial_learning_rate = _non_negative(initial_learning_rate, "initial_learning_rate")
        self.decay_steps = _positive(decay_steps, "decay_steps")
        self.alpha = _non_negative(alpha, "alpha")
        self.name = name
        self.warmup_target = (
            None if warmup_target is None else _non_negative(warmup_target, "warmup_target")
        )
        self.warmup_steps = int(_non_negative(warmup_steps, "warmup_steps"))

    def __call__(self, step: Any) -> float:
        step = float(step)
        if self.warmup_target is None:
            return self.initial_learning_rate * _cosine(
                min(step, self.decay_steps) / self.decay_steps, self.alpha
            )
        if step < self.warmup_steps:
            rise = self.warmup_target - self.initial_learning_rate
            return self.initial_learning_rate + rise * step / self.warmup_steps
        decay_step = min(step - self.warmup_steps, self.decay_steps)
        return self.warmup_target * _cosine(decay_step / self.decay_steps, self.alpha)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): each period `t_mul` times longer than the last,
    each restart peak `m_mul` times the previous one.

    Example:
    >>> sched = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0)
    >>> sched(10)
    1.0
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        self.initial_learning_rate = _non_negative(initial_learning_rate, "initial_learning_rate")
        self.first_decay_steps = _positive(first_decay_steps, "first_decay_steps")
        self.t_mul = float(_positive(t_mul, "t_mul"))
        self.m_mul = _non_negative(m_mul, "m_mul")
        self.alpha = _non_negative(alpha, "alpha")
        self.name = name

    def __call__(self, step: Any) -> float:
        fraction = float(step) / self.first_decay_steps
        if self.t_mul == 1.0:
            restarts = math.floor(fraction)
            fraction -= restarts
        else:
            restarts = math.floor(math.log(1 - fraction * (1 - self.t_mul)) / math.log(self.t_mul))
            done = (1 - self.t_mul**restarts) / (1 - self.t_mul)
            fraction = (fraction - done) / self.t_mul**restarts
        peak = self.m_mul**restarts
        decayed = (1 - self.alpha) * 0.5 * peak * (1 + math.cos(math.pi * fraction)) + self.alpha
        return self.initial_learning_rate * decayed

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


for _cls in (
    LearningRateSchedule,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    CosineDecay,
    CosineDecayRestarts,
):
    _REGISTRY.add(_cls)


def serialize(schedule: LearningRateSchedule) -> dict:
    """Return a JSON-safe config dict for a schedule."""
    return serialization.serialize(schedule, _REGISTRY)


def deserialize(config: Any, custom_objects: dict | None = None) -> LearningRateSchedule:
    """Rebuild a schedule from `serialize`'s output."""
    return serialization.deserialize(config, _REGISTRY, custom_objects)


__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "serialize",
]
