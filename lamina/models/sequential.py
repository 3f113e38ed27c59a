"""Sequential: a plain stack of layers, each feeding the next."""

from typing import Any

from lamina.layers.core.input_layer import Input, InputLayer
from lamina.layers.layer import Layer, layer_scope
from lamina.layers.serialization import deserialize_layer, serialize_layer
from lamina.layers.symbolic import KerasTensor
from lamina.models.model import Model
from lamina.serialization.object_registry import custom_object_scope


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: the layers, in order (an `Input` first, or `input_shape=` on the first layer,
            to build the model at once; otherwise it builds on its first call).
        name: the model name.

    Example:
    >>> model = lamina.Sequential([
    ...     lamina.layers.Dense(512, activation="relu", input_shape=(784,)),
    ...     lamina.layers.Dense(10, activation="softmax"),
    ... ])
    >>> model.count_params()
    407050
    """

    def __init__(self, layers: list | None = None, name: str | None = None, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self._stack: list[Layer] = []
        self._input: KerasTensor | None = None
        self._output: KerasTensor | None = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Any) -> None:
        """Append a layer (or an `Input`, as the first item)."""
        if isinstance(layer, KerasTensor) and isinstance(layer.node.layer, InputLayer):
            if self._stack or self._input is not None:
                raise ValueError("Sequential: an Input can only come first.")
            self._input = self._output = layer
            return
        if isinstance(layer, InputLayer):
            self.add(layer._inbound_nodes[0].output_value)
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add expects a Layer. Received: {type(layer).__name__} ({layer!r:.60})"
            )
        if not self._stack and self._input is None and layer._input_batch_shape is not None:
            self._input = self._output = Input(batch_shape=layer._input_batch_shape)
        self._stack.append(layer)
        self._track(layer)
        if self._output is not None:
            with layer_scope(self):  # weights are named `sequential/dense/kernel`, as in Keras
                self._output = layer(self._output)
        self.built = self._output is not None

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise ValueError("Sequential.pop: the model has no layers to remove.")
        layer = self._stack.pop()
        self._sublayers = [s for s in self._sublayers if s is not layer]
        if self._input is not None:
            self._output = self._input
            for lay in self._stack:
                self._output = lay(self._output)
        return layer

    @property
    def layers(self) -> list[Layer]:
        return list(self._stack)

    def build(self, input_shape: Any = None) -> None:
        """Build the layers for inputs of `input_shape` (batch axis first)."""
        if self._input is None:
            if input_shape is None:
                raise ValueError(
                    "Sequential.build needs an input shape, e.g. build((None, 784)). "
                    "Received: input_shape=None"
                )
            self._input = Input(batch_shape=tuple(input_shape))
            self._output = self._input
            for layer in self._stack:
                self._output = layer(self._output)
        self.built = True

    def _build_for(self, shapes: Any) -> None:
        self.build((None, *tuple(shapes)[1:]))

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(inputs, dict):
            inputs = self._from_dict(inputs)
        return super().__call__(inputs, *args, **kwargs)

    def _from_dict(self, inputs: dict) -> Any:
        """The one input of a dict keyed by the model's input name (as Keras accepts)."""
        name = self._input.node.layer.name if self._input is not None else None
        if name is not None and list(inputs) == [name]:
            return inputs[name]
        keyed = f" or as {{{name!r}: x}}" if name is not None else ""
        raise ValueError(
            f"Sequential model {self.name!r} has a single input: pass it as one array{keyed}. "
            "For several or named inputs build a functional model, "
            "lamina.Model(inputs={...}, outputs=...). "
            f"Received: inputs=a dict with keys {sorted(map(str, inputs))}"
        )

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        x = inputs
        for layer in self._stack:
            x = layer(x)
        return x

    def compute_output_spec(
        self, inputs: Any, training: bool | None = None, mask: Any = None
    ) -> Any:
        """The symbolic output, from each layer's `compute_output_spec` in turn."""
        if type(self).call is not Sequential.call:  # a subclass with its own forward pass
            return super().compute_output_spec(inputs, training=training, mask=mask)
        x = inputs
        for layer in self._stack:
            x = layer.compute_output_spec(x)
        return x

    def _convert_input(self, x: Any) -> Any:
        return x

    @property
    def inputs(self) -> list:
        return [] if self._input is None else [self._input]

    @property
    def outputs(self) -> list:
        return [] if self._output is None else [self._output]

    @property
    def input(self) -> Any:
        return self._require_built()._input

    @property
    def output(self) -> Any:
        return self._require_built()._output

    @property
    def output_names(self) -> list[str]:
        return [self._stack[-1].name] if self._stack else []

    def get_config(self) -> dict:
        """The model's name and its layers' configs, its input layer first when it has one."""
        stack = ([self._input.node.layer] if self._input is not None else []) + self._stack
        return {**Layer.get_config(self), "layers": [serialize_layer(lay) for lay in stack]}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Sequential":
        """Rebuild the stack that `get_config` describes (with fresh weights)."""
        config = dict(config)
        entries = config.pop("layers", [])
        if not isinstance(entries, list):
            raise TypeError(
                f"Sequential config: 'layers' must be a list. Received: {entries!r:.80}"
            )
        with custom_object_scope(custom_objects):
            model = cls(**config)
            for i, entry in enumerate(entries):
                model.add(deserialize_layer(entry, f"layer {i} of Sequential {model.name!r}"))
        return model

    def _require_built(self) -> "Sequential":
        if self._input is None:
            raise AttributeError(
                f"Sequential model {self.name!r} has no input yet: give the first layer an "
                "input_shape, start with lamina.Input(...), or call the model on data."
            )
        return self
