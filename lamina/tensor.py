"""Tensor: an array with a place in the recorded graph, and the iterative backward pass."""

from types import ModuleType
from typing import Any

import numpy as np

from lamina.backend import to_numpy

_ops: ModuleType = None  # type: ignore[assignment]  # lamina.ops binds itself here on import


class Tensor:
    """An n-dimensional array of NumPy or CuPy data that gradients can flow through.

    Tensors come from ops or from `lamina.ops.convert_to_tensor`. They support NumPy-style
    operators with broadcasting, indexing and slicing, and `np.asarray(tensor)`.

    Example:
    >>> x = lamina.ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> (x * 2 + 1)[:, 0].numpy()
    array([3., 7.], dtype=float32)
    """

    # `_keras_mask`: the boolean (batch, time) mask a masking layer attached (unset otherwise).
    __slots__ = ("data", "_node", "_tracked", "_keras_mask", "__weakref__")
    __array_priority__ = 1000  # NumPy defers `ndarray + Tensor` to Tensor.__radd__.

    def __init__(self, data: Any) -> None:
        self.data = data
        self._node = None
        self._tracked = False

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def T(self) -> "Tensor":
        return _ops.transpose(self)

    def numpy(self) -> np.ndarray:
        """Return the values as a NumPy array (a copy from the GPU, a view on the CPU)."""
        return to_numpy(self.data)

    def item(self) -> Any:
        return self.data.item()

    def astype(self, dtype: Any) -> "Tensor":
        return _ops.cast(self, dtype)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = to_numpy(self.data)
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __index__(self) -> int:
        return int(self.data)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        return f"tensor({body}, dtype={self.dtype})"

    __hash__ = object.__hash__

    def __add__(self, other: Any) -> "Tensor":
        if getattr(other, "__array_priority__", 0) > 1000:  # a symbolic tensor: its __radd__
            return NotImplemented
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> "Tensor":
        if getattr(other, "__array_priority__", 0) > 1000:  # a symbolic tensor: its __rsub__
            return NotImplemented
        return _ops.subtract(self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return _ops.subtract(other, self)

    def __mul__(self, other: Any) -> "Tensor":
        if getattr(other, "__array_priority__", 0) > 1000:  # a symbolic tensor: its __rmul__
            return NotImplemented
        return _ops.multiply(self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return _ops.multiply(other, self)

    def __truediv__(self, other: Any) -> "Tensor":
        if getattr(other, "__array_priority__", 0) > 1000:  # a symbolic tensor: its __rtruediv__
            return NotImplemented
        return _ops.divide(self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _ops.divide(other, self)

    def __pow__(self, other: Any) -> "Tensor":
        if getattr(other, "__array_priority__", 0) > 1000:  # a symbolic tensor: its __rpow__
            return NotImplemented
        return _ops.power(self, other)

    def __rpow__(self, other: Any) -> "Tensor":
        return _ops.power(other, self)

    def __matmul__(self, other: Any) -> "Tensor":
        if getattr(other, "__array_priority__", 0) > 1000:  # a symbolic tensor: its __rmatmul__
            return NotImplemented
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _ops.matmul(other, self)

    def __neg__(self) -> "Tensor":
        return _ops.negative(self)

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return _ops.abs(self)

    def __getitem__(self, key: Any) -> "Tensor":
        return _ops.getitem(self, key)

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return _ops.equal(self, other)

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return _ops.not_equal(self, other)

    def __lt__(self, other: Any) -> "Tensor":
        return _ops.less(self, other)

    def __le__(self, other: Any) -> "Tensor":
        return _ops.less_equal(self, other)

    def __gt__(self, other: Any) -> "Tensor":
        return _ops.greater(self, other)

    def __ge__(self, other: Any) -> "Tensor":
        return _ops.greater_equal(self, other)

    def __and__(self, other: Any) -> "Tensor":
        return _ops.logical_and(self, other)

    def __or__(self, other: Any) -> "Tensor":
        return _ops.logical_or(self, other)

    def __invert__(self) -> "Tensor":
        return _ops.logical_not(self)


def _topological_order(targets: list[Tensor]) -> list:
    """Return the recorded ops behind `targets`, each after every op that feeds it."""
    order: list = []
    seen: set = set()
    stack = [(t._node, False) for t in targets if t._node is not None]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        if node.inputs is None:
            raise RuntimeError(
                "The graph behind this tensor was freed by an earlier gradient() call. "
                "Use GradientTape(persistent=True) to take several gradients."
            )
        for t in node.inputs:
            if t._node is not None and t._node not in seen:
                stack.append((t._node, False))
    return order


def _key(t: Tensor) -> Any:
    """Gradients are keyed by the op that made a tensor, or by the leaf tensor itself."""
    return t._node if t._node is not None else id(t)


def _needed_inputs(order: list, wanted: set) -> dict:
    """For each op with a source behind it, which of its inputs lead to a source.

    `order` lists every op after the ops that feed it; `wanted` holds the sources' keys.
    """
    needed: dict = {}
    for node in order:
        if not node.inputs:
            # A gradient taken under an outer tape: its backward explains why it cannot run.
            if node not in wanted:
                needed[node] = ()
            continue
        needs = tuple(
            [
                recorded
                and (id(t) in wanted if t._node is None else t._node in needed or t._node in wanted)
                for t, recorded in zip(node.inputs, node.needs_grad, strict=True)
            ]
        )
        if True in needs:
            needed[node] = needs
    return needed


def backward(targets: list[Tensor], seeds: list[Any], sources: list[Tensor], free: bool) -> list:
    """Reverse-mode differentiation: d(sum of targets . seeds)/d(source) for each source.

    Gradients of tensors used more than once accumulate; a source the targets do not depend on
    gets None. Only ops with a source behind them run their backward, and only for the inputs
    that lead to a source: a frozen convolutional base under a trained classifier is never
    differentiated. With `free`, the saved arrays of every op visited are released afterwards.
    """
    grads: dict = {}
    for t, seed in zip(targets, seeds, strict=True):
        k = _key(t)
        grads[k] = seed if k not in grads else grads[k] + seed
    wanted = {_key(s) for s in sources}
    order = _topological_order(targets)
    needed = _needed_inputs(order, wanted)
    for node in reversed(order):
        if node in wanted:
            grad = grads.get(node)
        else:
            grad = grads.pop(node, None)
        needs = needed.get(node)
        if grad is None or needs is None:
            continue
        recorded = node.needs_grad
        node.needs_grad = needs  # the op skips the gradients of inputs that reach no source
        try:
            input_grads = node.backward(grad)
        finally:
            node.needs_grad = recorded
        inputs = node.inputs
        if len(input_grads) != len(inputs):
            raise RuntimeError(
                f"{type(node).__name__}.backward returned {len(input_grads)} gradients for "
                f"{len(inputs)} inputs."
            )
        for i, g in enumerate(input_grads):
            if g is None or not needs[i]:
                continue
            t = inputs[i]
            if g.shape != t.data.shape:
                raise RuntimeError(
                    f"{type(node).__name__}.backward returned a gradient of shape {g.shape} "
                    f"for an input of shape {t.data.shape}."
                )
            k = t._node
            if k is None:
                k = id(t)
                if k not in wanted:
                    continue
            previous = grads.get(k)
            grads[k] = g if previous is None else previous + g
    if free:
        for node in order:
            node.__dict__.clear()
            node.inputs = None
    return [grads.get(_key(s)) for s in sources]
