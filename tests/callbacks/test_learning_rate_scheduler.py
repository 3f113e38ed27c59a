"""LearningRateScheduler: sets model.optimizer.learning_rate before each epoch."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import LearningRateScheduler


def make_model(learning_rate=0.1):
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [lamina.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(1)]
    )
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


def fit(model, callbacks, epochs=3):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    return model.fit(
        x, x.sum(axis=1, keepdims=True), batch_size=8, epochs=epochs, verbose=0, callbacks=callbacks
    )


def test_schedule_of_epoch_and_rate():
    model = make_model()
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return lr * 0.5 if epoch > 0 else lr

    history = fit(model, [LearningRateScheduler(schedule)])
    assert seen == [(0, pytest.approx(0.1)), (1, pytest.approx(0.1)), (2, pytest.approx(0.05))]
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])
    assert model.optimizer.learning_rate == pytest.approx(0.025)


def test_keras2_schedule_of_the_epoch_alone():
    model = make_model()
    history = fit(model, [LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))])
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.02, 0.03])


def test_the_rate_set_is_the_rate_used():
    model = make_model()
    before = model.get_weights()
    fit(model, [LearningRateScheduler(lambda epoch, lr: 0.0)])
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_schedule_must_return_a_number():
    with pytest.raises(ValueError, match="must return a number. Received: 'fast'"):
        fit(make_model(), [LearningRateScheduler(lambda epoch, lr: "fast")])


def test_errors_inside_the_schedule_are_not_swallowed():
    def schedule(epoch, lr):
        raise TypeError("bug in my schedule")

    with pytest.raises(TypeError, match="bug in my schedule"):
        fit(make_model(), [LearningRateScheduler(schedule)])


def test_schedule_must_be_callable():
    with pytest.raises(TypeError, match="Received: schedule=0.1"):
        LearningRateScheduler(0.1)


def test_verbose_message(capsys):
    fit(make_model(), [LearningRateScheduler(lambda epoch, lr: 0.5, verbose=1)], epochs=1)
    assert "Epoch 1: LearningRateScheduler setting learning rate to 0.5." in capsys.readouterr().out
