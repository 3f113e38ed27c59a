"""lamina.backend.tune_malloc: freed arrays stay with the process for the next training step."""

import platform
import subprocess
import sys

import pytest

from lamina.backend import tune_malloc

GLIBC = platform.libc_ver()[0] == "glibc"


def test_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("LAMINA_TUNE_MALLOC", "0")
    assert tune_malloc() is False


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's")
def test_applies_on_glibc():
    assert tune_malloc() is True


STEPS = """
import resource, numpy as np, lamina
from lamina import layers
x = np.random.default_rng(0).random((1024, 784), dtype=np.float32)
y = np.eye(10, dtype=np.float32)[np.arange(1024) % 10]
m = lamina.Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                       layers.Dense(10, activation="softmax")])
m.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
m.fit(x, y, batch_size=128, epochs=20, verbose=0)  # the heap grows to its working size
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
m.fit(x, y, batch_size=128, epochs=5, verbose=0)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 40)
"""


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's")
def test_training_steps_reuse_their_memory():
    # Without the settings this network faults about 380 pages in per step on glibc.
    out = subprocess.run([sys.executable, "-c", STEPS], capture_output=True, text=True, check=True)
    assert float(out.stdout.strip()) < 40
