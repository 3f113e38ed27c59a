"""Backend settings: float type, array module (NumPy or CuPy), random generators, threads,
compiled kernels."""

from lamina.backend.array_module import (
    as_array_like,
    default_xp,
    get_device,
    get_xp,
    is_array,
    set_device,
    to_device,
    to_numpy,
)
from lamina.backend.config import epsilon, floatx, set_epsilon, set_floatx
from lamina.backend.jit import jit_enabled, njit, set_jit_enabled
from lamina.backend.memory import tune_malloc
from lamina.backend.random import SeedGenerator, global_rng, set_random_seed
from lamina.backend.threads import get_num_threads, init_threads, set_num_threads

__all__ = [
    "SeedGenerator",
    "as_array_like",
    "default_xp",
    "epsilon",
    "floatx",
    "get_device",
    "get_num_threads",
    "get_xp",
    "global_rng",
    "init_threads",
    "is_array",
    "jit_enabled",
    "njit",
    "set_device",
    "set_epsilon",
    "set_floatx",
    "set_jit_enabled",
    "set_num_threads",
    "tune_malloc",
    "set_random_seed",
    "to_device",
    "to_numpy",
]


def __getattr__(name: str) -> object:
    """The Keras 2 backend functions (`K.gradients`, `K.function`, `K.mean`, ...), which build
    on layers and models, so that `from lamina import backend as K` runs Keras 2 programs."""
    # Imported on first use: the Keras 2 functions stand above layers and models.
    from lamina import legacy_backend

    if name.startswith("_") or name not in legacy_backend.__all__:
        raise AttributeError(f"module 'lamina.backend' has no attribute {name!r}")
    return getattr(legacy_backend, name)
