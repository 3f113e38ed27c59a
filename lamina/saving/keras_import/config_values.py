"""Values inside a Keras config: checked plain values, and objects named by registered names.

Keras writes an object as `{"module", "class_name", "config", "registered_name"}`. lamina never
imports a module or calls a function named in a file: a class name is looked up in lamina's
own registries (activations, initializers, regularizers, constraints, layers) or in the
`custom_objects` the caller passes, and nothing else. A name that Keras resolves through an
arbitrary `module` is accepted as a built-in only when that module is Keras's own.
"""

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from lamina import activations, constraints, initializers, regularizers
from lamina.layers.serialization import deserialize_keras_object
from lamina.saving.keras_import.errors import KerasFileError
from lamina.serialization.object_registry import get_registered_object, scoped_object
from lamina.serialization.values import VALUE_DTYPES

# Modules under which Keras (and tf.keras, and lamina) write their own classes.
_KERAS_MODULES = ("keras", "tf_keras", "lamina")
# Serialized objects that carry code or types; they are refused wherever they appear.
_CODE_MARKERS = {"__lambda__": "a Python lambda", "__typespec__": "a TensorFlow type spec"}
MAX_DEPTH = 64


def parse_json(data: bytes, what: str) -> Any:
    """Parse JSON text, refusing duplicate keys and absurd nesting."""

    def no_duplicates(pairs: list) -> Any:
        out: dict = {}
        for key, value in pairs:
            if key in out:
                raise KerasFileError(f"{what} repeats the key {key!r}; refusing the ambiguity.")
            out[key] = value
        if set(out) == {"class_name", "items"} and out["class_name"] == "__tuple__":
            return out["items"]  # tf.keras 2 wrote tuples so; a list means the same here
        return out

    try:
        text = data.decode("utf-8")
        value = json.loads(text, object_pairs_hook=no_duplicates)
    except UnicodeDecodeError as e:
        raise KerasFileError(f"{what} is not UTF-8 text: {e}") from e
    except json.JSONDecodeError as e:
        raise KerasFileError(f"{what} is not valid JSON: {e}") from e
    except RecursionError as e:
        raise KerasFileError(f"{what} is nested too deeply to be a Keras config.") from e
    check_no_code(value, what)
    return value


def check_no_code(value: Any, what: str) -> None:
    """Refuse a document that holds serialized code (a lambda) anywhere, or nests too deeply."""
    stack = [(value, 0, "")]
    while stack:
        item, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            raise KerasFileError(f"{what} nests deeper than {MAX_DEPTH} levels at {path or '/'}.")
        if isinstance(item, dict):
            marker = item.get("class_name")
            if isinstance(marker, str) and marker in _CODE_MARKERS:
                raise KerasFileError(
                    f"{what} holds {_CODE_MARKERS[marker]} ({marker!r}) at {path or '/'}: "
                    "serialized code that lamina never loads. Rebuild that part as a registered "
                    "Layer subclass and pass it in custom_objects."
                )
            if item.get("function_type") in ("lambda", "raw"):
                raise KerasFileError(
                    f"{what} holds a Keras 2 Lambda function at {path or '/'}: serialized code "
                    "that lamina never loads."
                )
            stack.extend((v, depth + 1, f"{path}/{k}") for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, depth + 1, f"{path}/{i}") for i, v in enumerate(item))


def is_keras_module(module: Any) -> bool:
    """Whether a config's `module` is absent or one of Keras's own (`keras.layers`, ...)."""
    if module is None:
        return True
    return isinstance(module, str) and any(
        module == m or module.startswith(m + ".") for m in _KERAS_MODULES
    )


def custom_name(config: dict, custom_objects: dict) -> str | None:
    """The key under which `custom_objects` holds the class of `config`, or None.

    Looks up the record's `class_name` and `registered_name` in `custom_objects`, then in the
    active `custom_object_scope`s and among the objects registered with
    `lamina.saving.register_serializable` (by `"package>name"` only, so a registered class
    never shadows a Keras built-in by its bare name); one found there is added to
    `custom_objects`, which must be the caller's own copy.
    """
    names = [n for n in (config.get("class_name"), config.get("registered_name")) if n]
    names = [n for n in names if isinstance(n, str)]
    for name in names:
        if name in custom_objects:
            return name
    for name in names:
        found = scoped_object(name)
        if found is None and ">" in name:
            found = get_registered_object(name)
        if found is not None:
            custom_objects[name] = found
            return name
    return None


class Ctx:
    """What the translation of one layer needs: where it is, for messages, and custom objects."""

    def __init__(self, where: str, custom_objects: dict | None) -> None:
        self.where = where
        self.custom_objects = dict(custom_objects or {})

    def error(self, message: str) -> KerasFileError:
        return KerasFileError(f"{self.where}: {message}")


# ----- plain values --------------------------------------------------------------------------


def plain(value: Any, key: str, ctx: Ctx) -> Any:
    """A JSON value with no serialized object inside (ints, floats, strings, lists, None)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            raise ctx.error(
                f"{key} should be a plain value, not a serialized object. Received: {key}={value!r}"
            )
        if isinstance(item, list):
            stack.extend(item)
    return value


def to_int(value: Any, key: str, ctx: Ctx, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or (low is not None and value < low):
        bound = f" >= {low}" if low is not None else ""
        raise ctx.error(f"expected {key} to be an integer{bound}. Received: {key}={value!r}")
    return value


def to_float(value: Any, key: str, ctx: Ctx) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.error(f"expected {key} to be a number. Received: {key}={value!r}")
    return float(value)


def to_bool(value: Any, key: str, ctx: Ctx) -> bool:
    if not isinstance(value, bool):
        raise ctx.error(f"expected {key} to be true or false. Received: {key}={value!r}")
    return value


def to_str(value: Any, key: str, ctx: Ctx) -> str:
    if not isinstance(value, str):
        raise ctx.error(f"expected {key} to be a string. Received: {key}={value!r}")
    return value


def to_shape(value: Any, key: str, ctx: Ctx) -> list:
    """A shape: a list of non-negative ints or None (nulls)."""
    if not isinstance(value, list) or not all(
        v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0) for v in value
    ):
        raise ctx.error(f"expected {key} to be a list of sizes. Received: {key}={value!r}")
    return list(value)


def to_int_list(value: Any, key: str, ctx: Ctx) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ctx.error(f"expected {key} to be a list of integers. Received: {key}={value!r}")
    return list(value)


def to_axes(value: Any, key: str, ctx: Ctx) -> int | list[int]:
    if isinstance(value, list):
        return to_int_list(value, key, ctx)
    return to_int(value, key, ctx)


def optional(fn: Callable[[Any, str, Ctx], Any]) -> Callable[[Any, str, Ctx], Any]:
    """`fn`, letting None through."""

    def check(value: Any, key: str, ctx: Ctx) -> Any:
        return None if value is None else fn(value, key, ctx)

    return check


def one_of(*choices: Any) -> Callable[[Any, str, Ctx], Any]:
    def check(value: Any, key: str, ctx: Ctx) -> Any:
        if value not in choices:
            raise ctx.error(
                f"expected {key} to be one of {list(choices)}. Received: {key}={value!r}"
            )
        return value

    return check


def to_dtype(value: Any, key: str, ctx: Ctx) -> str | None:
    """A dtype name, from a string or a Keras 3 `DTypePolicy` object."""
    if value is None:
        return None
    if isinstance(value, dict):
        class_name = value.get("class_name")
        inner = value.get("config") or {}
        if class_name not in ("DTypePolicy", "FloatDTypePolicy", "Policy") or not is_keras_module(
            value.get("module")
        ):
            raise ctx.error(
                f"lamina has no dtype policy {class_name!r} (quantized and custom policies are "
                f"not translated). Received: {key}={value!r}"
            )
        value = inner.get("name") if isinstance(inner, dict) else None
    if not isinstance(value, str):
        raise ctx.error(f"expected {key} to be a dtype name. Received: {key}={value!r}")
    if value.startswith("mixed_"):
        raise ctx.error(
            f"lamina has no mixed-precision policies; save the Keras model with a plain float "
            f"dtype policy. Received: {key}={value!r}"
        )
    if value not in VALUE_DTYPES:
        raise ctx.error(f"lamina has no dtype {value!r}. Known: {sorted(VALUE_DTYPES)}")
    return np.dtype(value).name


# ----- registered objects --------------------------------------------------------------------


def to_activation(value: Any, key: str, ctx: Ctx) -> Any:
    """An activation: a name, Keras's function record, or a class config (custom objects)."""
    if value is None:
        return None
    if isinstance(value, dict) and value.get("class_name") == "function":
        if not (is_keras_module(value.get("module")) or value.get("module") == "builtins"):
            raise ctx.error(
                f"{key} names a function from module {value.get('module')!r}; lamina resolves "
                "activations only by their registered names. Received: "
                f"{key}={value!r}"
            )
        value = value.get("config")
    if isinstance(value, str):
        custom_name({"class_name": value}, ctx.custom_objects)
        try:
            return activations.deserialize(value, ctx.custom_objects)
        except ValueError as e:
            raise ctx.error(f"{key}: {e}") from None
    return _registered(value, key, ctx, activations, "activation")


def to_initializer(value: Any, key: str, ctx: Ctx) -> Any:
    # Keras 3.13+ records the axes its variance-scaling initializers take fans from; unset,
    # they mean lamina's rule (the first and last axes).
    unset = ("input_axes", "output_axes")
    return _registered(value, key, ctx, initializers, "initializer", unset)


def to_regularizer(value: Any, key: str, ctx: Ctx) -> Any:
    return _registered(value, key, ctx, regularizers, "regularizer")


def to_constraint(value: Any, key: str, ctx: Ctx) -> Any:
    return _registered(value, key, ctx, constraints, "constraint")


def _registered(
    value: Any,
    key: str,
    ctx: Ctx,
    family: ModuleType,
    kind: str,
    drop_if_none: tuple[str, ...] = (),
) -> Any:
    """Resolve a name through `family`'s registry, or a `{"class_name", "config"}` record,
    once checked, through `lamina_record`.

    Keys in `drop_if_none` are removed from the record's config when they are null.
    """
    if value is None:
        return None
    try:
        if isinstance(value, str):
            custom_name({"class_name": value}, ctx.custom_objects)
            return family.deserialize(value, ctx.custom_objects)
        if isinstance(value, dict):
            record = _checked_record(value, key, ctx, kind, drop_if_none)
            return lamina_record(record, family, ctx.custom_objects)
    except KerasFileError:
        raise
    except (ValueError, TypeError) as e:
        raise ctx.error(f"{key}: could not translate the {kind}: {e}") from None
    raise ctx.error(f"{key} should be a {kind} name or record. Received: {key}={value!r}")


def _checked_record(value: dict, key: str, ctx: Ctx, kind: str, drop_if_none: tuple) -> dict:
    """The record with plain values only, its class Keras's own or a custom object's."""
    class_name = value.get("class_name")
    if not isinstance(class_name, str):
        raise ctx.error(f"{key} should name a {kind} class. Received: {key}={value!r}")
    name = custom_name(value, ctx.custom_objects)
    if name is None and not is_keras_module(value.get("module")):
        raise ctx.error(
            f"{key} names {kind} {class_name!r} from module {value.get('module')!r}; lamina "
            f"translates Keras's own {kind}s and those given in custom_objects only."
        )
    inner = value.get("config")
    if inner is None:
        inner = {}
    if not isinstance(inner, dict):
        raise ctx.error(
            f"{key}: the config of {class_name!r} should be a dict. Received: {inner!r}"
        )
    for k, v in inner.items():
        plain(v, f"{key}.{k}", ctx)
    inner = {k: v for k, v in inner.items() if not (k in drop_if_none and v is None)}
    return {"class_name": name or class_name, "config": inner}


def lamina_record(record: dict, family: ModuleType, custom_objects: dict) -> Any:
    """Rebuild a checked Keras record of `family` with the codec lamina's own files use.

    Keras 3 and lamina write an object alike (`{"module", "class_name", "config",
    "registered_name"}`); once the Keras import has checked the record and mapped a custom
    class to its key in `custom_objects`, the record is read as if lamina had written it.
    """
    lamina = {
        "module": family.__name__,
        "class_name": record["class_name"],
        "config": record.get("config") or {},
        "registered_name": None,
    }
    return deserialize_keras_object(lamina, custom_objects)
