"""Generic tests over every public op, driven by `lamina.testing.op_registry`."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.testing import check_gradients
from lamina.testing.op_registry import REGISTRY, public_op_names


def _is_float(x) -> bool:
    return isinstance(x, np.ndarray) and x.dtype.kind == "f"


def _params(select=lambda info, sample: True):
    return [
        pytest.param(info, sample, id=f"{info.name}-{i}-{sample.desc}")
        for info in REGISTRY.values()
        for i, sample in enumerate(info.sample_inputs())
        if select(info, sample)
    ]


CASES = _params()
FLOAT_CASES = _params(lambda info, s: any(_is_float(x) for x in s.inputs))
GRAD_CASES = _params(
    lambda info, s: info.differentiable and s.grad and any(_is_float(x) for x in s.inputs)
)
NONDIFF_CASES = _params(
    lambda info, s: not info.differentiable and any(_is_float(x) for x in s.inputs)
)
ERROR_CASES = [
    pytest.param(info, case, id=f"{info.name}-{i}")
    for info in REGISTRY.values()
    for i, case in enumerate(info.raises)
]
RANDOM_OPS = [pytest.param(info, id=info.name) for info in REGISTRY.values() if info.is_random]


def _tensors(inputs, float_dtype=None):
    out = []
    for x in inputs:
        if float_dtype is not None and _is_float(x):
            x = x.astype(float_dtype)  # order "K": a transposed layout stays transposed
        out.append(ops.convert_to_tensor(x))
    return out


def _as_list(result):
    return list(result) if isinstance(result, list | tuple) else [result]


def _compare(info, sample, result, expected, atol, rtol):
    results, expecteds = _as_list(result), _as_list(expected)
    assert len(results) == len(expecteds)
    for got, want in zip(results, expecteds, strict=True):
        if isinstance(got, lamina.Tensor):
            assert got._node is None, "an op recorded a graph outside a GradientTape"
        got, want = np.asarray(got), np.asarray(want)
        assert got.shape == want.shape
        if want.dtype.kind == "f":
            assert got.dtype == want.dtype
        else:
            assert got.dtype.kind == want.dtype.kind or {got.dtype.kind, want.dtype.kind} <= {
                "i",
                "u",
            }
        if info.is_random:
            info.check_random(got, sample)
        else:
            np.testing.assert_allclose(got, want, atol=atol, rtol=rtol, equal_nan=True)


def test_every_public_op_has_a_registry_entry():
    missing = sorted(set(public_op_names()) - set(REGISTRY))
    assert not missing, f"public ops without an entry in lamina.testing.op_registry: {missing}"


def test_registry_has_no_entries_for_unknown_ops():
    unknown = sorted(set(REGISTRY) - set(public_op_names()))
    assert not unknown, f"registry entries for names that are not public ops: {unknown}"


@pytest.mark.parametrize("info", [pytest.param(i, id=i.name) for i in REGISTRY.values()])
def test_entries_cover_the_awkward_inputs(info):
    samples = info.sample_inputs()
    assert samples
    arrays = [x for s in samples for x in s.inputs if isinstance(x, np.ndarray)]
    if not any(_is_float(x) for x in arrays):
        return  # creation ops and the like take shapes, not arrays
    assert any(x.size == 1 for x in arrays), "no 0-d or size-1 input"
    assert any(not x.flags.c_contiguous for x in arrays), "no non-contiguous input"
    if info.differentiable:
        assert any(s.grad for s in samples), "no sample to check gradients at"


@pytest.mark.parametrize("info, sample", CASES)
def test_forward_matches_numpy_in_float64(info, sample):
    result = info.fn(*_tensors(sample.inputs), **sample.kwargs)
    expected = info.reference(*sample.inputs, **sample.kwargs)
    _compare(info, sample, result, expected, info.atol, info.rtol)


@pytest.mark.parametrize("info, sample", FLOAT_CASES)
def test_forward_keeps_float32(info, sample):
    inputs = [x.astype(np.float32) if _is_float(x) else x for x in sample.inputs]
    result = info.fn(*_tensors(inputs), **sample.kwargs)
    expected = info.reference(*inputs, **sample.kwargs)
    _compare(info, sample, result, expected, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("info, sample", GRAD_CASES)
def test_gradients_match_central_differences_in_float64(info, sample):
    check_gradients(
        lambda *tensors: info.fn(*tensors, **sample.kwargs),
        sample.inputs,
        atol=info.grad_atol,
        rtol=info.grad_rtol,
        eps=info.grad_eps,
    )


@pytest.mark.parametrize("info, sample", GRAD_CASES)
def test_float32_gradients_have_the_dtype_and_shape_of_their_inputs(info, sample):
    tensors = _tensors(sample.inputs, np.float32)
    watched = [t for t, x in zip(tensors, sample.inputs, strict=True) if _is_float(x)]
    with lamina.GradientTape() as tape:
        tape.watch(watched)
        outputs = _as_list(info.fn(*tensors, **sample.kwargs))
    grads = tape.gradient(outputs, watched)
    for t, g in zip(watched, grads, strict=True):
        assert g is not None
        assert g.shape == t.shape
        assert g.dtype == np.float32


@pytest.mark.parametrize("info, sample", NONDIFF_CASES)
def test_non_differentiable_ops_record_nothing(info, sample):
    tensors = _tensors(sample.inputs)
    with lamina.GradientTape() as tape:
        tape.watch([t for t in tensors if t.dtype.kind == "f"])
        result = info.fn(*tensors, **sample.kwargs)
    for out in _as_list(result):
        assert getattr(out, "_node", None) is None


@pytest.mark.parametrize("info, case", ERROR_CASES)
def test_invalid_inputs_raise_errors_naming_the_op(info, case):
    with pytest.raises(case.error, match=case.match):
        info.fn(*_tensors(case.inputs), **case.kwargs)


def _draw(info, sample, seed):
    kwargs = {**sample.kwargs, "seed": seed}
    return np.asarray(info.fn(*_tensors(sample.inputs), **kwargs))


@pytest.mark.parametrize("info", RANDOM_OPS)
def test_random_ops_are_reproducible_with_a_seed(info):
    for sample in info.sample_inputs():
        first, again = _draw(info, sample, 123), _draw(info, sample, 123)
        np.testing.assert_array_equal(first, again)
        if first.size >= 20:
            assert not np.array_equal(first, _draw(info, sample, 124))


@pytest.mark.parametrize("info", RANDOM_OPS)
def test_random_ops_advance_a_seed_generator(info):
    sample = max(info.sample_inputs(), key=lambda s: _draw(info, s, 0).size)
    gen = lamina.backend.SeedGenerator(7)
    first, second = _draw(info, sample, gen), _draw(info, sample, gen)
    assert not np.array_equal(first, second)
    replay = lamina.backend.SeedGenerator(7)
    np.testing.assert_array_equal(_draw(info, sample, replay), first)


def test_samples_are_deterministic():
    for info in REGISTRY.values():
        first, again = info.sample_inputs(), info.sample_inputs()
        for a, b in zip(first, again, strict=True):
            for x, y in zip(a.inputs, b.inputs, strict=True):
                np.testing.assert_array_equal(x, y)
