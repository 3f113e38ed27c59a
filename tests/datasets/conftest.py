"""Fixtures for the dataset loaders: the shared data folder, one cache per test run, no network."""

import contextlib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

SHARED = Path(__file__).parents[2].parent / "shared" / "datasets"
_real_urlopen = urllib.request.urlopen


def _no_network(url, *args, **kwargs):
    target = getattr(url, "full_url", url)
    if str(target).startswith("file:"):
        return _real_urlopen(url, *args, **kwargs)
    raise urllib.error.URLError("network disabled in tests")


def _require_shared(name: str) -> None:
    if not (SHARED / name).is_dir():
        pytest.skip(f"the shared {name} copy is not at {SHARED / name}")


@pytest.fixture(scope="session")
def session_home(tmp_path_factory) -> Path:
    """One LAMINA_HOME for the whole run, so caches built from the shared data are reused."""
    return tmp_path_factory.mktemp("lamina_home")


@pytest.fixture(scope="session")
def shared_env(session_home):
    """A context manager: LAMINA_DATA is the shared folder, LAMINA_HOME the session's, offline.

    For module-scoped fixtures, which cannot use the function-scoped `monkeypatch`; skips when
    the shared copy of the named dataset is missing.
    """

    @contextlib.contextmanager
    def env(name: str):
        _require_shared(name)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("LAMINA_DATA", str(SHARED))
            mp.setenv("LAMINA_HOME", str(session_home))
            mp.setattr(urllib.request, "urlopen", _no_network)
            yield

    return env


@pytest.fixture
def offline(tmp_path, monkeypatch) -> Path:
    """No network, an empty LAMINA_HOME (`tmp_path/home`, returned) and no LAMINA_DATA."""
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAMINA_DATA", raising=False)
    return tmp_path / "home"


@pytest.fixture
def use_shared(monkeypatch, session_home, offline):
    """For one test: returns a function that points LAMINA_DATA at the shared copy of a
    dataset (skipping when it is missing), with the session's LAMINA_HOME."""

    def use(name: str) -> Path:
        _require_shared(name)
        monkeypatch.setenv("LAMINA_DATA", str(SHARED))
        monkeypatch.setenv("LAMINA_HOME", str(session_home))
        return SHARED / name

    return use
