"""Flatten: collapses every axis but the batch axis."""

from typing import Any

import numpy as np

from lamina import ops
from lamina.layers.layer import Layer


class Flatten(Layer):
    """Flatten each sample to one axis: `(batch, d1, d2, ...)` becomes `(batch, d1*d2*...)`.

    Example:
    >>> lamina.layers.Flatten()(np.zeros((32, 28, 28))).shape
    (32, 784)
    """

    keeps_input_dtype = True

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = data_format

    def call(self, inputs: Any) -> Any:
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else int(np.prod(rest)))

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}
