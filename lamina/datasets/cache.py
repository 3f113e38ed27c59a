"""Arrays built once from raw dataset files and kept in the cache folder.

A cache entry is an uncompressed `.npz` file (read with `allow_pickle=False`, so it can only
hold plain arrays) and a `<file>.sha256` file beside it in `sha256sum` format. The entry also
stores a key saying what it was built from (a format version and the sources' digests); an
entry whose digest or key does not match is rebuilt. Both files are written to a temporary file
first, flushed to disk and renamed into place, so a crash never leaves a half-written entry
that looks valid.
"""

import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from lamina.datasets import files

KEY_NAME = "__cache_key__"

Arrays = dict[str, np.ndarray]


def load_or_build(path: str | os.PathLike, key: str, build: Callable[[], Arrays]) -> Arrays:
    """Returns the arrays cached at `path`, building and caching them first if needed.

    Args:
        path: the `.npz` cache file, e.g. `cache_dir("imdb") / "imdb.npz"`.
        key: what the arrays are built from; an entry with another key is rebuilt. Change it
            whenever the sources or the way of building them change.
        build: makes the arrays (numeric or fixed-width string dtypes; never object arrays).

    Returns:
        The arrays by name, read fully into memory.

    Warns:
        UserWarning: an existing entry was corrupt (its sha256 differs from the one stored
            beside it, or it cannot be read) and was rebuilt, or the new entry could not be
            written.

    Example:
        >>> arrays = load_or_build(path, "v1:" + source_sha256, build)  # doctest: +SKIP
    """
    path = Path(path)
    arrays = _read_if_valid(path, key)
    if arrays is None:
        arrays = build()
        try:
            write_arrays(path, arrays, key)
        except OSError as e:  # e.g. a read-only or full disk: the arrays are still good
            warnings.warn(
                f"Could not cache the arrays in {path}; they will be built again next time. "
                f"Received: error={e!r}",
                UserWarning,
                stacklevel=2,
            )
    return arrays


def write_arrays(path: str | os.PathLike, arrays: Mapping[str, np.ndarray], key: str) -> None:
    """Writes `arrays` and their key to `path` atomically, then the sha256 file beside it.

    Raises:
        ValueError: an array has an object dtype (it would need pickle) or uses the reserved
            name `__cache_key__`.
    """
    path = Path(path)
    for name, array in arrays.items():
        if name == KEY_NAME or np.asarray(array).dtype == object:
            raise ValueError(
                "Cache entries hold plain arrays under names other than "
                f"{KEY_NAME!r}. Received: name={name!r}, dtype={np.asarray(array).dtype}"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, lambda f: np.savez(f, **{KEY_NAME: np.array(key)}, **arrays))
    digest = files.sha256_file(path)
    _atomic_write(sha256_path(path), lambda f: f.write(f"{digest}  {path.name}\n".encode()))


def sha256_path(path: str | os.PathLike) -> Path:
    """Returns the path of the digest file kept beside a cache file: `<file>.sha256`."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def _read_if_valid(path: Path, key: str) -> Arrays | None:
    digest_file = sha256_path(path)
    if not path.is_file() or not digest_file.is_file():
        return None
    stored = digest_file.read_text(encoding="ascii", errors="replace").split()
    received = files.sha256_file(path)
    if not stored or stored[0] != received:
        _warn_rebuild(path, f"its sha256 {received} differs from the one in {digest_file}")
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            if KEY_NAME not in npz.files or str(npz[KEY_NAME]) != key:
                return None  # built from other sources or by another version: rebuild quietly
            return {name: npz[name] for name in npz.files if name != KEY_NAME}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        _warn_rebuild(path, f"it cannot be read ({e})")
        return None


def _warn_rebuild(path: Path, why: str) -> None:
    warnings.warn(
        f"The cached arrays {path} are corrupt: {why}. They are built again from the "
        "dataset's files.",
        UserWarning,
        stacklevel=4,
    )


def _atomic_write(path: Path, write: Callable) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible on every platform (e.g. Windows).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
