"""Layers, models and compile settings to and from JSON-safe configs.

A layer is written as `{"module", "class_name", "config", "registered_name"}` (the Keras 3
layout). `module` is `"lamina.layers"` or `"lamina.models"` for lamina's own classes and None
for users' classes; it only says which table to look the class name up in and is never
imported. Users' classes are found in `custom_objects`, an active `custom_object_scope` or the
`register_serializable` registry, nowhere else.
"""

import inspect
import math
from typing import Any

import numpy as np

from lamina.saving import object_registry
from lamina.saving.errors import ModelFileError

LAYERS_MODULE = "lamina.layers"
MODELS_MODULE = "lamina.models"
MODEL_CLASSES = ("Functional", "Model", "Sequential")
_VALUE_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"}
_VALUE_DTYPES |= {"uint64", "float16", "float32", "float64"}
# Constructor arguments of lamina's layers that open a file when given a string. A config
# from a file may hold lists there, never a path: nothing in a file is opened as a path.
_PATH_ARGUMENTS = {"TextVectorization": ("vocabulary",)}
# Ops of an OpLayer whose integer arguments set the size of what they make (`tile`,
# `zeros`, ...): a config may not make them build more than MAX_OP_VALUES values.
_SIZING_OPS = {"arange", "broadcast_to", "eye", "full", "ones", "zeros", "one_hot", "pad"}
_SIZING_OPS |= {"repeat", "tile"}
MAX_OP_VALUES = 1 << 26
# The largest integer a saved loss or metric config may hold (AUC's num_thresholds and IoU's
# num_classes size the arrays they allocate).
MAX_METRIC_INT = 1 << 16


def builtin_layer_classes() -> dict[str, type]:
    """lamina's own layer and model classes by name (`Lambda` left out: it holds code)."""
    from lamina import layers, models
    from lamina.layers.layer import Layer

    out = {}
    for name in layers.__all__:
        obj = getattr(layers, name)
        if inspect.isclass(obj) and issubclass(obj, Layer) and obj is not layers.Lambda:
            out[name] = obj
    for name in MODEL_CLASSES:
        out[name] = getattr(models, name)
    return out


# ----- layers and models ----------------------------------------------------------------------


def serialize_layer(layer: Any) -> dict:
    """The JSON-safe description of a layer or model, refusing what cannot be loaded back.

    Layers and other objects inside its config (a wrapped layer, an initializer) are written
    as their own descriptions.

    Raises:
        ValueError: for a Lambda layer, a config that is not JSON-safe, or a user class whose
            constructor needs arguments its `get_config` does not give.
    """
    from lamina.saving.object_serialization import serialize_config_values

    cls = type(layer)
    _check_has_config(cls)
    config = layer.get_config()
    if not isinstance(config, dict):
        raise ValueError(
            f"{cls.__name__}.get_config() must return a dict. Received: {type(config).__name__}"
        )
    config = serialize_config_values(config)
    check_json_safe(config, f"the config of layer {layer.name!r} ({cls.__name__})")
    builtin = builtin_layer_classes().get(cls.__name__) is cls
    module = None
    if builtin:
        module = MODELS_MODULE if cls.__name__ in MODEL_CLASSES else LAYERS_MODULE
    return {
        "module": module,
        "class_name": cls.__name__,
        "config": config,
        "registered_name": object_registry.registered_name_of(cls),
    }


def _check_has_config(cls: type) -> None:
    from lamina.layers.layer import Layer
    from lamina.models.model import Model

    if issubclass(cls, Model) or cls.get_config is not Layer.get_config:
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
    from lamina.layers.layer import Layer

    class_name = entry.get("class_name")
    registered = entry.get("registered_name")
    module = entry.get("module")
    if not isinstance(class_name, str) or not class_name:
        raise ModelFileError(f"{where}: 'class_name' must be a non-empty string.")
    if registered is not None and not isinstance(registered, str):
        raise ModelFileError(f"{where}: 'registered_name' must be a string or null.")
    if module not in (None, LAYERS_MODULE, MODELS_MODULE):
        raise ModelFileError(
            f"{where}: 'module' must be {LAYERS_MODULE!r}, {MODELS_MODULE!r} or null; lamina "
            f"never imports modules named in a file. Received: module={module!r:.80}"
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
    lamina_bases = [c.__name__ for c in cls.__mro__ if c.__module__.startswith("lamina.")]
    for key in {k for base in lamina_bases for k in _PATH_ARGUMENTS.get(base, ())}:
        if isinstance(config.get(key), str):
            raise ModelFileError(
                f"{where}: {key!r} is a string, which {cls.__name__} would open as a file; "
                f"a saved config holds the {key} itself, and lamina never opens a path taken "
                "from a file."
            )
    from lamina.layers.core.op_layer import OpLayer

    if issubclass(cls, OpLayer):
        _check_op_sizes(config, where)
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


def _check_op_sizes(config: dict, where: str) -> None:
    """Refuse an OpLayer whose sizing op would be asked to make a huge array."""
    op = config.get("op")
    if op not in _SIZING_OPS:
        return
    size = 1
    for value in int_leaves((config.get("args"), config.get("kwargs"))):
        size *= max(abs(value), 1)
        if size > MAX_OP_VALUES:
            raise ModelFileError(
                f"{where}: OpLayer {op!r} is given sizes ({value} among them) that would make "
                f"more than {MAX_OP_VALUES:,} values; refusing to allocate them."
            )


def int_leaves(value: Any) -> list[int]:
    """Every integer (not bool) inside nested lists, tuples and dicts."""
    out, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            out.append(item)
    return out


def check_metric_sizes(value: Any, where: str) -> None:
    """Refuse a loss or metric config holding an integer above MAX_METRIC_INT.

    Raises:
        ModelFileError: naming the integer.
    """
    for n in int_leaves(value):
        if abs(n) > MAX_METRIC_INT:
            raise ModelFileError(
                f"{where}: a loss or metric setting is {n}, more than the {MAX_METRIC_INT} "
                "lamina accepts from a file (such settings size the arrays a metric allocates)."
            )


# ----- JSON-safe values -----------------------------------------------------------------------


def check_json_safe(value: Any, where: str) -> None:
    """Raise a ValueError naming the first part of `value` that JSON cannot hold exactly.

    Allowed: None, bool, int, finite float, str, and lists and dicts (string keys) of those.
    """
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if item is None or isinstance(item, bool | int | str):
            continue
        if isinstance(item, float):
            if math.isfinite(item):
                continue
            problem = f"the non-finite number {item}"
        elif isinstance(item, list | tuple):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item))
            continue
        elif isinstance(item, dict):
            bad = [k for k in item if not isinstance(k, str)]
            if not bad:
                stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in item.items())
                continue
            problem = f"a dict with the non-string key {bad[0]!r}"
        else:
            problem = f"a {type(item).__name__} ({item!r:.60})"
        raise ValueError(
            f"Cannot save {where}: {path or 'it'} holds {problem}. A config holds plain "
            "Python values only (None, bool, int, float, str, lists and dicts); make "
            "get_config() return those."
        )


def encode_value(value: Any) -> Any:
    """Turn tuples, slices, Ellipsis and NumPy values into JSON-safe marker dicts (as Keras)."""
    from lamina.tensor import Tensor

    if isinstance(value, tuple):
        return {"class_name": "__tuple__", "config": {"value": [encode_value(v) for v in value]}}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {k: encode_value(v) for k, v in value.items()}
    if isinstance(value, slice):
        return {
            "class_name": "__slice__",
            "config": {
                "start": encode_value(value.start),
                "stop": encode_value(value.stop),
                "step": encode_value(value.step),
            },
        }
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, Tensor):
        value = value.numpy()
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        if array.dtype.name not in _VALUE_DTYPES:
            raise ValueError(f"Cannot save an array of dtype {array.dtype.name} in a config.")
        return {
            "class_name": "__numpy__",
            "config": {
                "value": array.tolist(),
                "dtype": array.dtype.name,
                "shape": list(array.shape),
            },
        }
    return value


def decode_value(value: Any, where: str = "config") -> Any:
    """Invert `encode_value`; other dicts and lists are decoded item by item.

    Raises:
        ModelFileError: for a malformed marker.
    """
    if isinstance(value, list):
        return [decode_value(v, where) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("class_name")
    inner = value.get("config")
    if kind not in ("__tuple__", "__slice__", "__ellipsis__", "__numpy__"):
        return {k: decode_value(v, where) for k, v in value.items()}
    if not isinstance(inner, dict):
        raise ModelFileError(f"{where}: a {kind} marker needs a 'config' object.")
    if kind == "__tuple__":
        if not isinstance(inner.get("value"), list):
            raise ModelFileError(f"{where}: a __tuple__ marker needs a 'value' list.")
        return tuple(decode_value(v, where) for v in inner["value"])
    if kind == "__ellipsis__":
        return Ellipsis
    if kind == "__slice__":
        parts = [decode_value(inner.get(k), where) for k in ("start", "stop", "step")]
        if not all(p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts):
            raise ModelFileError(f"{where}: a __slice__ holds integers or null only.")
        return slice(*parts)
    dtype, shape = inner.get("dtype"), inner.get("shape")
    if dtype not in _VALUE_DTYPES or not isinstance(shape, list):
        raise ModelFileError(
            f"{where}: a __numpy__ marker needs a dtype among {sorted(_VALUE_DTYPES)} and a "
            f"shape. Received: dtype={dtype!r:.40}"
        )
    try:
        array = np.array(inner.get("value"), dtype=dtype)
    except (TypeError, ValueError, OverflowError) as e:
        raise ModelFileError(f"{where}: a __numpy__ value is not an array of {dtype}: {e}") from e
    if list(array.shape) != shape:
        raise ModelFileError(
            f"{where}: a __numpy__ value has shape {list(array.shape)}, not {shape}."
        )
    return array if array.ndim else array[()]


# ----- compile settings -----------------------------------------------------------------------


def compile_config(model: Any) -> dict | None:
    """The arguments `compile` was given, JSON-safe, with the optimizer's current config.

    Returns None for a model that was never compiled.
    """
    from lamina import losses, metrics, optimizers

    if not getattr(model, "compiled", False):
        return None
    loss, loss_weights, metric_spec, weighted = model._compile_spec
    where = f"model {model.name!r}"
    config = {
        "optimizer": optimizers.serialize(model.optimizer),
        "loss": _encode_spec(loss, losses.serialize, f"{where}: its loss"),
        "loss_weights": loss_weights,
        "metrics": _encode_spec(metric_spec, metrics.serialize, f"{where}: a metric"),
        "weighted_metrics": _encode_spec(weighted, metrics.serialize, f"{where}: a metric"),
    }
    check_json_safe(config, f"the compile settings of model {model.name!r}")
    return config


def compile_arguments(config: Any, where: str) -> dict:
    """The keyword arguments of `compile` that `compile_config` describes.

    Raises:
        ModelFileError: for a malformed config or an unknown name.
    """
    from lamina import losses, metrics, optimizers

    if not isinstance(config, dict):
        raise ModelFileError(f"{where}: 'compile_config' must be an object or null.")
    unknown = sorted(
        set(config) - {"optimizer", "loss", "loss_weights", "metrics"} - {"weighted_metrics"}
    )
    if unknown:
        raise ModelFileError(f"{where}: 'compile_config' has unknown keys {unknown}.")
    for key in ("loss", "metrics", "weighted_metrics"):
        check_metric_sizes(config.get(key), f"{where}: compile_config[{key!r}]")
    try:
        return {
            "optimizer": optimizers.deserialize(config.get("optimizer") or "rmsprop"),
            "loss": _decode_spec(config.get("loss"), losses.deserialize),
            "loss_weights": config.get("loss_weights"),
            "metrics": _decode_spec(config.get("metrics"), metrics.deserialize),
            "weighted_metrics": _decode_spec(config.get("weighted_metrics"), metrics.deserialize),
        }
    except ModelFileError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise ModelFileError(f"{where}: {compile_failure(e)}") from e


def compile_failure(error: Exception) -> str:
    """The message for compile settings that cannot be restored, with what to do about it."""
    return (
        f"the compile settings cannot be restored: {str(error)[:300]}. Pass users' losses and "
        "metrics in custom_objects, register them with "
        "@lamina.saving.register_keras_serializable(), or load with compile=False."
    )


def _encode_spec(spec: Any, serialize: Any, what: str) -> Any:
    if spec is None or isinstance(spec, str | int | float | bool):
        return spec
    if isinstance(spec, list | tuple):
        return [_encode_spec(s, serialize, what) for s in spec]
    if isinstance(spec, dict):
        return {
            "class_name": "__dict__",
            "config": {k: _encode_spec(v, serialize, what) for k, v in spec.items()},
        }
    if getattr(spec, "__name__", None) == "<lambda>":
        # As for Lambda layers: a name is all a file holds, and a lambda has none to find.
        raise ValueError(
            f"Cannot save the compile settings of {what} is a lambda, which lamina never saves "
            "(loading code from a file can run anything). Make it a named function registered "
            "with @lamina.saving.register_keras_serializable(), or save without compile "
            "settings (model.save(path, include_optimizer=False)) or only the weights "
            "(model.save_weights)."
        )
    if inspect.isclass(spec):
        return object_registry.get_registered_name(spec)
    return serialize(spec)


def _decode_spec(spec: Any, deserialize: Any) -> Any:
    if spec is None or isinstance(spec, str | int | float | bool):
        return spec
    if isinstance(spec, list):
        return [_decode_spec(s, deserialize) for s in spec]
    if isinstance(spec, dict) and spec.get("class_name") == "__dict__":
        inner = spec.get("config")
        if not isinstance(inner, dict):
            raise ModelFileError("compile_config: a __dict__ marker needs a 'config' object.")
        return {k: _decode_spec(v, deserialize) for k, v in inner.items()}
    if isinstance(spec, dict):
        return deserialize(spec)
    raise ModelFileError(f"compile_config: cannot read {spec!r:.80}.")
