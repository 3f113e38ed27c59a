"""RNN, the layer that runs a cell over time, and StackedRNNCells."""

from typing import Any

from lamina import ops
from lamina.layers.layer import Layer, layer_scope
from lamina.layers.recurrent.cells import RNNCellBase
from lamina.layers.serialization import deserialize, serialize


def state_sizes(cell: Any) -> list[int]:
    """A cell's `state_size` as a list of ints."""
    size = cell.state_size
    return [int(s) for s in size] if isinstance(size, list | tuple) else [int(size)]


class RNN(Layer):
    """Runs `cell` over the time axis of `(batch, time, features)` inputs.

    The built-in cells run as one fused op; any other cell (a Layer with `state_size` and
    `call(inputs, states)` returning `(output, new_states)`, Keras's cell contract) runs in a
    Python loop over time through autodiff.

    Args:
        cell: an RNN cell, or a list of cells (stacked with `StackedRNNCells`).
        return_sequences: return every step's output rather than the last.
        return_state: also return the final states.
        go_backwards: process the sequence from the end (the outputs come reversed).
        stateful: start each batch from the final states of the previous one
            (`reset_state()` zeroes them); needs a fixed batch size.
        unroll: accepted for Keras; the loop is never unrolled into a graph.
        zero_output_for_mask: give masked steps zero outputs (else the previous output).

    Call arguments:
        inputs: `(batch, time, features)`.
        mask: booleans `(batch, time)`; a False step keeps the previous state.
        training: for dropout in the cell.
        initial_state: a list of tensors `(batch, size)`, one per state.

    Example:
    >>> lamina.layers.RNN(lamina.layers.LSTMCell(4))(np.zeros((2, 5, 3), "float32")).shape
    (2, 4)
    """

    supports_masking = True

    def __init__(
        self,
        cell: Any,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(cell, list | tuple):
            cell = StackedRNNCells(cell)
        if not isinstance(cell, Layer) or not hasattr(cell, "state_size"):
            raise TypeError(
                f"{type(self).__name__} {self.name!r}: cell must be a Layer with a `state_size` "
                f"attribute and `call(inputs, states)`. Received: cell={cell!r:.80}"
            )
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.activity_regularizer: Any = None
        self.states: list | None = None

    def build(self, input_shape: Any) -> None:
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} expects inputs (batch, timesteps, "
                f"features) with known features. Received: input_shape={tuple(input_shape)}"
            )
        if self.stateful and input_shape[0] is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} is stateful, so it needs a fixed batch "
                "size: give the first layer `batch_size=` (or `Input(batch_size=...)`). "
                f"Received: input_shape={tuple(input_shape)}"
            )
        if not self.cell.built:
            with layer_scope(self), layer_scope(self.cell):
                self.cell.build((input_shape[0], input_shape[-1]))
                self.cell.built = True

    def reset_state(self) -> None:
        """Zero the states a stateful layer carries between batches."""
        self.states = None

    def reset_states(self) -> None:
        """Keras's other name for `reset_state`."""
        self.reset_state()

    def get_initial_state(self, batch_size: int) -> list:
        """The zero states a sequence starts from: one `(batch_size, size)` per state."""
        return [ops.zeros((batch_size, size), self.dtype) for size in state_sizes(self.cell)]

    def call(
        self,
        inputs: Any,
        mask: Any = None,
        training: bool | None = None,
        initial_state: Any = None,
    ) -> Any:
        owner = f"{type(self).__name__} {self.name!r}"
        if inputs.ndim != 3:
            raise ValueError(
                f"{owner} expects inputs (batch, timesteps, features). "
                f"Received: inputs.shape={tuple(inputs.shape)}"
            )
        batch, steps = inputs.shape[0], inputs.shape[1]
        if mask is not None and tuple(mask.shape) != (batch, steps):
            raise ValueError(
                f"{owner}: the mask must be (batch, timesteps) = "
                f"{(batch, steps)}, as the inputs. Received: mask.shape={tuple(mask.shape)}"
            )
        if initial_state is not None:
            states = self._checked_states(initial_state, batch)
        elif self.stateful and self.states is not None:
            states = self.states
            if states[0].shape[0] != batch:
                raise ValueError(
                    f"{owner} is stateful and carries states for batches of "
                    f"{states[0].shape[0]}: feed it batches of that size (call reset_state() "
                    f"to start over). Received: inputs.shape={tuple(inputs.shape)}"
                )
        else:
            states = self.get_initial_state(batch)
        if isinstance(self.cell, RNNCellBase):
            outputs, *finals = self.cell.run_sequence(
                inputs, states, mask, self.go_backwards, training
            )
            if mask is not None and self.zero_output_for_mask:
                # The fused op repeats the previous output at masked steps; the outputs
                # run in processing order, so the mask does too.
                keep = ops.flip(mask, axis=1) if self.go_backwards else mask
                outputs = outputs * ops.cast(ops.expand_dims(keep, 2), outputs.dtype)
        else:
            outputs, finals = self._loop(inputs, states, mask, training)
        if self.stateful:
            self.states = [ops.stop_gradient(s) for s in finals]
        result = outputs if self.return_sequences else outputs[:, -1]
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(result))
        return [result, *finals] if self.return_state else result

    def _checked_states(self, initial_state: Any, batch: int) -> list:
        states = list(initial_state) if isinstance(initial_state, list | tuple) else [initial_state]
        states = [ops.convert_to_tensor(s) for s in states]
        want = [(batch, size) for size in state_sizes(self.cell)]
        if [tuple(s.shape) for s in states] != want:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: initial_state must be {len(want)} "
                f"tensor(s) of shapes {want}, one per state of the cell. Received: shapes "
                f"{[tuple(s.shape) for s in states]}"
            )
        return [ops.cast(s, self.dtype) if s.dtype.kind == "f" else s for s in states]

    def _loop(self, inputs: Any, states: list, mask: Any, training: Any) -> tuple:
        if hasattr(self.cell, "reset_dropout_mask"):
            self.cell.reset_dropout_mask()
        steps = range(inputs.shape[1])
        outputs, previous = [], None
        kwargs = {"training": training} if training is not None else {}
        for t in reversed(steps) if self.go_backwards else steps:
            out, new = self.cell(inputs[:, t], states, **kwargs)
            new = list(new) if isinstance(new, list | tuple) else [new]
            if mask is not None:
                keep = ops.cast(ops.expand_dims(mask[:, t], 1), inputs.dtype)
                new = [keep * n + (1 - keep) * s for n, s in zip(new, states, strict=True)]
                zero = previous is None or self.zero_output_for_mask
                kept = ops.zeros_like(out) if zero else previous
                out = keep * out + (1 - keep) * kept
            outputs.append(out)
            states, previous = new, out
        return ops.stack(outputs, axis=1), states

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        out = mask if self.return_sequences else None
        return [out] + [None] * len(state_sizes(self.cell)) if self.return_state else out

    def compute_output_shape(self, input_shape: Any) -> Any:
        batch, steps = input_shape[0], input_shape[1]
        units = getattr(self.cell, "output_size", None) or state_sizes(self.cell)[0]
        out = (batch, steps, units) if self.return_sequences else (batch, units)
        if self.return_state:
            return [out] + [(batch, size) for size in state_sizes(self.cell)]
        return out

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "cell": serialize(self.cell),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }


class StackedRNNCells(Layer):
    """Cells run one after the other at each step, as one cell (`RNN([cell1, cell2])`).

    Args:
        cells: a list of cells; each one's output feeds the next.
    """

    def __init__(self, cells: list, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not cells or not all(isinstance(c, Layer) and hasattr(c, "state_size") for c in cells):
            raise TypeError(
                f"StackedRNNCells {self.name!r}: cells must be a non-empty list of cells (Layers "
                f"with `state_size`). Received: cells={cells!r:.80}"
            )
        self.cells = list(cells)

    @property
    def state_size(self) -> list[int]:
        return [size for cell in self.cells for size in state_sizes(cell)]

    @property
    def output_size(self) -> int:
        last = self.cells[-1]
        return getattr(last, "output_size", None) or state_sizes(last)[0]

    def build(self, input_shape: Any) -> None:
        for cell in self.cells:
            with layer_scope(cell):
                cell.build(input_shape)
                cell.built = True
            width = getattr(cell, "output_size", None) or state_sizes(cell)[0]
            input_shape = (input_shape[0], width)

    def reset_dropout_mask(self) -> None:
        for cell in self.cells:
            if hasattr(cell, "reset_dropout_mask"):
                cell.reset_dropout_mask()

    def call(self, inputs: Any, states: list, training: bool | None = None) -> tuple:
        new_states, start = [], 0
        kwargs = {"training": training} if training is not None else {}
        for cell in self.cells:
            count = len(state_sizes(cell))
            own = states[start : start + count]
            start += count
            inputs, new = cell(inputs, own, **kwargs)
            new_states += list(new) if isinstance(new, list | tuple) else [new]
        return inputs, new_states

    def get_config(self) -> dict:
        return {**super().get_config(), "cells": [serialize(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config: dict) -> "StackedRNNCells":
        return cls(**{**config, "cells": [deserialize(c) for c in config["cells"]]})
