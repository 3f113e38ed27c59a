"""GaussianNoise: additive zero-centred noise during training."""

from typing import Any

from lamina import ops
from lamina.backend import SeedGenerator
from lamina.layers.layer import Layer
from lamina.validation import check_number


class GaussianNoise(Layer):
    """Add noise drawn from N(0, stddev**2) to the inputs during training.

    Args:
        stddev: the standard deviation of the noise.
        seed: an int for a reproducible stream of noise.

    Call arguments:
        training: add noise only when True; inference passes inputs through.

    Example:
    >>> lamina.layers.GaussianNoise(0.1, seed=1)(np.zeros((2, 3)), training=True)
    """

    supports_masking = True
    keeps_input_dtype = True

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stddev = check_number("stddev", stddev, low=0, owner="GaussianNoise")
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if training and self.stddev > 0:
            noise = ops.random.normal(
                inputs.shape, stddev=self.stddev, dtype=inputs.dtype, seed=self.seed_generator
            )
            return inputs + noise
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
