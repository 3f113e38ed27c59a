"""ReduceLROnPlateau: lowers model.optimizer.learning_rate on a plateau, with cooldown and floor."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import Callback, ReduceLROnPlateau


def make_model(learning_rate=0.1):
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [lamina.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1)]
    )
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


class Script(Callback):
    def __init__(self, key, values):
        super().__init__()
        self.key, self.values = key, values

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class RecordRate(Callback):
    """The learning rate the optimizer used during each epoch."""

    def __init__(self):
        super().__init__()
        self.rates = []

    def on_epoch_begin(self, epoch, logs=None):
        self.rates.append(self.model.optimizer.learning_rate)


def fit(model, callbacks, epochs=6):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    return model.fit(
        x, y, batch_size=16, epochs=epochs, validation_split=0.25, verbose=0, callbacks=callbacks
    )


def test_lowers_the_learning_rate_on_a_plateau():
    # A flat val_loss: epoch 0 is the best, then the rate halves every 2 epochs.
    model = make_model()
    record = RecordRate()
    reduce = ReduceLROnPlateau(factor=0.5, patience=2)
    history = fit(model, [Script("val_loss", [1.0] * 6), record, reduce])
    assert model.optimizer.learning_rate == pytest.approx(0.025)
    assert record.rates == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.025])
    # The rate in use during each epoch is logged, so History records it.
    assert history.history["learning_rate"] == pytest.approx(record.rates)


def test_real_plateau_from_a_frozen_model():
    model = make_model()
    for layer in model.layers:
        layer.trainable = False  # nothing trains, so val_loss is exactly flat
    # As in Keras, freezing takes effect at the next compile.
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=0.1), loss="mse")
    reduce = ReduceLROnPlateau(factor=0.1, patience=1)
    history = fit(model, [reduce], epochs=3)
    assert len(set(history.history["val_loss"])) == 1
    assert model.optimizer.learning_rate == pytest.approx(0.1 * 0.1 * 0.1)


def test_improvement_keeps_the_rate():
    model = make_model()
    fit(model, [Script("val_loss", [5, 4, 3, 2, 1, 0.5]), ReduceLROnPlateau(patience=1)])
    assert model.optimizer.learning_rate == pytest.approx(0.1)


def test_min_delta_small_improvements_do_not_count():
    model = make_model()
    script = Script("val_loss", [1.0, 0.99995, 0.99993, 0.99991])
    fit(model, [script, ReduceLROnPlateau(patience=3, factor=0.5)], epochs=4)
    assert model.optimizer.learning_rate == pytest.approx(0.05)


def test_never_below_min_lr():
    model = make_model()
    record = RecordRate()
    reduce = ReduceLROnPlateau(factor=0.1, patience=0, min_lr=0.05)
    fit(model, [Script("val_loss", [1.0] * 4), record, reduce], epochs=4)
    assert record.rates == pytest.approx([0.1, 0.1, 0.05, 0.05])


def test_cooldown_pauses_counting():
    model = make_model()
    record = RecordRate()
    reduce = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2)
    fit(model, [Script("val_loss", [1.0] * 7), record, reduce], epochs=7)
    assert record.rates == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125])


def test_max_mode_for_accuracy():
    model = make_model()
    reduce = ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)
    assert reduce.monitor_op is np.greater
    fit(model, [Script("val_accuracy", [0.5, 0.6, 0.7, 0.8]), reduce], epochs=4)
    assert model.optimizer.learning_rate == pytest.approx(0.1)


def test_missing_monitor_warns_and_keeps_the_rate():
    model = make_model()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    with pytest.warns(UserWarning, match=r"`val_loss` which is not available.*: loss"):
        model.fit(x, x[:, :1], epochs=2, verbose=0, callbacks=[ReduceLROnPlateau(patience=0)])
    assert model.optimizer.learning_rate == pytest.approx(0.1)


def test_verbose_message(capsys):
    model = make_model()
    fit(model, [Script("val_loss", [1.0, 1.0]), ReduceLROnPlateau(patience=1, verbose=1)], epochs=2)
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.01" in capsys.readouterr().out


def test_keras2_epsilon_means_min_delta():
    assert ReduceLROnPlateau(epsilon=0.5).min_delta == 0.5


@pytest.mark.parametrize(
    ("kwargs", "received"),
    [
        ({"factor": 1.0}, "factor=1.0"),
        ({"factor": 1.5}, "factor=1.5"),
        ({"factor": -0.1}, "factor=-0.1"),
        ({"patience": -1}, "patience=-1"),
        ({"cooldown": -1}, "cooldown=-1"),
        ({"min_lr": -1e-3}, "min_lr=-0.001"),
        ({"mode": "up"}, "mode='up'"),
    ],
)
def test_bad_arguments_are_refused(kwargs, received):
    with pytest.raises(ValueError, match="Received: " + received.replace(".", r"\.")):
        ReduceLROnPlateau(**kwargs)


def test_unknown_argument_is_refused():
    with pytest.raises(TypeError, match="unknown argument"):
        ReduceLROnPlateau(patiense=3)
