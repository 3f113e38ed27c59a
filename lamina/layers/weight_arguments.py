"""The `{kind}_initializer`, `{kind}_regularizer` and `{kind}_constraint` arguments that layers
take per weight (kind: kernel, bias, gamma, ...): stored, used and serialized in one place."""

from typing import Any

from lamina import constraints, initializers, regularizers
from lamina.layers.layer import Layer


def set_weight_arguments(
    layer: Layer, kind: str, initializer: Any, regularizer: Any, constraint: Any
) -> None:
    """Resolve and store the three arguments of `kind` as attributes of `layer`."""
    setattr(layer, f"{kind}_initializer", initializers.get(initializer))
    setattr(layer, f"{kind}_regularizer", regularizers.get(regularizer))
    setattr(layer, f"{kind}_constraint", constraints.get(constraint))


def add_weight_of(layer: Layer, kind: str, shape: tuple, name: str | None = None) -> Any:
    """A trainable weight of `layer` made with the arguments stored for `kind` (named `kind`
    unless `name` is given)."""
    return layer.add_weight(
        shape=shape,
        initializer=getattr(layer, f"{kind}_initializer"),
        regularizer=getattr(layer, f"{kind}_regularizer"),
        constraint=getattr(layer, f"{kind}_constraint"),
        name=name or kind,
    )


def weight_arguments_config(layer: Layer, kinds: tuple[str, ...]) -> dict:
    """The stored arguments of each of `kinds`, serialized for `get_config`."""
    config = {}
    for kind in kinds:
        config[f"{kind}_initializer"] = initializers.serialize(
            getattr(layer, f"{kind}_initializer")
        )
        config[f"{kind}_regularizer"] = regularizers.serialize(
            getattr(layer, f"{kind}_regularizer")
        )
        config[f"{kind}_constraint"] = constraints.serialize(getattr(layer, f"{kind}_constraint"))
    return config
