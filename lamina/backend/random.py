"""Seeded random number generation shared by initializers, dropout and shuffling.

Every generator is a NumPy one, on the GPU too: draws are made on the host and moved to the
device, so a seed gives the same weights and the same dropout masks on either device.
"""

from typing import Any

import numpy as np

_global_seed: int | None = None
_global_rng = np.random.default_rng()


def set_random_seed(seed: int) -> None:
    """Seed every random generator lamina uses, plus Python's and NumPy's global ones.

    Args:
        seed: a non-negative integer.

    Example:
    >>> lamina.utils.set_random_seed(1337)
    """
    import random as py_random

    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"Expected seed to be a non-negative integer. Received: seed={seed!r}")
    global _global_seed, _global_rng
    _global_seed = int(seed)
    _global_rng = np.random.default_rng(_global_seed)
    py_random.seed(_global_seed)
    np.random.seed(_global_seed)


def global_rng() -> np.random.Generator:
    """Return lamina's global NumPy generator (reseeded by `set_random_seed`)."""
    return _global_rng


def truncated_standard_normal(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Float64 standard normal values, those beyond two standard deviations drawn again."""
    x = rng.standard_normal(shape, dtype="float64")
    bad = np.abs(x) > 2
    while bad.any():
        x[bad] = rng.standard_normal(int(bad.sum()), dtype="float64")
        bad = np.abs(x) > 2
    return x


def make_generator(seed: int | None = None) -> np.random.Generator:
    """Return a NumPy generator: seeded, or with a seed drawn from the global one."""
    if seed is None:
        seed = int(_global_rng.integers(0, 2**63 - 1))
    return np.random.default_rng(seed)


class SeedGenerator:
    """A stateful source of random draws; each draw advances it.

    Args:
        seed: an integer for a reproducible stream, or None to draw one from the global generator.

    Example:
    >>> gen = lamina.random.SeedGenerator(42)
    >>> x = lamina.random.normal((2, 3), seed=gen)
    """

    def __init__(self, seed: int | None = None) -> None:
        self.initial_seed = seed
        self.rng = make_generator(seed)

    def get_state(self) -> dict:
        """Return the generator's state as a JSON-safe dict (for checkpoints)."""
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        """Restore a state returned by `get_state`."""
        self.rng.bit_generator.state = state


def resolve_rng(seed: Any) -> Any:
    """Turn a `seed` argument (None, int or SeedGenerator) into a generator to draw from."""
    if seed is None:
        return make_generator(None)
    if isinstance(seed, SeedGenerator):
        return seed.rng
    if isinstance(seed, int | np.integer):
        return make_generator(int(seed))
    raise TypeError(f"Expected seed to be None, an int or a SeedGenerator. Received: seed={seed!r}")
