"""Random tensors with Keras's `keras.random` names, and `SeedGenerator`."""

from lamina.backend.random import SeedGenerator
from lamina.ops.random import categorical, dropout, normal, truncated_normal, uniform

__all__ = ["SeedGenerator", "categorical", "dropout", "normal", "truncated_normal", "uniform"]
