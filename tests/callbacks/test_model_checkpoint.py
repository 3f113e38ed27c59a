"""ModelCheckpoint: formatted names, save_best_only, batch frequency, atomic saves."""

import os

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import Callback, ModelCheckpoint
from lamina.io import atomic
from lamina.saving import weights_file


def make_model():
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [lamina.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1)]
    )
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=0.01), loss="mse", metrics=["mae"])
    return model


def make_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 4)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


class Script(Callback):
    def __init__(self, key, values):
        super().__init__()
        self.key, self.values = key, values

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class RecordWeights(Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def fit(model, callbacks, epochs=3, **kwargs):
    x, y = make_data()
    return model.fit(
        x,
        y,
        batch_size=16,
        epochs=epochs,
        validation_split=0.2,
        verbose=0,
        callbacks=callbacks,
        **kwargs,
    )


def test_every_epoch_with_formatted_names(tmp_path):
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.weights.safetensors")
    history = fit(make_model(), [ModelCheckpoint(pattern, save_weights_only=True)])
    expected = {
        f"ckpt-{e + 1:02d}-{v:.2f}.weights.safetensors"
        for e, v in enumerate(history.history["val_loss"])
    }
    assert set(os.listdir(tmp_path)) == expected


def test_load_weights_restores_equal_predictions(tmp_path):
    path = tmp_path / "last.weights.safetensors"
    model = make_model()
    fit(model, [ModelCheckpoint(path, save_weights_only=True)])
    x, _ = make_data()
    expected = model.predict(x, verbose=0)
    fresh = make_model()
    assert not np.allclose(fresh.predict(x, verbose=0), expected)
    fresh.load_weights(path)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), expected)


def test_save_best_only_saves_when_improving(tmp_path):
    pattern = str(tmp_path / "best-{epoch}.weights.safetensors")
    script = Script("val_loss", [3.0, 1.0, 2.0, 0.5, 0.7])
    checkpoint = ModelCheckpoint(pattern, save_best_only=True, save_weights_only=True)
    fit(make_model(), [script, checkpoint], epochs=5)
    assert sorted(os.listdir(tmp_path)) == [
        "best-1.weights.safetensors",
        "best-2.weights.safetensors",
        "best-4.weights.safetensors",
    ]
    assert checkpoint.best == 0.5


def test_save_best_only_keeps_the_best_weights(tmp_path):
    path = tmp_path / "best.weights.safetensors"
    record = RecordWeights()
    script = Script("val_loss", [3.0, 1.0, 2.0, 1.5])
    model = make_model()
    fit(
        model,
        [script, record, ModelCheckpoint(path, save_best_only=True, save_weights_only=True)],
        epochs=4,
    )
    x, _ = make_data()
    model.load_weights(path)
    reference = make_model()
    reference.set_weights(record.weights[1])
    np.testing.assert_array_equal(model.predict(x, verbose=0), reference.predict(x, verbose=0))


def test_max_mode_for_accuracy(tmp_path):
    pattern = str(tmp_path / "acc-{epoch}.weights.safetensors")
    script = Script("val_accuracy", [0.5, 0.4, 0.9])
    checkpoint = ModelCheckpoint(
        pattern, monitor="val_accuracy", save_best_only=True, save_weights_only=True
    )
    fit(make_model(), [script, checkpoint])
    assert sorted(os.listdir(tmp_path)) == [
        "acc-1.weights.safetensors",
        "acc-3.weights.safetensors",
    ]


def test_initial_value_threshold(tmp_path):
    pattern = str(tmp_path / "t-{epoch}.weights.safetensors")
    checkpoint = ModelCheckpoint(
        pattern, save_best_only=True, save_weights_only=True, initial_value_threshold=1.5
    )
    fit(make_model(), [Script("val_loss", [3.0, 2.0, 1.0]), checkpoint])
    assert os.listdir(tmp_path) == ["t-3.weights.safetensors"]


def test_save_freq_in_batches(tmp_path):
    # 64 training samples in batches of 16: 4 batches an epoch, 8 in all; saves after 3 and 6.
    pattern = str(tmp_path / "b-{epoch}-{batch}.weights.safetensors")
    fit(make_model(), [ModelCheckpoint(pattern, save_weights_only=True, save_freq=3)], epochs=2)
    assert sorted(os.listdir(tmp_path)) == [
        "b-1-3.weights.safetensors",
        "b-2-2.weights.safetensors",
    ]


def test_max_to_keep_keeps_the_newest_files(tmp_path):
    pattern = str(tmp_path / "e{epoch}.weights.safetensors")
    model = make_model()
    record = RecordWeights()
    checkpoint = ModelCheckpoint(pattern, save_weights_only=True, max_to_keep=2)
    fit(model, [record, checkpoint], epochs=4)
    assert sorted(os.listdir(tmp_path)) == ["e3.weights.safetensors", "e4.weights.safetensors"]
    model.load_weights(tmp_path / "e3.weights.safetensors")
    for saved, expected in zip(model.get_weights(), record.weights[2], strict=True):
        np.testing.assert_array_equal(saved, expected)


def test_max_to_keep_with_save_best_only(tmp_path):
    pattern = str(tmp_path / "best-{epoch}.weights.safetensors")
    script = Script("val_loss", [3.0, 1.0, 2.0, 0.5, 0.7])
    checkpoint = ModelCheckpoint(
        pattern, save_best_only=True, save_weights_only=True, max_to_keep=1
    )
    fit(make_model(), [script, checkpoint], epochs=5)
    assert os.listdir(tmp_path) == ["best-4.weights.safetensors"]


def test_max_to_keep_counts_a_rewritten_name_once(tmp_path):
    path = tmp_path / "last.weights.safetensors"
    checkpoint = ModelCheckpoint(path, save_weights_only=True, max_to_keep=1)
    fit(make_model(), [checkpoint], epochs=3)
    assert os.listdir(tmp_path) == ["last.weights.safetensors"]


def test_model_format_saves_the_whole_model(tmp_path):
    path = tmp_path / "sub" / "model.keras"
    model = make_model()
    fit(model, [ModelCheckpoint(path)], epochs=1)
    fresh = make_model()
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    loaded = lamina.models.load_model(path)
    assert loaded.optimizer.iterations_int == model.optimizer.iterations_int
    x, _ = make_data()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_missing_monitor_warns_and_saves(tmp_path):
    path = tmp_path / "best.weights.safetensors"
    x, y = make_data()
    checkpoint = ModelCheckpoint(path, save_best_only=True, save_weights_only=True)
    with pytest.warns(UserWarning, match="only with val_loss available.*: loss, mae"):
        make_model().fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])
    assert path.exists()


def test_unknown_name_in_the_pattern(tmp_path):
    checkpoint = ModelCheckpoint(
        str(tmp_path / "{val_acc}.weights.safetensors"), save_weights_only=True
    )
    with pytest.raises(KeyError, match="'val_acc' is not logged"):
        fit(make_model(), [checkpoint], epochs=1)


def test_verbose_messages(tmp_path, capsys):
    path = str(tmp_path / "best.weights.safetensors")
    script = Script("val_loss", [2.0, 3.0])
    fit(
        make_model(),
        [script, ModelCheckpoint(path, save_best_only=True, save_weights_only=True, verbose=1)],
        epochs=2,
    )
    out = capsys.readouterr().out
    assert f"Epoch 1: val_loss improved from inf to 2.00000, saving model to {path}" in out
    assert "Epoch 2: val_loss did not improve from 2.00000" in out


def test_failed_save_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.weights.safetensors"
    model = make_model()
    fit(model, [ModelCheckpoint(path, save_weights_only=True)], epochs=1)
    before = path.read_bytes()

    def broken_writer(f, arrays, metadata):
        f.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(weights_file, "write_array_file", broken_writer)
    with pytest.raises(OSError, match="disk full"):
        fit(model, [ModelCheckpoint(path, save_weights_only=True)], epochs=1)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.weights.safetensors"]


def test_unwritable_folder_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.weights.safetensors"
    model = make_model()
    fit(model, [ModelCheckpoint(path, save_weights_only=True)], epochs=1)
    before = path.read_bytes()

    def refuse(folder, name):
        raise PermissionError(f"[Errno 13] Permission denied: {folder!r}")

    monkeypatch.setattr(atomic, "_create_temp", refuse)
    with pytest.raises(PermissionError):
        fit(model, [ModelCheckpoint(path, save_weights_only=True)], epochs=1)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.weights.safetensors"]


def test_read_only_folder_leaves_the_previous_file(tmp_path):
    path = tmp_path / "ckpt.weights.safetensors"
    model = make_model()
    fit(model, [ModelCheckpoint(path, save_weights_only=True)], epochs=1)
    before = path.read_bytes()
    tmp_path.chmod(0o500)
    try:
        skip_unless_read_only(tmp_path)
        with pytest.raises(PermissionError):
            fit(model, [ModelCheckpoint(path, save_weights_only=True)], epochs=1)
    finally:
        tmp_path.chmod(0o700)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.weights.safetensors"]


def test_folder_as_filepath_is_refused(tmp_path):
    (tmp_path / "x.weights.safetensors").mkdir()
    with pytest.raises(IsADirectoryError):
        fit(
            make_model(),
            [ModelCheckpoint(tmp_path / "x.weights.safetensors", save_weights_only=True)],
            epochs=1,
        )


@pytest.mark.parametrize(
    ("kwargs", "received"),
    [
        ({"filepath": "w.h5", "save_weights_only": True}, "filepath='w.h5'"),
        ({"filepath": "w.weights.safetensors"}, "filepath='w.weights.safetensors'"),
        ({"filepath": "m.h5"}, "filepath='m.h5'"),
        ({"filepath": "m.keras", "save_freq": 0}, "save_freq=0"),
        ({"filepath": "m.keras", "save_freq": "batch"}, "save_freq='batch'"),
        ({"filepath": "m.keras", "save_freq": True}, "save_freq=True"),
        ({"filepath": "m.keras", "mode": "up"}, "mode='up'"),
        ({"filepath": "m.keras", "initial_value_threshold": "x"}, "initial_value_threshold='x'"),
        ({"filepath": "m.keras", "max_to_keep": 0}, "max_to_keep=0"),
        ({"filepath": "m.keras", "max_to_keep": 1.5}, "max_to_keep=1.5"),
    ],
)
def test_bad_arguments_are_refused(kwargs, received):
    with pytest.raises(ValueError, match="Received: " + received.replace(".", r"\.")):
        ModelCheckpoint(**kwargs)


def skip_unless_read_only(folder):
    """Skip when permissions do not apply (root with CAP_DAC_OVERRIDE, some file systems)."""
    probe = folder / ".probe"
    try:
        probe.write_bytes(b"")
    except PermissionError:
        return
    probe.unlink()
    pytest.skip("this user can write into read-only folders")
