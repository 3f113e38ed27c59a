"""TimeDistributed: one layer applied to every time step of a sequence."""

from typing import Any

from lamina import ops
from lamina.layers.layer import Layer, _call_accepts_mask, _call_accepts_training
from lamina.layers.serialization import serialize
from lamina.layers.symbolic import KerasTensor


class TimeDistributed(Layer):
    """Applies `layer` to every time step (axis 1) of the input, with the same weights.

    The batch and time axes are merged into one, the layer runs once on
    `(batch * time, ...)`, and the result is split back into `(batch, time, ...)`.

    Args:
        layer: the layer to apply (`Dense`, `Conv2D`, ...).

    Call arguments:
        inputs: `(batch, time, ...)`, at least 3D.
        training: passed to the layer if its `call` takes it.
        mask: booleans `(batch, time, ...)`, passed to the layer (per step) if its `call`
            takes it; the output keeps it.

    Input shape:
        `(batch, time, ...)`, the layer's input shape with a time axis after the batch axis.

    Output shape:
        `(batch, time, ...)`, the layer's output shape with the time axis inserted.

    Example:
    >>> layer = lamina.layers.TimeDistributed(lamina.layers.Conv2D(64, 3))
    >>> layer(np.zeros((2, 10, 32, 32, 3), "float32")).shape
    (2, 10, 30, 30, 64)
    """

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(
                f"TimeDistributed {self.name!r} wraps a lamina Layer. Received: layer={layer!r:.80}"
            )
        self.layer = layer

    def _step_shape(self, input_shape: Any) -> tuple:
        if not isinstance(input_shape, list | tuple) or len(input_shape) < 3:
            raise ValueError(
                f"TimeDistributed {self.name!r} needs inputs of at least 3 dimensions (batch, "
                f"time, ...). Received: input_shape={input_shape}"
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape: Any) -> None:
        step_shape = self._step_shape(input_shape)
        if not self.layer.built:
            self.layer.build(step_shape)

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        shape = tuple(inputs.shape)
        self._step_shape(shape)
        batch, steps = shape[0], shape[1]
        kwargs: dict = {}
        if training is not None and _call_accepts_training(type(self.layer)):
            kwargs["training"] = training
        if mask is not None and tuple(mask.shape[:2]) != (batch, steps):
            raise ValueError(
                f"TimeDistributed {self.name!r}: the mask must start with (batch, time) = "
                f"{(batch, steps)}. Received: mask.shape={tuple(mask.shape)}"
            )
        if mask is not None and _call_accepts_mask(type(self.layer)):
            kwargs["mask"] = ops.reshape(mask, (batch * steps, *mask.shape[2:]))
        outputs = self.layer(ops.reshape(inputs, (batch * steps, *shape[2:])), **kwargs)
        return ops.reshape(outputs, (batch, steps, *outputs.shape[1:]))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        out = self.layer.compute_output_shape(self._step_shape(input_shape))
        return (out[0], input_shape[1], *out[1:])

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> KerasTensor:
        # The layer's own spec, so that its output dtype (and a shape it only knows by
        # probing) carry over.
        spec = self.layer.compute_output_spec(
            KerasTensor(self._step_shape(inputs.shape), inputs.dtype)
        )
        return KerasTensor((spec.shape[0], inputs.shape[1], *spec.shape[1:]), spec.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize(self.layer)}
