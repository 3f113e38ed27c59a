import numpy as np
import pytest

from lamina.backend import jit


@jit.njit
def _total(values):
    result = 0.0
    for v in values:
        result += v
    return result


def test_njit_kernel_gives_the_python_result():
    pytest.importorskip("numba")
    values = np.arange(5.0)
    assert _total(values) == 10.0


def test_jit_enabled_only_for_numpy_arrays_and_when_switched_on():
    pytest.importorskip("numba")
    previous = jit.set_jit_enabled(True)
    try:
        assert jit.jit_enabled(np.ones(2), np.zeros(3))
        assert not jit.jit_enabled(np.ones(2), [1.0, 2.0])
        assert jit.set_jit_enabled(False) is True
        assert not jit.jit_enabled(np.ones(2))
    finally:
        jit.set_jit_enabled(previous)
