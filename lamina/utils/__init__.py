"""Utilities with Keras's names: to_categorical, set_random_seed, normalize."""

from lamina.backend.random import set_random_seed
from lamina.utils.numerical import normalize, to_categorical

__all__ = ["normalize", "set_random_seed", "to_categorical"]
