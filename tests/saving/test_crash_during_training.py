"""Crash during training: a run killed with SIGKILL at random steps, then run again with
`BackupAndRestore`, ends bit-identical to a run that was never interrupted.

The training script is this file run as a program (`python test_crash_during_training.py run
...`): a small classifier with two Dropout layers, shuffled batches, a validation split,
EarlyStopping (restoring the best weights) and ReduceLROnPlateau. It prints one JSON line
with a digest of the final weights and optimizer variables, the step counter, the learning
rate and the History; it writes nothing but its backup. A kill
comes from the script itself, `os.kill(os.getpid(), SIGKILL)` at the start of a chosen batch,
so each kill lands mid-epoch where the test wants it.
"""

import hashlib
import json
import os
import random
import signal
import subprocess
import sys

import numpy as np
import pytest

import lamina
from lamina import layers

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")

EPOCHS = 6
SAMPLES = 160
BATCH = 16
STEPS = (SAMPLES * 4 // 5) // BATCH  # batches per epoch after the 20% validation split


class KillAt(lamina.callbacks.Callback):
    """Kill the process with SIGKILL as batch `at` (counted over all epochs) begins."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self.epoch * STEPS + batch == self.at:
            os.kill(os.getpid(), signal.SIGKILL)


def train(backup_dir: str | None, save_freq, kill_at: int | None) -> dict:
    """The training script: returns what it prints."""
    lamina.utils.set_random_seed(7)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, 8)).astype("float32")
    y = (x[:, :3].sum(axis=1) > 0).astype("int64") + (x[:, 3] > 1).astype("int64")
    model = lamina.Sequential(
        [
            lamina.Input((8,)),
            layers.Dense(32, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(16, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=lamina.optimizers.Adam(learning_rate=0.02),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    callbacks = [
        lamina.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True),
        lamina.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
    ]
    if kill_at is not None:
        callbacks.append(KillAt(kill_at))
    if backup_dir is not None:
        callbacks.append(lamina.callbacks.BackupAndRestore(backup_dir, save_freq=save_freq))
    history = model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=EPOCHS,
        validation_split=0.2,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )
    digest = hashlib.sha256()  # the optimizer's slots too: they reflect every step to the end
    for v in model.weights + model.optimizer.variables:
        digest.update(v.numpy().tobytes())
    return {
        "weights": digest.hexdigest(),
        "iterations": model.optimizer.iterations_int,
        "learning_rate": model.optimizer.learning_rate,
        "epochs": history.epoch,
        "history": dict(history.history),
    }


def run_script(tmp_path, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, __file__, "run", *map(str, args)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def finished(proc) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    return finished(run_script(tmp_path_factory.mktemp("plain"), "-", 0, -1))


@pytest.mark.parametrize(("save_freq", "kills"), [(5, 5), ("epoch", 2)])
def test_killed_runs_resume_bit_identical(tmp_path, uninterrupted, save_freq, kills):
    total = len(uninterrupted["epochs"]) * STEPS
    assert total > 3 * STEPS, "the reference run stopped too early to test anything"
    # Kills at the start of batches 1..STEPS-1 of an epoch: mid-epoch, at increasing steps.
    candidates = [s for s in range(1, total) if s % STEPS]
    kill_steps = sorted(random.Random(f"kills-{save_freq}").sample(candidates, kills))
    backup = tmp_path / "backup"
    for step in kill_steps:
        proc = run_script(tmp_path, backup, save_freq, step)
        assert proc.returncode == -signal.SIGKILL, (step, proc.stderr)
        # The script writes nothing but its backup (none yet when killed before the first).
        assert set(os.listdir(tmp_path)) <= {"backup"}
        assert set(os.listdir(backup) if backup.exists() else []) <= {"backup.safetensors"}
    resumed = finished(run_script(tmp_path, backup, save_freq, -1))
    assert resumed == uninterrupted, kill_steps
    assert not backup.exists()  # deleted once training ended


if __name__ == "__main__" and sys.argv[1:2] == ["run"]:
    backup_dir, save_freq, kill_at = sys.argv[2:5]
    result = train(
        None if backup_dir == "-" else backup_dir,
        save_freq if save_freq == "epoch" else int(save_freq),
        None if int(kill_at) < 0 else int(kill_at),
    )
    print(json.dumps(result))
