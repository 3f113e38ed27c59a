"""Weights files: a model's weights in the order of `model.weights`, as a NumPy `.npz` archive.

The archive holds one array per weight (`w00000`, `w00001`, ...) plus `__format__`,
`__version__` and `__names__` (the weight names when saved, used in error messages). Loading
matches weights by position (topology), so a model built the same way reads the file back
whatever its layer names are. Files are read with `allow_pickle=False`, always: a weights file
can never run code.

`write_array_file` and `read_array_file` are the only places that know the container; swap
them to change the format (safetensors, say) without touching the rest.
"""

import os
import zipfile
from typing import IO, Any

import numpy as np

from lamina.backend import get_xp, to_numpy
from lamina.saving.atomic import atomic_write

WEIGHTS_SUFFIX = ".weights.npz"
FORMAT = "lamina.weights"
VERSION = 1


def write_array_file(f: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    """Write named arrays to the open binary file `f` (an uncompressed npz archive)."""
    np.savez(f, **arrays)


def read_array_file(path: str) -> dict[str, np.ndarray]:
    """Read the named arrays of a file written by `write_array_file`, without unpickling."""
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single .npy array, not an .npz archive")
        with data:
            return {k: data[k] for k in data.files}
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(
            f"{path!r} is not a lamina weights file (a NumPy .npz archive): {e}"
        ) from e


def save_weights(model: Any, path: str | os.PathLike, overwrite: bool = True) -> None:
    """Save `model.weights` to a `.weights.npz` file, atomically.

    Args:
        model: a built layer or model.
        path: the file; its name must end in `.weights.npz`.
        overwrite: if False, refuse to replace an existing file.

    Raises:
        ValueError: for another file name, or a model without weights because it is not
            built yet.
        FileExistsError: when the file exists and `overwrite` is False.

    Example:
    >>> save_weights(model, "mlp.weights.npz")
    """
    path = os.fspath(path)
    if not path.endswith(WEIGHTS_SUFFIX):
        hint = " lamina writes NumPy archives, not HDF5;" if path.endswith(".h5") else ""
        raise ValueError(
            f"The weights file name must end in {WEIGHTS_SUFFIX!r}.{hint} use a name like "
            f"'model{WEIGHTS_SUFFIX}'. Received: filepath={path!r}"
        )
    if not overwrite and os.path.exists(path):
        raise FileExistsError(
            f"{path!r} exists; pass overwrite=True to replace it. Received: overwrite=False"
        )
    write_weights(model, path)


def write_weights(model: Any, path: str | os.PathLike) -> None:
    """Write the weights file at `path` whatever its name (see `save_weights`)."""
    weights = model.weights
    if not weights and not getattr(model, "built", True):
        raise ValueError(
            f"Model {_name(model)} has no weights yet because it is not built: call it on data, "
            "fit it, or call build(input_shape) before saving its weights."
        )
    arrays = {
        "__format__": np.array(FORMAT),
        "__version__": np.array(VERSION),
        "__names__": np.array([w.name for w in weights], dtype=str),
    }
    for i, w in enumerate(weights):
        arrays[_key(i)] = to_numpy(w.data)
    atomic_write(path, lambda f: write_array_file(f, arrays))


def load_weights(model: Any, path: str | os.PathLike) -> None:
    """Load a weights file into `model`, matching weights by position.

    Every count and shape is checked before any weight changes, so a failed load leaves the
    model as it was.

    Args:
        model: a built layer or model with the same weights as the saved one.
        path: a file written by `save_weights` (or by `ModelCheckpoint`).

    Raises:
        ValueError: when the file is not a lamina weights file, or its weights do not fit the
            model (the message names the weight).

    Example:
    >>> load_weights(model, "mlp.weights.npz")
    """
    path = os.fspath(path)
    if path.endswith(".h5"):
        raise ValueError(
            "lamina cannot read HDF5 (.h5) files; it loads the NumPy archives it writes "
            f"('model{WEIGHTS_SUFFIX}'). Received: filepath={path!r}"
        )
    arrays = read_array_file(path)
    if str(arrays.get("__format__", "")) != FORMAT or "__names__" not in arrays:
        raise ValueError(f"{path!r} is an .npz archive but not a lamina weights file.")
    version = int(arrays["__version__"])
    if version > VERSION:
        raise ValueError(
            f"{path!r} was written by a newer lamina (format version {version}; this one reads "
            f"up to {VERSION})."
        )
    saved_names = [str(n) for n in arrays["__names__"]]
    values = [arrays[_key(i)] for i in range(len(saved_names))]
    weights = model.weights
    if len(values) != len(weights):
        hint = (
            " It is not built yet: call it on data or call build(input_shape) first."
            if not weights
            else ""
        )
        raise ValueError(
            f"{path!r} holds {len(values)} weights but model {_name(model)} has "
            f"{len(weights)}.{hint}"
        )
    for i, (w, value, saved) in enumerate(zip(weights, values, saved_names, strict=True)):
        if tuple(value.shape) != tuple(w.shape):
            raise ValueError(
                f"Weight {i} of model {_name(model)}, {w.name!r}, has shape {tuple(w.shape)} "
                f"but {path!r} holds shape {tuple(value.shape)} for it (saved as {saved!r})."
            )
    for w, value in zip(weights, values, strict=True):
        w.assign(get_xp(w.data).asarray(value))


def _key(i: int) -> str:
    return f"w{i:05d}"


def _name(model: Any) -> str:
    return repr(getattr(model, "name", type(model).__name__))
