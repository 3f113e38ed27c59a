"""Optimizers with the names, arguments and defaults of `keras.optimizers`.

Example:
>>> opt = lamina.optimizers.get("rmsprop")
>>> opt.learning_rate
0.001
"""

from typing import Any

from lamina import serialization
from lamina.optimizers import legacy, schedules
from lamina.optimizers.adafactor import Adafactor
from lamina.optimizers.adagrad import Adadelta, Adagrad
from lamina.optimizers.adam import Adam, AdamW
from lamina.optimizers.adamax import Adamax, Nadam
from lamina.optimizers.ftrl import Ftrl
from lamina.optimizers.lamb import Lamb
from lamina.optimizers.lion import Lion
from lamina.optimizers.optimizer import Optimizer
from lamina.optimizers.rmsprop import RMSprop
from lamina.optimizers.sgd import SGD

_REGISTRY = serialization.Registry("optimizer", "lamina.optimizers")
_CLASSES = [
    SGD,
    RMSprop,
    Adam,
    AdamW,
    Adagrad,
    Adadelta,
    Adamax,
    Nadam,
    Lion,
    Ftrl,
    Adafactor,
    Lamb,
]


def _register() -> None:
    for cls in _CLASSES:
        _REGISTRY.add(cls)
        _REGISTRY.objects.setdefault(cls.__name__.lower(), cls)


_register()


def get(identifier: Any) -> Optimizer:
    """Return an optimizer for a name (`"rmsprop"`, `"Adam"`), a config dict or an instance.

    Raises:
        ValueError: for an unknown name; the message lists the known ones.

    Example:
    >>> type(lamina.optimizers.get("sgd")).__name__
    'SGD'
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _REGISTRY.lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(
        "Could not interpret optimizer identifier: expected a name, a config dict or an "
        f"Optimizer. Received: {identifier!r}"
    )


def _legacy_class(class_name: str) -> type:
    """The `lamina.optimizers.legacy` class a config marked `is_legacy_optimizer` names."""
    if class_name not in legacy.__all__:
        raise ValueError(
            f"Config marked `is_legacy_optimizer` names {class_name!r}, but "
            f"lamina.optimizers.legacy has only {', '.join(legacy.__all__)}. "
            f"Received: class_name={class_name!r}"
        )
    return getattr(legacy, class_name)


def serialize(optimizer: Optimizer) -> dict:
    """Return a JSON-safe config dict for an optimizer."""
    return serialization.serialize(optimizer, _REGISTRY)


def deserialize(config: Any, custom_objects: dict | None = None) -> Optimizer:
    """Rebuild an optimizer from `serialize`'s output or a name."""
    if isinstance(config, dict) and "class_name" in config:
        cls = _REGISTRY.lookup(config["class_name"], custom_objects)
        if (config.get("config") or {}).get("is_legacy_optimizer"):
            cls = _legacy_class(config["class_name"])
        return cls.from_config(config.get("config") or {}, custom_objects)
    if isinstance(config, str):
        name = config if config in _REGISTRY.objects else config.lower()
        return _REGISTRY.lookup(name, custom_objects)()
    return serialization.deserialize(config, _REGISTRY, custom_objects)


__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "legacy",
    "schedules",
    "serialize",
]
