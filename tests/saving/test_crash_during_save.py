"""Crash during save: a process that keeps saving is killed with SIGKILL at random moments.

Afterwards the file always loads and is either the last version the process reported saved or
the one it was writing; the next save removes the temporary file a kill left behind. The
saving process is this file run as a program (`python test_crash_during_save.py save PATH
START`): it saves versions START, START + 1, ... of a model whose every weight and optimizer
variable equals the version number, and prints each version once saved. (The benchmark
`benchmarks/kill_during_save.py` does the same 200 times.)
"""

import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.io import atomic

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")

KILLS = 10  # per kind of file: 20 in all


def make_model():
    model = lamina.Sequential(
        [lamina.Input((256,)), layers.Dense(512), layers.Dense(256), layers.Dense(10)]
    )
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_weights)
    return model


def set_version(model, version: int) -> None:
    for v in model.weights + model.optimizer.variables:
        v.assign(np.full(v.shape, version, dtype=v.dtype))


def save(model, path: str) -> None:
    if path.endswith(".keras"):
        model.save(path)
    else:
        model.save_weights(path)


def saved_version(path: str) -> int:
    """The version in the file; fails unless every array in it holds that one number."""
    if path.endswith(".keras"):
        model = lamina.models.load_model(path)
        arrays = [v.numpy() for v in model.weights + model.optimizer.variables]
    else:
        model = make_model()
        model.load_weights(path)
        arrays = model.get_weights()
    versions = {float(value) for a in arrays for value in np.unique(a)}
    assert len(versions) == 1, f"{path} mixes versions {sorted(versions)[:5]}"
    return int(versions.pop())


def keep_saving(path: str, start: int) -> None:
    model = make_model()
    version = start
    while True:
        set_version(model, version)
        save(model, path)
        print(version, flush=True)
        version += 1


def temp_files(folder) -> list[str]:
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


@pytest.mark.parametrize("name", ["model.keras", "model.weights.safetensors"])
def test_killed_saver_leaves_the_old_or_the_new_file(tmp_path, name):
    path = str(tmp_path / name)
    rng = random.Random(name)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    model = make_model()
    start = 1
    for _ in range(KILLS):
        saver = subprocess.Popen(
            [sys.executable, __file__, "save", path, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert saver.stdout.readline().strip() == str(start), saver.stderr.read()
            time.sleep(rng.uniform(0, 0.1))
        finally:
            saver.kill()  # SIGKILL
        out, _ = saver.communicate(timeout=30)
        assert saver.returncode == -signal.SIGKILL
        reported = int(([str(start)] + out.split())[-1])  # the last version it finished
        version = saved_version(path)
        assert version in (reported, reported + 1)
        # The next save (here, by this process) removes what the killed one left behind.
        start = reported + 2
        set_version(model, start)
        save(model, path)
        assert os.listdir(tmp_path) == [name]
        assert saved_version(path) == start
        start += 1


def test_next_save_removes_only_stale_temporary_files(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    dead = int(done.stdout)
    stale = tmp_path / f".a.bin.{dead}.0123abcd.tmp"
    alive = tmp_path / f".a.bin.{os.getpid()}.0123abcd.tmp"  # a save still in progress
    other = tmp_path / f".b.bin.{dead}.0123abcd.tmp"  # another target's
    unrelated = tmp_path / f".a.bin.{dead}.notmine.tmp"
    for p in (stale, alive, other, unrelated):
        p.write_bytes(b"half")
    atomic.atomic_write(tmp_path / "a.bin", lambda f: f.write(b"new"))
    assert sorted(os.listdir(tmp_path)) == sorted(["a.bin", alive.name, other.name, unrelated.name])


if __name__ == "__main__" and sys.argv[1:2] == ["save"]:
    keep_saving(sys.argv[2], int(sys.argv[3]))
