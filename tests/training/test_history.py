"""History keys as Keras 3 writes them, readable with Keras 2's spellings too."""

import pytest

import lamina


def test_keras3_keys_and_keras2_aliases(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0).history
    assert list(history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert history["acc"] is history["accuracy"]
    assert history["val_acc"] is history["val_accuracy"]
    assert "acc" in history and "val_acc" in history
    assert history.get("acc") == history["accuracy"] and len(history["acc"]) == 2


def test_acc_spelling_in_compile_gives_acc_keys(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
    history = model.fit(x, y, epochs=1, validation_data=(x, y), verbose=0).history
    assert list(history) == ["loss", "acc", "val_loss", "val_acc"]
    assert history["accuracy"] is history["acc"]


def test_mae_and_mean_absolute_error(data, make_regressor):
    x, _ = data
    model = make_regressor()
    model.compile("sgd", "mse", metrics=["mae"])
    history = model.fit(x, x[:, :1], epochs=2, validation_split=0.2, verbose=0).history
    assert list(history) == ["loss", "mae", "val_loss", "val_mae"]
    assert history["mean_absolute_error"] is history["mae"]
    assert history["val_mean_absolute_error"] is history["val_mae"]
    with pytest.raises(KeyError):
        history["val_mse"]


def test_full_metric_name_gives_full_key(data, make_regressor):
    x, _ = data
    model = make_regressor()
    model.compile("sgd", "mean_squared_error", metrics=["mean_absolute_error"])
    history = model.fit(x, x[:, :1], epochs=1, verbose=0).history
    assert list(history) == ["loss", "mean_absolute_error"]
    assert history["mae"] is history["mean_absolute_error"]


def test_history_values_are_floats_per_epoch(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, verbose=0)
    assert isinstance(history, lamina.callbacks.History)
    assert all(isinstance(v, float) for values in history.history.values() for v in values)
    assert history.epoch == [0, 1, 2]
