"""GaussianDropout: multiplicative one-centred noise during training."""

import math
from typing import Any

from lamina import ops
from lamina.backend import SeedGenerator
from lamina.layers.layer import Layer
from lamina.validation import check_number


class GaussianDropout(Layer):
    """Multiply the inputs by noise drawn from N(1, rate / (1 - rate)) during training.

    The noise has the mean and variance of dropout's `0 or 1/(1-rate)` mask.

    Args:
        rate: the drop probability it imitates, in [0, 1).
        seed: an int for a reproducible stream of noise.

    Call arguments:
        training: apply the noise only when True; inference passes inputs through.

    Example:
    >>> lamina.layers.GaussianDropout(0.2, seed=1)(np.ones((2, 3)), training=True)
    """

    supports_masking = True
    keeps_input_dtype = True

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = check_number(
            "rate", rate, low=0, high=1, high_open=True, owner="GaussianDropout"
        )
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if training and self.rate > 0:
            stddev = math.sqrt(self.rate / (1 - self.rate))
            noise = ops.random.normal(
                inputs.shape, mean=1.0, stddev=stddev, dtype=inputs.dtype, seed=self.seed_generator
            )
            return inputs * noise
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
