"""The hostile-file suite's sandbox: an audit hook that fails a test whose load runs code.

`sys.addaudithook` hooks cannot be removed, so one hook is installed when this module is
first imported (by the suite's conftest.py, once per session) and does nothing until
`SANDBOX.armed(folder)` arms it around a single load (`run_armed`, `assert_refused`). While
armed, in the arming thread, it refuses and records:

- `exec` and `compile` (running or compiling Python code),
- `import` of a module, and any module that appears in `sys.modules` during the load,
- `open` of a path outside the test's folder, and any `open` for writing,
- `socket.*`, `subprocess.Popen`, `os.system`, `os.exec*`, `os.spawn*`, `os.posix_spawn`,
  `os.fork`, `ctypes.dlopen`, `urllib.Request`, `webbrowser.open`,
- `pickle.find_class` and `marshal.loads` (unpickling or unmarshalling anything),
- changes to the file system (`os.remove`, `os.rename`, `os.mkdir`, `shutil.rmtree`, ...).

A refused event raises `AuditViolation`, a BaseException so that a loader's `except Exception`
cannot swallow it, and is recorded, so a test fails even if a loader caught it anyway.
Everything the loaders import lazily is imported (by loading valid files) before arming.
"""

import contextlib

# zipfile decodes member names that lack the UTF-8 flag with cp437, importing its codec lazily.
import encodings.cp437  # noqa: F401
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Events refused outright while armed (prefixes end with a dot).
_REFUSED = {
    "exec",
    "compile",
    "import",
    "pickle.find_class",
    "marshal.loads",
    "marshal.load",
    "subprocess.Popen",
    "os.system",
    "os.fork",
    "os.forkpty",
    "os.posix_spawn",
    "os.startfile",
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.link",
    "os.symlink",
    "os.truncate",
    "os.putenv",
    "os.unsetenv",
    "shutil.rmtree",
    "shutil.copyfile",
    "shutil.move",
    "ctypes.dlopen",
    "ctypes.dlsym",
    "urllib.Request",
    "webbrowser.open",
    "builtins.input",
    "code.__new__",
    "function.__new__",
}
_REFUSED_PREFIXES = ("socket.", "os.exec", "os.spawn", "http.", "ftplib.", "smtplib.")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class AuditViolation(BaseException):
    """Raised by the audit hook inside a load that tried to run code or reach outside."""


class Sandbox:
    """The state of the one audit hook of the session."""

    def __init__(self) -> None:
        self.thread: int | None = None
        self.folders: tuple[str, ...] = ()
        self.violations: list[str] = []

    def hook(self, event: str, args: tuple) -> None:
        if self.thread is None or threading.get_ident() != self.thread:
            return
        problem = None
        if event == "open":
            problem = self._open_problem(args)
        elif event in _REFUSED or event.startswith(_REFUSED_PREFIXES):
            problem = f"{event}{_brief(args)}"
        if problem is not None:
            self.violations.append(problem)
            raise AuditViolation(problem)

    def _open_problem(self, args: tuple) -> str | None:
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        if isinstance(path, int):
            return None  # an already open descriptor
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if writing:
            return f"open for writing: {path!r} (mode={mode!r}, flags={flags!r})"
        try:
            full = os.path.abspath(os.fsdecode(path))
        except (TypeError, ValueError):
            return f"open of an odd path {path!r}"
        if not any(full == f or full.startswith(f + os.sep) for f in self.folders):
            return f"open outside the test folder: {full!r}"
        return None

    @contextlib.contextmanager
    def armed(self, *folders: Any) -> Iterator[None]:
        """Refuse code execution and outside access in this thread for the block."""
        if self.thread is not None:
            raise RuntimeError("the sandbox is already armed")
        modules = set(sys.modules)
        self.violations = []
        self.folders = tuple(os.path.abspath(os.fspath(f)) for f in folders)
        self.thread = threading.get_ident()
        try:
            yield
        finally:
            self.thread = None
            new = sorted(set(sys.modules) - modules)
            if new:
                self.violations.append(f"modules imported during the load: {new}")


def _brief(args: tuple) -> str:
    text = repr(args)
    return f" {text[:200]}"


SANDBOX = Sandbox()
sys.addaudithook(SANDBOX.hook)


def run_armed(load: Callable[[], Any], folder: Any) -> tuple[Any, BaseException | None, float]:
    """Run `load()` with the sandbox armed; return (result, exception, CPU seconds).

    The time is the process's CPU time, not the wall clock: what a refusal must bound is the
    work it does, and on a shared machine the wall clock also counts other processes' turns.
    """
    result = error = None
    start = time.process_time()
    with SANDBOX.armed(folder):
        try:
            result = load()
        except BaseException as e:  # judged by the caller
            error = e
    seconds = time.process_time() - start
    if SANDBOX.violations:
        pytest.fail(f"the load ran code or reached outside its folder: {SANDBOX.violations}")
    if isinstance(error, AuditViolation):
        pytest.fail(f"the load ran code or reached outside its folder: {error}")
    return result, error, seconds


def assert_refused(
    load: Callable[[], Any], folder: Any, match: str, error_type: type | None = None
) -> BaseException:
    """Check that `load()` raises lamina's own error matching `match`, armed, within a second
    of CPU time.

    Returns:
        The error.
    """
    from lamina.saving import ModelFileError

    error_type = error_type or ModelFileError
    result, error, seconds = run_armed(load, folder)
    if error is None:
        pytest.fail(f"the hostile file was loaded: {result!r:.200}")
    if not isinstance(error, error_type):
        raise AssertionError(
            f"expected {error_type.__name__}, got {type(error).__name__}: {error}"
        ) from error
    if not re.search(match, str(error)):
        raise AssertionError(
            f"the message does not name the problem ({match!r}): {error}"
        ) from error
    assert seconds < 1.0, f"refusing took {seconds:.2f} s of CPU time"
    return error
