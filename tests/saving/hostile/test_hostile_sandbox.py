"""The sandbox of the hostile-file suite catches what it claims to catch.

If the audit hook missed an event, every test of the suite could pass while a loader ran
code; so each kind of event is provoked here, inside `run_armed`, and must fail the test.
"""

import encodings.idna  # noqa: F401  (socket imports it lazily; the test is about connect)
import importlib
import os
import pickle
import socket
import subprocess
import sys

import pytest
from hostile_sandbox import run_armed


class _Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def _swallowing(action):
    """A 'loader' that catches every Exception around `action`, as a careless one might."""

    def load():
        try:
            action()
        except Exception:
            pass

    return load


def _fresh_module() -> str:
    for name in ("tabnanny", "pyclbr", "nturl2path", "this"):
        if name not in sys.modules:
            return name
    pytest.skip("every candidate module is already imported")


ESCAPES = [
    ("exec", lambda tmp: exec("x = 1"), "compile|exec"),
    ("eval", lambda tmp: eval("1 + 1"), "compile|exec"),
    ("compile", lambda tmp: compile("1", "<file>", "eval"), "compile"),
    (
        "import",
        lambda tmp: importlib.import_module(_fresh_module()),
        "exec|import|modules|__pycache__",
    ),
    ("open_outside", lambda tmp: open(os.path.abspath(os.sep + "etc" + os.sep + "hosts")), "open"),
    ("open_for_writing", lambda tmp: open(os.path.join(tmp, "x"), "w"), "open for writing"),
    ("os_open_for_writing", lambda tmp: os.open(os.path.join(tmp, "y"), os.O_CREAT), "writing"),
    ("socket", lambda tmp: socket.create_connection(("127.0.0.1", 9), timeout=0.1), "socket"),
    ("subprocess", lambda tmp: subprocess.Popen(["true"]), "subprocess.Popen"),
    ("os_system", lambda tmp: os.system("true"), "os.system"),
    ("unpickle", lambda tmp: pickle.loads(pickle.dumps(_Payload())), "pickle.find_class"),
    ("remove", lambda tmp: os.remove(os.path.join(tmp, "missing")), "os.remove"),
]


@pytest.mark.parametrize(("action", "event"), [e[1:] for e in ESCAPES], ids=[e[0] for e in ESCAPES])
@pytest.mark.parametrize("swallow", [False, True], ids=["raising", "swallowed"])
def test_the_sandbox_fails_the_test(tmp_path, action, event, swallow):
    load = lambda: action(str(tmp_path))  # noqa: E731
    with pytest.raises(pytest.fail.Exception, match=event):
        run_armed(_swallowing(load) if swallow else load, tmp_path)


def test_reading_inside_the_folder_is_allowed(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"abc")

    def load():
        with open(path, "rb") as f:
            return f.read()

    result, error, _ = run_armed(load, tmp_path)
    assert result == b"abc" and error is None


def test_connecting_a_socket_made_before_arming_is_refused(tmp_path):
    with socket.socket() as s, pytest.raises(pytest.fail.Exception, match="socket.connect"):
        run_armed(lambda: s.connect(("127.0.0.1", 9)), tmp_path)
