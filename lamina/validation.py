"""Argument checks shared by the whole library; errors end in `Received: name=value`."""

import math
from typing import Any

import numpy as np


def _expected(owner: str | None, name: str, want: str, value: Any) -> ValueError:
    lead = f"{owner}: expected" if owner else "Expected"
    return ValueError(f"{lead} {name} to be {want}. Received: {name}={value!r}")


def check_int(
    name: str,
    value: Any,
    *,
    minimum: int = 0,
    allow_none: bool = False,
    owner: str | None = None,
) -> int | None:
    """Return `value` as an int if it is an integer >= `minimum` (bools are not), else raise.

    Args:
        name: the argument's name, for the error.
        value: what the caller passed.
        minimum: the smallest value allowed.
        allow_none: whether None is allowed (and returned).
        owner: what takes the argument (e.g. `"EarlyStopping"`); leads the error when given.

    Raises:
        ValueError: naming the argument and what it received.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        want = f"an integer >= {minimum}" + (" or None" if allow_none else "")
        raise _expected(owner, name, want, value)
    return int(value)


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_none: bool = False,
    owner: str | None = None,
) -> float | None:
    """Return `value` as a float if it is a finite number within the bounds, else raise.

    Args:
        name: the argument's name, for the error.
        value: what the caller passed.
        low: the lower bound, included unless `low_open`; None for no bound.
        high: the upper bound, included unless `high_open`; None for no bound.
        allow_none: whether None is allowed (and returned).
        owner: what takes the argument; leads the error when given.

    Raises:
        ValueError: naming the argument, the allowed range and what it received.

    Example:
    >>> check_number("rate", 0.5, low=0, high=1, high_open=True)
    0.5
    """
    if value is None and allow_none:
        return None
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if ok and math.isfinite(value):
        v = float(value)
        above = low is None or (v > low if low_open else v >= low)
        below = high is None or (v < high if high_open else v <= high)
        if above and below:
            return v
    if low is not None and high is not None:
        want = f"a number in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    elif low is not None:
        want = f"a number {'>' if low_open else '>='} {low}"
    elif high is not None:
        want = f"a number {'<' if high_open else '<='} {high}"
    else:
        want = "a finite number"
    raise _expected(owner, name, want + (" or None" if allow_none else ""), value)
