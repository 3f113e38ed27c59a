"""Selection of the array module: NumPy on the CPU, CuPy on an NVIDIA GPU.

This is the only module in lamina that imports CuPy. Ops ask `get_xp(array)` for the module
that owns their inputs and never branch on the device themselves. The environment variable
`LAMINA_DEVICE` (`cpu` or `gpu`) picks the device at import, as `set_device` does later.
"""

import os
from types import ModuleType
from typing import Any

import numpy as np

try:  # CuPy is the optional `gpu` extra.
    import cupy
except ImportError:  # pragma: no cover - depends on the machine
    cupy = None

_DEVICE = "cpu"


def get_xp(*arrays: Any) -> ModuleType:
    """Return the array module (numpy or cupy) that owns `arrays`."""
    if cupy is not None:
        for a in arrays:
            if isinstance(a, cupy.ndarray):
                return cupy
    return np


def default_xp() -> ModuleType:
    """Return the array module new arrays are created with (see `set_device`)."""
    return cupy if _DEVICE == "gpu" else np


def set_device(device: str) -> None:
    """Choose where new arrays live: `"cpu"` (NumPy) or `"gpu"` (CuPy).

    Example:
    >>> lamina.backend.set_device("gpu")  # needs the `gpu` extra and an NVIDIA GPU
    """
    global _DEVICE
    if device not in ("cpu", "gpu"):
        raise ValueError(f"Expected device to be 'cpu' or 'gpu'. Received: device={device!r}")
    if device == "gpu" and cupy is None:
        raise ValueError(
            "set_device('gpu') needs CuPy, which is not installed. "
            "Install it with `pip install lamina[gpu]`. Received: device='gpu'"
        )
    _DEVICE = device


def get_device() -> str:
    """Return the device new arrays are created on: `"cpu"` or `"gpu"`."""
    return _DEVICE


def is_array(x: Any) -> bool:
    """Return True for a NumPy or CuPy array."""
    return isinstance(x, np.ndarray) or (cupy is not None and isinstance(x, cupy.ndarray))


def to_numpy(x: Any) -> np.ndarray:
    """Return `x` as a NumPy array, copying from the GPU when needed."""
    if cupy is not None and isinstance(x, cupy.ndarray):
        return cupy.asnumpy(x)
    return np.asarray(x)


def as_array_like(value: Any, reference: Any) -> Any:
    """`value` (an array, a list or a number) as an array of `reference`'s module: copied to the
    GPU when `reference` is there, back to the host when it is not, untouched when it matches."""
    if type(value) is type(reference):
        return value
    if isinstance(reference, np.ndarray):
        return to_numpy(value)
    return get_xp(reference).asarray(value)


def to_device(x: Any) -> Any:
    """Move a NumPy array of numbers to the current device (a no-op on the CPU).

    Arrays of strings or objects stay NumPy arrays: CuPy holds numbers and booleans only.
    """
    xp = default_xp()
    if xp is np or not isinstance(x, np.ndarray) or x.dtype.kind not in "biufc":
        return x
    return xp.asarray(x)


_ENV_DEVICE = os.environ.get("LAMINA_DEVICE")
if _ENV_DEVICE:
    try:
        set_device(_ENV_DEVICE)
    except ValueError as err:
        raise ValueError(f"The environment variable LAMINA_DEVICE is invalid: {err}") from None
