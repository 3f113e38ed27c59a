"""Opening Keras HDF5 files safely: every link and dataset is checked before any value is read.

HDF5 can point outside the file it is in: an external link names another file, an external
dataset keeps its bytes in raw files beside it, a virtual dataset maps other files' datasets,
and an unknown filter makes the HDF5 library load a plugin. None of these occurs in a file Keras
writes, so `open_h5` refuses a file holding any of them, and soft links too (Keras writes none;
refusing them keeps every path a plain walk down hard links). Values are read only through
`read_array`, which takes numeric datasets of the shape the caller expects.

h5py is an optional dependency (`pip install "lamina[h5]"`), imported on first use.
"""

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from lamina.saving.keras_import.errors import KerasFileError

# HDF5's built-in filters and h5py's LZF; any other filter id would make HDF5 look for a plugin.
ALLOWED_FILTERS = {
    1: "deflate",
    2: "shuffle",
    3: "fletcher32",
    4: "szip",
    5: "nbit",
    6: "scaleoffset",
    32000: "lzf",
}
# The most objects (groups and datasets) a file may hold; Keras files hold a few per layer.
MAX_OBJECTS = 200_000
# The most names an attribute list (`layer_names`, `weight_names`) may hold.
MAX_NAMES = 100_000
# The largest attribute read (names lists are split into chunks of 64 KiB by Keras).
MAX_ATTR_BYTES = 64 * 2**20


def require_h5py(
    what: str = "Reading Keras HDF5 files (.h5, .weights.h5, the weights inside .keras)",
) -> Any:
    """Import h5py, or explain that `what` needs it and how to install it."""
    try:
        import h5py
    except ImportError as e:
        raise ImportError(
            f'{what} needs h5py: pip install "lamina[h5]" (or pip install h5py).'
        ) from e
    return h5py


@contextlib.contextmanager
def open_h5(source: Any, where: str) -> Iterator[Any]:
    """Open an HDF5 file read-only, check every object in it, and yield the `h5py.File`.

    Args:
        source: a path or a seekable binary file object.
        where: how to name the file in error messages.

    Raises:
        KerasFileError: for a file that is not HDF5, or that holds an external link, a soft
            link, an external or virtual dataset, or a dataset with an unknown filter.
        FileNotFoundError: when the path does not exist.
    """
    h5py = require_h5py()
    if isinstance(source, str | os.PathLike) and not os.path.isfile(source):
        if not os.path.exists(source):
            raise FileNotFoundError(f"No such file: {os.fspath(source)!r}")
        raise KerasFileError(f"{where} is not a file.")
    try:
        f = h5py.File(source, "r")
    except OSError as e:
        raise KerasFileError(f"{where} is not an HDF5 file, or it is damaged: {e}") from e
    try:
        check_tree(f, where)
        yield f
    finally:
        f.close()


def check_tree(f: Any, where: str) -> None:
    """Walk every link of the file and refuse what could read outside it.

    Raises:
        KerasFileError: naming the first offending path.
    """
    h5py = require_h5py()
    seen: set[int] = {h5py.h5o.get_info(f.id).addr}
    stack: list[tuple[Any, str]] = [(f, "")]
    count = 0
    while stack:
        group, prefix = stack.pop()
        for name in group:
            path = f"{prefix}/{name}"
            count += 1
            if count > MAX_OBJECTS:
                raise KerasFileError(
                    f"{where} holds more than {MAX_OBJECTS} HDF5 objects; a Keras weights file "
                    "holds a few per layer. Refusing to walk it."
                )
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                raise KerasFileError(
                    f"{where} holds an HDF5 external link at {path!r} (to {link.filename!r}); "
                    "lamina never follows links out of the file it was given."
                )
            if isinstance(link, h5py.SoftLink):
                raise KerasFileError(
                    f"{where} holds an HDF5 soft link at {path!r} (to {link.path!r}); Keras "
                    "never writes links, and lamina refuses them."
                )
            if not isinstance(link, h5py.HardLink):
                raise KerasFileError(
                    f"{where} holds an HDF5 link of an unknown kind at {path!r}; refused."
                )
            obj = group[name]
            if isinstance(obj, h5py.Dataset):
                check_dataset(obj, path, where)
            elif isinstance(obj, h5py.Group):
                addr = h5py.h5o.get_info(obj.id).addr
                if addr not in seen:
                    seen.add(addr)
                    stack.append((obj, path))


def check_dataset(ds: Any, path: str, where: str) -> None:
    """Refuse a dataset whose bytes live outside the file or need a filter plugin."""
    if ds.is_virtual:
        raise KerasFileError(
            f"{where} holds an HDF5 virtual dataset at {path!r}, which maps data from other "
            "files; lamina refuses it."
        )
    if ds.external:
        files = [entry[0] for entry in ds.external]
        raise KerasFileError(
            f"{where} holds an HDF5 dataset at {path!r} whose data lives in external files "
            f"{files}; lamina reads data only from the file it was given."
        )
    plist = ds.id.get_create_plist()
    for i in range(plist.get_nfilters()):
        code = plist.get_filter(i)[0]
        if code not in ALLOWED_FILTERS:
            raise KerasFileError(
                f"{where}: the dataset at {path!r} uses HDF5 filter {code}, which would make "
                f"HDF5 load a plugin; lamina reads only {sorted(ALLOWED_FILTERS.values())}."
            )


def get_group(parent: Any, name: str, where: str) -> Any:
    """The group `name` of `parent`, or None when there is none."""
    h5py = require_h5py()
    _check_relative(name, where)
    obj = parent.get(name)
    if obj is None:
        return None
    if not isinstance(obj, h5py.Group):
        raise KerasFileError(f"{where}: {_path(parent, name)!r} should be a group, not a dataset.")
    return obj


def get_dataset(parent: Any, name: str, where: str) -> Any:
    """The dataset `name` (a path relative to `parent`), checked; raises when it is missing."""
    h5py = require_h5py()
    _check_relative(name, where)
    obj = parent.get(name)
    if obj is None:
        raise KerasFileError(
            f"{where} lists a weight {name!r} under {parent.name!r} but holds no dataset there."
        )
    if not isinstance(obj, h5py.Dataset):
        raise KerasFileError(f"{where}: {_path(parent, name)!r} should be a dataset, not a group.")
    check_dataset(obj, obj.name, where)
    return obj


def read_array(ds: Any, expected_shape: tuple, where: str) -> np.ndarray:
    """Read a numeric dataset of exactly `expected_shape` (checked before reading).

    Raises:
        KerasFileError: for another shape, a non-numeric dtype, or data HDF5 cannot decode.
    """
    if tuple(ds.shape) != tuple(expected_shape):
        raise KerasFileError(
            f"{where}: the dataset {ds.name!r} has shape {tuple(ds.shape)}, expected "
            f"{tuple(expected_shape)}."
        )
    dtype = ds.dtype
    if dtype.kind not in "fiu" or dtype.fields is not None or dtype.subdtype is not None:
        raise KerasFileError(
            f"{where}: the dataset {ds.name!r} holds {dtype}, not numbers; lamina reads only "
            "integer and floating-point weights."
        )
    try:
        value = ds[()]
    except OSError as e:
        raise KerasFileError(f"{where}: could not read the dataset {ds.name!r}: {e}") from e
    return np.asarray(value)


def read_names(obj: Any, name: str, where: str) -> list[str]:
    """Read a list of names stored as the attribute `name` (or chunks `name0`, `name1`, ...).

    Keras splits a long list over numbered attributes because an HDF5 object header is small.
    """
    attrs = obj.attrs
    if name in attrs:
        chunks = [_attr(obj, name, where)]
    else:
        chunks = []
        while f"{name}{len(chunks)}" in attrs and len(chunks) < MAX_NAMES:
            chunks.append(_attr(obj, f"{name}{len(chunks)}", where))
    names: list[str] = []
    for chunk in chunks:
        values = np.asarray(chunk)
        if values.size == 0:  # Keras writes an empty list as an empty float array
            continue
        if values.ndim > 1 or values.dtype.kind not in "SUO":
            raise KerasFileError(
                f"{where}: the attribute {name!r} of {obj.name!r} should be a list of names. "
                f"Received: an array of {values.dtype} with shape {values.shape}"
            )
        for v in values.reshape(-1):
            names.append(decode_text(v, f"the attribute {name!r} of {obj.name!r}", where))
        if len(names) > MAX_NAMES:
            raise KerasFileError(f"{where}: {name!r} lists more than {MAX_NAMES} names.")
    return names


def read_text_attr(obj: Any, name: str, where: str) -> str | None:
    """A short text attribute (`keras_version`, `backend`), or None when absent."""
    if name not in obj.attrs:
        return None
    value = _attr(obj, name, where)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if not isinstance(value, bytes | str):
        return None
    return decode_text(value, f"the attribute {name!r}", where)


def _attr(obj: Any, name: str, where: str) -> Any:
    """The value of an attribute, refusing one whose stored size is absurd for a Keras file."""
    try:
        size = obj.attrs.get_id(name).get_storage_size()
    except RuntimeError:  # HDF5 reports an empty attribute's size as an error
        size = 0
    if size > MAX_ATTR_BYTES:
        raise KerasFileError(
            f"{where}: the attribute {name!r} of {obj.name!r} takes {size:,} bytes; refusing "
            "to read it."
        )
    try:
        return obj.attrs[name]
    except (OSError, TypeError, ValueError) as e:
        raise KerasFileError(f"{where}: could not read the attribute {name!r}: {e}") from e


def decode_text(value: Any, what: str, where: str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as e:
            raise KerasFileError(f"{where}: {what} is not UTF-8 text: {e}") from e
    if isinstance(value, str):
        return value
    raise KerasFileError(f"{where}: {what} should hold text. Received: {type(value).__name__}")


def _check_relative(name: str, where: str) -> None:
    parts = name.split("/")
    if name.startswith("/") or any(p in ("", ".") for p in parts):
        raise KerasFileError(
            f"{where} names an HDF5 path {name!r}; lamina expects plain relative names."
        )


def _path(parent: Any, name: str) -> str:
    return f"{parent.name.rstrip('/')}/{name}"
