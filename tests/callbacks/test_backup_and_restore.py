"""BackupAndRestore: runs interrupted (here by an exception) resume bit-identical.

Each `train` call plays one run of a script: it seeds, builds and compiles the model and calls
`fit`. An interrupted run raises `Crash` from a callback as a chosen batch begins; running
`train` again with the same backup folder resumes it. (Real kills with SIGKILL are tested in
tests/saving/test_crash_during_training.py.)
"""

import json
import os
import random

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import (
    BackupAndRestore,
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
)
from lamina.callbacks.backup_and_restore import BACKUP_NAME, PREVIOUS_NAME, STATE_KEY
from lamina.io import safetensors_io
from lamina.saving import ModelFileError
from lamina.utils import PyDataset

STEPS = 6  # batches per epoch: 96 training samples in batches of 16


class Crash(Exception):
    pass


class CrashAt(Callback):
    """Raise `Crash` as batch `at` (counted over all epochs) begins."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self.epoch * self.params["steps"] + batch == self.at:
            raise Crash


class Batches(PyDataset):
    def __init__(self, x, y, batch_size):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]


def make_data(n=120):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype("float32")[:, None]
    return x, y


def make_model():
    model = lamina.Sequential(
        [
            lamina.Input((5,)),
            layers.Dense(16, activation="relu"),
            layers.Dropout(0.4),
            layers.Dense(8, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", "auc"])
    return model


def train(
    backup=None,
    crash_at=None,
    save_freq=4,
    epochs=4,
    shuffle=True,
    callbacks=None,
    dataset=False,
    backup_first=False,
    **backup_kwargs,
):
    """One run of the script; returns (model, History, the callbacks)."""
    lamina.utils.set_random_seed(0)
    model = make_model()
    x, y = make_data()
    cbs = list(callbacks() if callbacks else [])
    if crash_at is not None:
        cbs.append(CrashAt(crash_at))
    if backup is not None:
        b = BackupAndRestore(backup, save_freq=save_freq, **backup_kwargs)
        cbs = [b, *cbs] if backup_first else [*cbs, b]
    if dataset:
        data = {"x": Batches(x[:96], y[:96], 16), "validation_data": (x[96:], y[96:])}
    else:
        data = {"x": x, "y": y, "batch_size": 16, "validation_split": 0.2}
    history = model.fit(**data, epochs=epochs, shuffle=shuffle, verbose=0, callbacks=cbs)
    return model, history, cbs


def state_of(model, history):
    return (
        [v.numpy() for v in model.weights + model.optimizer.variables],
        model.optimizer.learning_rate,
        history.epoch,
        dict(history.history),
    )


def assert_same_run(a, b):
    weights_a, lr_a, epochs_a, history_a = state_of(*a[:2])
    weights_b, lr_b, epochs_b, history_b = state_of(*b[:2])
    assert len(weights_a) == len(weights_b)
    for wa, wb in zip(weights_a, weights_b, strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert (lr_a, epochs_a) == (lr_b, epochs_b)
    assert history_a == history_b


def crash_then_resume(backup, crashes, **kwargs):
    for step in crashes:
        with pytest.raises(Crash):
            train(backup, crash_at=step, **kwargs)
    return train(backup, **kwargs)


def monitors():
    return [
        EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
        ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
    ]


@pytest.mark.parametrize(
    ("save_freq", "shuffle", "crashes"),
    [
        (4, True, [3, 9, 11, 17, 22]),
        (5, "batch", [7, 13, 20]),
        ("epoch", True, [4, 8, 15]),
        (1, False, [2, 13]),
    ],
)
def test_interrupted_runs_end_bit_identical(tmp_path, save_freq, shuffle, crashes):
    kwargs = {"save_freq": save_freq, "shuffle": shuffle, "callbacks": monitors}
    expected = train(**kwargs)
    resumed = crash_then_resume(str(tmp_path / "backup"), crashes, **kwargs)
    assert_same_run(resumed, expected)


def test_resumes_a_pydataset_exactly(tmp_path):
    expected = train(dataset=True)
    assert_same_run(crash_then_resume(tmp_path, [5, 10, 19], dataset=True), expected)


class NoisyBatches(Batches):
    """Augments with NumPy's and Python's global generators, as user code often does."""

    def __getitem__(self, i):
        x, y = super().__getitem__(i)
        return x + np.random.normal(size=x.shape).astype("float32") * random.random(), y


def test_resumes_numpy_and_python_global_generators(tmp_path):
    def run(backup=None, crash_at=None):
        lamina.utils.set_random_seed(0)  # seeds NumPy's and Python's global generators too
        model = make_model()
        x, y = make_data()
        cbs = [CrashAt(crash_at)] if crash_at is not None else []
        cbs += [BackupAndRestore(backup, save_freq=4)] if backup else []
        history = model.fit(NoisyBatches(x, y, 16), epochs=3, verbose=0, callbacks=cbs)
        return model, history

    expected = run()
    for step in (6, 13):
        with pytest.raises(Crash):
            run(tmp_path, crash_at=step)
    assert_same_run(run(tmp_path), expected)


def test_resume_at_the_last_batch_of_an_epoch(tmp_path):
    # A backup after the last batch of epoch 1 (save_freq 3 divides 6): the rerun draws the
    # whole epoch again, trains nothing in it, and goes on to validation and epoch end.
    expected = train(save_freq=3)
    resumed = crash_then_resume(tmp_path, [2 * STEPS], save_freq=3)
    assert_same_run(resumed, expected)


def test_multiplicative_schedule_is_not_applied_twice(tmp_path):
    def schedule():
        return [LearningRateScheduler(lambda epoch, lr: lr * 0.5)]

    expected = train(callbacks=schedule)
    assert_same_run(crash_then_resume(tmp_path, [8, 15], callbacks=schedule), expected)


def test_several_outputs_resume_their_loss_trackers(tmp_path):
    def run(backup=None, crash_at=None):
        lamina.utils.set_random_seed(1)
        inputs = lamina.Input((5,))
        h = layers.Dropout(0.3)(layers.Dense(8, activation="relu")(inputs))
        model = lamina.Model(inputs, [layers.Dense(1, name="a")(h), layers.Dense(1, name="b")(h)])
        model.compile("sgd", loss=["mse", "mae"])
        x, y = make_data()
        cbs = [CrashAt(crash_at)] if crash_at is not None else []
        if backup:
            cbs.append(BackupAndRestore(backup, save_freq=2))
        history = model.fit(x, [y, y * 2], batch_size=16, epochs=2, verbose=0, callbacks=cbs)
        return model, history

    expected = run()
    with pytest.raises(Crash):
        run(tmp_path, crash_at=11)
    resumed = run(tmp_path)
    assert set(resumed[1].history) == {"loss", "a_loss", "b_loss"}
    assert_same_run(resumed, expected)


def test_backup_runs_after_the_other_callbacks(tmp_path):
    # Listed first, it still backs up the state EarlyStopping reached in the same epoch.
    backup = tmp_path / "b"
    with pytest.raises(Crash):
        train(backup, crash_at=STEPS + 1, save_freq="epoch", callbacks=monitors, backup_first=True)
    state = read_state(backup / BACKUP_NAME)
    early_stopping = state["callbacks"][0]
    assert early_stopping[0] == "EarlyStopping"
    assert early_stopping[1]["best"] == state["history"]["history"]["val_loss"][0]


def test_model_checkpoint_state_and_files_resume(tmp_path):
    def checkpoint():
        return [
            ModelCheckpoint(
                str(tmp_path / "ckpt" / "e{epoch}.weights.safetensors"),
                save_weights_only=True,
                save_best_only=True,
                monitor="val_loss",
                max_to_keep=2,
            )
        ]

    expected = train(callbacks=checkpoint)
    expected_files = sorted(os.listdir(tmp_path / "ckpt"))
    for name in expected_files:
        os.remove(tmp_path / "ckpt" / name)
    resumed = crash_then_resume(tmp_path / "backup", [5, 14, 21], callbacks=checkpoint)
    assert_same_run(resumed, expected)
    assert sorted(os.listdir(tmp_path / "ckpt")) == expected_files
    assert resumed[2][0].best == expected[2][0].best


# ----- the backup file --------------------------------------------------------------------


def read_state(path):
    with open(path, "rb") as f:
        arrays, metadata = safetensors_io.read(f, os.fstat(f.fileno()).st_size)
    return json.loads(metadata[STATE_KEY])


def test_backup_is_one_safetensors_file_with_a_json_state(tmp_path):
    with pytest.raises(Crash):
        train(tmp_path, crash_at=10, save_freq=4)
    assert os.listdir(tmp_path) == [BACKUP_NAME]
    with open(tmp_path / BACKUP_NAME, "rb") as f:
        arrays, metadata = safetensors_io.read(f, os.fstat(f.fileno()).st_size)
    state = json.loads(metadata[STATE_KEY])
    assert (state["epoch"], state["step"]) == (1, 2)  # after batch 8 = batch 2 of epoch 1
    assert state["epoch_rng"]["bit_generator"] == "PCG64"
    assert len(state["random"]["seed_generators"]) == 2  # the two Dropout layers
    assert [name for name, _ in state["metrics"]] == ["loss", "accuracy", "auc"]
    assert state["history"]["epoch"] == [0]
    assert any(k.startswith("layers/") for k in arrays)
    assert any(k.startswith("optimizer/vars/") for k in arrays)
    assert any(k.startswith("state/") for k in arrays)


def test_finished_training_deletes_the_backup(tmp_path):
    backup = tmp_path / "backup"
    with pytest.raises(Crash):
        train(backup, crash_at=5)
    assert backup.is_dir()
    train(backup)
    assert not backup.exists()


def test_kept_backup_of_a_finished_run_trains_no_further(tmp_path):
    first = train(tmp_path, delete_checkpoint=False)
    assert os.listdir(tmp_path) == [BACKUP_NAME]
    again = train(tmp_path, delete_checkpoint=False)
    assert_same_run(again, first)


def test_a_failed_backup_write_keeps_the_previous_backup(tmp_path, monkeypatch):
    expected = train(save_freq=4)
    writes = []
    real_write = safetensors_io.write

    def fail_third(f, arrays, metadata=None):
        writes.append(1)
        if len(writes) == 3:
            f.write(b"half a file")
            raise OSError("disk full")
        real_write(f, arrays, metadata)

    monkeypatch.setattr(safetensors_io, "write", fail_third)
    with pytest.raises(OSError, match="disk full"):
        train(tmp_path, save_freq=4)
    monkeypatch.setattr(safetensors_io, "write", real_write)
    assert os.listdir(tmp_path) == [BACKUP_NAME]
    assert read_state(tmp_path / BACKUP_NAME)["epoch"] == 1  # the second backup, after 8 batches
    assert_same_run(train(tmp_path, save_freq=4), expected)


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    expected = train()
    with pytest.raises(Crash):
        train(tmp_path, crash_at=13, double_checkpoint=True)
    assert sorted(os.listdir(tmp_path)) == [PREVIOUS_NAME, BACKUP_NAME]
    (tmp_path / BACKUP_NAME).write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="Resuming from the backup before it"):
        resumed = train(tmp_path, double_checkpoint=True)
    assert_same_run(resumed, expected)


def test_unreadable_backup_raises(tmp_path):
    (tmp_path / BACKUP_NAME).write_bytes(b"garbage")
    with pytest.raises(ModelFileError, match="not a safetensors file"):
        train(tmp_path)


def test_a_backup_with_a_bad_position_is_refused(tmp_path):
    state = {"version": 1, "epoch": "2", "step": 0}
    with open(tmp_path / BACKUP_NAME, "wb") as f:
        safetensors_io.write(f, {}, {STATE_KEY: json.dumps(state)})
    with pytest.raises(ModelFileError, match="epoch and step are not counts"):
        train(tmp_path)


def test_other_stateful_callbacks_are_refused(tmp_path):
    with pytest.raises(Crash):
        train(tmp_path, crash_at=9, callbacks=monitors)
    with pytest.raises(ValueError, match="same callbacks"):
        train(tmp_path)


def test_fewer_batches_than_backed_up_are_refused(tmp_path):
    with pytest.raises(Crash):
        train(tmp_path, crash_at=11, save_freq=5)
    lamina.utils.set_random_seed(0)
    model = make_model()
    x, y = make_data(40)
    with (
        pytest.warns(UserWarning, match="this run has 3"),
        pytest.raises(ValueError, match="the data now yields fewer"),
    ):
        model.fit(x, y, batch_size=16, epochs=4, verbose=0, callbacks=[BackupAndRestore(tmp_path)])


@pytest.mark.parametrize("save_freq", [0, -2, "batch", True, 1.5, None])
def test_bad_save_freq(tmp_path, save_freq):
    with pytest.raises(ValueError, match="Received: save_freq="):
        BackupAndRestore(tmp_path, save_freq=save_freq)


def test_backup_dir_is_required():
    with pytest.raises(ValueError, match="Received: backup_dir="):
        BackupAndRestore("")


# ----- callback states --------------------------------------------------------------------


def test_callback_states_round_trip():
    stop = EarlyStopping(patience=3, restore_best_weights=True)
    stop.best, stop.wait, stop.best_epoch, stop.best_weights = 0.25, 2, 4, [np.ones(3)]
    copy = EarlyStopping(patience=3, restore_best_weights=True)
    copy.set_state(stop.get_state())
    assert (copy.best, copy.wait, copy.best_epoch) == (0.25, 2, 4)
    np.testing.assert_array_equal(copy.best_weights[0], np.ones(3))

    reduce = ReduceLROnPlateau(patience=2, cooldown=3)
    reduce.best, reduce.wait, reduce.cooldown_counter = 1.5, 1, 2
    copy = ReduceLROnPlateau(patience=2, cooldown=3)
    copy.set_state(reduce.get_state())
    assert (copy.best, copy.wait, copy.cooldown_counter) == (1.5, 1, 2)

    assert Callback().get_state() == {}


class Snapshot(Callback):
    """Keep the weights after batch `after` (counted over all epochs)."""

    def __init__(self, after):
        super().__init__()
        self.after = after

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch * self.params["steps"] + batch + 1 == self.after:
            self.weights = [w.numpy().copy() for w in self.model.weights]


def test_rerun_with_no_epochs_left_restores_a_mid_epoch_backup(tmp_path):
    snapshot = Snapshot(after=8)
    expected = train(callbacks=lambda: [snapshot])
    with pytest.raises(Crash):
        train(tmp_path, crash_at=11)
    state = read_state(tmp_path / BACKUP_NAME)
    assert (state["epoch"], state["step"]) == (1, 2)
    # The backup is in epoch 1 (from 0): with epochs=1 no epoch is left to train.
    model, history, _ = train(tmp_path, epochs=1, delete_checkpoint=False)
    for restored, saved in zip(model.weights, snapshot.weights, strict=True):
        np.testing.assert_array_equal(restored.numpy(), saved)
    assert history.epoch == [0]  # the epochs done before the backup
    assert os.listdir(tmp_path) == [BACKUP_NAME]  # kept, and it still resumes the run
    assert_same_run(train(tmp_path), expected)


def test_rerun_with_no_epochs_left_restores_then_deletes(tmp_path):
    snapshot = Snapshot(after=8)
    train(callbacks=lambda: [snapshot])
    with pytest.raises(Crash):
        train(tmp_path, crash_at=11)
    model, _, _ = train(tmp_path, epochs=1)  # training is complete: restored, then deleted
    for restored, saved in zip(model.weights, snapshot.weights, strict=True):
        np.testing.assert_array_equal(restored.numpy(), saved)
    assert not os.path.exists(tmp_path / BACKUP_NAME)


class Diverge(Callback):
    """Make the first kernel NaN as epoch `epoch` begins."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            kernel = self.model.weights[0]
            kernel.assign(np.full(kernel.shape, np.nan, "float32"))


@pytest.mark.parametrize("save_freq", ["epoch", 4])
def test_non_finite_weights_are_never_backed_up_and_the_good_backup_is_kept(tmp_path, save_freq):
    with (
        pytest.warns(RuntimeWarning, match="loss became nan"),
        pytest.warns(UserWarning, match="not backing up .*NaN or infinite.*previous backup"),
        pytest.warns(UserWarning, match="diverged, so the last backup with finite weights is kept"),
    ):
        train(tmp_path, save_freq=save_freq, callbacks=lambda: [Diverge(epoch=2)])
    with open(tmp_path / BACKUP_NAME, "rb") as f:
        arrays, metadata = safetensors_io.read(f, os.fstat(f.fileno()).st_size)
    state = json.loads(metadata[STATE_KEY])
    assert (state["epoch"], state["step"]) == ((2, 0) if save_freq == "epoch" else (1, 6))
    assert all(np.isfinite(a).all() for a in arrays.values() if a.dtype.kind == "f")


def test_resuming_mid_epoch_with_another_batch_size_warns(tmp_path):
    with pytest.raises(Crash):
        train(tmp_path, crash_at=11, save_freq=4)  # backup after batch 2 of epoch 1, of 16
    assert read_state(tmp_path / BACKUP_NAME)["steps_per_epoch"] == STEPS
    lamina.utils.set_random_seed(0)
    model = make_model()
    x, y = make_data()
    callbacks = [BackupAndRestore(tmp_path, save_freq=4)]
    with pytest.warns(
        UserWarning,
        match=r"after 2 batches of epoch 2 of a run with 6 batches.*"
        r"this run has 12.*batches of the old size.*skips the first 2",
    ):
        model.fit(
            x, y, batch_size=8, validation_split=0.2, epochs=2, verbose=0, callbacks=callbacks
        )


def test_resuming_between_epochs_with_another_batch_size_is_quiet(tmp_path):
    with pytest.raises(Crash):
        train(tmp_path, crash_at=8, save_freq="epoch")
    lamina.utils.set_random_seed(0)
    model = make_model()
    x, y = make_data()
    callbacks = [BackupAndRestore(tmp_path)]
    model.fit(x, y, batch_size=8, validation_split=0.2, epochs=2, verbose=0, callbacks=callbacks)
    assert model.history.epoch == [0, 1]
