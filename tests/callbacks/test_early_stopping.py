"""EarlyStopping: stops at the right epoch, restores the best weights, checks its arguments."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import Callback, EarlyStopping
from lamina.callbacks.monitor_callback import infer_mode


def make_model(learning_rate=0.01):
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [lamina.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1)]
    )
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


def make_data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


class Script(Callback):
    """Overwrites `logs[key]` with scripted values, so the callbacks after it see them."""

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


def fit(model, callbacks, epochs=10, **kwargs):
    x, y = make_data()
    return model.fit(
        x,
        y,
        batch_size=16,
        epochs=epochs,
        validation_split=0.25,
        verbose=0,
        callbacks=callbacks,
        **kwargs,
    )


def test_stops_after_patience_epochs_without_improvement():
    # A learning rate of 0 keeps val_loss exactly constant: epoch 0 is the best, epochs 1 and 2
    # use up the patience of 2, and training stops after epoch 2.
    stop = EarlyStopping(patience=2)
    history = fit(make_model(learning_rate=0.0), [stop])
    assert history.epoch == [0, 1, 2]
    assert stop.stopped_epoch == 2 and stop.best_epoch == 0


def test_keeps_training_while_improving():
    stop = EarlyStopping(patience=0)
    history = fit(make_model(), [stop], epochs=4)
    assert history.epoch == [0, 1, 2, 3]
    assert np.all(np.diff(history.history["val_loss"]) < 0)
    assert stop.stopped_epoch == 0


def test_patience_zero_stops_at_the_first_epoch_without_improvement():
    history = fit(make_model(), [Script("val_loss", [3, 2, 2.5, 1, 1]), EarlyStopping()])
    assert history.epoch == [0, 1, 2]


def test_restore_best_weights_after_stopping():
    record = RecordWeights()
    script = Script("val_loss", [3.0, 1.0, 2.0, 2.0, 2.0, 2.0])
    stop = EarlyStopping(patience=2, restore_best_weights=True)
    model = make_model()
    history = fit(model, [script, record, stop])
    assert history.epoch == [0, 1, 2, 3] and stop.best_epoch == 1
    for got, best, last in zip(
        model.get_weights(), record.weights[1], record.weights[3], strict=True
    ):
        np.testing.assert_array_equal(got, best)
        assert not np.array_equal(got, last)


def test_restore_best_weights_when_epochs_run_out():
    record = RecordWeights()
    model = make_model()
    fit(
        model,
        [
            Script("val_loss", [2.0, 1.0, 1.5]),
            record,
            EarlyStopping(patience=5, restore_best_weights=True),
        ],
        epochs=3,
    )
    for got, best in zip(model.get_weights(), record.weights[1], strict=True):
        np.testing.assert_array_equal(got, best)


def test_without_restore_the_last_weights_stay():
    record = RecordWeights()
    model = make_model()
    fit(model, [Script("val_loss", [1.0, 2.0, 3.0]), record, EarlyStopping(patience=1)])
    for got, last in zip(model.get_weights(), record.weights[-1], strict=True):
        np.testing.assert_array_equal(got, last)


def test_min_delta_small_improvements_do_not_count():
    script = Script("val_loss", [1.0, 0.95, 0.92, 0.5])
    history = fit(make_model(), [script, EarlyStopping(min_delta=0.1, patience=1)])
    assert history.epoch == [0, 1]


def test_max_mode_inferred_for_accuracy():
    script = Script("val_accuracy", [0.5, 0.6, 0.7, 0.7, 0.7, 0.7])
    stop = EarlyStopping(monitor="val_accuracy", patience=1)
    assert stop.monitor_op is np.greater
    history = fit(make_model(), [script, stop])
    assert history.epoch == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("val_loss", "min"),
        ("loss", "min"),
        ("val_mae", "min"),
        ("accuracy", "max"),
        ("val_sparse_categorical_accuracy", "max"),
        ("val_auc", "max"),
        ("precision", "max"),
        ("val_recall", "max"),
        ("f1_score", "max"),
        ("mean_squared_error", "min"),
    ],
)
def test_auto_mode(name, mode):
    assert infer_mode(name) == mode


def test_explicit_mode_overrides_the_name():
    assert EarlyStopping(monitor="val_accuracy", mode="min").monitor_op is np.less
    assert EarlyStopping(monitor="val_loss", mode="max").monitor_op is np.greater


def test_baseline_not_reached_stops_even_while_improving():
    script = Script("val_loss", [0.9, 0.8, 0.7, 0.6, 0.55])
    history = fit(make_model(), [script, EarlyStopping(baseline=0.5, patience=2)])
    assert history.epoch == [0, 1]


def test_baseline_beaten_keeps_training():
    script = Script("val_loss", [0.4, 0.3, 0.2, 0.1])
    history = fit(make_model(), [script, EarlyStopping(baseline=0.5, patience=1)], epochs=4)
    assert history.epoch == [0, 1, 2, 3]


def test_start_from_epoch_ignores_the_warm_up():
    stop = EarlyStopping(patience=0, start_from_epoch=3)
    history = fit(make_model(learning_rate=0.0), [stop])
    assert history.epoch == [0, 1, 2, 3, 4]
    assert stop.best_epoch == 3


def test_missing_monitor_warns_with_the_logged_keys():
    x, y = make_data()
    model = make_model()
    with pytest.warns(UserWarning, match=r"`val_loss` which is not available.*: loss"):
        history = model.fit(x, y, epochs=2, verbose=0, callbacks=[EarlyStopping()])
    assert history.epoch == [0, 1]


def test_reused_instance_starts_afresh():
    stop = EarlyStopping(patience=1)
    model = make_model()
    fit(model, [Script("val_loss", [0.1, 0.2, 0.3]), stop])
    assert stop.stopped_epoch == 1
    history = fit(model, [Script("val_loss", [5.0, 4.0, 3.0]), stop], epochs=3)
    assert history.epoch == [0, 1, 2] and stop.stopped_epoch == 0


def test_verbose_messages(capsys):
    fit(
        make_model(),
        [
            Script("val_loss", [2.0, 1.0, 3.0]),
            EarlyStopping(patience=0, verbose=1, restore_best_weights=True),
        ],
    )
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out


@pytest.mark.parametrize(
    ("kwargs", "received"),
    [
        ({"patience": -1}, "patience=-1"),
        ({"patience": 1.5}, "patience=1.5"),
        ({"mode": "up"}, "mode='up'"),
        ({"start_from_epoch": -2}, "start_from_epoch=-2"),
        ({"baseline": "low"}, "baseline='low'"),
        ({"min_delta": float("nan")}, "min_delta=nan"),
        ({"verbose": -1}, "verbose=-1"),
        ({"monitor": ""}, "monitor=''"),
    ],
)
def test_bad_arguments_are_refused(kwargs, received):
    with pytest.raises(ValueError, match="Received: " + received.replace(".", r"\.")):
        EarlyStopping(**kwargs)
