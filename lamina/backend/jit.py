"""Optional compiled kernels: Numba's `njit` when the `fast` extra is installed.

Loops that NumPy can only write as many passes over memory (pooling with its argmax, the
gate arithmetic of a recurrent step) are written once as plain Python over NumPy arrays and
compiled by Numba. Every caller keeps its NumPy/CuPy path for when `jit_enabled` says no: Numba
is not installed, the arrays are CuPy's, or `LAMINA_JIT=0` is set.
"""

import functools
import importlib.util
import os
from collections.abc import Callable
from typing import Any

import numpy as np

_available = importlib.util.find_spec("numba") is not None
_enabled = _available and os.environ.get("LAMINA_JIT", "1") != "0"


def njit(fn: Callable) -> Callable:
    """`fn` compiled by Numba on its first call (and cached on disk).

    Call it only where `jit_enabled` holds; Numba is imported then, not with lamina. Division
    follows NumPy (inf or nan, no ZeroDivisionError check), which lets loops that divide
    vectorise.
    """
    compiled = None

    @functools.wraps(fn)
    def run(*args: Any) -> Any:
        nonlocal compiled
        if compiled is None:
            import numba  # optional, and a second to import: only when a kernel first runs

            compiled = numba.njit(cache=True, nogil=True, error_model="numpy")(fn)
        return compiled(*args)

    return run


def jit_enabled(*arrays: Any) -> bool:
    """Whether compiled kernels should run on `arrays` (all NumPy, Numba present and on)."""
    return _enabled and all(isinstance(a, np.ndarray) for a in arrays)


def set_jit_enabled(enabled: bool) -> bool:
    """Turn the compiled kernels on or off (off: the NumPy paths); returns the old setting.

    Args:
        enabled: True to use Numba's kernels when it is installed.

    Example:
    >>> previous = lamina.backend.set_jit_enabled(False)
    """
    global _enabled
    previous = _enabled
    _enabled = bool(enabled) and _available
    return previous
