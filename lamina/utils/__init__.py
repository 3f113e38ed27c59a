"""Utilities with Keras's names: to_categorical, set_random_seed, normalize."""

from lamina.backend.random import set_random_seed
from lamina.utils.file_utils import get_file
from lamina.utils.numerical import normalize, to_categorical
from lamina.utils.py_dataset import PyDataset, Sequence

__all__ = ["PyDataset", "Sequence", "get_file", "normalize", "set_random_seed", "to_categorical"]
