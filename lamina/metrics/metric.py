"""The `Metric` base class and the raw-array helpers every metric uses.

Metrics are never differentiated: they work on raw NumPy/CuPy arrays and keep their state in a
few Python numbers (or small arrays), so `update_state` costs microseconds beyond the arithmetic.
"""

from typing import Any

import numpy as np

from lamina.backend import as_array_like, floatx, get_xp, to_numpy
from lamina.naming import to_snake_case
from lamina.tensor import Tensor


def raw(x: Any, like: Any = None) -> Any:
    """The raw array behind `x` (a Tensor, an array, a list or a number).

    With `like`, the result lives on `like`'s array module (labels follow predictions to the GPU).
    """
    if isinstance(x, Tensor):
        x = x.data
    if like is not None:
        return as_array_like(x, like)
    return x if hasattr(x, "ndim") and hasattr(x, "dtype") else np.asarray(x)


def same_rank(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """Raw-array version of Keras's squeeze-or-expand: reconcile a trailing size-1 axis."""
    r1, r2 = y_true.ndim, y_pred.ndim
    if r1 == r2 + 1 and y_true.shape[-1] == 1:
        if r2 == 1:
            y_pred = y_pred[:, None]
        else:
            y_true = y_true.reshape(y_true.shape[:-1])
    elif r2 == r1 + 1 and y_pred.shape[-1] == 1:
        if r1 == 1:
            y_true = y_true[:, None]
        else:
            y_pred = y_pred.reshape(y_pred.shape[:-1])
    return y_true, y_pred


class Metric:
    """Base class of metrics: accumulate with `update_state`, read with `result`.

    `result()` returns a 0-d lamina Tensor in the metric's dtype (`float(m.result())` gives a
    Python float); metrics with several values (per-class scores) return a 1-d Tensor.
    Subclasses set up their state in `reset_state`, which `__init__` calls; a subclass sets
    the attributes `reset_state` needs (e.g. a number of classes) before `super().__init__`.

    Args:
        name: the name shown in logs; `name` is a plain, settable attribute.
        dtype: the dtype of the result (floatx by default).

    Example:
    >>> class Maximum(Metric):
    ...     def reset_state(self):
    ...         self.value = -np.inf
    ...     def update_state(self, values, sample_weight=None):
    ...         self.value = max(self.value, float(np.max(values)))
    ...     def result(self):
    ...         return self.to_result(self.value)
    """

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = np.dtype(dtype or floatx())
        before = set(vars(self))
        self.reset_state()
        self._state_keys = tuple(k for k in vars(self) if k not in before)

    def reset_state(self) -> None:
        """Forget everything accumulated (subclasses set their state attributes here)."""

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def result(self) -> Tensor:
        raise NotImplementedError

    def to_result(self, value: Any) -> Tensor:
        """Wrap a number or array as a Tensor of the metric's dtype."""
        return Tensor(np.asarray(value, dtype=self.dtype))

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        """Update with one batch and return the result so far."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_state(self) -> dict:
        """The accumulated state (what `reset_state` sets) as NumPy values, for checkpoints."""
        return {k: to_numpy(getattr(self, k)).copy() for k in self._state_keys}

    def set_state(self, state: dict) -> None:
        """Restore a state returned by `get_state`."""
        for k in self._state_keys:
            current = getattr(self, k)
            value = state[k]
            if isinstance(current, float | int):
                setattr(self, k, type(current)(value))
            else:
                setattr(self, k, get_xp(current).asarray(value, dtype=current.dtype).copy())

    @property
    def variables(self) -> list:
        """The state arrays, in a fixed order (copies)."""
        return list(self.get_state().values())

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": str(self.dtype)}

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"
