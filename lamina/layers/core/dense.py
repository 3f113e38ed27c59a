"""Dense: the densely connected layer `activation(inputs @ kernel + bias)`."""

from typing import Any

import numpy as np

from lamina import activations, constraints, initializers, regularizers
from lamina.layers.layer import Layer
from lamina.ops.linalg import dense


class Dense(Layer):
    """Densely connected layer: `output = activation(dot(input, kernel) + bias)`.

    Args:
        units: the output size.
        activation: an activation name or function (None: linear).
        use_bias: whether to add a bias vector.
        kernel_initializer: default `"glorot_uniform"`.
        bias_initializer: default `"zeros"`.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        kernel_constraint, bias_constraint: optional constraints.

    Input shape:
        `(batch, ..., input_dim)`.

    Output shape:
        `(batch, ..., units)`.

    Example:
    >>> layer = lamina.layers.Dense(512, activation="relu")
    >>> layer(np.zeros((128, 784), "float32")).shape
    (128, 512)
    """

    supports_masking = True

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # NumPy integers too: Keras 2 programs write Dense(np.prod(shape[1:])).
        if not isinstance(units, int | np.integer) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Expected units to be a positive integer. Received: units={units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape: Any) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense {self.name!r} needs a known last input axis. "
                f"Received: input_shape={input_shape}"
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def call(self, inputs: Any) -> Any:
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ValueError(
                f"Dense {self.name!r} was built for inputs with last axis {self.kernel.shape[0]}. "
                f"Received: inputs with shape {inputs.shape}"
            )
        if self.activation is activations.relu:
            x = dense(inputs, self.kernel, self.bias, relu=True)
        else:
            x = self.activation(dense(inputs, self.kernel, self.bias))
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(x))
        return x

    def compute_output_shape(self, input_shape: Any) -> tuple:
        built_for = self.kernel.shape[0] if self.built else None
        if built_for is not None and input_shape[-1] not in (None, built_for):
            raise ValueError(
                f"Dense {self.name!r} was built for inputs with last axis {built_for}. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
