"""The compiled LSTM and GRU steps against the NumPy steps: outputs, final states, gradients."""

import itertools

import numpy as np
import pytest

import lamina
from lamina.backend import set_jit_enabled
from lamina.ops import recurrent, recurrent_kernels

pytest.importorskip("numba")

BATCH, STEPS, FEATURES, UNITS = 3, 6, 4, 5
CELLS = [("lstm", {}), ("gru", {"reset_after": True}), ("gru", {"reset_after": False})]


def _inputs(cell: str, rng: np.random.Generator) -> list[np.ndarray]:
    gates = 4 if cell == "lstm" else 3
    arrays = [
        rng.standard_normal((BATCH, STEPS, FEATURES)),
        rng.standard_normal((FEATURES, gates * UNITS)) * 0.5,
        rng.standard_normal((UNITS, gates * UNITS)) * 0.5,
        rng.standard_normal(gates * UNITS) * 0.5,
    ]
    if cell == "gru":
        arrays.append(rng.standard_normal(gates * UNITS) * 0.5)
    arrays += [rng.standard_normal((BATCH, UNITS)) for _ in range(2 if cell == "lstm" else 1)]
    return [a.astype("float32") for a in arrays]


def _run(cell: str, arrays: list, options: dict, jit: bool) -> tuple[list, list]:
    """Outputs and the gradients of every input for a fixed random cotangent."""
    previous = set_jit_enabled(jit)
    try:
        tensors = [lamina.ops.convert_to_tensor(a) for a in arrays]
        with lamina.GradientTape() as tape:
            for t in tensors:
                tape.watch(t)
            outs = getattr(recurrent, cell)(*tensors, **options)
            rng = np.random.default_rng(1)
            loss = sum(
                lamina.ops.sum(o * rng.standard_normal(o.shape).astype("float32")) for o in outs
            )
        grads = tape.gradient(loss, tensors)
    finally:
        set_jit_enabled(previous)
    return [o.numpy() for o in outs], [g.numpy() for g in grads]


@pytest.fixture
def kernel_calls(monkeypatch):
    """Counts the compiled steps' calls, forward and backward."""
    calls = []
    for name in ("lstm_step", "lstm_step_backward", "gru_step", "gru_step_backward"):
        kernel = getattr(recurrent_kernels, name)

        def counted(*args, _kernel=kernel, _name=name):
            calls.append(_name)
            return _kernel(*args)

        monkeypatch.setattr(recurrent_kernels, name, counted)
    return calls


@pytest.mark.parametrize(
    "cell, extra, go_backwards, masked, dropout",
    [
        (*c, *flags)
        for c, flags in itertools.product(CELLS, itertools.product([False, True], repeat=3))
    ],
)
def test_compiled_steps_equal_the_numpy_steps(
    cell, extra, go_backwards, masked, dropout, kernel_calls
):
    rng = np.random.default_rng(0)
    arrays = _inputs(cell, rng)
    mask = rng.random((BATCH, STEPS)) > 0.3
    mask[0] = False  # a sequence with no step at all keeps its initial state
    options = {
        "go_backwards": go_backwards,
        "mask": mask if masked else None,
        "recurrent_mask": (rng.random((BATCH, UNITS)) > 0.4).astype("float32") * 1.6
        if dropout
        else None,
        **extra,
    }
    compiled_outs, compiled_grads = _run(cell, arrays, options, jit=True)
    compiled = extra.get("reset_after", True)  # GRU's reset_after=False keeps the NumPy steps
    assert len(kernel_calls) == (2 * STEPS if compiled else 0)
    numpy_outs, numpy_grads = _run(cell, arrays, options, jit=False)
    assert len(kernel_calls) == (2 * STEPS if compiled else 0)
    for got, want in zip(compiled_outs + compiled_grads, numpy_outs + numpy_grads, strict=True):
        assert got.dtype == want.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize(
    "dtype, options",
    [
        ("float64", {}),
        ("float32", {"activation": "relu"}),
        ("float32", {"recurrent_activation": "hard_sigmoid"}),
    ],
)
def test_float64_and_other_activations_keep_the_numpy_steps(dtype, options, kernel_calls):
    arrays = [a.astype(dtype) for a in _inputs("lstm", np.random.default_rng(0))]
    recurrent.lstm(*arrays, **options)
    assert kernel_calls == []


@pytest.mark.parametrize("x", [-40.0, -9.5, -3.0, -0.5, -1e-3, 0.0, 2e-4, 0.7, 4.0, 8.9, 30.0])
def test_the_kernels_tanh_is_within_float32_precision(x):
    # One step of a unit LSTM with zero weights but one bias entry exposes tanh and sigmoid.
    z = np.zeros((1, 4), "float32")
    xz = np.array([[[0.0, 0.0, x, x]]], "float32")  # i = 1/2, f = 1/2, c~ = tanh x, o = sig x
    h, c, hin = (np.zeros((1, 1), "float32") for _ in range(3))
    out, hs, cs, ac = (np.empty((1, 1, 1), "float32") for _ in range(4))
    gates = np.empty((1, 1, 4), "float32")
    unused = np.ones((1, 1), "float32")
    recurrent_kernels.lstm_step(
        z,
        xz,
        np.zeros(4, "float32"),
        0,
        h,
        c,
        hin,
        np.ones((1, 1), bool),
        False,
        unused,
        False,
        out,
        hs,
        cs,
        gates,
        ac,
    )
    np.testing.assert_allclose(gates[0, 0, 2], np.tanh(np.float64(x)), rtol=0, atol=4e-7)
    np.testing.assert_allclose(gates[0, 0, 3], 1 / (1 + np.exp(-np.float64(x))), rtol=0, atol=4e-7)
