"""Fixtures of the hostile-file suite; importing `hostile_sandbox` installs its audit hook."""

import hostile_sandbox  # noqa: F401  (installs the session's one audit hook)
import pytest


@pytest.fixture(scope="session")
def valid(tmp_path_factory):
    """Valid files of every kind, built (and each loaded once, so the loaders' lazy imports
    are done) before any load runs armed."""
    import hostile_builders

    folder = tmp_path_factory.mktemp("valid")
    files = hostile_builders.ValidFiles.build(folder)
    files.warm_up(folder)
    return files


@pytest.fixture(autouse=True)
def _loaders_warmed_up(valid):
    """Every test here runs after the warm-up, so no armed load meets a first import."""
