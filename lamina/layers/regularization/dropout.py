"""Dropout: randomly zeroes a fraction of the inputs during training."""

from typing import Any

from lamina import ops
from lamina.backend import SeedGenerator
from lamina.layers.layer import Layer


class Dropout(Layer):
    """Set a fraction `rate` of the inputs to 0 during training, scaling the rest by 1/(1-rate).

    Args:
        rate: the fraction of units to drop, in [0, 1).
        noise_shape: a shape broadcastable to the input's, to drop whole features or time steps.
        seed: an int for a reproducible stream of masks.

    Call arguments:
        training: drop only when True (inside `fit`); inference passes inputs through.

    Example:
    >>> lamina.layers.Dropout(0.5)(x, training=True)
    """

    supports_masking = True
    keeps_input_dtype = True

    def __init__(
        self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(rate, int | float) or not 0 <= rate < 1:
            raise ValueError(f"Expected rate to be in [0, 1). Received: rate={rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if training and self.rate > 0:
            return ops.dropout(
                inputs, self.rate, noise_shape=self.noise_shape, seed=self.seed_generator
            )
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
        }
