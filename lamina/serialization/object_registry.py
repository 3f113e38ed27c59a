"""Users' own classes and functions, known by name so that saved models can refer to them.

A saved config names every object by a string. When loading, lamina looks the string up in its
own registries, in the `custom_objects` given to the load call (or an active
`custom_object_scope`), and among the objects registered with `register_serializable`. It
never imports a module or evaluates anything named in a file.
"""

import contextlib
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any

_REGISTERED: dict[str, Any] = {}  # "package>name" -> object
_NAMES: dict[int, str] = {}  # id(object) -> "package>name"


class _Scopes(threading.local):
    def __init__(self) -> None:
        self.stack: list[dict[str, Any]] = []


_SCOPES = _Scopes()


def register_serializable(package: str = "Custom", name: str | None = None) -> Callable:
    """Register a class or function under `"package>name"` so saved models can name it.

    A registered layer, model, loss, metric, initializer, regularizer, constraint or activation
    is written into configs by name and found again by `load_model` without `custom_objects`.
    Classes need `get_config` (and `from_config` unless `cls(**config)` rebuilds them).

    Args:
        package: a namespace that keeps names of different projects apart.
        name: the name within the package; defaults to the class or function name.

    Returns:
        A decorator that registers its argument and returns it unchanged.

    Raises:
        ValueError: for an empty package or name, or one holding `">"`.
        TypeError: for something that is not a class or a function, or a class without
            `get_config`.

    Example:
    >>> @lamina.saving.register_serializable(package="my_project")
    ... class Scale(lamina.layers.Layer):
    ...     def __init__(self, factor=2.0, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.factor = factor
    ...     def call(self, x):
    ...         return x * self.factor
    ...     def get_config(self):
    ...         return {**super().get_config(), "factor": self.factor}
    """
    for arg, value in (("package", package), ("name", name)):
        if value is not None and (not isinstance(value, str) or not value or ">" in value):
            raise ValueError(
                f"register_serializable: {arg} must be a non-empty string without '>'. "
                f"Received: {arg}={value!r}"
            )

    def decorator(obj: Any) -> Any:
        if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj)):
            raise TypeError(
                "register_serializable registers classes and functions. "
                f"Received: {type(obj).__name__} ({obj!r:.60})"
            )
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise TypeError(
                f"register_serializable: class {obj.__name__} has no get_config(), so it "
                "cannot be saved. Define get_config() returning its constructor arguments."
            )
        registered = f"{package}>{name or obj.__name__}"
        old = _REGISTERED.get(registered)
        if old is not None:
            _NAMES.pop(id(old), None)
        _REGISTERED[registered] = obj
        _NAMES[id(obj)] = registered
        return obj

    return decorator


# Keras's name for the same decorator.
register_keras_serializable = register_serializable


def registered_name_of(obj: Any) -> str | None:
    """The `"package>name"` a class or function was registered under, or None."""
    name = _NAMES.get(id(obj))
    return name if name is not None and _REGISTERED.get(name) is obj else None


def get_registered_name(obj: Any) -> str:
    """The name a config uses for `obj`: its registered name, else its `__name__`."""
    return registered_name_of(obj) or getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name: str, custom_objects: dict | None = None) -> Any:
    """The object `name` refers to among users' objects, or None.

    Looks in `custom_objects`, then in the active `custom_object_scope`s (innermost first),
    then among registered objects: by full `"package>name"`, else by the bare name when exactly
    one registered object has it. lamina's own classes are not searched here.

    Example:
    >>> get_registered_object("my_project>Scale") is Scale
    True
    """
    if not isinstance(name, str):
        return None
    bare = name.rsplit(">", 1)[-1]
    for table in ([custom_objects] if custom_objects else []) + _SCOPES.stack[::-1]:
        for key in (name, bare):
            if key in table:
                return table[key]
    if name in _REGISTERED:
        return _REGISTERED[name]
    matches = [
        obj
        for key, obj in _REGISTERED.items()
        if key.rsplit(">", 1)[-1] == bare or getattr(obj, "__name__", None) == bare
    ]
    unique = {id(obj): obj for obj in matches}
    return next(iter(unique.values())) if len(unique) == 1 else None


def scoped_object(name: str) -> Any:
    """The object the active `custom_object_scope`s give `name` (exact key), or None."""
    for table in _SCOPES.stack[::-1]:
        if name in table:
            return table[name]
    return None


def get_custom_objects() -> dict[str, Any]:
    """A copy of the registered objects, by `"package>name"`."""
    return dict(_REGISTERED)


@contextlib.contextmanager
def custom_object_scope(custom_objects: dict | None) -> Iterator[None]:
    """Make `custom_objects` (name -> class or function) visible to every lookup in the block.

    `load_model`, `model_from_json` and the models' `from_config` open one for their
    `custom_objects` argument, so that nested configs (a layer's initializer, say) find them.

    Raises:
        TypeError: when `custom_objects` is not a dict with string keys.

    Example:
    >>> with lamina.saving.custom_object_scope({"Scale": Scale}):
    ...     model = lamina.models.model_from_json(text)
    """
    if custom_objects is not None and (
        not isinstance(custom_objects, dict) or not all(isinstance(k, str) for k in custom_objects)
    ):
        raise TypeError(
            "custom_objects must be a dict from names to classes or functions. "
            f"Received: custom_objects={custom_objects!r:.100}"
        )
    _SCOPES.stack.append(dict(custom_objects or {}))
    try:
        yield
    finally:
        _SCOPES.stack.pop()
