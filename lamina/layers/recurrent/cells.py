"""SimpleRNNCell, LSTMCell and GRUCell: Keras 3's cells, which own the recurrent weights.

A cell's `call(inputs, states)` takes one step; `run_sequence` runs a whole sequence through
the cell's fused op (`lamina.ops.simple_rnn/lstm/gru`), which the RNN layers use.
"""

from typing import Any

from lamina import activations, constraints, initializers, ops, regularizers
from lamina.backend import SeedGenerator
from lamina.layers.layer import Layer
from lamina.ops.recurrent import ACTIVATIONS, gru, lstm, simple_rnn
from lamina.validation import check_int, check_number


class RNNCellBase(Layer):
    """What the built-in cells share; subclasses set `gates` (weight blocks per unit),
    `state_count` and `op_call` (their fused op).

    Args:
        units: the size of the output and state.
        activation, recurrent_activation: by name or function; the fused ops compute `tanh`,
            `sigmoid`, `relu`, `linear` and `hard_sigmoid`.
        use_bias: whether to add biases.
        kernel_initializer, recurrent_initializer, bias_initializer: default
            `"glorot_uniform"`, `"orthogonal"`, `"zeros"`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: optional.
        dropout, recurrent_dropout: fractions of the inputs and of the recurrent state to
            drop in training, with one mask for all time steps.
        seed: for the dropout masks.
    """

    gates = 1
    state_count = 1

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
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
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
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = check_number("dropout", dropout, low=0, high=1, owner=owner)
        self.recurrent_dropout = check_number(
            "recurrent_dropout", recurrent_dropout, low=0, high=1, owner=owner
        )
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)
        self._step_masks: tuple | None = None

    @property
    def state_size(self) -> list[int]:
        return [self.units] * self.state_count

    @property
    def output_size(self) -> int:
        return self.units

    def _activation(self, name: str, value: Any) -> str:
        key = activations.serialize(activations.get(value))
        if key not in ACTIVATIONS:
            raise ValueError(
                f"{type(self).__name__}: {name} must be one of {ACTIVATIONS} (the fused "
                f"recurrent ops compute these). Received: {name}={value!r}"
            )
        return key

    def build(self, input_shape: Any) -> None:
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

    def dropout_masks(self, inputs: Any, training: bool | None) -> tuple:
        """The input and recurrent dropout masks for one sequence (None when off)."""
        batch, features = inputs.shape[0], inputs.shape[-1]
        input_mask = recurrent_mask = None
        if training and self.dropout > 0:
            ones = ops.ones((batch, features), inputs.dtype)
            input_mask = ops.dropout(ones, self.dropout, seed=self.seed_generator)
        if training and self.recurrent_dropout > 0:
            ones = ops.ones((batch, self.units), inputs.dtype)
            recurrent_mask = ops.dropout(ones, self.recurrent_dropout, seed=self.seed_generator)
        return input_mask, recurrent_mask

    def reset_dropout_mask(self) -> None:
        """Draw new dropout masks at the next step (the RNN layer calls it per sequence)."""
        self._step_masks = None

    def run_sequence(
        self,
        inputs: Any,
        states: list,
        mask: Any = None,
        go_backwards: bool = False,
        training: bool | None = None,
        masks: tuple | None = None,
    ) -> list:
        """`[outputs, *final_states]` of the whole `(batch, time, features)` sequence."""
        input_mask, recurrent_mask = masks or self.dropout_masks(inputs[:, 0], training)
        if input_mask is not None:
            inputs = inputs * ops.expand_dims(input_mask, 1)
        bias = self.bias if self.bias is not None else ops.zeros(self.bias_shape(), inputs.dtype)
        return self.op_call(inputs, bias, states, mask, go_backwards, recurrent_mask)

    def call(self, inputs: Any, states: Any, training: bool | None = None) -> tuple:
        """One step: `(output, new_states)` for inputs `(batch, features)`."""
        states = list(states) if isinstance(states, list | tuple) else [states]
        if self._step_masks is None:
            self._step_masks = self.dropout_masks(inputs, training)
        _, *finals = self.run_sequence(
            ops.expand_dims(inputs, 1), states, training=training, masks=self._step_masks
        )
        return finals[0], finals

    def op_call(self, inputs, bias, states, mask, go_backwards, recurrent_mask) -> list:
        raise NotImplementedError

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
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class SimpleRNNCell(RNNCellBase):
    """One step of `SimpleRNN`: `h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)`.

    Takes `RNNCellBase`'s arguments (no `recurrent_activation`).
    """

    def __init__(self, units: int, activation: Any = "tanh", **kwargs: Any) -> None:
        super().__init__(units, activation=activation, **kwargs)

    def op_call(self, inputs, bias, states, mask, go_backwards, recurrent_mask):
        return simple_rnn(
            inputs,
            self.kernel,
            self.recurrent_kernel,
            bias,
            states[0],
            mask=mask,
            go_backwards=go_backwards,
            recurrent_mask=recurrent_mask,
            activation=self.activation,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        del config["recurrent_activation"]
        return config


class LSTMCell(RNNCellBase):
    """One step of `LSTM`; states `[h, c]`. Keras's weights: `kernel (features, 4*units)` with
    the gates in the order input, forget, cell, output.

    Args:
        unit_forget_bias: start the forget gate's bias at 1 (when `use_bias`).
        other arguments: as `RNNCellBase`.
    """

    gates = 4
    state_count = 2

    def __init__(self, units: int, unit_forget_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def bias_init(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, units = self.bias_initializer, self.units

        def init(shape: tuple, dtype: Any = None) -> Any:
            values = initializers.get(base)(shape, dtype=dtype)
            values[units : 2 * units] = 1
            return values

        return init

    def op_call(self, inputs, bias, states, mask, go_backwards, recurrent_mask):
        return lstm(
            inputs,
            self.kernel,
            self.recurrent_kernel,
            bias,
            states[0],
            states[1],
            mask=mask,
            go_backwards=go_backwards,
            recurrent_mask=recurrent_mask,
            activation=self.activation,
            recurrent_activation=self.recurrent_activation,
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRUCell(RNNCellBase):
    """One step of `GRU`. Keras's weights: `kernel (features, 3*units)` with the gates in the
    order update, reset, candidate; `bias (2, 3*units)` (input and recurrent biases) when
    `reset_after`, else `(3*units,)`.

    Args:
        reset_after: apply the reset gate after the recurrent product (Keras 3's default).
        other arguments: as `RNNCellBase`.
    """

    gates = 3

    def __init__(self, units: int, reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)

    def bias_shape(self) -> tuple:
        width = 3 * self.units
        return (2, width) if self.reset_after else (width,)

    def op_call(self, inputs, bias, states, mask, go_backwards, recurrent_mask):
        if self.reset_after:
            input_bias, recurrent_bias = bias[0], bias[1]
        else:
            input_bias, recurrent_bias = bias, bias * 0
        return gru(
            inputs,
            self.kernel,
            self.recurrent_kernel,
            input_bias,
            recurrent_bias,
            states[0],
            mask=mask,
            go_backwards=go_backwards,
            recurrent_mask=recurrent_mask,
            activation=self.activation,
            recurrent_activation=self.recurrent_activation,
            reset_after=self.reset_after,
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "reset_after": self.reset_after}
