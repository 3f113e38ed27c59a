"""Merge layers: combine a list of tensors into one (add, concatenate, dot, ...)."""

from functools import reduce
from typing import Any

from lamina import ops
from lamina.layers.layer import Layer


class Merge(Layer):
    """Base of the elementwise merge layers: inputs are a list of tensors of one shape.

    Masks pass on as Keras 3's: a step is kept if any input keeps it; no mask if an input
    has none.
    """

    supports_masking = True
    keeps_input_dtype = True

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = _shape_list(self, input_shape, least=2)
        out = shapes[0]
        for shape in shapes[1:]:
            out = self._broadcast(out, shape, shapes)
        return out

    def _broadcast(self, a: tuple, b: tuple, shapes: list) -> tuple:
        """NumPy's broadcasting of two shapes, where None (unknown) may be 1 or any length."""
        rank = max(len(a), len(b))
        a, b = (1,) * (rank - len(a)) + a, (1,) * (rank - len(b)) + b
        out = []
        for m, n in zip(a, b, strict=True):
            if m == 1 or m == n:
                out.append(n)
            elif n == 1:
                out.append(m)
            elif m is None or n is None:
                out.append(n if m is None else m)  # the unknown one must be 1 or the same
            else:
                raise ValueError(
                    f"{type(self).__name__}: the inputs must have compatible shapes. "
                    f"Received: shapes {shapes}"
                )
        return tuple(out)

    def call(self, inputs: Any) -> Any:
        return self._merge(list(inputs))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        masks = _mask_list(self, inputs, mask)
        if masks is None or any(m is None for m in masks):
            return None
        return reduce(ops.logical_or, masks)

    def _merge(self, xs: list) -> Any:
        raise NotImplementedError


class Add(Merge):
    """Sum a list of tensors. Example: `lamina.layers.Add()([a, b])`."""

    def _merge(self, xs: list) -> Any:
        return reduce(ops.add, xs)


class Subtract(Merge):
    """Subtract the second of two tensors from the first."""

    def compute_output_shape(self, input_shape: Any) -> tuple:
        out = super().compute_output_shape(input_shape)
        if len(input_shape) != 2:
            raise ValueError(
                f"Subtract expects exactly 2 inputs. Received: {len(input_shape)} inputs"
            )
        return out

    def _merge(self, xs: list) -> Any:
        return ops.subtract(xs[0], xs[1])


class Multiply(Merge):
    """Multiply a list of tensors elementwise."""

    def _merge(self, xs: list) -> Any:
        return reduce(ops.multiply, xs)


class Average(Merge):
    """Average a list of tensors elementwise."""

    keeps_input_dtype = False  # the mean of integers is a float

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

    supports_masking = True
    keeps_input_dtype = True

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shapes = _shape_list(self, input_shape, least=1)
        ranks = {len(s) for s in shapes}
        axis = self.axis % len(shapes[0]) if len(ranks) == 1 and shapes[0] else None
        out = []
        for i, sizes in enumerate(zip(*shapes, strict=True) if axis is not None else []):
            known = {n for n in sizes if n is not None}
            if i == axis:
                out.append(None if None in sizes else sum(sizes))
            elif len(known) > 1:
                break
            else:
                out.append(known.pop() if known else None)
        if axis is None or len(out) != len(shapes[0]):
            raise ValueError(
                f"Concatenate along axis {self.axis} needs inputs whose other axes match. "
                f"Received: shapes {shapes}"
            )
        return tuple(out)

    def call(self, inputs: Any) -> Any:
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        # As Keras 3: each input's mask spread over its features (all True for an input with
        # none), joined along `axis`, then a step is kept if any of its features is.
        masks = _mask_list(self, inputs, mask)
        if masks is None:
            return None
        full = [_feature_mask(x, m) for x, m in zip(inputs, masks, strict=True)]
        return ops.any(ops.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class Dot(Layer):
    """Dot product of two tensors along `axes` (per sample), optionally of L2-normalized inputs.

    Example:
    >>> lamina.layers.Dot(axes=1)([np.ones((2, 3)), np.ones((2, 3))]).shape
    (2, 1)
    """

    supports_masking = True  # as Keras 3's, which ends any mask here

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axes = axes
        self.normalize = bool(normalize)
        self.keeps_input_dtype = not self.normalize  # normalizing divides: integers give floats

    def _contracted_axes(self, a: tuple, b: tuple) -> tuple[int, int]:
        """The axis of each input that the product sums over, checked against the shapes."""
        axes = self.axes if isinstance(self.axes, list | tuple) else (self.axes, self.axes)
        ax_a, ax_b = axes[0] % len(a), axes[1] % len(b)
        if ax_a == 0 or ax_b == 0:
            raise ValueError(f"Dot cannot contract the batch axis. Received: axes={self.axes}")
        if a[ax_a] != b[ax_b] and None not in (a[ax_a], b[ax_b]):
            raise ValueError(
                f"Dot: axis {ax_a} of the first input ({a[ax_a]}) and axis {ax_b} of the "
                f"second ({b[ax_b]}) must have the same length. Received: shapes "
                f"{a} and {b}, axes={self.axes}"
            )
        return ax_a, ax_b

    def compute_output_shape(self, input_shape: Any) -> tuple:
        a, b = _shape_list(self, input_shape, least=2, most=2)
        ax_a, ax_b = self._contracted_axes(a, b)
        rest = [n for i, n in enumerate(a) if i not in (0, ax_a)]
        rest += [n for i, n in enumerate(b) if i not in (0, ax_b)]
        return (a[0], *rest) if rest else (a[0], 1)

    def call(self, inputs: Any) -> Any:
        a, b = inputs
        ax_a, ax_b = self._contracted_axes(a.shape, b.shape)
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

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _shape_list(layer: Layer, input_shape: Any, least: int, most: int | None = None) -> list:
    """The input shapes of a merge layer as a list of tuples, checked to be `least` to `most`."""
    name = type(layer).__name__
    if (
        not isinstance(input_shape, list | tuple)
        or not least <= len(input_shape) <= (most or len(input_shape))
        or not all(isinstance(s, list | tuple) for s in input_shape)
    ):
        count = f"{least}" if most == least else f"at least {least}"
        raise ValueError(
            f"{name} expects a list of {count} inputs. Received: input_shape={input_shape}"
        )
    return [tuple(s) for s in input_shape]


def _mask_list(layer: Layer, inputs: Any, mask: Any) -> list | None:
    """The inputs' masks as a list, one per input (None for an input without one)."""
    if mask is None:
        return None
    if not isinstance(mask, list | tuple) or len(mask) != len(inputs):
        raise ValueError(
            f"{type(layer).__name__} {layer.name!r}: the mask must be a list with one entry "
            f"(or None) per input, {len(inputs)} in all. Received: mask={mask!r:.80}"
        )
    return list(mask)


def _feature_mask(x: Any, mask: Any) -> Any:
    """`mask` spread over the features of `x` (all True where x has no mask)."""
    if mask is None:
        return ops.ones(x.shape, "bool")
    if mask.ndim < x.ndim:
        return ops.broadcast_to(ops.expand_dims(mask, -1), x.shape)
    return mask


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
