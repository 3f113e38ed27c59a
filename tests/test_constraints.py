"""Constraints: projected values by hand, array/tensor in and out, configs."""

import numpy as np
import pytest

from lamina import Tensor, Variable, constraints

W = np.array([[3.0, 0.1], [4.0, 0.0]], dtype="float32")  # column norms 5 and 0.1


def test_max_norm():
    out = constraints.MaxNorm(2.0)(W)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), [2.0, 0.1], rtol=1e-5)
    assert out.dtype == np.float32 and isinstance(out, np.ndarray)
    rows = constraints.MaxNorm(1.0, axis=1)(W)
    assert np.linalg.norm(rows, axis=1).max() <= 1.0 + 1e-6


def test_min_max_norm_and_rate():
    out = constraints.MinMaxNorm(1.0, 2.0)(W)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), [2.0, 1.0], rtol=1e-5)
    half = constraints.MinMaxNorm(1.0, 2.0, rate=0.5)(W)
    np.testing.assert_allclose(np.linalg.norm(half, axis=0), [3.5, 0.55], rtol=1e-5)


def test_non_neg_and_unit_norm():
    np.testing.assert_array_equal(constraints.NonNeg()(np.array([-1.0, 0.0, 2.0])), [0, 0, 2])
    out = constraints.UnitNorm()(W)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), [1.0, 1.0], rtol=1e-5)


def test_tensor_in_tensor_out_and_assign():
    v = Variable(W.copy())
    out = constraints.MaxNorm(1.0)(v)
    assert isinstance(out, Tensor)
    v.assign(out)
    np.testing.assert_allclose(np.linalg.norm(v.numpy(), axis=0), [1.0, 0.1], rtol=1e-5)


def test_get_and_errors():
    assert isinstance(constraints.get("max_norm"), constraints.MaxNorm)
    assert isinstance(constraints.get("NonNeg"), constraints.NonNeg)
    assert constraints.get(None) is None
    with pytest.raises(ValueError, match="Unknown constraint 'maxnorm'.*max_norm"):
        constraints.get("maxnorm")
    with pytest.raises(ValueError, match="rate=2"):
        constraints.MinMaxNorm(rate=2)
    with pytest.raises(ValueError, match="max_value=-1"):
        constraints.MaxNorm(-1)


@pytest.mark.parametrize(
    "c",
    [
        constraints.MaxNorm(3.0, axis=[0, 1]),
        constraints.UnitNorm(1),
        constraints.MinMaxNorm(0.5, 1.5, 0.7),
        constraints.NonNeg(),
    ],
)
def test_config_round_trip(c):
    again = constraints.deserialize(constraints.serialize(c))
    assert type(again) is type(c) and again.get_config() == c.get_config()
