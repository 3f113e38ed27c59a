"""The Function contract: declared parameters, checked by `apply`."""

import importlib
import pkgutil

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.function import Function, recording
from lamina.ops.nn import ReluOp


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
        match=r"_ScaleOp.apply takes .*declared: factor, offset.*"
        r"unknown=\['factr'\], missing=\['factor'\]",
    ):
        _ScaleOp.apply(x, factr=2.0)


def test_a_missing_parameter_is_an_error_naming_the_op():
    x = ops.convert_to_tensor(np.ones(2))
    with pytest.raises(
        TypeError, match=r"_ScaleOp.apply takes .*unknown=\[\], missing=\['factor'\]"
    ):
        _ScaleOp.apply(x)


def test_parameters_are_inherited_by_subclasses():
    class _ShiftedOp(_ScaleOp):
        power: int = 1

    assert _ShiftedOp.params == {"factor", "offset", "power"}
    assert _ShiftedOp.required_params == {"factor"}


def test_an_op_without_parameters_takes_no_keywords():
    with pytest.raises(TypeError, match=r"ReluOp.apply takes .*declared: none.*unknown=\['axis'\]"):
        ReluOp.apply(ops.convert_to_tensor(np.ones(2)), axis=0)


def _lamina_ops() -> list[type[Function]]:
    for info in pkgutil.iter_modules(lamina.ops.__path__, "lamina.ops."):
        importlib.import_module(info.name)
    found, todo = [], [Function]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("lamina."):
                found.append(sub)
    return found


def test_every_op_class_is_named_apart_from_the_layers():
    op_classes = _lamina_ops()
    assert len(op_classes) > 50
    assert [c.__name__ for c in op_classes if not c.__name__.endswith("Op")] == []
    assert {c.__name__ for c in op_classes} & set(dir(lamina.layers)) == set()


def test_recording_is_true_only_inside_a_tape_and_not_under_no_grad():
    assert not recording()
    with lamina.GradientTape():
        assert recording()
        with lamina.no_grad():
            assert not recording()
    assert not recording()
