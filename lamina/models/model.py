"""Model: a layer that can be trained, plus `Model(inputs, outputs)` for functional models."""

from typing import Any

from lamina.layers.layer import Layer
from lamina.models.summary import print_summary
from lamina.training.trainer import Trainer


class Model(Trainer, Layer):
    """A trainable stack of layers, with `compile`, `fit`, `evaluate` and `predict`.

    `Model(inputs, outputs)` builds a functional model; subclass `Model` and write `call` for
    a model with its own forward pass.

    Example:
    >>> class MLP(lamina.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = lamina.layers.Dense(64, activation="relu")
    ...         self.out = lamina.layers.Dense(10, activation="softmax")
    ...     def call(self, x):
    ...         return self.out(self.hidden(x))
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> "Model":
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from lamina.models.functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or "inputs" in kwargs:
            raise TypeError(
                f"{type(self).__name__}: a subclassed Model takes no inputs/outputs; build a "
                "functional model with lamina.Model(inputs, outputs) instead."
            )
        Layer.__init__(self, **kwargs)
        Trainer.__init__(self)

    @property
    def layers(self) -> list[Layer]:
        """The model's layers, in the order they were added or called."""
        return list(self._sublayers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Return a layer by name or by index in `layers`."""
        if (name is None) == (index is None):
            raise ValueError(
                f"get_layer expects exactly one of name or index. Received: name={name!r}, "
                f"index={index!r}"
            )
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Model {self.name!r} has {len(layers)} layers. Received: index={index}"
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No layer named {name!r} in model {self.name!r}; its layers are "
            f"{[layer.name for layer in layers]}. Received: name={name!r}"
        )

    def summary(self, line_length: int | None = None, print_fn: Any = None) -> None:
        """Print a table of the layers, their output shapes and parameter counts."""
        print_summary(self, line_length=line_length, print_fn=print_fn)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Save the weights, in the order of `model.weights`, to a `.weights.npz` file.

        The file is written atomically: a crash mid-save leaves the previous file intact.

        Args:
            filepath: the file; its name must end in `.weights.npz`.
            overwrite: if False, refuse to replace an existing file.

        Example:
        >>> model.save_weights("mlp.weights.npz")
        """
        from lamina.saving import weights_file

        weights_file.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any) -> None:
        """Load weights saved by `save_weights` into this (built) model, by position.

        Raises:
            ValueError: when the count or a shape differs (nothing is changed then).

        Example:
        >>> model.load_weights("mlp.weights.npz")
        """
        from lamina.saving import weights_file

        weights_file.load_weights(self, filepath)
