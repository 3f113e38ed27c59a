"""Regularizers: penalties by hand, gradients, validation, configs."""

import numpy as np
import pytest

from lamina import regularizers
from lamina.testing import check_gradients

W = np.array([[1.0, -2.0], [0.5, 0.0]])


def test_penalties():
    np.testing.assert_allclose(float(regularizers.L1(0.1)(W)), 0.1 * 3.5)
    np.testing.assert_allclose(float(regularizers.L2(0.1)(W)), 0.1 * 5.25)
    np.testing.assert_allclose(float(regularizers.L1L2(0.1, 0.2)(W)), 0.35 + 0.2 * 5.25)
    assert float(regularizers.L1L2()(W)) == 0.0
    assert regularizers.L1(0.1)(W).shape == ()


def test_defaults_and_strings():
    assert regularizers.get("l1").l1 == 0.01
    assert regularizers.get("l2").l2 == 0.01
    both = regularizers.get("l1_l2")
    assert (both.l1, both.l2) == (0.01, 0.01)
    assert (regularizers.L1L2().l1, regularizers.L1L2().l2) == (0.0, 0.0)
    assert regularizers.get(None) is None
    with pytest.raises(ValueError, match="Unknown regularizer 'l3'.*l1_l2"):
        regularizers.get("l3")


def test_orthogonal_regularizer():
    assert float(regularizers.OrthogonalRegularizer(1.0)(np.eye(3))) == pytest.approx(0.0)
    # Two identical rows: one pair with |cos| = 1 -> factor * 0.5 * 2 / 1.
    rows = np.array([[1.0, 1.0], [2.0, 2.0]])
    assert float(regularizers.OrthogonalRegularizer(1.0)(rows)) == pytest.approx(1.0)
    cols = regularizers.OrthogonalRegularizer(1.0, mode="columns")(rows.T)
    assert float(cols) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="rank 2"):
        regularizers.OrthogonalRegularizer()(np.ones(3))
    with pytest.raises(ValueError, match="mode='diag'"):
        regularizers.OrthogonalRegularizer(mode="diag")


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: regularizers.L1(-1.0), "l1=-1.0"),
        (lambda: regularizers.L2(float("inf")), "l2=inf"),
        (lambda: regularizers.L1L2(l2="x"), "l2='x'"),
    ],
)
def test_bad_factors(make, name):
    with pytest.raises(ValueError, match=name):
        make()


@pytest.mark.parametrize(
    "reg",
    [regularizers.L2(0.3), regularizers.L1L2(0.1, 0.2), regularizers.OrthogonalRegularizer(0.5)],
)
def test_gradients(reg):
    check_gradients(lambda w: reg(w), [np.array([[0.7, -1.3, 0.4], [0.2, 0.9, -0.6]])])


@pytest.mark.parametrize(
    "reg",
    [
        regularizers.L1(0.3),
        regularizers.L1L2(0.1, 0.2),
        regularizers.OrthogonalRegularizer(0.5, "columns"),
    ],
)
def test_config_round_trip(reg):
    again = regularizers.deserialize(regularizers.serialize(reg))
    assert type(again) is type(reg) and again.get_config() == reg.get_config()
