"""FitState: the one interface between the fit loop and the callbacks that take part in it."""

import pathlib
import re

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import BackupAndRestore, Callback, History
from lamina.callbacks.fit_state import FitState

CALLBACKS = pathlib.Path(lamina.__file__).parent / "callbacks"
X = np.random.default_rng(0).standard_normal((12, 3)).astype("float32")
Y = np.random.default_rng(1).standard_normal((12, 2)).astype("float32")


def make_model():
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(2)])
    model.compile("sgd", "mse")
    return model


class Resumer(Callback):
    """Ask fit to resume at (epoch, step); record the hooks and what `restore` received."""

    def __init__(self, epoch, step):
        super().__init__()
        self.epoch, self.step, self.calls = epoch, step, []

    def on_train_begin(self, logs=None):
        self.model.fit_state.resume_from(self.epoch, self.step, self.restore)

    def restore(self, batches):
        self.calls.append(("restore", batches is not None))
        for _ in range(self.step if batches is not None else 0):
            next(batches)
        return {"loss": 123.0} if batches is not None else {}

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch", epoch))

    def on_train_batch_begin(self, batch, logs=None):
        self.calls.append(("batch", batch))


def test_callbacks_use_no_private_attribute_of_the_model():
    pattern = re.compile(r"\bmodel\._\w|getattr\(\s*(self\.)?model\s*,\s*[\"']_")
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(CALLBACKS.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert found == []


def test_each_fit_makes_its_own_fit_state_with_the_runs_callbacks(tmp_path):
    model = make_model()
    assert model.fit_state is None
    seen = []
    record = lamina.callbacks.LambdaCallback(
        on_train_begin=lambda logs: seen.append(model.fit_state)
    )
    backup = BackupAndRestore(tmp_path / "backup")
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[backup, record])
    first = seen[-1]
    assert first is model.fit_state
    assert first.callbacks[0] is record
    assert isinstance(first.callbacks[1], History)
    assert first.callbacks[-1] is backup  # last, so that its backups hold what the others saw
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[record])
    assert seen[-1] is not first
    assert seen[-1].callbacks == [record, model.history]


def test_fit_state_metrics_hold_the_per_output_loss_trackers():
    inputs = lamina.Input((3,))
    model = lamina.Model(
        inputs, [layers.Dense(1, name="a")(inputs), layers.Dense(1, name="b")(inputs)]
    )
    model.compile("sgd", loss=["mse", "mae"])
    names = []
    record = lamina.callbacks.LambdaCallback(
        on_train_begin=lambda logs: names.append([m.name for m in model.fit_state.metrics()]),
        on_train_end=lambda logs: names.append([m.name for m in model.fit_state.metrics()]),
    )
    history = model.fit(X, [Y[:, :1], Y[:, 1:]], epochs=1, verbose=0, callbacks=[record])
    assert names == [["loss"], ["loss", "a_loss", "b_loss"]]
    assert list(history.history) == ["loss", "a_loss", "b_loss"]
    fresh = make_model()
    fresh.fit(X, Y, epochs=1, verbose=0)
    assert [m.name for m in fresh.fit_state.metrics(per_output_losses=True)] == ["loss"]


def test_a_second_model_makes_its_per_output_trackers_on_request():
    inputs = lamina.Input((3,))
    model = lamina.Model(
        inputs, [layers.Dense(1, name="a")(inputs), layers.Dense(1, name="b")(inputs)]
    )
    model.compile("sgd", loss=["mse", "mae"])
    made = []
    record = lamina.callbacks.LambdaCallback(
        on_train_begin=lambda logs: made.append(model.fit_state.metrics(per_output_losses=True))
    )
    model.fit(X, [Y[:, :1], Y[:, 1:]], epochs=1, verbose=0, callbacks=[record])
    trackers = made[0]
    assert [m.name for m in trackers] == ["loss", "a_loss", "b_loss"]
    # fit trains the trackers made on request, not new ones
    assert model.fit_state.metrics()[1] is trackers[1]
    assert float(trackers[1].result()) == pytest.approx(model.history.history["a_loss"][0])


def test_fit_resumes_between_epochs_where_asked():
    model = make_model()
    resumer = Resumer(epoch=2, step=0)
    history = model.fit(X, Y, batch_size=4, epochs=4, verbose=0, callbacks=[resumer])
    assert history.epoch == [2, 3]
    assert resumer.calls[:2] == [("restore", False), ("epoch", 2)]
    assert resumer.calls.count(("restore", False)) == 1


def test_fit_resumes_mid_epoch_after_the_batches_done():
    model = make_model()
    resumer = Resumer(epoch=1, step=2)
    history = model.fit(X, Y, batch_size=4, epochs=3, verbose=0, callbacks=[resumer])
    assert history.epoch == [1, 2]
    assert resumer.calls == [
        ("epoch", 1),
        ("restore", True),
        ("batch", 2),
        ("epoch", 2),
        ("batch", 0),
        ("batch", 1),
        ("batch", 2),
    ]


def test_fit_past_its_epochs_restores_and_trains_no_further():
    model = make_model()
    resumer = Resumer(epoch=5, step=1)
    history = model.fit(X, Y, batch_size=4, epochs=3, verbose=0, callbacks=[resumer])
    assert resumer.calls == [("restore", False)]
    assert history.epoch == []


def test_resume_from_is_taken_only_once_and_only_in_on_train_begin():
    model = make_model()
    late = lamina.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: model.fit_state.resume_from(0, 0, lambda b: {})
    )
    with pytest.raises(RuntimeError, match="must be called in on_train_begin"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[late])
    with pytest.raises(RuntimeError, match="Two callbacks asked fit to resume"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[Resumer(1, 0), Resumer(2, 0)])


@pytest.mark.parametrize(
    ("epoch", "step", "restore", "match"),
    [(-1, 0, dict, "epoch=-1"), (0, 1.5, dict, "step=1.5"), (0, 0, None, "restore=None")],
)
def test_resume_from_names_the_bad_argument(epoch, step, restore, match):
    state = FitState([], lambda per_output_losses: [])
    with pytest.raises(ValueError, match=match):
        state.resume_from(epoch, step, restore)
