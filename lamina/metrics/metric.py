"""The `Metric` base class and the raw-array helpers every metric uses.

Metrics are never differentiated: they work on raw NumPy/CuPy arrays and keep their state in a
few Python numbers (or small arrays), so `update_state` costs microseconds beyond the arithmetic.
"""

from typing import Any

import numpy as np

from lamina import initializers
from lamina.backend import as_array_like, floatx, get_xp, to_numpy
from lamina.naming import to_snake_case
from lamina.tensor import Tensor
from lamina.variable import Variable

_AGGREGATIONS = {"none", "sum", "mean", "only_first_replica"}


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
    A subclass creates its state after `super().__init__()`, with `add_variable` (reset to
    zeros by the default `reset_state`) or in plain attributes that its own `reset_state` sets.

    Args:
        name: the name shown in logs; `name` is a plain, settable attribute.
        dtype: the dtype of the result (floatx by default).

    Example:
    >>> class TruePositives(Metric):
    ...     def __init__(self, name="tp", **kwargs):
    ...         super().__init__(name=name, **kwargs)
    ...         self.tp = self.add_variable(shape=(), initializer="zeros", name="tp")
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         hits = ops.logical_and(ops.cast(y_true, "bool"), ops.cast(y_pred, "bool"))
    ...         self.tp.assign_add(ops.sum(ops.cast(hits, self.dtype)))
    ...     def result(self):
    ...         return self.tp
    """

    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = np.dtype(dtype or floatx())
        self._variables: list[Variable] = []
        self._state_keys: tuple[str, ...] = ()

    def add_variable(
        self,
        shape: Any = (),
        initializer: Any = "zeros",
        dtype: Any = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> Variable:
        """Create a state variable (not trainable) of this metric.

        Args:
            shape: the variable's shape (`()` for a scalar count).
            initializer: a name (`"zeros"`), an initializer or a callable `(shape, dtype)`.
            dtype: defaults to the metric's dtype.
            aggregation: how replicas would combine it (`"sum"`, `"mean"`); kept for Keras
                compatibility, lamina runs one replica.
            name: the variable's name.
        """

        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() before add_variable()."
            )
        if aggregation not in _AGGREGATIONS:
            raise ValueError(
                f"Expected aggregation to be one of {sorted(_AGGREGATIONS)}. "
                f"Received: aggregation={aggregation!r}"
            )
        shape = (int(shape),) if isinstance(shape, int | np.integer) else tuple(shape)
        dtype = np.dtype(dtype or self.dtype)
        variable = Variable(
            initializers.get(initializer)(shape, dtype=dtype),
            dtype=dtype,
            trainable=False,
            name=f"{self.name}/{name or 'variable'}",
        )
        self._variables.append(variable)
        return variable

    def add_weight(
        self,
        shape: Any = (),
        initializer: Any = "zeros",
        dtype: Any = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> Variable:
        """`add_variable` under its Keras 2 name; `add_weight("tp")` (the name first) works too."""
        if isinstance(shape, str):  # Keras 2 order: add_weight(name, shape=(), ...)
            name, shape = shape, ()
        return self.add_variable(shape, initializer, dtype, aggregation, name)

    def _start_state(self) -> None:
        """Set the state attributes `reset_state` assigns (for metrics that keep their state
        in plain attributes, not variables) and remember them for `get_state`."""
        before = set(vars(self))
        self.reset_state()
        self._state_keys += tuple(k for k in vars(self) if k not in before)

    def reset_state(self) -> None:
        """Forget everything accumulated: the variables go back to zeros (subclasses that
        keep state in plain attributes set them here)."""
        for v in self._variables:
            v.assign(get_xp(v.data).zeros(v.shape, dtype=v.dtype))

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
        """The accumulated state (variables and what `reset_state` sets) as NumPy values."""
        state = {k: to_numpy(getattr(self, k)).copy() for k in self._state_keys}
        state.update({f"variable_{i}": v.numpy().copy() for i, v in enumerate(self._variables)})
        return state

    def set_state(self, state: dict) -> None:
        """Restore a state returned by `get_state`."""
        for i, v in enumerate(self._variables):
            v.assign(state[f"variable_{i}"])
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
