"""Atomic file writes: a file is either its old complete self or its new complete self.

The data goes to a temporary file in the target's folder, is flushed and fsynced, then
`os.replace` swaps it in (atomic on POSIX and Windows when both lie on one file system) and
the folder is fsynced so the rename survives a power cut. On any error the temporary file is
removed and the previous file is left as it was.
"""

import contextlib
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from typing import IO, Any

_MODES = ("wb", "w")


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike, mode: str = "wb", encoding: str | None = None
) -> Iterator[IO]:
    """Open a file for writing that replaces `path` only when the block ends without error.

    A symbolic link at `path` is followed: the file it points to is replaced. The new file
    keeps the permissions of the file it replaces (new files get the usual umask ones).

    Args:
        path: the file to write.
        mode: `"wb"` (bytes) or `"w"` (text).
        encoding: the text encoding in `"w"` mode (UTF-8 by default).

    Yields:
        The open temporary file.

    Raises:
        ValueError: for another mode.
        IsADirectoryError: when `path` is a folder.

    Example:
    >>> with atomic_open("notes.txt", "w") as f:
    ...     f.write("all or nothing")
    """
    if mode not in _MODES:
        raise ValueError(f"atomic_open writes with mode 'wb' or 'w'. Received: mode={mode!r}")
    target = os.path.realpath(os.fspath(path))
    if os.path.isdir(target):
        raise IsADirectoryError(f"Cannot write a file over a folder. Received: path={target!r}")
    folder = os.path.dirname(target)
    fd, tmp = _create_temp(folder, os.path.basename(target))
    try:
        try:
            f = os.fdopen(fd, mode, encoding=(encoding or "utf-8") if mode == "w" else None)
        except BaseException:
            os.close(fd)
            raise
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _copy_mode(target, tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def atomic_write(
    path: str | os.PathLike,
    write_fn: Callable[[IO], Any],
    mode: str = "wb",
    encoding: str | None = None,
) -> Any:
    """Call `write_fn(file)` and replace `path` with what it wrote, all or nothing.

    Args:
        path: the file to write.
        write_fn: writes the content to the open file it is given.
        mode: `"wb"` (bytes) or `"w"` (text).
        encoding: the text encoding in `"w"` mode (UTF-8 by default).

    Returns:
        What `write_fn` returns.

    Raises:
        Whatever `write_fn` or the file system raises; `path` is then unchanged.

    Example:
    >>> atomic_write("weights.npz", lambda f: np.savez(f, w=np.zeros(3)))
    """
    with atomic_open(path, mode, encoding=encoding) as f:
        result = write_fn(f)
    return result


def _create_temp(folder: str, name: str) -> tuple[int, str]:
    # A hidden name beside the target (same file system, so os.replace is a rename); mode 0o666
    # lets the umask decide the permissions as for any new file. Long names are cut so the
    # temporary name stays within the usual 255-byte limit.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f".{name[:200]}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"Could not create a temporary file in {folder!r}.")


def _copy_mode(target: str, tmp: str) -> None:
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    with contextlib.suppress(OSError):
        os.chmod(tmp, mode)


def _fsync_folder(folder: str) -> None:
    # Makes the rename itself durable. Windows cannot open folders, and some file systems refuse
    # to fsync them; the new file is in place either way, so this stays best effort.
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
