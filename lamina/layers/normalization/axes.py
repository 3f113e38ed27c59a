"""Axis arguments of the normalization layers: checked once, resolved against the input."""

from typing import Any


def normalize_axes(owner: str, axis: Any) -> tuple[int, ...]:
    """`axis` (an int or a list of ints) as a tuple of ints; raise naming `owner` otherwise."""
    axes = tuple(axis) if isinstance(axis, list | tuple) else (axis,)
    if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
        raise ValueError(
            f"{owner}: expected axis to be an int or a list of ints. Received: axis={axis!r}"
        )
    return axes


def check_input(layer: Any, input_shape: Any, axis: tuple[int, ...]) -> tuple[int, ...]:
    """The non-negative feature axes of an input of `input_shape`; raise naming the layer when
    an axis is out of range or its size is unknown or differs from the built weights."""
    rank = len(input_shape)
    name = type(layer).__name__
    if any(not -rank <= a < rank for a in axis):
        raise ValueError(
            f"{name} {layer.name!r}: axis {axis} is out of range for inputs of rank {rank}. "
            f"Received: input shape {tuple(input_shape)}"
        )
    axes = tuple(sorted(a % rank for a in axis))
    if any(input_shape[a] is None for a in axes):
        raise ValueError(
            f"{name} {layer.name!r}: the size of the normalized axis {axis} must be known. "
            f"Received: input shape {tuple(input_shape)}"
        )
    want = getattr(layer, "feature_shape", None)
    if want is not None:
        got = tuple(input_shape[a] for a in axes)
        if got != want:
            raise ValueError(
                f"{name} {layer.name!r} was built for {want} features on axis {axis}. "
                f"Received: input shape {tuple(input_shape)}"
            )
    return axes


def broadcast_shape(ndim: int, axes: tuple[int, ...], feature_shape: tuple) -> tuple:
    """The shape that lines per-feature weights up with an input of rank `ndim`."""
    shape = [1] * ndim
    for a, n in zip(axes, feature_shape, strict=True):
        shape[a] = n
    return tuple(shape)
