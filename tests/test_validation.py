"""lamina.validation: the shared argument checks."""

import numpy as np
import pytest

from lamina.validation import check_int, check_number


def test_check_int_returns_the_int():
    assert check_int("epochs", np.int64(3), minimum=1) == 3
    assert type(check_int("epochs", np.int64(3))) is int
    assert check_int("batch_size", None, allow_none=True) is None


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        (0, {"minimum": 1}, r"^Expected epochs to be an integer >= 1. Received: epochs=0$"),
        (True, {}, r"Received: epochs=True$"),
        (2.0, {}, r"Received: epochs=2.0$"),
        (None, {}, r"integer >= 0. Received: epochs=None$"),
        ("3", {"allow_none": True}, r"integer >= 0 or None. Received: epochs='3'$"),
        (-1, {"owner": "EarlyStopping"}, r"^EarlyStopping: expected epochs to be an integer"),
    ],
)
def test_check_int_refuses_with_name_and_value(value, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_int("epochs", value, **kwargs)


def test_check_number_returns_a_float():
    assert check_number("rho", np.float32(0.5), low=0.0, high=1.0, high_open=True) == 0.5
    assert type(check_number("delta", 2)) is float
    assert check_number("baseline", None, allow_none=True) is None


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        (1.0, {"low": 0.0, "high": 1.0, "high_open": True}, r"a number in \[0.0, 1.0\)\. "),
        (0.0, {"low": 0.0, "high": 1.0, "low_open": True}, r"a number in \(0.0, 1.0\]\. "),
        (-0.1, {"low": 0.0}, r"a number >= 0.0\. Received: x=-0.1$"),
        (0.0, {"low": 0.0, "low_open": True}, r"a number > 0.0\. "),
        (0.5, {"high": 0.0}, r"a number <= 0.0\. "),
        (float("nan"), {}, r"^Expected x to be a finite number\. Received: x=nan$"),
        (float("inf"), {"low": 0.0}, r"Received: x=inf$"),
        (False, {}, r"Received: x=False$"),
        ("1", {"allow_none": True}, r"a finite number or None\. Received: x='1'$"),
        (2.0, {"high": 1.0, "owner": "SGD"}, r"^SGD: expected x to be a number <= 1.0\. "),
    ],
)
def test_check_number_refuses_with_name_range_and_value(value, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_number("x", value, **kwargs)
