"""Lambda: wraps a Python function as a layer (in memory only; it cannot be saved as code)."""

import inspect
from typing import Any

from lamina import tree
from lamina.layers.layer import Layer


class Lambda(Layer):
    """Wrap a function of tensors as a layer.

    Saving a model with a Lambda layer is refused: register a layer class with
    `lamina.saving.register_serializable` instead.

    Args:
        function: a callable taking the input tensor(s).
        output_shape: optional; otherwise worked out by calling the function. A shape without
            the batch axis (`(10,)`; the input's batch axis is put first), a list of them for
            several outputs, or a function of the input shape returning the whole shape.
        mask: the mask of the outputs: None (none; a mask stops here), a function
            `(inputs, mask) -> mask`, or a fixed mask.
        arguments: extra keyword arguments passed to `function`, and `mask` and `training`
            when the function takes them.

    Example:
    >>> layer = lamina.layers.Lambda(lambda x: x * 2)
    """

    def __init__(
        self,
        function: Any,
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda expects a callable. Received: function={function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        params = _parameters(function)
        self._passes = [k for k in ("mask", "training") if k in params]

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        given = {"mask": mask, "training": training}
        return self.function(inputs, **self.arguments, **{k: given[k] for k in self._passes})

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def declares_output_shape(self) -> bool:
        return self._output_shape is not None

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)  # calls the function on zeros
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = next(iter(tree.flatten(input_shape)), None)
        return tree.map_shape_structure(lambda shape: (batch, *shape), self._output_shape)

    def get_config(self) -> dict:
        raise ValueError(
            f"Lambda layer {self.name!r} holds Python code, which lamina never saves (loading "
            "code from a file can run anything). Write the function as a Layer subclass and "
            "register it with lamina.saving.register_serializable."
        )


def _parameters(function: Any) -> set[str]:
    try:
        return set(inspect.signature(function).parameters)
    except (TypeError, ValueError):  # some builtins have no signature
        return set()
