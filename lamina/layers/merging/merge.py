"""Merge layers: combine a list of tensors into one (add, concatenate, dot, ...)."""

from functools import reduce
from typing import Any

import numpy as np

from lamina import ops
from lamina.layers.layer import Layer


class Merge(Layer):
    """Base of the elementwise merge layers: inputs are a list of tensors of one shape."""

    def build(self, input_shape: Any) -> None:
        if (
            not isinstance(input_shape, list | tuple)
            or len(input_shape) < 2
            or not all(isinstance(s, tuple) for s in input_shape)
        ):
            raise ValueError(
                f"{type(self).__name__} expects a list of at least 2 inputs. "
                f"Received: input_shape={input_shape}"
            )
        try:
            np.broadcast_shapes(*[tuple(1 if n is None else n for n in s) for s in input_shape])
        except ValueError:
            raise ValueError(
                f"{type(self).__name__}: the inputs must have compatible shapes. "
                f"Received: shapes {list(input_shape)}"
            ) from None

    def call(self, inputs: Any) -> Any:
        return self._merge(list(inputs))

    def _merge(self, xs: list) -> Any:
        raise NotImplementedError


class Add(Merge):
    """Sum a list of tensors. Example: `lamina.layers.Add()([a, b])`."""

    def _merge(self, xs: list) -> Any:
        return reduce(ops.add, xs)


class Subtract(Merge):
    """Subtract the second of two tensors from the first."""

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(
                f"Subtract expects exactly 2 inputs. Received: {len(input_shape)} inputs"
            )

    def _merge(self, xs: list) -> Any:
        return ops.subtract(xs[0], xs[1])


class Multiply(Merge):
    """Multiply a list of tensors elementwise."""

    def _merge(self, xs: list) -> Any:
        return reduce(ops.multiply, xs)


class Average(Merge):
    """Average a list of tensors elementwise."""

    def _merge(self, xs: list) -> Any:
        return reduce(ops.add, xs) / float(len(xs))


class Maximum(Merge):
    """Elementwise maximum of a list of tensors."""

    def _merge(self, xs: list) -> Any:
        return reduce(ops.maximum, xs)


class Minimum(Merge):
    """Elementwise minimum of a list of tensors."""

    def _merge(self, xs: list) -> Any:
        return reduce(ops.minimum, xs)


class Concatenate(Layer):
    """Join a list of tensors along `axis` (default -1).

    Example:
    >>> lamina.layers.Concatenate()([np.zeros((2, 3)), np.zeros((2, 4))]).shape
    (2, 7)
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape: Any) -> None:
        if (
            not isinstance(input_shape, list | tuple)
            or len(input_shape) < 1
            or not all(isinstance(s, tuple) for s in input_shape)
        ):
            raise ValueError(
                f"Concatenate expects a list of inputs. Received: input_shape={input_shape}"
            )
        ranks = {len(s) for s in input_shape}
        axis = self.axis % next(iter(ranks)) if len(ranks) == 1 else None
        if axis is None or any(
            any(
                a != b and None not in (a, b)
                for i, (a, b) in enumerate(zip(s, input_shape[0], strict=True))
                if i != axis
            )
            for s in input_shape
        ):
            raise ValueError(
                f"Concatenate along axis {self.axis} needs inputs whose other axes match. "
                f"Received: shapes {list(input_shape)}"
            )

    def call(self, inputs: Any) -> Any:
        return ops.concatenate(list(inputs), axis=self.axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Dot(Layer):
    """Dot product of two tensors along `axes` (per sample), optionally of L2-normalized inputs.

    Example:
    >>> lamina.layers.Dot(axes=1)([np.ones((2, 3)), np.ones((2, 3))]).shape
    (2, 1)
    """

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axes = axes
        self.normalize = bool(normalize)

    def call(self, inputs: Any) -> Any:
        a, b = inputs
        axes = self.axes if isinstance(self.axes, list | tuple) else (self.axes, self.axes)
        ax_a, ax_b = axes[0] % a.ndim, axes[1] % b.ndim
        if ax_a == 0 or ax_b == 0:
            raise ValueError(f"Dot cannot contract the batch axis. Received: axes={self.axes}")
        if a.shape[ax_a] != b.shape[ax_b]:
            raise ValueError(
                f"Dot: axis {ax_a} of the first input ({a.shape[ax_a]}) and axis {ax_b} of the "
                f"second ({b.shape[ax_b]}) must have the same length. Received: shapes "
                f"{a.shape} and {b.shape}, axes={self.axes}"
            )
        if self.normalize:
            a = a / ops.sqrt(ops.maximum(ops.sum(a * a, axis=ax_a, keepdims=True), 1e-12))
            b = b / ops.sqrt(ops.maximum(ops.sum(b * b, axis=ax_b, keepdims=True), 1e-12))
        rest_a = [i for i in range(1, a.ndim) if i != ax_a]
        rest_b = [i for i in range(1, b.ndim) if i != ax_b]
        batch, k = a.shape[0], a.shape[ax_a]
        # (batch, rest_a, k) @ (batch, k, rest_b), each rest flattened, keeping the axis order.
        a2 = ops.reshape(ops.transpose(a, (0, *rest_a, ax_a)), (batch, -1, k))
        b2 = ops.reshape(ops.transpose(b, (0, ax_b, *rest_b)), (batch, k, -1))
        out = ops.matmul(a2, b2)
        shape = (batch, *[a.shape[i] for i in rest_a], *[b.shape[i] for i in rest_b])
        return ops.reshape(out, shape if len(shape) > 1 else (batch, 1))

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs: list, **kwargs: Any) -> Any:
    """Functional form of `Add`."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs: Any) -> Any:
    """Functional form of `Subtract`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs: Any) -> Any:
    """Functional form of `Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs: Any) -> Any:
    """Functional form of `Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs: Any) -> Any:
    """Functional form of `Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs: Any) -> Any:
    """Functional form of `Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list, axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of `Concatenate`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list, axes: Any, normalize: bool = False, **kwargs: Any) -> Any:
    """Functional form of `Dot`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
