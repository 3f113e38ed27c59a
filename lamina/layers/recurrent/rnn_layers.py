"""SimpleRNN, LSTM and GRU: Keras 3's layers and weight layouts over the fused ops."""

from typing import Any

from lamina import initializers
from lamina.layers.recurrent.base_rnn import BaseRNN
from lamina.ops.recurrent import gru, lstm, simple_rnn


class SimpleRNN(BaseRNN):
    """Fully connected RNN: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`.

    Takes `BaseRNN`'s arguments (no `recurrent_activation`).

    Example:
    >>> lamina.layers.SimpleRNN(4)(np.zeros((32, 10, 8), "float32")).shape
    (32, 4)
    """

    def __init__(self, units: int, activation: Any = "tanh", **kwargs: Any) -> None:
        super().__init__(units, activation=activation, **kwargs)

    def run(self, inputs, bias, states, mask, recurrent_mask):
        return simple_rnn(
            inputs,
            self.kernel,
            self.recurrent_kernel,
            bias,
            states[0],
            mask=mask,
            go_backwards=self.go_backwards,
            recurrent_mask=recurrent_mask,
            activation=self.activation,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        del config["recurrent_activation"]
        return config


class LSTM(BaseRNN):
    """Long Short-Term Memory (Hochreiter 1997), Keras's weights: `kernel (features, 4*units)`
    with the gates in the order input, forget, cell, output.

    Args:
        unit_forget_bias: start the forget gate's bias at 1 (when `use_bias`).
        other arguments: as `BaseRNN`.

    Example:
    >>> lamina.layers.LSTM(32).build((None, 10, 32)); # 8,320 parameters
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

    def run(self, inputs, bias, states, mask, recurrent_mask):
        return lstm(
            inputs,
            self.kernel,
            self.recurrent_kernel,
            bias,
            states[0],
            states[1],
            mask=mask,
            go_backwards=self.go_backwards,
            recurrent_mask=recurrent_mask,
            activation=self.activation,
            recurrent_activation=self.recurrent_activation,
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRU(BaseRNN):
    """Gated Recurrent Unit (Cho et al. 2014), Keras's weights: `kernel (features, 3*units)`
    with the gates in the order update, reset, candidate; `bias (2, 3*units)` (input and
    recurrent biases) when `reset_after`, else `(3*units,)`.

    Args:
        reset_after: apply the reset gate after the recurrent product (Keras 3's default).
        other arguments: as `BaseRNN`.
    """

    gates = 3

    def __init__(self, units: int, reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)

    def bias_shape(self) -> tuple:
        width = 3 * self.units
        return (2, width) if self.reset_after else (width,)

    def run(self, inputs, bias, states, mask, recurrent_mask):
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
            go_backwards=self.go_backwards,
            recurrent_mask=recurrent_mask,
            activation=self.activation,
            recurrent_activation=self.recurrent_activation,
            reset_after=self.reset_after,
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "reset_after": self.reset_after}
