"""TerminateOnNaN: stops training at the first batch whose loss is NaN or infinite."""

import types

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import Callback, LambdaCallback, ModelCheckpoint, TerminateOnNaN


def make_model():
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(1)])
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=0.01), loss="mse")
    return model


def data_with_nan_in_batch(index, batch_size=8, n=40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    x[index * batch_size, 0] = np.nan
    return x, x[:, 1:2].copy()


def test_stops_at_the_first_nan_batch():
    x, y = data_with_nan_in_batch(2)
    batches = []
    count = LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))
    with pytest.warns(RuntimeWarning, match="loss became nan"):
        history = make_model().fit(
            x,
            y,
            batch_size=8,
            epochs=4,
            shuffle=False,
            verbose=0,
            callbacks=[TerminateOnNaN(), count],
        )
    assert batches == [0, 1, 2]
    assert history.epoch == [0]
    assert np.isnan(history.history["loss"][0])


def test_without_it_training_goes_on():
    x, y = data_with_nan_in_batch(2)
    with pytest.warns(RuntimeWarning, match="loss became nan"):
        history = make_model().fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert history.epoch == [0, 1]


def test_raise_error():
    x, y = data_with_nan_in_batch(1)
    with pytest.warns(RuntimeWarning), pytest.raises(RuntimeError, match="at batch 1"):
        make_model().fit(
            x,
            y,
            batch_size=8,
            epochs=2,
            shuffle=False,
            verbose=0,
            callbacks=[TerminateOnNaN(raise_error=True)],
        )


@pytest.mark.parametrize("loss", [float("inf"), float("-inf"), float("nan"), np.float32("nan")])
def test_infinite_or_nan_loss(loss, capsys):
    callback = TerminateOnNaN()
    callback.set_model(types.SimpleNamespace(stop_training=False))
    callback.on_train_batch_end(7, {"loss": loss})
    assert callback.model.stop_training
    assert "Batch 7: Invalid loss, terminating training" in capsys.readouterr().out


def test_finite_or_missing_loss_is_left_alone():
    callback = TerminateOnNaN()
    callback.set_model(types.SimpleNamespace(stop_training=False))
    callback.on_train_batch_end(0, {"loss": 1e30})
    callback.on_train_batch_end(1, {})
    callback.on_train_batch_end(2, None)
    assert not callback.model.stop_training


class PoisonAt(Callback):
    """Make the weights NaN as batch `batch` of epoch `epoch` begins: training diverges."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at = (epoch, batch)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            kernel = self.model.weights[0]
            kernel.assign(np.full(kernel.shape, np.nan, "float32"))


@pytest.mark.parametrize("save_weights_only", [True, False])
def test_the_last_good_checkpoint_is_not_overwritten(tmp_path, save_weights_only):
    path = str(tmp_path / ("ckpt.weights.safetensors" if save_weights_only else "ckpt.keras"))
    x, y = data_with_nan_in_batch(0)
    x[0, 0] = 0.0  # all finite: the NaN comes from the weights at epoch 2
    model = make_model()
    checkpoint = ModelCheckpoint(path, save_weights_only=save_weights_only)
    with (
        pytest.warns(RuntimeWarning, match="loss became nan"),
        pytest.warns(UserWarning, match="not saving.*epoch 2.*NaN or infinite.*previous"),
    ):
        history = model.fit(
            x,
            y,
            batch_size=8,
            epochs=4,
            verbose=0,
            callbacks=[PoisonAt(epoch=1, batch=2), TerminateOnNaN(), checkpoint],
        )
    assert history.epoch == [0, 1]
    good = make_model()
    if save_weights_only:
        good.load_weights(path)
    else:
        good = lamina.models.load_model(path)
    assert all(np.isfinite(w.numpy()).all() for w in good.weights)
