"""SpatialDropout1D and SpatialDropout2D: dropout of whole feature maps."""

from typing import Any

from lamina import ops
from lamina.layers.data_format import check_data_format
from lamina.layers.regularization.dropout import Dropout


class _SpatialDropout(Dropout):
    rank = 0  # the input rank, batch axis included

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(rate, seed=seed, **kwargs)

    def channel_axis(self) -> int:
        return -1

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if inputs.ndim != self.rank:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} expects inputs of rank {self.rank} "
                f"(batch axis included). Received: inputs with shape {inputs.shape}"
            )
        if not training or self.rate == 0:
            return inputs
        axis = self.channel_axis() % self.rank
        noise_shape = [1] * self.rank
        noise_shape[0], noise_shape[axis] = inputs.shape[0], inputs.shape[axis]
        return ops.dropout(inputs, self.rate, noise_shape=noise_shape, seed=self.seed_generator)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["noise_shape"]
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drop whole channels of `(batch, steps, channels)` inputs during training.

    Neighbouring time steps are strongly correlated, so dropping single values regularizes
    little; this drops a channel at every step at once, scaling the rest by 1/(1-rate).

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        seed: an int for a reproducible stream of masks.

    Input shape:
        3D: `(batch, steps, channels)`; the output has the same shape.

    Example:
    >>> lamina.layers.SpatialDropout1D(0.5)(np.ones((2, 5, 3)), training=True)
    """

    rank = 3


class SpatialDropout2D(_SpatialDropout):
    """Drop whole feature maps of images during training.

    Args:
        rate: the fraction of channels to drop, in [0, 1).
        data_format: `"channels_last"` (default: `(batch, rows, cols, channels)`) or
            `"channels_first"` (`(batch, channels, rows, cols)`).
        seed: an int for a reproducible stream of masks.

    Input shape:
        4D; the output has the same shape.

    Example:
    >>> lamina.layers.SpatialDropout2D(0.2)(np.ones((2, 4, 4, 3)), training=True)
    """

    rank = 4

    def __init__(
        self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = check_data_format(data_format, "SpatialDropout2D")

    def channel_axis(self) -> int:
        return 1 if self.data_format == "channels_first" else -1

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}
