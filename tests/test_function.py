"""The Function contract: declared parameters, checked by `apply`."""

import numpy as np
import pytest

from lamina import ops
from lamina.function import Function
from lamina.ops.nn import Relu


class _ScaleOp(Function):
    factor: float
    offset: float = 0.0

    def forward(self, x):
        return x * self.factor + self.offset

    def backward(self, grad):
        # d(factor x + offset)/dx = factor
        return (grad * self.factor,)


def test_declared_parameters_are_set_before_forward_and_defaults_apply():
    x = ops.convert_to_tensor(np.array([1.0, 2.0]))
    np.testing.assert_allclose(_ScaleOp.apply(x, factor=2.0).numpy(), [2.0, 4.0])
    np.testing.assert_allclose(_ScaleOp.apply(x, factor=2.0, offset=1.0).numpy(), [3.0, 5.0])
    assert _ScaleOp.params == {"factor", "offset"}
    assert _ScaleOp.required_params == {"factor"}


def test_an_undeclared_parameter_is_an_error_naming_the_op():
    x = ops.convert_to_tensor(np.ones(2))
    with pytest.raises(
        TypeError,
        match=r"_ScaleOp.apply: .*declared: factor, offset.*"
        r"unknown=\['factr'\], missing=\['factor'\]",
    ):
        _ScaleOp.apply(x, factr=2.0)


def test_a_missing_parameter_is_an_error_naming_the_op():
    x = ops.convert_to_tensor(np.ones(2))
    with pytest.raises(TypeError, match=r"_ScaleOp.apply: .*unknown=\[\], missing=\['factor'\]"):
        _ScaleOp.apply(x)


def test_parameters_are_inherited_by_subclasses():
    class _ShiftedOp(_ScaleOp):
        power: int = 1

    assert _ShiftedOp.params == {"factor", "offset", "power"}
    assert _ShiftedOp.required_params == {"factor"}


def test_an_op_without_parameters_takes_no_keywords():
    with pytest.raises(TypeError, match=r"Relu.apply: .*declared: none.*unknown=\['axis'\]"):
        Relu.apply(ops.convert_to_tensor(np.ones(2)), axis=0)
