"""CSVLogger: a header and one flushed row per epoch; append mode reuses the header."""

import csv

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import CSVLogger, LambdaCallback


def make_model():
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(1)])
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=0.01), loss="mse", metrics=["mae"])
    return model


def fit(model, callbacks, epochs=3, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    kwargs.setdefault("validation_split", 0.2)
    return model.fit(
        x,
        x.sum(axis=1, keepdims=True),
        batch_size=8,
        epochs=epochs,
        verbose=0,
        callbacks=callbacks,
        **kwargs,
    )


def read(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_header_and_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    history = fit(make_model(), [CSVLogger(path)])
    rows = read(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    for key in ("loss", "val_mae"):
        column = [float(r[rows[0].index(key)]) for r in rows[1:]]
        assert column == pytest.approx(history.history[key])


def test_rows_are_on_disk_as_soon_as_written(tmp_path):
    path = tmp_path / "log.csv"
    counts = []
    peek = LambdaCallback(on_epoch_end=lambda epoch, logs: counts.append(len(read(path))))
    fit(make_model(), [CSVLogger(path), peek])
    assert counts == [2, 3, 4]


def test_overwrites_without_append(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("old content\n")
    fit(make_model(), [CSVLogger(path)], epochs=2)
    assert len(read(path)) == 3 and read(path)[0][0] == "epoch"


def test_append_keeps_one_header(tmp_path):
    path = tmp_path / "log.csv"
    model = make_model()
    fit(model, [CSVLogger(path, append=True)], epochs=2)
    fit(model, [CSVLogger(path, append=True)], epochs=4, initial_epoch=2)
    rows = read(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2", "3"]
    assert all(len(r) == 5 for r in rows)


def test_append_follows_the_existing_columns(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("epoch,val_loss,loss\n")
    fit(make_model(), [CSVLogger(path, append=True)], epochs=1)
    rows = read(path)
    assert rows[0] == ["epoch", "val_loss", "loss"] and len(rows) == 2
    assert float(rows[1][1]) > 0 and float(rows[1][2]) > 0


def test_append_closes_off_a_torn_row(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("epoch,loss,mae,val_loss,val_mae\n0,1.5,1.0,2.0,1.1\n1,1.4,0.")
    fit(make_model(), [CSVLogger(path, append=True)], epochs=1)
    rows = read(path)
    assert rows[2] == ["1", "1.4", "0."]
    assert rows[3][0] == "0" and len(rows[3]) == 5


def test_separator(tmp_path):
    path = tmp_path / "log.tsv"
    fit(make_model(), [CSVLogger(path, separator="\t")], epochs=1)
    assert read(path, "\t")[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]


def test_epochs_without_validation_get_na(tmp_path):
    path = tmp_path / "log.csv"
    fit(make_model(), [CSVLogger(path)], epochs=2, validation_freq=2)
    rows = read(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert rows[1][3:] == ["NA", "NA"]
    assert float(rows[2][3]) > 0


def test_file_is_closed_after_training(tmp_path):
    logger = CSVLogger(tmp_path / "log.csv")
    fit(make_model(), [logger], epochs=1)
    assert logger.csv_file is None


@pytest.mark.parametrize("separator", ["", ";;", 1])
def test_bad_separator(tmp_path, separator):
    with pytest.raises(ValueError, match="Received: separator="):
        CSVLogger(tmp_path / "log.csv", separator=separator)
