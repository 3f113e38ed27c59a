"""Any lamina or registered object to and from Keras 3's JSON-safe dict format.

An object is written as `{"module", "class_name", "config", "registered_name"}`; a function as
`{"module", "class_name": "function", "config": name, "registered_name": name}`. Reading
accepts what lamina writes and what Keras 3 writes (`"keras.layers"`, `"keras.initializers"`,
...): `module` only picks the lamina table a class name is looked up in; it is never imported.
Users' classes and functions come from `custom_objects`, an active `custom_object_scope` or the
`register_keras_serializable` registry, nowhere else.
"""

import inspect
from typing import Any

import numpy as np

from lamina.saving import object_registry
from lamina.saving.config import (
    LAYERS_MODULE,
    MODEL_CLASSES,
    MODELS_MODULE,
    decode_value,
    deserialize_layer,
    encode_value,
    serialize_layer,
)

# The families whose objects a config may hold, by the module name Keras and lamina write.
_FAMILIES = (
    "activations",
    "constraints",
    "initializers",
    "losses",
    "metrics",
    "optimizers",
    "optimizers.schedules",
    "regularizers",
)  # the order of _families()
_MARKERS = ("__tuple__", "__slice__", "__ellipsis__", "__numpy__")


def _families() -> dict[str, Any]:
    from lamina import activations, constraints, initializers, losses, metrics, optimizers
    from lamina import regularizers as reg
    from lamina.optimizers import schedules

    modules = (activations, constraints, initializers, losses, metrics, optimizers, schedules, reg)
    return dict(zip(_FAMILIES, modules, strict=True))


def _family_of(module: Any) -> str | None:
    """`"initializers"` for `"lamina.initializers"`, `"keras.initializers"` or a `keras.src`
    path; `"layers"` for layer and model modules; None for anything else."""
    if not isinstance(module, str):
        return None
    parts = module.split(".")
    if parts[0] not in ("lamina", "keras"):
        return None
    parts = parts[2:] if parts[1:2] == ["src"] else parts[1:]
    if parts[:1] in (["layers"], ["models"]):
        return "layers"
    if parts[:2] == ["optimizers", "schedules"]:
        return "optimizers.schedules"
    return parts[0] if parts and parts[0] in _FAMILIES else None


# ----- serializing ----------------------------------------------------------------------------


def serialize_keras_object(obj: Any) -> Any:
    """Return a JSON-safe description of `obj` that `deserialize_keras_object` reads back.

    Plain values, lists and dicts are kept (their items serialized); layers, initializers,
    regularizers, constraints, losses, metrics, optimizers and registered objects become
    `{"module", "class_name", "config", "registered_name"}` dicts; functions are written by
    their registered name.

    Raises:
        TypeError: for an object that has no `get_config`, or a function that is neither
            lamina's nor registered with `register_keras_serializable`.

    Example:
    >>> config = lamina.saving.serialize_keras_object(lamina.initializers.HeNormal(seed=1))
    >>> config["class_name"]
    'HeNormal'
    """
    from lamina.layers.layer import Layer

    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, list | tuple):
        return [serialize_keras_object(v) for v in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray | np.generic):
        return encode_value(obj)
    if isinstance(obj, Layer):
        return serialize_layer(obj)
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return _serialize_function(obj)
    for module in _families().values():
        if module._REGISTRY.objects.get(type(obj).__name__) is type(obj):
            out = module.serialize(obj)
            if isinstance(out, dict):  # Keras 3 writes all four keys
                out = {**out, "registered_name": out.get("registered_name")}
            return out
    if inspect.isclass(obj) or not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize {obj!r:.80}: only plain values, lamina's objects and objects with "
            "get_config() can be saved. Define get_config() and register the class with "
            f"lamina.saving.register_keras_serializable(). Received: {type(obj).__name__}"
        )
    return {
        "module": type(obj).__module__,  # for readers; lamina never imports it
        "class_name": type(obj).__name__,
        "config": serialize_keras_object(obj.get_config()),
        "registered_name": object_registry.registered_name_of(type(obj)),
    }


def _serialize_function(fn: Any) -> dict:
    registered = object_registry.registered_name_of(fn)
    if registered is not None:
        return _function_entry(None, registered)
    for family, module in _families().items():
        name = module._REGISTRY.name_of(fn)
        if name is not None:
            return _function_entry(f"lamina.{family}", name)
    raise TypeError(
        f"Cannot serialize the function {getattr(fn, '__qualname__', fn)!r}: saved configs name "
        "functions, never hold their code. Register it with "
        "@lamina.saving.register_keras_serializable(). Received: a function not registered"
    )


def _function_entry(module: str | None, name: str) -> dict:
    return {"module": module, "class_name": "function", "config": name, "registered_name": name}


def serialize_config_values(value: Any) -> Any:
    """`value` (a config) with the layers, objects and functions it holds replaced by their
    descriptions; plain values, tuples and arrays are left for the JSON check to judge."""
    if isinstance(value, dict):
        return {k: serialize_config_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(serialize_config_values(v) for v in value)
    if value is None or isinstance(value, bool | int | float | str | np.ndarray | np.generic):
        return value
    if hasattr(value, "get_config") or inspect.isfunction(value) or inspect.isbuiltin(value):
        return serialize_keras_object(value)
    return value


# ----- deserializing --------------------------------------------------------------------------


def is_layer_entry(value: Any) -> bool:
    """Whether `value` is a serialized layer or model (lamina's layout or Keras 3's)."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("class_name"), str)
        and isinstance(value.get("config"), dict)
        and "module" in value
        and value.get("class_name") != "function"
        # lamina writes users' layers with module None, users' other objects with their module
        and (_family_of(value["module"]) == "layers" or value["module"] is None)
    )


def deserialize_keras_object(config: Any, custom_objects: dict | None = None) -> Any:
    """Rebuild what `serialize_keras_object` (or Keras 3) wrote.

    Args:
        config: a description: a plain value, a list or dict of descriptions, or a
            `{"module", "class_name", "config", "registered_name"}` dict.
        custom_objects: name -> class or function, for users' objects not registered.

    Returns:
        The object (layers come back unbuilt, with fresh weights).

    Raises:
        ValueError: for an unknown class or function name, or a config its class refuses.

    Example:
    >>> init = lamina.saving.deserialize_keras_object(
    ...     {"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": 1}})
    """
    with object_registry.custom_object_scope(custom_objects):
        return _deserialize(config, custom_objects or {})


def _deserialize(config: Any, custom: dict) -> Any:
    from lamina.layers.layer import Layer

    if isinstance(config, str):
        found = object_registry.get_registered_object(config)
        return config if found is None else found
    if isinstance(config, list):
        return [_deserialize(v, custom) for v in config]
    if not isinstance(config, dict):
        return config
    class_name = config.get("class_name")
    if not isinstance(class_name, str) or "config" not in config:
        return {k: _deserialize(v, custom) for k, v in config.items()}
    if class_name in _MARKERS:
        return decode_value(config)
    module = config.get("module")
    family = _family_of(module)
    if class_name == "function":
        return _deserialize_function(config, family)
    if family == "layers" and module.startswith("keras"):
        return _keras_layer(config, custom)
    if family == "layers":
        lamina_module = MODELS_MODULE if class_name in MODEL_CLASSES else LAYERS_MODULE
        return deserialize_layer({**config, "module": lamina_module})
    if family is not None:
        return _families()[family].deserialize(config)
    if is_layer_entry(config):
        return deserialize_layer(config)
    name = config.get("registered_name") or class_name
    cls = object_registry.get_registered_object(name)
    if cls is None:
        raise ValueError(
            f"Unknown object {name!r}: register its class with "
            "@lamina.saving.register_keras_serializable() or pass "
            f"custom_objects={{{class_name!r}: {class_name}}}. Received: class_name={class_name!r}"
        )
    if inspect.isclass(cls) and issubclass(cls, Layer):
        return deserialize_layer({**config, "module": None})
    inner = config["config"]
    if not inspect.isclass(cls):
        return cls
    if not isinstance(inner, dict):
        raise ValueError(f"The config of {name!r} must be a dict. Received: {inner!r:.80}")
    return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)


def _keras_layer(record: dict, custom: dict) -> Any:
    """A layer Keras 3 wrote, through the Keras import's whitelist of classes and settings."""
    from lamina.saving.keras_import.config_translation import layer_from_record
    from lamina.saving.keras_import.config_values import Ctx

    return layer_from_record(record, Ctx("the Keras config", custom))[0]


def _deserialize_function(config: dict, family: str | None) -> Any:
    name = config.get("registered_name") or config.get("config")
    if not isinstance(name, str):
        raise ValueError(f"A function is named by a string. Received: config={config!r:.100}")
    found = object_registry.get_registered_object(name)
    if found is not None:
        return found
    families = _families()
    for module in [families[family]] if family in families else families.values():
        obj = module._REGISTRY.objects.get(name)
        if obj is not None:
            return obj
    raise ValueError(
        f"Unknown function {name!r}: register it with "
        "@lamina.saving.register_keras_serializable() or pass it in custom_objects. "
        f"Received: {name!r}"
    )
