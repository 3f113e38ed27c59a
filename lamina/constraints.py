"""Weight constraints (`keras.constraints`), applied to a weight after each optimizer update.

A constraint is called on a weight and returns the constrained value: a raw array (of the
same array module) when given a raw array, a lamina Tensor when given a Tensor or Variable.
Constraints are not differentiated; apply them as `var.assign(constraint(var))`.

Example:
>>> c = lamina.constraints.get("non_neg")
>>> c(np.array([-1.0, 2.0], dtype="float32"))
array([0., 2.], dtype=float32)
"""

from typing import Any

from lamina import serialization
from lamina.backend import epsilon, get_xp
from lamina.tensor import Tensor

_REGISTRY = serialization.Registry("constraint", "lamina.constraints")


def _unwrap(w: Any) -> tuple[Any, bool]:
    if isinstance(w, Tensor):
        return w.data, True
    xp = get_xp(w)
    return xp.asarray(w), False


def _norms(w: Any, axis: Any) -> Any:
    xp = get_xp(w)
    return xp.sqrt(xp.sum(w * w, axis=axis, keepdims=True))


class Constraint:
    """Base class: `__call__(w)` returns the constrained weight; the base returns it unchanged.

    Example:
    >>> class Clip(Constraint):
    ...     def __call__(self, w):
    ...         return np.clip(w, -1, 1)
    """

    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Constraint":
        return cls(**config)


class _ArrayConstraint(Constraint):
    """Constraints computed on the raw array, returned in the kind they were given."""

    def __call__(self, w: Any) -> Any:
        data, was_tensor = _unwrap(w)
        out = self.apply(data)
        return Tensor(out) if was_tensor else out

    def apply(self, w: Any) -> Any:
        raise NotImplementedError


class MaxNorm(_ArrayConstraint):
    """Rescale weights whose norm along `axis` exceeds `max_value` down to it.

    Args:
        max_value: the largest norm allowed.
        axis: the axis (or axes) the norm runs over; 0 for Dense kernels `(in, out)`, so each
            unit's incoming weights are constrained; `[0, 1, 2]` for Conv2D kernels.

    Example:
    >>> MaxNorm(1.0)(np.array([[3.0], [4.0]], dtype="float32"))
    array([[0.6],
           [0.8]], dtype=float32)
    """

    def __init__(self, max_value: float = 2.0, axis: Any = 0) -> None:
        if max_value < 0:
            raise ValueError(f"max_value must be non-negative. Received: max_value={max_value}")
        self.max_value = float(max_value)
        self.axis = _axis(axis)

    def apply(self, w: Any) -> Any:
        xp = get_xp(w)
        norms = _norms(w, self.axis)
        desired = xp.clip(norms, 0, self.max_value)
        return (w * (desired / (epsilon() + norms))).astype(w.dtype, copy=False)

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(_ArrayConstraint):
    """Move the norm along `axis` into `[min_value, max_value]`, at speed `rate`.

    The new norm is `rate * clip(norm, min_value, max_value) + (1 - rate) * norm`.

    Example:
    >>> MinMaxNorm(1.0, 2.0)(np.array([[0.3], [0.4]], dtype="float32")).round(4)
    array([[0.6],
           [0.8]], dtype=float32)
    """

    def __init__(
        self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Any = 0
    ) -> None:
        if min_value < 0 or max_value < min_value:
            raise ValueError(
                "Expected 0 <= min_value <= max_value. "
                f"Received: min_value={min_value}, max_value={max_value}"
            )
        if not 0 <= rate <= 1:
            raise ValueError(f"rate must lie in [0, 1]. Received: rate={rate}")
        self.min_value = float(min_value)
        self.max_value = float(max_value)
        self.rate = float(rate)
        self.axis = _axis(axis)

    def apply(self, w: Any) -> Any:
        xp = get_xp(w)
        norms = _norms(w, self.axis)
        desired = self.rate * xp.clip(norms, self.min_value, self.max_value)
        desired = desired + (1 - self.rate) * norms
        return (w * (desired / (epsilon() + norms))).astype(w.dtype, copy=False)

    def get_config(self) -> dict:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


class NonNeg(_ArrayConstraint):
    """Set negative weights to zero.

    Example:
    >>> NonNeg()(np.array([-1.0, 2.0], dtype="float32"))
    array([0., 2.], dtype=float32)
    """

    def apply(self, w: Any) -> Any:
        return get_xp(w).maximum(w, 0)


class UnitNorm(_ArrayConstraint):
    """Rescale weights to unit norm along `axis`.

    Example:
    >>> UnitNorm()(np.array([[3.0], [4.0]], dtype="float32"))
    array([[0.6],
           [0.8]], dtype=float32)
    """

    def __init__(self, axis: Any = 0) -> None:
        self.axis = _axis(axis)

    def apply(self, w: Any) -> Any:
        return (w / (epsilon() + _norms(w, self.axis))).astype(w.dtype, copy=False)

    def get_config(self) -> dict:
        return {"axis": self.axis}


def _axis(axis: Any) -> Any:
    if isinstance(axis, int):
        return axis
    if isinstance(axis, list | tuple) and all(isinstance(a, int) for a in axis):
        return list(axis)
    raise ValueError(f"Expected axis to be an int or a list of ints. Received: axis={axis!r}")


for _cls in (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm):
    _REGISTRY.add(_cls)
for _name, _obj in {
    "max_norm": MaxNorm,
    "min_max_norm": MinMaxNorm,
    "non_neg": NonNeg,
    "unit_norm": UnitNorm,
}.items():
    _REGISTRY.objects[_name] = _obj

# Keras's lower-case spellings of the classes (`keras.constraints.max_norm is MaxNorm`).
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm


def get(identifier: Any) -> Any:
    """Return a constraint for a name, a config dict, a class, an instance, a callable or None.

    Raises:
        ValueError: for an unknown name; the message lists the known ones.

    Example:
    >>> isinstance(lamina.constraints.get("max_norm"), MaxNorm)
    True
    """
    if identifier is None:
        return None
    return serialization.get(identifier, _REGISTRY, Constraint)


def serialize(constraint: Any) -> Any:
    """Return a JSON-safe config dict for a constraint (None for None)."""
    return serialization.serialize(constraint, _REGISTRY)


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    """Rebuild a constraint from `serialize`'s output or a name."""
    return serialization.deserialize(config, _REGISTRY, custom_objects)


__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "deserialize",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
    "unit_norm",
]
