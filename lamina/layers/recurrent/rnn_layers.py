"""SimpleRNN, LSTM and GRU: an RNN over the built-in cell, Keras 3's arguments and weights."""

import inspect
from typing import Any

from lamina import regularizers
from lamina.layers.recurrent.cells import GRUCell, LSTMCell, RNNCellBase, SimpleRNNCell
from lamina.layers.recurrent.rnn import RNN

_RNN_ARGS = (
    "return_sequences",
    "return_state",
    "go_backwards",
    "stateful",
    "unroll",
    "zero_output_for_mask",
)
_BASE_ARGS = ("name", "trainable", "dtype", "batch_input_shape", "input_shape", "batch_size")


def _signature(cell_class: type) -> inspect.Signature:
    """The layer's constructor: the cell's arguments, `activity_regularizer`, then `RNN`'s."""
    params: dict[str, inspect.Parameter] = {}
    for owner in (cell_class, RNNCellBase, RNN):
        for p in inspect.signature(owner.__init__).parameters.values():
            if p.kind is p.POSITIONAL_OR_KEYWORD and p.name not in ("self", "cell"):
                params.setdefault(p.name, p)
    regularizer = inspect.Parameter(
        "activity_regularizer",
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        default=None,
        annotation=Any,
    )
    first = list(inspect.signature(RNN.__init__).parameters.values())[0]
    rest = [p for p in params.values() if p.name != "activity_regularizer"]
    cell_args = [p for p in rest if p.name not in _RNN_ARGS]
    rnn_args = [p for p in rest if p.name in _RNN_ARGS]
    kwargs = inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD, annotation=Any)
    return inspect.Signature([first, *cell_args, regularizer, *rnn_args, kwargs])


class _CellLayer(RNN):
    """An RNN whose cell (class `cell_class`, named `<layer>_cell`) takes the layer's cell
    arguments; the cell's settings and weights read as the layer's (`layer.kernel`).

    Args:
        units and the cell arguments: as `RNNCellBase` (and the cell class).
        activity_regularizer: applied to the output.
        return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask:
            as `RNN`.
    """

    cell_class: type = RNNCellBase
    cell_name = "rnn_cell"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        signature = _signature(cls.cell_class)

        # The constructor shows every argument (for users and the Keras import table).
        def __init__(self: _CellLayer, *args: Any, **kwargs: Any) -> None:
            bound = signature.bind(self, *args, **kwargs)
            named = {k: v for k, v in bound.arguments.items() if k not in ("self", "kwargs")}
            _CellLayer.__init__(self, **named, **bound.arguments.get("kwargs", {}))

        __init__.__signature__ = signature  # type: ignore[attr-defined]
        cls.__init__ = __init__  # type: ignore[method-assign]

    def __init__(self, units: int, activity_regularizer: Any = None, **kwargs: Any) -> None:
        layer_args = {k: kwargs.pop(k) for k in (*_RNN_ARGS, *_BASE_ARGS) if k in kwargs}
        cell = self.cell_class(units, name=self.cell_name, dtype=layer_args.get("dtype"), **kwargs)
        super().__init__(cell, **layer_args)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def __getattr__(self, name: str) -> Any:
        # The cell's settings and weights (units, kernel, dropout, ...), as Keras's properties.
        cell = self.__dict__.get("cell")
        if cell is None or name.startswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(cell, name)

    def get_config(self) -> dict:
        config = {**super().get_config(), **self.cell.get_config()}
        del config["cell"]
        config["name"] = self.name
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config


class SimpleRNN(_CellLayer):
    """Fully connected RNN: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`.

    Takes `SimpleRNNCell`'s and `RNN`'s arguments.

    Example:
    >>> lamina.layers.SimpleRNN(4)(np.zeros((32, 10, 8), "float32")).shape
    (32, 4)
    """

    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"


class LSTM(_CellLayer):
    """Long Short-Term Memory (Hochreiter 1997) over an `LSTMCell`.

    Takes `LSTMCell`'s and `RNN`'s arguments.

    Example:
    >>> lamina.layers.LSTM(32).build((None, 10, 32)); # 8,320 parameters
    """

    cell_class = LSTMCell
    cell_name = "lstm_cell"


class GRU(_CellLayer):
    """Gated Recurrent Unit (Cho et al. 2014) over a `GRUCell`.

    Takes `GRUCell`'s and `RNN`'s arguments.
    """

    cell_class = GRUCell
    cell_name = "gru_cell"
