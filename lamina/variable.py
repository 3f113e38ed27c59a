"""Variable: a named, assignable tensor that layers hold as weights."""

from typing import Any

from lamina.backend import as_array_like, default_xp, floatx, get_xp, is_array, to_device
from lamina.naming import unique_name
from lamina.tensor import Tensor


class Variable(Tensor):
    """A named, trainable, assignable tensor; a `GradientTape` watches trainable ones itself.

    Args:
        initializer: the initial value (array, list, tensor) or a callable `(shape, dtype)`.
        shape: the shape, needed when `initializer` is a callable.
        dtype: the dtype; float values default to `lamina.backend.floatx()`.
        trainable: whether optimizers update it and tapes watch it.
        name: a short name (`"kernel"`).

    Attributes:
        path: the name with the layers that made it (`"dense_1/kernel"`, nested layers joined
            with `/`); the name itself for a variable made outside a layer.

    Example:
    >>> w = lamina.Variable(np.zeros((2, 2)), name="w")
    >>> w.assign_add(np.ones((2, 2)))
    """

    __slots__ = ("name", "path", "_trainable", "constraint", "regularizer")

    def __init__(
        self,
        initializer: Any,
        shape: tuple[int, ...] | None = None,
        dtype: Any = None,
        trainable: bool = True,
        name: str | None = None,
    ) -> None:
        if callable(initializer) and not is_array(initializer):
            if shape is None:
                raise ValueError(
                    "A Variable made from a callable initializer needs a shape. "
                    "Received: shape=None"
                )
            value = initializer(tuple(shape), dtype or floatx())
        else:
            value = initializer
        super().__init__(_as_array(value, dtype))
        if shape is not None and tuple(shape) != self.data.shape:
            raise ValueError(
                f"Variable {name!r}: the initial value has shape {self.data.shape}, "
                f"not the requested shape. Received: shape={tuple(shape)}"
            )
        self.name = name or unique_name("variable")
        self.path = self.name
        self.trainable = trainable
        self.constraint = None
        self.regularizer = None

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self._tracked = self._trainable

    @property
    def value(self) -> Tensor:
        """The current value as a plain tensor."""
        return Tensor(self.data)

    def assign(self, value: Any) -> "Variable":
        """Set the value in place; the shape must stay the same."""
        self._check_shape(value, "assign")
        xp = get_xp(self.data)
        xp.copyto(self.data, as_array_like(_raw(value), self.data), casting="unsafe")
        return self

    def assign_add(self, delta: Any) -> "Variable":
        """Add `delta` in place."""
        self._check_shape(delta, "assign_add")
        self.data += as_array_like(_raw(delta), self.data)
        return self

    def assign_sub(self, delta: Any) -> "Variable":
        """Subtract `delta` in place."""
        self._check_shape(delta, "assign_sub")
        self.data -= as_array_like(_raw(delta), self.data)
        return self

    def _check_shape(self, value: Any, method: str) -> None:
        shape = getattr(value, "shape", None)
        if shape is not None and tuple(shape) != self.data.shape and tuple(shape) != ():
            raise ValueError(
                f"Variable.{method} on {self.path!r} expects shape {self.data.shape}. "
                f"Received: value with shape {tuple(shape)}"
            )

    def __repr__(self) -> str:
        return f"<Variable path={self.path} shape={self.shape} dtype={self.dtype}>"


def _raw(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def _as_array(value: Any, dtype: Any) -> Any:
    value = to_device(_raw(value))
    if is_array(value):
        xp = get_xp(value)
        arr = value.astype(dtype) if dtype is not None else value.copy()
    else:
        xp = default_xp()
        arr = xp.asarray(value, dtype=dtype)
        if dtype is None and arr.dtype.kind == "f":
            arr = arr.astype(floatx())
    # ascontiguousarray would turn a 0-d array into shape (1,).
    return arr if arr.flags.c_contiguous else xp.ascontiguousarray(arr)
