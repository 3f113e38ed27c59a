"""Float64 precision of ops: weak Python scalars, erf/erfc and gelu, kinks of hard_sigmoid."""

import math

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.ops.special import erf, erfc

X64 = np.array([1.0, 2.0, 3.0, 1e-3, -7.25]) / 3


@pytest.mark.parametrize(
    "op, reference",
    [
        (ops.add, np.add),
        (ops.subtract, np.subtract),
        (ops.multiply, np.multiply),
        (ops.divide, np.divide),
        (ops.maximum, np.maximum),
    ],
)
def test_a_python_float_keeps_the_float64_precision_of_an_array(op, reference):
    for x, y in [(X64, 0.1), (0.1, X64), (ops.convert_to_tensor(X64), 0.1)]:
        out = op(x, y)
        assert out.dtype == np.float64
        want = reference(np.asarray(x), np.asarray(y))
        np.testing.assert_array_equal(out.numpy(), want)


def test_python_floats_stay_weak_against_float32_and_widen_integers():
    assert ops.add(X64.astype(np.float32), 0.1).dtype == np.float32
    assert ops.multiply(0.5, np.arange(3)).dtype == np.float32
    assert ops.add(0.1, 0.2).dtype == np.float32


def test_erf_and_erfc_match_math_to_float64_rounding():
    x = np.concatenate([np.linspace(-8.0, 8.0, 20001), np.linspace(-27.0, 27.0, 541)])
    want = np.array([math.erf(v) for v in x])
    want_c = np.array([math.erfc(v) for v in x])
    np.testing.assert_allclose(erf(x), want, rtol=2e-15, atol=1e-300)
    np.testing.assert_allclose(erfc(x), want_c, rtol=4e-15, atol=1e-300)
    np.testing.assert_array_equal(erf(np.array([np.inf, -np.inf, 0.0])), [1.0, -1.0, 0.0])
    np.testing.assert_array_equal(erfc(np.array([np.inf, -np.inf])), [0.0, 2.0])
    assert erf(np.array(0.25)).shape == ()


def test_erf_in_float32_is_accurate_near_zero_too():
    x = np.concatenate([np.geomspace(1e-30, 0.5, 200), np.linspace(-6, 6, 1201)])
    x = x.astype(np.float32)
    got = erf(x)
    assert got.dtype == np.float32
    want = np.array([math.erf(v) for v in x.astype(np.float64)])
    np.testing.assert_allclose(got, want, rtol=5e-7, atol=1e-38)


def test_exact_gelu_is_accurate_in_float64_even_in_the_left_tail():
    x = np.concatenate([np.linspace(-5.0, 5.0, 1001), [-30.0, -12.5]])
    # erfc's argument rounded as gelu rounds it: far in the tail erfc magnifies a 1-ulp change
    # of its argument (by 2 a^2, about 1e-13 at x = -30), which no formula avoids.
    want = np.array([v * math.erfc(v * -math.sqrt(0.5)) / 2 for v in x])
    got = ops.gelu(x, approximate=False).numpy()
    np.testing.assert_allclose(got, want, rtol=4e-15, atol=0)


def test_exact_gelu_gradient_in_float64():
    x = ops.convert_to_tensor(np.array([-2.5, -0.3, 0.0, 0.7, 3.0]))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = ops.gelu(x, approximate=False)
    g = tape.gradient(y, x).numpy()
    v = x.numpy()
    want = [
        0.5 * math.erfc(-t / math.sqrt(2)) + t * math.exp(-t * t / 2) / math.sqrt(2 * math.pi)
        for t in v
    ]
    np.testing.assert_allclose(g, want, rtol=1e-15, atol=1e-17)


def _gradient(fn, x):
    x = ops.convert_to_tensor(np.asarray(x, dtype=np.float64))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return tape.gradient(y, x).numpy()


def test_hard_sigmoid_slope_is_exactly_one_sixth_and_zero_at_the_breakpoints():
    x = [-4.0, -3.0, -2.999, -1.0, 0.0, 1.7, 2.999, 3.0, 4.0]
    g = _gradient(ops.hard_sigmoid, x)
    sixth = 1.0 / 6.0
    np.testing.assert_array_equal(g, [0.0, 0.0, sixth, sixth, sixth, sixth, sixth, 0.0, 0.0])
    np.testing.assert_array_equal(
        ops.hard_sigmoid(np.array(x)).numpy(), np.clip(np.array(x) + 3, 0, 6) / 6
    )


def test_relu6_gradient_is_zero_at_both_kinks():
    g = _gradient(ops.relu6, [-1.0, 0.0, 0.5, 6.0, 7.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0, 0.0, 0.0])
