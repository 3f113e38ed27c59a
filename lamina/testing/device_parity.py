"""Runs an op sample on the CPU and on the GPU and compares forward values and gradients.

The check behind `benchmarks/gpu_check.py` and `tests/gpu`: the same lamina code must give the
same numbers on NumPy and on CuPy.

Example:
>>> from lamina.testing.op_registry import REGISTRY
>>> info = REGISTRY["matmul"]
>>> compare_devices(info, info.sample_inputs()[0])  # raises AssertionError on a mismatch
"""

from typing import Any

import numpy as np

from lamina import ops
from lamina.backend import get_device, get_xp, set_device, to_numpy
from lamina.gradient_tape import GradientTape
from lamina.tensor import Tensor
from lamina.testing.op_registry import OpInfo, Sample


def run_sample(info: OpInfo, sample: Sample) -> tuple[list[np.ndarray], list[Any]]:
    """Forward results and the gradients of a weighted sum of them, as NumPy arrays.

    The inputs go to the current device; every float input must still be there afterwards.
    """
    tensors = [ops.convert_to_tensor(x) for x in sample.inputs]
    watched = [t for t in tensors if t.dtype.kind == "f"]
    differentiable = bool(info.differentiable and sample.grad and watched)
    expected = "cupy" if get_device() == "gpu" else "numpy"
    with GradientTape() as tape:
        if differentiable:
            tape.watch(watched)
        result = info.fn(*tensors, **sample.kwargs)
        outs = list(result) if isinstance(result, list | tuple) else [result]
        total = None
        for out in outs if differentiable else []:
            weights = np.linspace(-1.0, 1.0, num=out.size).reshape(out.shape).astype(out.dtype)
            term = ops.sum(out * weights)
            total = term if total is None else total + term
    forward = [to_numpy(o.data if isinstance(o, Tensor) else o) for o in outs]
    grads = []
    if differentiable:
        grads = [None if g is None else to_numpy(g.data) for g in tape.gradient(total, watched)]
    for t in watched:
        if get_xp(t.data).__name__ != expected:
            raise AssertionError(f"an input of {info.name} is not on the {get_device()}")
    return forward, grads


def compare_devices(info: OpInfo, sample: Sample, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Raise AssertionError unless the sample gives the same results on the CPU and the GPU."""
    before = get_device()
    try:
        set_device("cpu")
        cpu = run_sample(info, sample)
        set_device("gpu")
        gpu = run_sample(info, sample)
    finally:
        set_device(before)
    for kind, cpu_arrays, gpu_arrays in (("forward", cpu[0], gpu[0]), ("grad", cpu[1], gpu[1])):
        for a, b in zip(cpu_arrays, gpu_arrays, strict=True):
            if a is None or b is None:
                if (a is None) != (b is None):
                    raise AssertionError(f"{info.name} {kind}: only one device has a gradient")
                continue
            if a.shape != b.shape or a.dtype != b.dtype:
                raise AssertionError(
                    f"{info.name} {kind}: cpu gives {a.shape} {a.dtype}, gpu {b.shape} {b.dtype}"
                )
            np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, equal_nan=True)
