"""Atomic file writes: a file is either its old complete self or its new complete self.

The data goes to a temporary file in the target's folder, is flushed and fsynced, then
`os.replace` swaps it in (atomic on POSIX and Windows when both lie on one file system) and
the folder is fsynced so the rename survives a power cut. On any error the temporary file is
removed and the previous file is left as it was.

A process killed mid-write (SIGKILL, a power cut) cannot remove its temporary file. Temporary
names carry the writer's process id, so the next successful write of the same target removes
the ones whose writer no longer runs: a crash leaves at most one stray file, until that write.
"""

import contextlib
import errno
import os
import re
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
        FileNotFoundError: when the folder of `path` does not exist (the message names it).

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
    _remove_stale_temps(folder, os.path.basename(target))


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
        tmp = os.path.join(folder, f".{name[:200]}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
        except (FileNotFoundError, NotADirectoryError) as e:
            if os.path.isdir(folder):
                raise
            raise FileNotFoundError(
                errno.ENOENT,
                f"Cannot write {name!r}: the folder {folder!r} does not exist. Create it first "
                f"(os.makedirs({folder!r}, exist_ok=True)). Received: path="
                f"{os.path.join(folder, name)!r}",
            ) from e
    raise FileExistsError(f"Could not create a temporary file in {folder!r}.")


def _remove_stale_temps(folder: str, name: str) -> None:
    # Only names of this exact pattern for this target, and only when the process that made one
    # is gone: another process (or thread) still writing the same target keeps its file.
    pattern = re.compile(rf"\.{re.escape(name[:200])}\.(\d+)\.[0-9a-f]{{8}}\.tmp")
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            match = pattern.fullmatch(entry.name)
            if match and not _is_running(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _is_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":
        # Signal 0 would mean CTRL_C_EVENT there. Windows refuses to delete a file that is
        # open, so unlinking a temporary file still being written simply fails.
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # no such process (or no such pid at all)
        return False
    except OSError:  # it exists but belongs to another user
        return True
    return True


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
