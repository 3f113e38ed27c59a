"""Name registries of losses, metrics, optimizers, activations and the other families.

Each family module keeps one `Registry` of the objects a string can name, and builds its
public `get`, `serialize` and `deserialize` on the three helpers here. A serialized object is a
JSON-safe dict `{"module": ..., "class_name": ..., "config": {...}}`; a plain function is
serialized as its registered name.
"""

import inspect
from collections.abc import Callable
from typing import Any

from lamina.serialization.object_registry import get_registered_object, registered_name_of


class Registry:
    """The objects (classes and functions) of one family, by every name a user may write.

    Args:
        kind: the family in words, for error messages (`"loss"`, `"optimizer"`).
        module: the public module, recorded in serialized configs (`"lamina.losses"`).

    Example:
    >>> registry = Registry("loss", "lamina.losses")
    >>> registry.add(mean_squared_error, "mse")
    >>> registry.lookup("mse") is mean_squared_error
    True
    """

    def __init__(self, kind: str, module: str) -> None:
        self.kind = kind
        self.module = module
        self.objects: dict[str, Any] = {}
        self.names: dict[int, str] = {}  # id(object) -> canonical name, for serialize

    def add(self, obj: Any, *aliases: str) -> Any:
        """Register `obj` under its `__name__` and `aliases`; the first name is canonical."""
        names = (obj.__name__, *aliases)
        for name in names:
            self.objects[name] = obj
        self.names.setdefault(id(obj), names[0])
        return obj

    def lookup(self, name: str, custom_objects: dict | None = None) -> Any:
        """Return the object registered as `name`, or raise a ValueError listing the known names."""
        if custom_objects and name in custom_objects:
            return custom_objects[name]
        obj = self.objects.get(name)
        if obj is None:
            # Users' objects: `custom_objects`, an active custom_object_scope, or one
            # registered with lamina.saving.register_serializable; never a module path.
            obj = get_registered_object(name, custom_objects)
        if obj is None:
            known = ", ".join(sorted(self.objects, key=str.lower))
            raise ValueError(f"Unknown {self.kind} {name!r}. Known: {known}. Received: {name!r}")
        return obj

    def name_of(self, obj: Any) -> str | None:
        """Return the canonical name of a registered object, or None."""
        return self.names.get(id(obj))


def serialize(obj: Any, registry: Registry) -> Any:
    """Return a JSON-safe description of `obj`: a name for functions, a dict for objects."""
    if obj is None:
        return None
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return registry.name_of(obj) or registered_name_of(obj) or obj.__name__
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize {registry.kind} {obj!r}: it has no get_config(). "
            f"Received: {type(obj).__name__}"
        )
    out = {
        "module": registry.module,
        "class_name": type(obj).__name__,
        "config": obj.get_config(),
    }
    registered = registered_name_of(type(obj))
    if registered is not None:
        out["registered_name"] = registered
    return out


def deserialize(config: Any, registry: Registry, custom_objects: dict | None = None) -> Any:
    """Rebuild an object from `serialize`'s output (a name or a `class_name`/`config` dict)."""
    if config is None:
        return None
    if isinstance(config, str):
        obj = registry.lookup(config, custom_objects)
        return obj() if inspect.isclass(obj) else obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Expected a {registry.kind} name or a dict with 'class_name' and 'config'. "
            f"Received: config={config!r}"
        )
    cls = registry.lookup(config.get("registered_name") or config["class_name"], custom_objects)
    inner = config.get("config") or {}
    if not inspect.isclass(cls):
        return cls
    return cls.from_config(inner) if hasattr(cls, "from_config") else cls(**inner)


def get(
    identifier: Any,
    registry: Registry,
    base: type,
    from_name: Callable[[str, Any], Any] | None = None,
) -> Any:
    """Resolve a string, dict, class, instance or callable into an object of the family.

    Args:
        identifier: what the user wrote.
        registry: the family's registry.
        base: the family's base class; instances pass through, subclasses are instantiated.
        from_name: optional `(name, registered_object) -> object` hook for strings (a family
            may, say, name the instance after the string).

    Raises:
        ValueError: for an unknown name or an identifier of the wrong kind.
    """
    if isinstance(identifier, str):
        obj = registry.lookup(identifier)
        if from_name is not None:
            return from_name(identifier, obj)
        return obj() if inspect.isclass(obj) else obj
    if isinstance(identifier, dict):
        return deserialize(identifier, registry)
    if inspect.isclass(identifier) and issubclass(identifier, base):
        return identifier()
    if isinstance(identifier, base) or callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret {registry.kind} identifier: expected a name, a config dict, "
        f"a {base.__name__} or a callable. Received: {identifier!r}"
    )
