"""LambdaCallback: each given function runs at its hook, with the hook's arguments."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import LambdaCallback


def make_model():
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(1)])
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=0.01), loss="mse")
    return model


def make_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def recorder(events, name, indexed):
    if indexed:
        return lambda index, logs: events.append((name, index, sorted(logs or {})))
    return lambda logs: events.append((name, sorted(logs or {})))


def test_fit_hooks_fire_in_order():
    events = []
    callback = LambdaCallback(
        on_train_begin=recorder(events, "train_begin", False),
        on_epoch_begin=recorder(events, "epoch_begin", True),
        on_train_batch_begin=recorder(events, "batch_begin", True),
        on_train_batch_end=recorder(events, "batch_end", True),
        on_epoch_end=recorder(events, "epoch_end", True),
        on_train_end=recorder(events, "train_end", False),
    )
    x, y = make_data()
    make_model().fit(
        x, y, batch_size=16, epochs=2, verbose=0, callbacks=[callback], validation_split=0.5
    )
    names = [e[0] for e in events]
    one_epoch = ["epoch_begin", "batch_begin", "batch_end"]
    assert names == ["train_begin", *one_epoch, "epoch_end", *one_epoch, "epoch_end", "train_end"]
    assert events[1] == ("epoch_begin", 0, [])
    assert events[3] == ("batch_end", 0, ["loss"])
    assert events[4] == ("epoch_end", 0, ["loss", "val_loss"])
    assert events[-1] == ("train_end", ["loss", "val_loss"])


def test_other_hooks_by_keyword():
    events = []
    hooks = {
        "on_test_begin": False,
        "on_test_batch_end": True,
        "on_test_end": False,
        "on_predict_begin": False,
        "on_predict_batch_begin": True,
        "on_predict_end": False,
        "on_batch_end": True,
    }
    callback = LambdaCallback(**{h: recorder(events, h, ix) for h, ix in hooks.items()})
    x, y = make_data()
    model = make_model()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[callback])
    model.evaluate(x, y, batch_size=32, verbose=0, callbacks=[callback])
    model.predict(x, batch_size=32, verbose=0, callbacks=[callback])
    assert [e[0] for e in events] == [
        "on_batch_end",
        "on_batch_end",
        "on_test_begin",
        "on_test_batch_end",
        "on_test_end",
        "on_predict_begin",
        "on_predict_batch_begin",
        "on_predict_end",
    ]


def test_hooks_not_given_do_nothing():
    callback = LambdaCallback()
    callback.on_epoch_end(0, {"loss": 1.0})
    callback.on_train_begin()


def test_can_stop_training():
    x, y = make_data()
    model = make_model()

    def stop(epoch, logs):
        model.stop_training = epoch == 1

    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[LambdaCallback(on_epoch_end=stop)])
    assert history.epoch == [0, 1]


def test_unknown_hook_is_refused():
    with pytest.raises(TypeError, match=r"\['on_epoch_finish'\] are not callback hooks"):
        LambdaCallback(on_epoch_finish=print)


def test_hook_must_be_callable():
    with pytest.raises(TypeError, match="on_epoch_end must be a function. Received: 3"):
        LambdaCallback(on_epoch_end=3)
