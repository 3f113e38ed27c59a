"""Compile settings to and from JSON-safe configs, and the limits on a loss or metric config.

Layers and models are written by `lamina.layers.serialization`; this module adds what
`model.save` writes beside them: the arguments `compile` was given.
"""

import inspect
from typing import Any

from lamina import losses, metrics, optimizers
from lamina.serialization import object_registry
from lamina.serialization.errors import ModelFileError
from lamina.serialization.values import check_json_safe, int_leaves

# The largest integer a saved loss or metric config may hold (AUC's num_thresholds and IoU's
# num_classes size the arrays they allocate).
MAX_METRIC_INT = 1 << 16


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


# ----- compile settings -----------------------------------------------------------------------


def compile_config(model: Any) -> dict | None:
    """The arguments `compile` was given, JSON-safe, with the optimizer's current config.

    Returns None for a model that was never compiled.
    """
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
