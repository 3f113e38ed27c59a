"""The arguments, weights and call shared by SimpleRNN, LSTM and GRU."""

from typing import Any

from lamina import activations, constraints, initializers, ops, regularizers
from lamina.backend import SeedGenerator
from lamina.layers.layer import Layer
from lamina.ops.recurrent import ACTIVATIONS
from lamina.validation import check_int, check_number


class BaseRNN(Layer):
    """A recurrent layer over `(batch, time, features)` inputs; subclasses set `gates` (weight
    blocks per unit), `state_count` and `run` (the op call).

    Args:
        units: the size of the output and state.
        activation, recurrent_activation: by name or function; the fused ops compute `tanh`,
            `sigmoid`, `relu`, `linear` and `hard_sigmoid`.
        use_bias: whether to add biases.
        kernel_initializer, recurrent_initializer, bias_initializer: default
            `"glorot_uniform"`, `"orthogonal"`, `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: optional.
        dropout, recurrent_dropout: fractions of the inputs and of the recurrent state to
            drop in training, with one mask for all time steps.
        return_sequences: return every step's output rather than the last.
        return_state: also return the final states.
        go_backwards: process the sequence from the end (the outputs come reversed).
        stateful: start each batch from the final states of the previous one
            (`reset_states()` zeroes them).
        unroll: accepted for Keras; the fused op never unrolls.
        seed: for the dropout masks.
    """

    gates = 1
    state_count = 1
    supports_masking = True

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.units = check_int("units", units, minimum=1, owner=owner)
        self.activation = self._activation("activation", activation)
        self.recurrent_activation = self._activation("recurrent_activation", recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_number("dropout", dropout, low=0, high=1, owner=owner)
        self.recurrent_dropout = check_number(
            "recurrent_dropout", recurrent_dropout, low=0, high=1, owner=owner
        )
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)
        self.states: list | None = None

    def _activation(self, name: str, value: Any) -> str:
        key = activations.serialize(activations.get(value))
        if key not in ACTIVATIONS:
            raise ValueError(
                f"{type(self).__name__}: {name} must be one of {ACTIVATIONS} (the fused "
                f"recurrent ops compute these). Received: {name}={value!r}"
            )
        return key

    def build(self, input_shape: Any) -> None:
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} expects inputs (batch, time, features) "
                f"with known features. Received: input_shape={tuple(input_shape)}"
            )
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_shape[-1], width),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
            name="recurrent_kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.bias_shape(),
                initializer=self.bias_init(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    def bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def bias_init(self) -> Any:
        return self.bias_initializer

    def reset_states(self) -> None:
        """Zero the states a stateful layer carries between batches."""
        self.states = None

    def call(
        self,
        inputs: Any,
        mask: Any = None,
        training: bool | None = None,
        initial_state: Any = None,
    ) -> Any:
        batch = inputs.shape[0]
        if initial_state is not None:
            states = (
                list(initial_state) if isinstance(initial_state, list | tuple) else [initial_state]
            )
        elif self.stateful and self.states is not None:
            states = self.states
        else:
            states = [ops.zeros((batch, self.units), inputs.dtype)] * self.state_count
        recurrent_mask = None
        if training and self.dropout > 0:
            inputs = ops.dropout(
                inputs,
                self.dropout,
                noise_shape=(batch, 1, inputs.shape[-1]),
                seed=self.seed_generator,
            )
        if training and self.recurrent_dropout > 0:
            ones = ops.ones((batch, self.units), inputs.dtype)
            recurrent_mask = ops.dropout(ones, self.recurrent_dropout, seed=self.seed_generator)
        bias = self.bias if self.bias is not None else ops.zeros(self.bias_shape(), inputs.dtype)
        outputs, *finals = self.run(inputs, bias, states, mask, recurrent_mask)
        if self.stateful:
            self.states = [ops.stop_gradient(s) for s in finals]
        result = outputs if self.return_sequences else finals[0]
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(result))
        return [result, *finals] if self.return_state else result

    def run(self, inputs: Any, bias: Any, states: list, mask: Any, recurrent_mask: Any) -> list:
        """`[outputs, *final_states]` of the layer's op."""
        raise NotImplementedError

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        out = mask if self.return_sequences else None
        return [out] + [None] * self.state_count if self.return_state else out

    def compute_output_shape(self, input_shape: Any) -> Any:
        batch, steps = input_shape[0], input_shape[1]
        out = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [out] + [(batch, self.units)] * self.state_count
        return out

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation,
            "recurrent_activation": self.recurrent_activation,
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "seed": self.seed,
        }
