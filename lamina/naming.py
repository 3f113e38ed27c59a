"""Unique default names (`dense`, `dense_1`, ...) for layers, models and metrics."""

import re

_counts: dict[str, int] = {}


def to_snake_case(name: str) -> str:
    """`"ReLU"` -> `"re_lu"`, `"Conv2D"` -> `"conv2d"`, `"Dense"` -> `"dense"`."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base: str) -> str:
    """Return `base` the first time, then `base_1`, `base_2`, ..."""
    count = _counts.get(base, 0)
    _counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def was_handed_out(base: str) -> bool:
    """Whether `unique_name(base)` was called since the last `reset_names()`."""
    return base in _counts


def reset_names() -> None:
    """Forget the names handed out so far (as `keras.backend.clear_session` does)."""
    _counts.clear()
