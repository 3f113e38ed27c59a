"""Callbacks: every hook in order, stop_training, Keras 2 hook names, History."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import Callback, CallbackList


class Recorder(Callback):
    """Record every hook call as (hook, argument)."""

    def __init__(self):
        super().__init__()
        self.calls = []


def _recording(hook):
    def method(self, *args, **kwargs):
        # record the hook and its epoch or batch index; logs come positionally or by name
        self.calls.append((hook, *[a for a in args if isinstance(a, int)]))

    return method


for _hook in [n for n in vars(Callback) if n.startswith("on_")]:
    if _hook not in ("on_batch_begin", "on_batch_end"):  # Keras 2 aliases of the train hooks
        setattr(Recorder, _hook, _recording(_hook))


@pytest.fixture
def model():
    lamina.utils.set_random_seed(0)
    m = lamina.Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


X = np.random.default_rng(0).standard_normal((10, 3)).astype("float32")
Y = (X[:, 0] > 0).astype("int64")


def test_fit_calls_every_hook_in_order(model):
    rec = Recorder()
    model.fit(
        X, Y, epochs=2, batch_size=5, validation_data=(X[:4], Y[:4]), verbose=0, callbacks=[rec]
    )
    epoch = [
        ("on_train_batch_begin", 0),
        ("on_train_batch_end", 0),
        ("on_train_batch_begin", 1),
        ("on_train_batch_end", 1),
        ("on_test_begin",),
        ("on_test_batch_begin", 0),
        ("on_test_batch_end", 0),
        ("on_test_end",),
    ]
    assert rec.calls == [
        ("on_train_begin",),
        ("on_epoch_begin", 0),
        *epoch,
        ("on_epoch_end", 0),
        ("on_epoch_begin", 1),
        *epoch,
        ("on_epoch_end", 1),
        ("on_train_end",),
    ]
    assert rec.model is model
    assert rec.params["epochs"] == 2 and rec.params["steps"] == 2


def test_evaluate_and_predict_hooks(model):
    rec = Recorder()
    model.evaluate(X, Y, batch_size=5, verbose=0, callbacks=[rec])
    model.predict(X, batch_size=5, verbose=0, callbacks=[rec])
    assert rec.calls == [
        ("on_test_begin",),
        ("on_test_batch_begin", 0),
        ("on_test_batch_end", 0),
        ("on_test_batch_begin", 1),
        ("on_test_batch_end", 1),
        ("on_test_end",),
        ("on_predict_begin",),
        ("on_predict_batch_begin", 0),
        ("on_predict_batch_end", 0),
        ("on_predict_batch_begin", 1),
        ("on_predict_batch_end", 1),
        ("on_predict_end",),
    ]


def test_logs_passed_to_the_hooks(model):
    seen = {}

    class Logs(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.setdefault("batch", []).append(sorted(logs))

        def on_epoch_end(self, epoch, logs=None):
            seen["epoch"] = dict(logs)

    history = model.fit(
        X, Y, epochs=1, batch_size=5, validation_split=0.2, verbose=0, callbacks=[Logs()]
    )
    assert seen["batch"] == [["accuracy", "loss"]] * 2
    assert sorted(seen["epoch"]) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert seen["epoch"]["loss"] == history.history["loss"][0]


def test_stop_training_at_epoch_end(model):
    class StopAfterTwo(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    history = model.fit(X, Y, epochs=10, verbose=0, callbacks=[StopAfterTwo()])
    assert history.epoch == [0, 1]


def test_stop_training_in_a_batch(model):
    batches = []

    class StopNow(Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append(batch)
            self.model.stop_training = True

    history = model.fit(X, Y, epochs=5, batch_size=2, verbose=0, callbacks=[StopNow()])
    assert batches == [0] and history.epoch == [0]


def test_keras2_batch_hooks(model):
    calls = []

    class Old(Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, "loss" in logs))

    model.fit(X, Y, epochs=1, batch_size=5, verbose=0, callbacks=[Old()])
    assert calls == [("begin", 0), ("end", 0, True), ("begin", 1), ("end", 1, True)]


def test_callbacks_must_be_callbacks(model):
    with pytest.raises(TypeError, match=r"lamina.callbacks.Callback instances. Received: str"):
        model.fit(X, Y, verbose=0, callbacks=["early_stopping"])


def test_callback_list_runs_each_callback_in_order():
    order = []

    class A(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            order.append(("a", epoch))

    class B(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            order.append(("b", epoch))

    cbs = CallbackList([A(), B()], model="m", params={"epochs": 1})
    cbs.on_epoch_begin(3)
    cbs.on_train_end()  # no callback defines it: nothing happens
    assert order == [("a", 3), ("b", 3)]
    assert [cb.model for cb in cbs] == ["m", "m"]


def test_history_callback_alone():
    history = lamina.callbacks.History()
    history.on_epoch_end(0, {"loss": 1.0, "acc": 0.5})
    history.on_epoch_end(1, {"loss": 0.5, "acc": 0.75})
    assert history.epoch == [0, 1]
    assert history.history["accuracy"] == [0.5, 0.75]


def test_every_hook_gets_a_logs_dict_never_none(model):
    got = []

    class Strict(Callback):
        pass

    def check(hook):
        def method(self, *args):
            got.append((hook, type(args[-1]).__name__))

        return method

    for hook in [n for n in vars(Callback) if n.startswith("on_")]:
        setattr(Strict, hook, check(hook))
    model.fit(X, Y, epochs=1, batch_size=5, validation_split=0.2, verbose=0, callbacks=[Strict()])
    model.evaluate(X, Y, verbose=0, callbacks=[Strict()])
    model.predict(X, verbose=0, callbacks=[Strict()])
    hooks = {hook for hook, _ in got}
    assert {"on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_batch_begin"} <= hooks
    assert {"on_test_begin", "on_test_batch_begin", "on_predict_begin", "on_predict_end"} <= hooks
    assert [(h, t) for h, t in got if t != "dict"] == []


def test_callback_list_fills_in_empty_logs():
    seen = []

    class Keras(Callback):
        def on_train_begin(self, logs):  # no default: Keras always passes a dict
            seen.append(logs)

        def on_epoch_begin(self, epoch, logs):
            seen.append((epoch, logs))

    cbs = CallbackList([Keras(), Keras()])
    cbs.on_train_begin()
    cbs.on_epoch_begin(3)
    cbs.on_epoch_begin(4, logs={"a": 1.0})
    assert seen == [{}, {}, (3, {}), (3, {}), (4, {"a": 1.0}), (4, {"a": 1.0})]
