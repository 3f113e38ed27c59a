"""Bidirectional: an RNN run over the sequence both ways, the two outputs merged."""

from typing import Any

from lamina import ops
from lamina.layers.layer import Layer
from lamina.layers.serialization import deserialize, serialize

MERGE_MODES = ("concat", "sum", "mul", "ave", None)
_COMMON = ("stateful", "return_sequences", "return_state")


def _copy(layer: Layer, name: str, go_backwards: bool) -> Layer:
    """A fresh layer (new weights) from `layer`'s config, renamed, with `go_backwards` set."""
    record = serialize(layer)
    record["config"] = {**record["config"], "name": name, "go_backwards": go_backwards}
    return deserialize(record)


def _is_rnn(layer: Any) -> bool:
    return isinstance(layer, Layer) and all(hasattr(layer, a) for a in ("go_backwards", *_COMMON))


class Bidirectional(Layer):
    """Runs an RNN forwards and a copy of it backwards over the time axis, merging the outputs.

    Args:
        layer: an RNN layer (`LSTM`, `GRU`, `SimpleRNN`, `RNN`, or a Layer with
            `go_backwards`, `return_sequences`, `return_state` and `stateful` and a config).
            Its config makes two fresh layers, `forward_<name>` and `backward_<name>` (the
            latter with `go_backwards` flipped); the weights of `layer` itself are not used.
        merge_mode: how the two outputs combine: `"concat"` (on the last axis), `"sum"`,
            `"mul"`, `"ave"`, or None for the list `[forward, backward]`.
        weights: initial weights, the forward layer's then the backward layer's, set when the
            layer is built.
        backward_layer: the layer for the backward direction instead of a copy of `layer`:
            an RNN with the opposite `go_backwards` and the same `return_sequences`,
            `return_state` and `stateful`.

    Call arguments:
        sequences: `(batch, time, features)`.
        initial_state: the forward layer's initial states followed by the backward layer's.
        mask: booleans `(batch, time)`, passed to both directions.
        training: passed to both directions.

    Output shape:
        The forward layer's, with the last axis doubled for `"concat"`. With
        `return_sequences` the backward outputs are put back in forward time order. With
        `return_state`, the output(s) are followed by the forward then the backward states.

    Example:
    >>> layer = lamina.layers.Bidirectional(lamina.layers.LSTM(32))
    >>> layer(np.zeros((2, 10, 64), "float32")).shape, layer.count_params()
    ((2, 64), 24832)
    """

    supports_masking = True

    def __init__(
        self,
        layer: Layer,
        merge_mode: str | None = "concat",
        weights: list | None = None,
        backward_layer: Layer | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not _is_rnn(layer):
            raise ValueError(
                f"Bidirectional {self.name!r} wraps a recurrent layer (LSTM, GRU, SimpleRNN, "
                "RNN, or a Layer with `go_backwards`, `return_sequences`, `return_state` and "
                f"`stateful`). Received: layer={layer!r:.80}"
            )
        if merge_mode not in MERGE_MODES:
            raise ValueError(
                f"Bidirectional {self.name!r}: merge_mode must be one of {list(MERGE_MODES)}. "
                f"Received: merge_mode={merge_mode!r}"
            )
        base = layer.name.removeprefix("forward_").removeprefix("backward_")
        self.forward_layer = _copy(layer, f"forward_{base}", layer.go_backwards)
        if backward_layer is None:
            backward_layer = _copy(layer, f"backward_{base}", not layer.go_backwards)
        self._check_backward(backward_layer)
        self.backward_layer = backward_layer
        for rnn in (self.forward_layer, self.backward_layer):
            if hasattr(rnn, "zero_output_for_mask"):
                # Masked steps give zeros, so that both directions agree on them.
                rnn.zero_output_for_mask = rnn.return_sequences
        self.merge_mode = merge_mode
        self.stateful = bool(layer.stateful)
        self.return_sequences = bool(layer.return_sequences)
        self.return_state = bool(layer.return_state)
        self._initial_weights = list(weights) if weights is not None else None

    def _check_backward(self, backward: Any) -> None:
        if not _is_rnn(backward):
            raise ValueError(
                f"Bidirectional {self.name!r}: backward_layer must be a recurrent layer like "
                f"`layer`. Received: backward_layer={backward!r:.80}"
            )
        forward = self.forward_layer
        if backward.go_backwards == forward.go_backwards:
            raise ValueError(
                f"Bidirectional {self.name!r}: backward_layer must run the other way than "
                f"layer (go_backwards={not forward.go_backwards}). Received: "
                f"backward_layer.go_backwards={backward.go_backwards}"
            )
        for attr in _COMMON:
            if getattr(backward, attr) != getattr(forward, attr):
                raise ValueError(
                    f"Bidirectional {self.name!r}: backward_layer must have the same {attr} as "
                    f"layer ({getattr(forward, attr)}). Received: "
                    f"backward_layer.{attr}={getattr(backward, attr)}"
                )

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        for rnn in (self.forward_layer, self.backward_layer):
            if not rnn.built:
                rnn.build(sequences_shape)
        if self._initial_weights is not None:
            half = len(self._initial_weights) // 2
            self.forward_layer.set_weights(self._initial_weights[:half])
            self.backward_layer.set_weights(self._initial_weights[half:])
            self._initial_weights = None

    def call(
        self,
        sequences: Any,
        initial_state: Any = None,
        mask: Any = None,
        training: bool | None = None,
    ) -> Any:
        kwargs: dict = {"mask": mask, "training": training}
        forward_kwargs, backward_kwargs = dict(kwargs), dict(kwargs)
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, list | tuple) else []
            if not states or len(states) % 2:
                raise ValueError(
                    f"Bidirectional {self.name!r}: initial_state must list the forward layer's "
                    "states then the backward layer's (an even number of tensors). Received: "
                    f"initial_state={initial_state!r:.80}"
                )
            half = len(states) // 2
            forward_kwargs["initial_state"] = states[:half]
            backward_kwargs["initial_state"] = states[half:]
        y = self.forward_layer(sequences, **forward_kwargs)
        y_rev = self.backward_layer(sequences, **backward_kwargs)
        states = []
        if self.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
        y, y_rev = ops.cast(y, self.dtype), ops.cast(y_rev, self.dtype)
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)  # back to forward time order
        if self.merge_mode is None:
            return [y, y_rev, *states]
        output = _merge(self.merge_mode, y, y_rev)
        return [output, *states] if self.return_state else output

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, list):
            mask = mask[0]
        out = mask if self.return_sequences else None
        outputs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            count = len(self.forward_layer.compute_mask(inputs, mask)) - 1  # the states
            return outputs + [None] * (2 * count)
        return outputs if self.merge_mode is None else out

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        shape = tuple(shape)
        if self.merge_mode == "concat":
            last = shape[-1]
            shape = (*shape[:-1], None if last is None else 2 * last)
        outputs = [shape, shape] if self.merge_mode is None else [shape]
        if self.return_state:
            return outputs + states + states
        return outputs if self.merge_mode is None else shape

    def reset_states(self) -> None:
        """Zero the states of both directions (a stateful layer)."""
        if not self.stateful:
            raise AttributeError(
                f"Bidirectional {self.name!r} has no states to reset: its layer is not "
                "stateful. Received: stateful=False"
            )
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    @property
    def states(self) -> list | None:
        """The forward then the backward states a stateful layer carries, or None."""
        forward, backward = self.forward_layer.states, self.backward_layer.states
        return [*forward, *backward] if forward and backward else None

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize(self.forward_layer),
            "backward_layer": serialize(self.backward_layer),
        }


def _merge(mode: str, y: Any, y_rev: Any) -> Any:
    if mode == "concat":
        return ops.concatenate([y, y_rev], axis=-1)
    if mode == "sum":
        return y + y_rev
    if mode == "ave":
        return (y + y_rev) / 2
    return y * y_rev
