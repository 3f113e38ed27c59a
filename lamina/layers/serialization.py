"""`lamina.layers.serialize` and `lamina.layers.deserialize`: one layer to and from a config."""

from typing import Any

from lamina.layers.layer import Layer


def serialize(layer: Layer) -> dict:
    """Return the JSON-safe description of `layer` (`{"module", "class_name", "config", ...}`).

    Raises:
        TypeError: when `layer` is not a Layer.

    Example:
    >>> config = lamina.layers.serialize(lamina.layers.Dense(3))
    >>> lamina.layers.deserialize(config).units
    3
    """
    from lamina.saving.config import serialize_layer

    if not isinstance(layer, Layer):
        raise TypeError(
            f"lamina.layers.serialize expects a Layer. Received: {type(layer).__name__} "
            f"({layer!r:.60})"
        )
    return serialize_layer(layer)


def deserialize(config: Any, custom_objects: dict | None = None) -> Layer:
    """Rebuild a layer (unbuilt, with fresh weights) from `serialize`'s output.

    A Layer passes through unchanged, so `from_config` may call this on what its config holds.

    Args:
        config: a layer description, as lamina or Keras 3 writes it.
        custom_objects: name -> class, for users' layers not registered.

    Raises:
        ValueError: for an unknown class or a config its class refuses.
        TypeError: when the description is not of a layer.
    """
    from lamina.saving.object_serialization import deserialize_keras_object

    if isinstance(config, Layer):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(
            "lamina.layers.deserialize expects a dict with 'class_name' and 'config'. "
            f"Received: config={config!r:.80}"
        )
    layer = deserialize_keras_object(config, custom_objects)
    if not isinstance(layer, Layer):
        raise TypeError(
            f"lamina.layers.deserialize: {config['class_name']!r} is not a layer. "
            f"Received: {type(layer).__name__}"
        )
    return layer
