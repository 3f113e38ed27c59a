"""Weights files: a model's weights in the safetensors format (`.weights.safetensors`).

Each weight is stored under `layers/<layer name>/vars/<i>`: `<layer name>` is a direct
sublayer of the model (a nested model counts as one layer) and `<i>` indexes that layer's
`weights`; the model's own weights, if any, are `vars/<i>`. The `__metadata__` of the file
holds `format` (`"lamina.weights"`), `format_version`, `lamina_version` and `layers`: the JSON
list of `[group, count]` in the model's order, which makes loading by topology possible.

Loading matches the layers that have weights by position (topology), or by name with
`by_name=True`; `skip_mismatch=True` skips, with a warning, layers whose weights do not fit.
Every check runs before any weight changes, so a failed load leaves the model as it was.
Files of the earlier `.weights.npz` format are still read (by position); nothing in a weights
file is ever unpickled or executed.
"""

import json
import os
import warnings
from typing import IO, Any

import numpy as np

from lamina.backend import get_xp, to_numpy
from lamina.saving import safetensors_io
from lamina.saving.atomic import atomic_write
from lamina.saving.h5_weights_file import H5_SUFFIX, save_h5_weights
from lamina.saving.keras_import import (
    is_keras_archive,
    load_keras_archive_weights,
    load_keras_h5_weights,
)
from lamina.saving.npz_reader import read_npz
from lamina.serialization.errors import ModelFileError

WEIGHTS_SUFFIX = ".weights.safetensors"
LEGACY_SUFFIX = ".weights.npz"
FORMAT = "lamina.weights"
VERSION = 1
LEGACY_VERSION = 1
OWN_GROUP = "vars"
OPTIMIZER_PREFIX = "optimizer/"


# ----- groups of weights ----------------------------------------------------------------------


def weight_groups(model: Any) -> list[tuple[str, list]]:
    """The model's weights grouped by the layer holding them, in the order of `model.weights`.

    Returns:
        `(group, variables)` for the model's own weights (`"vars"`) and each direct sublayer
        (`"layers/<name>"`), leaving out groups without weights. A variable shared by two
        layers belongs to the first.

    Raises:
        ValueError: when two sublayers with weights share a name.
    """
    seen: set[int] = set()
    groups = []
    candidates = [(OWN_GROUP, model._own_weights)]
    candidates += [(f"layers/{layer.name}", layer.weights) for layer in model._sublayers]
    names: set[str] = set()
    for group, variables in candidates:
        fresh = [v for v in variables if id(v) not in seen]
        seen.update(id(v) for v in fresh)
        if not fresh:
            continue
        if group in names:
            raise ValueError(
                f"Model {_name(model)} has two layers with weights named "
                f"{group.split('/', 1)[1]!r}; weights are saved by layer name, so give them "
                "distinct names."
            )
        names.add(group)
        groups.append((group, fresh))
    return groups


def weight_arrays(model: Any) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The arrays and metadata of the model's weights file."""
    # The root package holds the version, and it imports saving.
    from lamina import __version__

    arrays = {}
    layout = []
    for group, variables in weight_groups(model):
        layout.append([group, len(variables)])
        for i, v in enumerate(variables):
            arrays[_key(group, i)] = to_numpy(v.data)
    metadata = {
        "format": FORMAT,
        "format_version": str(VERSION),
        "lamina_version": __version__,
        "layers": json.dumps(layout),
    }
    return arrays, metadata


def _key(group: str, i: int) -> str:
    return f"{group}/{i}" if group == OWN_GROUP else f"{group}/vars/{i}"


# ----- saving ---------------------------------------------------------------------------------


def write_array_file(f: IO[bytes], arrays: dict[str, np.ndarray], metadata: dict) -> None:
    """Write named arrays and string metadata to the open binary file `f` (safetensors)."""
    safetensors_io.write(f, arrays, metadata)


def save_weights(model: Any, path: str | os.PathLike, overwrite: bool = True) -> None:
    """Save the model's weights to a `.weights.safetensors` or `.weights.h5` file, atomically.

    A `.weights.h5` file has Keras 3's layout (Keras's `model.load_weights` reads it) and
    needs h5py.

    Args:
        model: a built layer or model.
        path: the file; its name must end in `.weights.safetensors` or `.weights.h5`.
        overwrite: if False, refuse to replace an existing file.

    Raises:
        ValueError: for another file name, or a model without weights because it is not
            built yet.
        ImportError: for a `.weights.h5` file when h5py is not installed.
        FileExistsError: when the file exists and `overwrite` is False.

    Example:
    >>> save_weights(model, "mlp.weights.safetensors")
    """
    path = os.fspath(path)
    if not path.endswith((WEIGHTS_SUFFIX, H5_SUFFIX)):
        if path.endswith(LEGACY_SUFFIX):
            hint = " lamina still reads .weights.npz files but writes safetensors now;"
        elif path.endswith((".h5", ".hdf5")):
            hint = " lamina writes Keras 3's .weights.h5 layout only, not Keras 2's .h5;"
        else:
            hint = ""
        raise ValueError(
            f"The weights file name must end in {WEIGHTS_SUFFIX!r} or {H5_SUFFIX!r}.{hint} use "
            f"a name like 'model{WEIGHTS_SUFFIX}'. Received: filepath={path!r}"
        )
    if not overwrite and os.path.exists(path):
        raise FileExistsError(
            f"{path!r} exists; pass overwrite=True to replace it. Received: overwrite=False"
        )
    if path.endswith(H5_SUFFIX):
        _require_built(model)
        save_h5_weights(model, path)
    else:
        write_weights(model, path)


def write_weights(model: Any, path: str | os.PathLike) -> None:
    """Write the weights file at `path` whatever its name (see `save_weights`)."""
    _require_built(model)
    arrays, metadata = weight_arrays(model)
    atomic_write(path, lambda f: write_array_file(f, arrays, metadata))


def _require_built(model: Any) -> None:
    if not model.weights and not getattr(model, "built", True):
        raise ValueError(
            f"Model {_name(model)} has no weights yet because it is not built: call it on data, "
            "fit it, or call build(input_shape) before saving its weights."
        )


# ----- reading --------------------------------------------------------------------------------


class WeightStore:
    """The weights read from a file, grouped by layer.

    Attributes:
        source: how messages name the file.
        groups: group name -> arrays in order.
        order: the groups in the saved model's order, or None when the file does not say.
        extra: tensors outside the layer groups (the optimizer's state in a model file).
        flat: for the legacy npz format, the arrays in order and their saved names.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.groups: dict[str, list[np.ndarray]] = {}
        self.order: list[str] | None = None
        self.extra: dict[str, np.ndarray] = {}
        self.flat: tuple[list[np.ndarray], list[str]] | None = None


def store_from_arrays(arrays: dict[str, np.ndarray], metadata: dict, source: str) -> WeightStore:
    """Group the tensors of a safetensors weights file and check them against its metadata.

    Raises:
        ModelFileError: for a newer format, a tensor named outside the scheme, missing
            indices, or a layer list that disagrees with the tensors.
    """
    store = WeightStore(source)
    fmt = metadata.get("format")
    if fmt is not None and fmt not in (FORMAT, "lamina.model"):
        raise ModelFileError(f"{source}: its metadata names the format {fmt!r}, not {FORMAT!r}.")
    version = metadata.get("format_version", "1")
    if not _is_number(version):
        raise ModelFileError(f"{source}: format_version must be a number. Received: {version!r}")
    if int(version) > VERSION:
        raise ModelFileError(
            f"{source} was written by a newer lamina (weights format version {version}; this "
            f"lamina reads up to {VERSION}). Upgrade lamina to load it."
        )
    indexed: dict[str, dict[int, np.ndarray]] = {}
    for key, array in arrays.items():
        if key.startswith(OPTIMIZER_PREFIX):
            store.extra[key] = array
            continue
        if "/vars/" in key and key.startswith("layers/"):
            group, index = key.rsplit("/vars/", 1)
        elif key.startswith(OWN_GROUP + "/"):
            group, index = OWN_GROUP, key[len(OWN_GROUP) + 1 :]
        else:
            group, index = "", ""
        if not group or not _is_number(index) or (index != "0" and index.startswith("0")):
            raise ModelFileError(
                f"{source}: tensor {key!r} is not named like a lamina weight "
                "('layers/<layer>/vars/<i>' or 'vars/<i>')."
            )
        indexed.setdefault(group, {})[int(index)] = array
    for group, by_index in indexed.items():
        if sorted(by_index) != list(range(len(by_index))):
            raise ModelFileError(
                f"{source}: the weights of {group!r} are numbered {sorted(by_index)[:10]}, not "
                "0, 1, 2, ..."
            )
        store.groups[group] = [by_index[i] for i in range(len(by_index))]
    if "layers" in metadata:
        store.order = _layer_order(metadata["layers"], store.groups, source)
    return store


def _layer_order(text: str, groups: dict, source: str) -> list[str]:
    layout = safetensors_io.strict_json_loads(text, f"{source} (metadata 'layers')")
    ok = isinstance(layout, list) and all(
        isinstance(item, list)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], int)
        and not isinstance(item[1], bool)
        for item in layout
    )
    if not ok:
        raise ModelFileError(f"{source}: metadata 'layers' must be a list of [name, count].")
    listed = {name: count for name, count in layout}
    actual = {name: len(arrays) for name, arrays in groups.items()}
    if len(listed) != len(layout) or listed != actual:
        raise ModelFileError(f"{source}: metadata 'layers' does not match the tensors in the file.")
    return [name for name, _ in layout]


def read_weights(path: str | os.PathLike) -> WeightStore:
    """Read a `.weights.safetensors` (or legacy `.weights.npz`) file without changing a model.

    Raises:
        ModelFileError: when the file is not a valid weights file.
        OSError: when it cannot be opened.
    """
    path = os.fspath(path)
    if path.endswith(LEGACY_SUFFIX):
        return _read_legacy(path)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        arrays, metadata = safetensors_io.read(f, size, repr(path))
    return store_from_arrays(arrays, metadata, repr(path))


def load_weights(
    model: Any, path: str | os.PathLike, skip_mismatch: bool = False, by_name: bool = False
) -> None:
    """Load a weights file (or the weights of a `.keras` model file) into `model`.

    Args:
        model: a built layer or model.
        path: a `.weights.safetensors` file, a legacy `.weights.npz` file or a `.keras` file.
        skip_mismatch: skip, with a warning, layers whose weight count or shapes differ.
        by_name: match layers by name instead of by position; layers missing from the file
            keep their weights.

    Raises:
        ModelFileError: when the file is not a lamina weights file, or its weights do not fit
            the model (the message names the layer and weight).

    Example:
    >>> load_weights(model, "mlp.weights.safetensors")
    """
    path = os.fspath(path)
    if path.endswith((".h5", ".hdf5")):
        load_keras_h5_weights(model, path, by_name=by_name, skip_mismatch=skip_mismatch)
        return
    if path.endswith(".keras"):
        # model_file stands on weights_file: a model file's weights member is a weights file.
        from lamina.saving.model_file import read_weight_store

        if is_keras_archive(path):
            load_keras_archive_weights(model, path, by_name=by_name, skip_mismatch=skip_mismatch)
            return

        store = read_weight_store(path)
    elif path.endswith((WEIGHTS_SUFFIX, ".safetensors", LEGACY_SUFFIX)):
        store = read_weights(path)
    else:
        raise ModelFileError(
            f"lamina loads weights from files named '*{WEIGHTS_SUFFIX}', '*.keras' or "
            f"'*{LEGACY_SUFFIX}'. Received: filepath={path!r}"
        )
    assign_weights(model, store, skip_mismatch=skip_mismatch, by_name=by_name)


def assign_weights(
    model: Any, store: WeightStore, skip_mismatch: bool = False, by_name: bool = False
) -> None:
    """Check `store` against the model, then copy its arrays into the model's weights."""
    if store.flat is not None:
        if by_name:
            raise ModelFileError(
                f"{store.source} is a legacy .weights.npz file, which records no layer names; "
                "load it with by_name=False."
            )
        plan = _legacy_plan(model, store)
    else:
        plan = _plan(model, store, skip_mismatch, by_name)
    for variable, value in plan:
        variable.assign(get_xp(variable.data).asarray(value))


def _plan(model: Any, store: WeightStore, skip_mismatch: bool, by_name: bool) -> list:
    groups = weight_groups(model)
    if by_name:
        pairs = [(g, vs, g, store.groups[g]) for g, vs in groups if g in store.groups]
    else:
        if store.order is None:
            raise ModelFileError(
                f"{store.source} does not record the order of its layers (it was not written "
                "by lamina), so it cannot be loaded by topology; pass by_name=True."
            )
        if len(store.order) != len(groups):
            hint = (
                " It is not built yet: call it on data or call build(input_shape) first."
                if not groups and not getattr(model, "built", True)
                else ""
            )
            raise ModelFileError(
                f"{store.source} holds weights for {len(store.order)} layers but model "
                f"{_name(model)} has {len(groups)} layers with weights.{hint}"
            )
        pairs = [
            (g, vs, fg, store.groups[fg]) for (g, vs), fg in zip(groups, store.order, strict=True)
        ]
    plan = []
    for group, variables, file_group, arrays in pairs:
        problem = _mismatch(variables, arrays, group, file_group, store.source)
        if problem is None:
            plan.extend(zip(variables, arrays, strict=True))
        elif skip_mismatch:
            warnings.warn(f"Skipping {problem}", UserWarning, stacklevel=4)
        else:
            raise ModelFileError(problem[0].upper() + problem[1:])
    return plan


def _mismatch(variables: list, arrays: list, group: str, file_group: str, source: str):
    layer = group.split("/", 1)[-1] if group != OWN_GROUP else "(the model's own weights)"
    saved = f" (saved as {file_group!r})" if file_group != group else ""
    if len(variables) != len(arrays):
        return (
            f"layer {layer!r}: it has {len(variables)} weights but {source} holds "
            f"{len(arrays)} for it{saved}."
        )
    for v, a in zip(variables, arrays, strict=True):
        if tuple(a.shape) != tuple(v.shape):
            return (
                f"layer {layer!r}: weight {v.name!r} has shape {tuple(v.shape)} but {source} "
                f"holds shape {tuple(a.shape)} for it{saved}."
            )
    return None


# ----- the legacy .weights.npz format ---------------------------------------------------------


def read_array_file(path: str) -> dict[str, np.ndarray]:
    """Read the named arrays of a legacy `.npz` weights file, without unpickling."""
    with open(path, "rb") as f:
        return read_npz(f, os.fstat(f.fileno()).st_size, f"{path!r}")


def _read_legacy(path: str) -> WeightStore:
    arrays = read_array_file(path)
    fmt, names, version = (arrays.get(k) for k in ("__format__", "__names__", "__version__"))
    if (
        fmt is None
        or fmt.ndim
        or str(fmt) != FORMAT
        or names is None
        or names.ndim != 1
        or names.dtype.kind != "U"
    ):
        raise ModelFileError(f"{path!r} is an .npz archive but not a lamina weights file.")
    if version is None or version.ndim or version.dtype.kind not in "iu":
        raise ModelFileError(f"{path!r}: '__version__' must be one integer.")
    version = int(version)
    if version > LEGACY_VERSION:
        raise ModelFileError(
            f"{path!r} was written by a newer lamina (format version {version}; this one reads "
            f"up to {LEGACY_VERSION})."
        )
    names = [str(n) for n in names]
    keys = [f"w{i:05d}" for i in range(len(names))]
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise ModelFileError(f"{path!r} lacks the arrays {missing[:5]}.")
    store = WeightStore(repr(path))
    store.flat = ([arrays[k] for k in keys], names)
    return store


def _legacy_plan(model: Any, store: WeightStore) -> list:
    values, saved_names = store.flat
    weights = model.weights
    if len(values) != len(weights):
        hint = (
            " It is not built yet: call it on data or call build(input_shape) first."
            if not weights
            else ""
        )
        raise ModelFileError(
            f"{store.source} holds {len(values)} weights but model {_name(model)} has "
            f"{len(weights)}.{hint}"
        )
    for i, (w, value, saved) in enumerate(zip(weights, values, saved_names, strict=True)):
        if tuple(value.shape) != tuple(w.shape):
            raise ModelFileError(
                f"Weight {i} of model {_name(model)}, {w.path!r}, has shape {tuple(w.shape)} "
                f"but {store.source} holds shape {tuple(value.shape)} for it (saved as "
                f"{saved!r})."
            )
    return list(zip(weights, values, strict=True))


def _is_number(text: str) -> bool:
    """1 to 18 plain ASCII decimal digits (`str.isdigit` also accepts `"²"`)."""
    return 0 < len(text) <= 18 and text.isascii() and text.isdigit()


def _name(model: Any) -> str:
    return repr(getattr(model, "name", type(model).__name__))
