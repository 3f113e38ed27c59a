"""Argument checks shared by the spatial reshaping layers (padding, cropping, upsampling)."""

from typing import Any


def _is_int(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def pairs(owner: str, name: str, value: Any, dims: int, minimum: int = 0) -> tuple:
    """`value` as `dims` (before, after) pairs of ints >= `minimum`.

    Accepts one int (the same everywhere), `dims` ints (symmetric per axis) or `dims` pairs;
    for `dims=1` also a single pair `(before, after)`, as Keras's 1D layers take it.
    """
    if _is_int(value, minimum):
        return ((value, value),) * dims
    items = tuple(value) if isinstance(value, list | tuple) else None
    if (
        items is not None
        and dims == 1
        and len(items) == 2
        and all(_is_int(v, minimum) for v in items)
    ):
        return (items,)
    if items is not None and len(items) == dims:
        out = []
        for item in items:
            if _is_int(item, minimum):
                out.append((item, item))
            elif (
                isinstance(item, list | tuple)
                and len(item) == 2
                and all(_is_int(v, minimum) for v in item)
            ):
                out.append(tuple(item))
            else:
                break
        else:
            return tuple(out)
    forms = (
        "an int, a pair of ints" if dims == 1 else f"an int, {dims} ints or {dims} pairs of ints"
    )
    raise ValueError(
        f"{owner}: expected {name} to be {forms}, each >= {minimum}. Received: {name}={value!r}"
    )


def spatial_axes(data_format: str, dims: int) -> tuple[int, ...]:
    """The spatial axes of a `(batch, ..., channels)` or `(batch, channels, ...)` input."""
    first = 2 if data_format == "channels_first" else 1
    return tuple(range(first, first + dims))


def check_rank(layer: Any, shape: Any, rank: int, what: str) -> None:
    """Raise naming the layer when an input of `shape` does not have rank `rank`."""
    if len(shape) != rank:
        hint = (
            " Add the missing axis with `reshape` or `expand_dims` (e.g. a channel axis of 1)."
            if len(shape) == rank - 1
            else ""
        )
        raise ValueError(
            f"{type(layer).__name__} {layer.name!r} expects {rank}D inputs {what}.{hint} "
            f"Received: inputs with shape {tuple(shape)}"
        )
