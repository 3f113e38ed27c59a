"""Model: a layer that can be trained, plus `Model(inputs, outputs)` for functional models."""

import inspect
import json
from typing import Any

from lamina.layers.layer import Layer
from lamina.layers.serialization import serialize_layer
from lamina.layers.symbolic import has_symbolic
from lamina.models.graph_config import functional_from_config
from lamina.models.summary import print_summary
from lamina.serialization.object_registry import custom_object_scope
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
        # Functional and Sequential subclass Model.
        from lamina.models.functional import Functional
        from lamina.models.sequential import Sequential  # as the line above

        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            return Functional.__new__(Functional)
        if (
            (len(args) >= 2 or "outputs" in kwargs)
            and not issubclass(cls, Functional | Sequential)
            and has_symbolic(args[:1], kwargs.get("inputs"))
        ):
            # `CustomModel(inputs, outputs)`: a subclass (with its own train_step, say) built
            # from a graph is an instance of a class deriving from both it and Functional.
            return super().__new__(_functional_subclass(cls))
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or "inputs" in kwargs:
            name = type(self).__name__
            raise TypeError(
                f"{name}: Model.__init__ takes keyword arguments (name, trainable, dtype), or "
                f"both the symbolic inputs and outputs of a graph: {name}(inputs, outputs). "
                f"Received: {len(args)} positional argument(s) and keywords {sorted(kwargs)}"
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

    def save(self, filepath: Any, overwrite: bool = True, include_optimizer: bool = True) -> None:
        """Save the whole model to one `.keras` file: architecture, weights, compile settings
        and optimizer state (see `lamina.saving.save_model`).

        Example:
        >>> model.save("mnist.keras")
        >>> restored = lamina.models.load_model("mnist.keras")
        """
        # saving stands above models: it rebuilds them.
        from lamina.saving import model_file

        model_file.save_model(self, filepath, overwrite, include_optimizer)

    def to_json(self, **kwargs: Any) -> str:
        """The architecture as JSON text (no weights); `lamina.models.model_from_json` reads it.

        Args:
            **kwargs: passed to `json.dumps` (`indent=2`, say).
        """
        return json.dumps(serialize_layer(self), allow_nan=False, **kwargs)

    def get_config(self) -> dict:
        """The constructor arguments of a subclassed model.

        A subclass whose `__init__` takes arguments of its own must override this (calling
        `super().get_config()`) and be registered with `lamina.saving.register_serializable`
        for `model.save` to work.

        Raises:
            NotImplementedError: when `__init__` has required arguments this cannot know.
        """
        cls = type(self)
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        if cls.get_config is Model.get_config:
            required = [
                p.name
                for p in params
                if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            ]
            if required:
                raise NotImplementedError(
                    f"Model class {cls.__name__} takes {required} in __init__, so saving it "
                    "needs a get_config() that returns them (and registration with "
                    "lamina.saving.register_serializable)."
                )
        config = Layer.get_config(self)
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return config
        names = {p.name for p in params}
        return {k: v for k, v in config.items() if k in names}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Model":
        """Create a model from the dict `get_config()` returned.

        A graph config (one with `input_layers` and `output_layers`) rebuilds the graph: a
        functional model, or a subclass built as `CustomModel(inputs, outputs)`.

        Raises:
            TypeError: when `config` is not a dict.
            lamina.saving.ModelFileError: for a graph config that cannot be rebuilt.
        """
        if not isinstance(config, dict):
            raise TypeError(
                f"{cls.__name__}.from_config expects the dict get_config() returned. "
                f"Received: config of type {type(config).__name__}"
            )
        with custom_object_scope(custom_objects):
            if "input_layers" in config and "output_layers" in config:
                return functional_from_config(cls, config)
            return cls(**config)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Save the weights to a `.weights.safetensors` file, or Keras 3's `.weights.h5`.

        The file is written atomically: a crash mid-save leaves the previous file intact.
        A `.weights.h5` file (it needs h5py) is also readable by Keras.

        Args:
            filepath: the file; its name must end in `.weights.safetensors` or `.weights.h5`.
            overwrite: if False, refuse to replace an existing file.

        Example:
        >>> model.save_weights("mlp.weights.safetensors")
        """
        # saving stands above models: it rebuilds them.
        from lamina.saving import weights_file

        weights_file.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(
        self, filepath: Any, skip_mismatch: bool = False, by_name: bool = False
    ) -> None:
        """Load weights saved by `save_weights` (or from a `.keras` file) into this built model.

        Layers with weights are matched by position (topology), or by name with
        `by_name=True`. Keras's `.weights.h5` and `.h5` files and legacy `.weights.npz` files
        are read too.

        Args:
            filepath: a `.weights.safetensors`, `.weights.h5`, `.keras` or `.weights.npz` file.
            skip_mismatch: skip, with a warning, layers whose weights do not fit.
            by_name: match layers by name; layers not in the file keep their weights.

        Raises:
            lamina.saving.ModelFileError: when the file is invalid or its weights do not fit
                (nothing is changed then).

        Example:
        >>> model.load_weights("mlp.weights.safetensors")
        """
        # saving stands above models: it rebuilds them.
        from lamina.saving import weights_file

        weights_file.load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)


_FUNCTIONAL_SUBCLASSES: dict[type, type] = {}


def _functional_subclass(cls: type) -> type:
    """The class, made once per `cls`, of `cls` instances built from inputs and outputs: its
    methods come first, then Functional's graph (`call`, `inputs`, `get_config`, ...)."""
    # Functional subclasses Model.
    from lamina.models.functional import Functional

    if cls not in _FUNCTIONAL_SUBCLASSES:
        attrs = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
        _FUNCTIONAL_SUBCLASSES[cls] = type(cls.__name__, (cls, Functional), attrs)
    return _FUNCTIONAL_SUBCLASSES[cls]
