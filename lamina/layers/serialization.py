"""Layers and models to and from configs; `lamina.layers.serialize` and `deserialize`.

A layer is written as `{"module", "class_name", "config", "registered_name"}` (the Keras 3
layout); so is any object its config holds (an initializer, a wrapped layer), while a function
is written by name. `module` is `"lamina.layers"` or `"lamina.models"` for lamina's own
classes and None for users' classes; reading also accepts what Keras 3 writes
(`"keras.layers"`, `"keras.initializers"`, ...). `module` only picks the table a class name is
looked up in; it is never imported. Users' classes and functions come from `custom_objects`, an
active `custom_object_scope` or the `register_serializable` registry, nowhere else.
"""

import inspect
from collections.abc import Iterable
from typing import Any

import numpy as np

from lamina import activations, constraints, initializers, losses, metrics, optimizers
from lamina import regularizers as reg
from lamina.layers.layer import Layer
from lamina.optimizers import schedules
from lamina.serialization import object_registry
from lamina.serialization.errors import ModelFileError
from lamina.serialization.values import MARKERS, check_json_safe, decode_value, encode_value

LAYERS_MODULE = "lamina.layers"
# The families whose objects a config may hold, by the module name Keras and lamina write.
_FAMILIES = {
    "activations": activations,
    "constraints": constraints,
    "initializers": initializers,
    "losses": losses,
    "metrics": metrics,
    "optimizers": optimizers,
    "optimizers.schedules": schedules,
    "regularizers": reg,
}
# lamina's own layer and model classes by name, with the module a config records for them.
_BUILTIN: dict[str, tuple[str, type]] = {}


def register_builtin_classes(module: str, classes: Iterable[type]) -> None:
    """Make lamina's own layer or model classes loadable by name, recorded under `module`.

    `lamina.layers` and `lamina.models` register their public classes when imported (models
    stand above layers, so they bring their classes here rather than being looked up).
    """
    for cls in classes:
        _BUILTIN[cls.__name__] = (module, cls)


def builtin_layer_classes() -> dict[str, type]:
    """lamina's own layer and model classes by name (`Lambda` left out: it holds code)."""
    return {name: cls for name, (_, cls) in _BUILTIN.items()}


# ----- layers and models ----------------------------------------------------------------------


def serialize_layer(layer: Any) -> dict:
    """The JSON-safe description of a layer or model, refusing what cannot be loaded back.

    Layers and other objects inside its config (a wrapped layer, an initializer) are written
    as their own descriptions.

    Raises:
        ValueError: for a Lambda layer, a config that is not JSON-safe, or a user class whose
            constructor needs arguments its `get_config` does not give.
    """
    cls = type(layer)
    _check_has_config(cls)
    config = layer.get_config()
    if not isinstance(config, dict):
        raise ValueError(
            f"{cls.__name__}.get_config() must return a dict. Received: {type(config).__name__}"
        )
    config = serialize_config_values(config)
    check_json_safe(config, f"the config of layer {layer.name!r} ({cls.__name__})")
    module, builtin = _BUILTIN.get(cls.__name__, (None, None))
    return {
        "module": module if builtin is cls else None,
        "class_name": cls.__name__,
        "config": config,
        "registered_name": object_registry.registered_name_of(cls),
    }


def _check_has_config(cls: type) -> None:
    if cls.get_config is not Layer.get_config:
        return  # models check themselves in Model.get_config
    base_args = set(inspect.signature(Layer.__init__).parameters)
    missing = [
        p.name
        for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
        if p.default is p.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and p.name not in base_args
    ]
    if missing:
        raise ValueError(
            f"Layer class {cls.__name__} takes {missing} in __init__ but has no get_config() "
            "returning them, so it could not be rebuilt from a saved config. Define "
            "get_config() (and register the class with lamina.saving.register_serializable)."
        )


def resolve_layer_class(entry: dict, where: str) -> type:
    """The class a serialized layer names, from `custom_objects`, lamina or the registry.

    Raises:
        ModelFileError: for an unknown or unloadable class.
    """
    class_name = entry.get("class_name")
    registered = entry.get("registered_name")
    module = entry.get("module")
    if not isinstance(class_name, str) or not class_name:
        raise ModelFileError(f"{where}: 'class_name' must be a non-empty string.")
    if registered is not None and not isinstance(registered, str):
        raise ModelFileError(f"{where}: 'registered_name' must be a string or null.")
    modules = sorted({m for m, _ in _BUILTIN.values()})
    if module is not None and module not in modules:
        raise ModelFileError(
            f"{where}: 'module' must be one of {modules} or null; lamina never imports modules "
            f"named in a file. Received: module={module!r:.80}"
        )
    if module is None:  # a user's class
        cls = object_registry.get_registered_object(registered or class_name)
    else:  # lamina's own, unless custom_objects explicitly replaces it
        cls = object_registry.scoped_object(class_name) or builtin_layer_classes().get(class_name)
    if cls is None and class_name == "Lambda":
        raise ModelFileError(
            f"{where}: a Lambda layer holds Python code, which lamina never loads from a file. "
            "Write it as a Layer subclass registered with lamina.saving.register_serializable."
        )
    if cls is None:
        name = registered or class_name
        raise ModelFileError(
            f"{where}: unknown layer class {name!r}. Register it with "
            "@lamina.saving.register_serializable() or pass "
            f"custom_objects={{{class_name!r}: {class_name}}} to the load call."
        )
    if not inspect.isclass(cls) or not issubclass(cls, Layer):
        raise ModelFileError(
            f"{where}: {class_name!r} resolves to {cls!r:.80}, which is not a Layer class."
        )
    return cls


def deserialize_layer(entry: Any, where: str = "config") -> Any:
    """Rebuild a layer or model from `serialize_layer`'s output.

    Raises:
        ModelFileError: for a malformed entry, an unknown class, or a config its class refuses.
    """
    if not isinstance(entry, dict):
        raise ModelFileError(f"{where}: expected a layer object. Received: {type(entry).__name__}")
    name = entry.get("config", {}).get("name") if isinstance(entry.get("config"), dict) else None
    where = f"{where}, layer {name!r}" if isinstance(name, str) else where
    cls = resolve_layer_class(entry, where)
    config = entry.get("config")
    if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
        raise ModelFileError(f"{where}: 'config' must be an object.")
    # A layer lists in `path_arguments` the constructor arguments it opens as a file when
    # given a string; a config from a file holds the content there, never a path.
    for key in getattr(cls, "path_arguments", ()):
        if isinstance(config.get(key), str):
            raise ModelFileError(
                f"{where}: {key!r} is a string, which {cls.__name__} would open as a file; "
                f"a saved config holds the {key} itself, and lamina never opens a path taken "
                "from a file."
            )
    try:
        layer = cls.from_config(config)
    except ModelFileError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError) as e:
        raise ModelFileError(
            f"{where}: {cls.__name__} could not be rebuilt from its config: {e}"
        ) from e
    if not isinstance(layer, cls):
        raise ModelFileError(f"{where}: {cls.__name__}.from_config returned {layer!r:.80}.")
    return layer


# ----- any object -----------------------------------------------------------------------------


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
    for module in _FAMILIES.values():
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
    for family, module in _FAMILIES.items():
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
    if class_name in MARKERS:
        return decode_value(config)
    module = config.get("module")
    family = _family_of(module)
    if class_name == "function":
        return _deserialize_function(config, family)
    if family == "layers" and module.startswith("keras"):
        return _keras_layer(config, custom)
    if family == "layers":
        lamina_module = _BUILTIN.get(class_name, (LAYERS_MODULE,))[0]
        return deserialize_layer({**config, "module": lamina_module})
    if family is not None:
        return _FAMILIES[family].deserialize(config)
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
    # The Keras import stands above layers and models: it rebuilds whole Keras models.
    from lamina.saving.keras_import.config_translation import layer_from_record
    from lamina.saving.keras_import.config_values import Ctx  # as the line above

    return layer_from_record(record, Ctx("the Keras config", custom))[0]


def _deserialize_function(config: dict, family: str | None) -> Any:
    name = config.get("registered_name") or config.get("config")
    if not isinstance(name, str):
        raise ValueError(f"A function is named by a string. Received: config={config!r:.100}")
    found = object_registry.get_registered_object(name)
    if found is not None:
        return found
    for module in [_FAMILIES[family]] if family in _FAMILIES else _FAMILIES.values():
        obj = module._REGISTRY.objects.get(name)
        if obj is not None:
            return obj
    raise ValueError(
        f"Unknown function {name!r}: register it with "
        "@lamina.saving.register_keras_serializable() or pass it in custom_objects. "
        f"Received: {name!r}"
    )


# ----- lamina.layers.serialize and deserialize ------------------------------------------------


def serialize(layer: Layer) -> dict:
    """Return the JSON-safe description of `layer` (`{"module", "class_name", "config", ...}`).

    Raises:
        TypeError: when `layer` is not a Layer.

    Example:
    >>> config = lamina.layers.serialize(lamina.layers.Dense(3))
    >>> lamina.layers.deserialize(config).units
    3
    """
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
