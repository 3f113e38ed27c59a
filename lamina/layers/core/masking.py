"""Masking: marks the time steps whose features all equal a padding value."""

from typing import Any

from lamina import ops
from lamina.layers.layer import Layer
from lamina.validation import check_number


class Masking(Layer):
    """Mask the time steps whose features all equal `mask_value` (zeroing them), so that the
    layers after it (LSTM, GRU, ...) skip them.

    Args:
        mask_value: the padding value.

    Input shape:
        `(batch, time, features)`.

    Example:
    >>> x = np.array([[[1.0], [0.0]]], "float32")
    >>> lamina.layers.Masking(0.0)(x)._keras_mask
    """

    supports_masking = True
    keeps_input_dtype = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = check_number("mask_value", mask_value, owner="Masking")
        self.built = True

    def call(self, inputs: Any) -> Any:
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return inputs * ops.cast(keep, inputs.dtype)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
