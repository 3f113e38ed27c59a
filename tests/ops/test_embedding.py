"""The embedding's backward: the compiled row sums against NumPy's bincount path."""

import importlib

import numpy as np
import pytest

import lamina
from lamina.backend import set_jit_enabled

embedding = importlib.import_module("lamina.ops.embedding")  # the module, not the function

pytest.importorskip("numba")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_and_numpy_backward_give_the_same_table_gradient(dtype, monkeypatch):
    calls = []
    kernel = embedding._add_rows
    monkeypatch.setattr(embedding, "_add_rows", lambda *args: calls.append(1) or kernel(*args))
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 7, (4, 9))
    ids[:, :5] = 3  # many repeats of one id
    table = lamina.ops.convert_to_tensor(rng.standard_normal((7, 5)).astype(dtype))
    cotangent = rng.standard_normal((4, 9, 5)).astype(dtype)
    grads = []
    for jit in (True, False):
        previous = set_jit_enabled(jit)
        try:
            with lamina.GradientTape() as tape:
                tape.watch(table)
                loss = lamina.ops.sum(lamina.ops.embedding(ids, table) * cotangent)
            grads.append(tape.gradient(loss, table).numpy())
        finally:
            set_jit_enabled(previous)
    assert calls == [1]  # the compiled sums ran once, with jit on
    assert grads[0].dtype == grads[1].dtype == dtype
    np.testing.assert_array_equal(grads[0], grads[1])
    expected = np.zeros((7, 5))
    np.add.at(expected, ids.reshape(-1), cotangent.reshape(-1, 5).astype("float64"))
    np.testing.assert_allclose(grads[0], expected, rtol=1e-6)
