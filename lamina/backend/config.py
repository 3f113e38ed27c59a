"""Global numeric settings: the default float type and the fuzz factor."""

_FLOATX = "float32"
_EPSILON = 1e-7
_ALLOWED_FLOATX = ("float16", "bfloat16", "float32", "float64")


def floatx() -> str:
    """Return the default float type as a string, `"float32"` unless changed.

    Example:
    >>> lamina.backend.floatx()
    'float32'
    """
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type used for new weights and converted Python floats.

    Args:
        value: one of `"float16"`, `"bfloat16"`, `"float32"`, `"float64"`.
    """
    global _FLOATX
    if value not in _ALLOWED_FLOATX:
        raise ValueError(
            f"Expected floatx to be one of {_ALLOWED_FLOATX}. Received: value={value!r}"
        )
    _FLOATX = str(value)


def epsilon() -> float:
    """Return the fuzz factor used to avoid division by zero (default 1e-7)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by `epsilon()`."""
    global _EPSILON
    _EPSILON = float(value)
