"""Lambda: wraps a Python function as a layer (in memory only; it cannot be saved as code)."""

from typing import Any

from lamina.layers.layer import Layer


class Lambda(Layer):
    """Wrap a function of tensors as a layer.

    Saving a model with a Lambda layer is refused: register a layer class with
    `lamina.saving.register_serializable` instead.

    Args:
        function: a callable taking the input tensor(s).
        output_shape: optional; otherwise worked out by calling the function.
        arguments: extra keyword arguments passed to `function`.

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

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        return self.function(inputs, **self.arguments)

    def get_config(self) -> dict:
        raise ValueError(
            f"Lambda layer {self.name!r} holds Python code, which lamina never saves (loading "
            "code from a file can run anything). Write the function as a Layer subclass and "
            "register it with lamina.saving.register_serializable."
        )
