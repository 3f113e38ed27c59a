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

import os
from typing import IO, Any

import numpy as np

from lamina.io import safetensors_io
from lamina.io.atomic import atomic_write
from lamina.io.weight_store import (
    FORMAT,
    WEIGHTS_SUFFIX,
    WeightStore,
    assign_weights,
    require_built,
    store_from_arrays,
    weight_arrays,
)
from lamina.saving.h5_weights_file import H5_SUFFIX, save_h5_weights
from lamina.saving.keras_import import (
    is_keras_archive,
    load_keras_archive_weights,
    load_keras_h5_weights,
)
from lamina.saving.npz_reader import read_npz
from lamina.serialization.errors import ModelFileError

LEGACY_SUFFIX = ".weights.npz"
LEGACY_VERSION = 1


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
        require_built(model, "saving")
        save_h5_weights(model, path)
    else:
        write_weights(model, path)


def write_weights(model: Any, path: str | os.PathLike) -> None:
    """Write the weights file at `path` whatever its name (see `save_weights`)."""
    require_built(model, "saving")
    arrays, metadata = weight_arrays(model)
    atomic_write(path, lambda f: write_array_file(f, arrays, metadata))


# ----- reading --------------------------------------------------------------------------------


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
