"""The gradient checker itself: it passes correct gradients and explains wrong ones."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.function import Function
from lamina.testing import GradientCheckError, check_gradients


class _WrongSquare(Function):
    """x^2 with a backward that is off by `scale` at element `bad` of the flattened input."""

    bad: int
    scale: float

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad):
        # d(x^2) = 2x dx, deliberately wrong at one element
        g = 2 * self.x * grad
        g.reshape(-1)[self.bad] *= self.scale
        return (g,)


def _wrong_square(x, bad=0, scale=1.5):
    return _WrongSquare.apply(x, bad=bad, scale=scale)


def test_correct_gradients_pass():
    rng = np.random.default_rng(0)
    check_gradients(lambda x, y: ops.sum(x * ops.exp(y)), [rng.random((2, 3)), rng.random(3)])
    check_gradients(lambda x: ops.tanh(x) * 2, [rng.random((4, 4))])


def test_large_inputs_are_checked_along_a_random_direction():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((30, 20))
    check_gradients(ops.tanh, [x])
    with pytest.raises(GradientCheckError, match=r"input 0 \(shape \(30, 20\)\).*random direction"):
        check_gradients(lambda v: _wrong_square(v, bad=7, scale=3.0), [x])


def test_a_wrong_element_is_named_with_both_values():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(GradientCheckError) as err:
        check_gradients(lambda a, b: _wrong_square(b, bad=2) + a, [np.ones((2, 2)), x])
    message = str(err.value)
    assert "input 1" in message
    assert "element (1, 0)" in message
    assert "analytic 9.0" in message  # 2 * 3 * 1.5
    assert "numeric 6.0" in message or "numeric 5.99999" in message


def test_a_wrong_element_of_a_medium_input_is_named_under_a_random_cotangent():
    x = np.linspace(0.5, 2.0, 10)  # 10 inputs but 40 outputs: over the full-Jacobian limit
    with pytest.raises(GradientCheckError, match=r"input 0 \(shape \(10,\)\) .* element \(5,\)"):
        check_gradients(lambda v: ops.tile(_wrong_square(v, bad=5), 4), [x], max_full_jacobian=20)


def test_a_missing_gradient_is_reported():
    with pytest.raises(GradientCheckError, match="analytic 0.0"):
        check_gradients(lambda x: lamina.stop_gradient(x) * 2.0, [np.array([2.0])])


def test_several_outputs_are_checked_together():
    check_gradients(lambda x: ops.split(x * x, 2), [np.arange(1.0, 5.0)])
    with pytest.raises(GradientCheckError, match="of output 1"):
        check_gradients(lambda x: [x * 1.0, _wrong_square(x, bad=1)], [np.arange(1.0, 4.0)])


def test_inputs_are_cast_to_float64_and_keep_their_layout():
    seen = []

    def fn(x):
        seen.append((x.dtype, x.data.flags.c_contiguous))
        return x * 2

    x = np.asfortranarray(np.ones((3, 4), dtype="float32"))
    check_gradients(fn, [x])
    assert seen[0] == (np.float64, False)  # the recorded call sees the original layout


def test_integer_inputs_pass_through_undifferentiated():
    x = np.arange(6.0).reshape(2, 3)
    idx = np.array([2, 0])
    check_gradients(lambda v, i: ops.take(v, i, axis=1), [x, idx])
    with pytest.raises(TypeError, match="not a float"):
        check_gradients(lambda v, i: ops.take(v, i, axis=1), [x, idx], wrt=[1])


def test_wrt_limits_the_checked_inputs():
    check_gradients(lambda a, b: a * lamina.stop_gradient(b), [np.ones(2), np.ones(2)], wrt=[0])


def test_non_float_outputs_are_rejected():
    with pytest.raises(TypeError, match="float tensors"):
        check_gradients(lambda x: ops.argmax(x), [np.arange(3.0)])


def test_inputs_may_be_tensors_or_lists():
    check_gradients(lambda x: x * x, [ops.convert_to_tensor([1.0, 2.0])])
    check_gradients(lambda x: x * x, [[1.0, 2.0]])


def test_the_error_is_an_assertion_error():
    assert issubclass(GradientCheckError, AssertionError)
