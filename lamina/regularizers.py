"""Weight regularizers (`keras.regularizers`): penalties added to the training loss.

A regularizer is called on a weight tensor and returns a scalar lamina Tensor built from
`lamina.ops`, so the penalty is differentiable.

Example:
>>> reg = lamina.regularizers.get("l2")
>>> reg(lamina.ops.ones((2, 2)))
tensor(0.04, dtype=float32)
"""

import math
from typing import Any

import numpy as np

from lamina import ops, serialization
from lamina.backend import get_xp
from lamina.ops.core import float_input
from lamina.tensor import Tensor

_REGISTRY = serialization.Registry("regularizer", "lamina.regularizers")


def _factor(value: Any, name: str) -> float:
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if not ok or math.isinf(value) or math.isnan(value) or value < 0:
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float. "
            f"Received: {name}={value!r}"
        )
    return float(value)


class Regularizer:
    """Base class: `__call__(x)` returns a scalar penalty; `get_config` lists the arguments.

    Example:
    >>> class L3(Regularizer):
    ...     def __call__(self, x):
    ...         return 0.01 * lamina.ops.sum(lamina.ops.abs(x) ** 3)
    """

    def __call__(self, x: Any) -> Tensor:
        return ops.convert_to_tensor(0.0)

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Regularizer":
        return cls(**config)


class L1(Regularizer):
    """`l1 * sum(abs(x))`.

    Args:
        l1: the non-negative factor.

    Example:
    >>> L1(0.5)(lamina.ops.ones((2,)))
    tensor(1., dtype=float32)
    """

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _factor(0.01 if l1 is None else l1, "l1")

    def __call__(self, x: Any) -> Tensor:
        return ops.sum(ops.abs(float_input("L1", x))) * self.l1

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(Regularizer):
    """`l2 * sum(square(x))`.

    Args:
        l2: the non-negative factor.

    Example:
    >>> L2(0.5)(lamina.ops.ones((2,)))
    tensor(1., dtype=float32)
    """

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _factor(0.01 if l2 is None else l2, "l2")

    def __call__(self, x: Any) -> Tensor:
        return ops.sum(ops.square(float_input("L2", x))) * self.l2

    def get_config(self) -> dict:
        return {"l2": self.l2}


class L1L2(Regularizer):
    """`l1 * sum(abs(x)) + l2 * sum(square(x))`.

    The class defaults are 0 (as in Keras); the string `"l1_l2"` gives `l1=0.01, l2=0.01`.

    Example:
    >>> L1L2(l1=0.5, l2=0.5)(lamina.ops.ones((2,)))
    tensor(2., dtype=float32)
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x: Any) -> Tensor:
        x = float_input("L1L2", x)
        penalty = None
        if self.l1:
            penalty = ops.sum(ops.abs(x)) * self.l1
        if self.l2:
            term = ops.sum(ops.square(x)) * self.l2
            penalty = term if penalty is None else penalty + term
        if penalty is None:
            return ops.zeros((), dtype=x.dtype)
        return penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (or columns) of a 2-D weight.

    The penalty is `factor * 0.5 * sum(|dot products of distinct normalized rows|) / n_pairs`.

    Args:
        factor: the non-negative factor.
        mode: `"rows"` or `"columns"`.

    Example:
    >>> OrthogonalRegularizer(factor=1.0)(np.eye(2, dtype="float32"))
    tensor(0., dtype=float32)
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _factor(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                f"Invalid value for argument `mode`. Expected 'rows' or 'columns'. "
                f"Received: mode={mode!r}"
            )
        self.mode = mode

    def __call__(self, x: Any) -> Tensor:
        x = float_input("OrthogonalRegularizer", x)
        if x.ndim != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. "
                f"Received: inputs.shape={x.shape}"
            )
        axis = 1 if self.mode == "rows" else 0
        norms = ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=axis, keepdims=True), 1e-12))
        x = x / norms
        product = ops.matmul(x, ops.transpose(x)) if axis == 1 else ops.matmul(ops.transpose(x), x)
        size = product.shape[0]
        off_diagonal = product * Tensor(1.0 - get_xp(x.data).eye(size, dtype=x.dtype))
        pairs = size * (size - 1) / 2.0
        if pairs == 0:
            return ops.zeros((), dtype=x.dtype)
        return ops.sum(ops.abs(off_diagonal)) * (self.factor * 0.5 / pairs)

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """An `L1L2` regularizer with Keras's functional defaults (0.01 each)."""
    return L1L2(l1=l1, l2=l2)


for _cls in (Regularizer, L1, L2, L1L2, OrthogonalRegularizer):
    _REGISTRY.add(_cls)
for _name, _obj in {
    "l1": L1,
    "l2": L2,
    "l1_l2": l1_l2,
    "l1l2": l1_l2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}.items():
    _REGISTRY.objects[_name] = _obj

# Keras's lower-case spellings of the classes (`keras.regularizers.l2 is L2`).
l1 = L1
l2 = L2
orthogonal_regularizer = OrthogonalRegularizer


def get(identifier: Any) -> Any:
    """Return a regularizer for a name, a config dict, a class, an instance, a callable or None.

    Raises:
        ValueError: for an unknown name; the message lists the known ones.

    Example:
    >>> lamina.regularizers.get("l1").l1
    0.01
    """
    if identifier is None:
        return None
    if identifier in ("l1_l2", "l1l2"):
        return l1_l2()
    return serialization.get(identifier, _REGISTRY, Regularizer)


def serialize(regularizer: Any) -> Any:
    """Return a JSON-safe config dict for a regularizer (None for None)."""
    return serialization.serialize(regularizer, _REGISTRY)


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    """Rebuild a regularizer from `serialize`'s output or a name."""
    if config in ("l1_l2", "l1l2"):
        return l1_l2()
    return serialization.deserialize(config, _REGISTRY, custom_objects)


__all__ = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "deserialize",
    "get",
    "l1",
    "l1_l2",
    "l2",
    "orthogonal_regularizer",
    "serialize",
]
