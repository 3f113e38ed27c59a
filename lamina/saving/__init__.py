"""Saving: atomic file writes and weights files (`model.save_weights` / `load_weights`)."""

from lamina.saving.atomic import atomic_open, atomic_write
from lamina.saving.weights_file import load_weights, save_weights

__all__ = ["atomic_open", "atomic_write", "load_weights", "save_weights"]
