"""Plain values through JSON: the check that a config is JSON-safe, and the markers for the rest.

Tuples, slices, Ellipsis and NumPy arrays become `{"class_name": "__tuple__", "config": ...}`
marker dicts, as Keras 3 writes them (`__tuple__`, `__slice__`, `__ellipsis__`, `__numpy__`).
Decoding builds only these plain values: it never imports or calls anything named in a file.
"""

import math
from typing import Any

import numpy as np

from lamina.serialization.errors import ModelFileError
from lamina.tensor import Tensor

# The dtypes an array (in a config, or a layer's `dtype`) may have.
VALUE_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"}
VALUE_DTYPES |= {"uint64", "float16", "float32", "float64"}
MARKERS = ("__tuple__", "__slice__", "__ellipsis__", "__numpy__")


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
        if array.dtype.name not in VALUE_DTYPES:
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
    if kind not in MARKERS:
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
    if dtype not in VALUE_DTYPES or not isinstance(shape, list):
        raise ModelFileError(
            f"{where}: a __numpy__ marker needs a dtype among {sorted(VALUE_DTYPES)} and a "
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
