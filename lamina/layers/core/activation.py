"""Activation: applies an activation function."""

from typing import Any

from lamina import activations
from lamina.layers.layer import Layer


class Activation(Layer):
    """Apply an activation function to the input.

    Args:
        activation: a name (`"relu"`, `"softmax"`, ...) or a callable.

    Example:
    >>> lamina.layers.Activation("relu")(np.array([[-1.0, 2.0]]))
    """

    supports_masking = True

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs: Any) -> Any:
        return self.activation(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
