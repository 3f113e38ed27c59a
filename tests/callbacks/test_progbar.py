"""The progress output of fit, evaluate and predict for verbose=0, 1 and 2."""

import io
import re

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import progbar_logger
from lamina.callbacks.progbar_logger import Progbar

X = np.random.default_rng(0).standard_normal((20, 3)).astype("float32")
Y = (X[:, 0] > 0).astype("int64")


@pytest.fixture
def model():
    lamina.utils.set_random_seed(0)
    m = lamina.Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_verbose_1_prints_epochs_steps_and_metrics(model, capsys):
    model.fit(X, Y, epochs=2, batch_size=5, validation_split=0.25, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    step_line = re.compile(
        r"^3/3 \S{20} \d+s \d+[mu]?s/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}"
        r" - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$"
    )
    assert step_line.match(lines[1]), lines[1]
    assert step_line.match(lines[3]), lines[3]
    assert len(lines) == 4


def test_verbose_auto_is_1(model, capsys):
    model.fit(X, Y, epochs=1, batch_size=10)
    out = capsys.readouterr().out
    assert "Epoch" not in out  # one epoch: no epoch header
    assert re.match(r"^2/2 \S{20} .*step - loss: ", out)


def test_verbose_2_prints_one_line_per_epoch(model, capsys):
    model.fit(X, Y, epochs=2, batch_size=5, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert re.match(
        r"^4/4 - \d+s - \d+[mu]?s/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}$", lines[1]
    ), lines[1]
    assert len(lines) == 4


def test_verbose_0_prints_nothing(model, capsys):
    model.fit(X, Y, epochs=2, verbose=0, validation_split=0.2)
    model.evaluate(X, Y, verbose=0)
    model.predict(X, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_and_predict_print_a_line(model, capsys):
    model.evaluate(X, Y, batch_size=10)
    out = capsys.readouterr().out
    assert re.match(r"^2/2 \S{20} .*step - loss: \d\.\d{4} - accuracy: \d\.\d{4}\n$", out), out
    model.predict(X, batch_size=10)
    out = capsys.readouterr().out
    assert re.match(r"^2/2 \S{20} \d+s \d+[mu]?s/step\n$", out), out


class LogFile(io.StringIO):
    encoding = "utf-8"


class Terminal(LogFile):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    """A fake `perf_counter`: set `clock.now` to move time."""

    class Clock:
        now = 100.0

    monkeypatch.setattr(progbar_logger, "perf_counter", lambda: Clock.now)
    return Clock


def test_terminal_line_shows_time_left_then_elapsed(clock):
    stream = Terminal()
    bar = Progbar(1875, verbose=1, stream=stream)
    clock.now = 103.0  # the first step also builds the model: left out of the estimate
    bar.update(1, {"loss": 2.0})
    clock.now = 103.09
    bar.update(12, {"accuracy": 0.51, "loss": 1.2})
    line = stream.getvalue().split("\r")[-1]
    # 11 steps in 0.09 s: 8 ms a step, 1863 steps left = 15 s.
    assert line == "  12/1875 " + "─" * 20 + " 15s 8ms/step - accuracy: 0.5100 - loss: 1.2000\x1b[K"
    clock.now = 118.0
    bar.update(1875, {"loss": 0.3}, finalize=True)
    last = stream.getvalue().split("\r")[-1]
    assert last == "1875/1875 " + "━" * 20 + " 18s 8ms/step - loss: 0.3000\n"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.7, "0s"), (14.9, "14s"), (60, "60s"), (75, "1:15"), (3600, "60:00"), (3725, "1:02:05")],
)
def test_time_left_format(seconds, text):
    assert progbar_logger._eta(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(2.4, "2s/step"), (0.0081, "8ms/step"), (0.00042, "420us/step")]
)
def test_time_per_step_units(seconds, text):
    assert progbar_logger._per_step(seconds) == text


def test_terminal_bar_redraws_in_place(clock):
    stream = Terminal()
    bar = Progbar(4, verbose=1, stream=stream)
    for step in (1, 2, 3):
        clock.now += 0.1  # past the 20-a-second limit: each step is drawn
        bar.update(step, {"loss": 0.5})
    clock.now += 0.01
    bar.update(4, {"loss": 0.25})  # too soon after the last draw: skipped
    bar.update(4, {"loss": 0.25}, finalize=True)
    draws = stream.getvalue().split("\r")
    assert draws[0] == "" and [d[:4] for d in draws[1:]] == ["1/4 ", "2/4 ", "3/4 ", "4/4 "]
    assert all(d.endswith("\x1b[K") for d in draws[1:-1]) and draws[-1].endswith("\n")
    assert stream.getvalue().count("\n") == 1


def test_log_file_gets_one_line_per_epoch(clock):
    stream = LogFile()  # not a terminal
    bar = Progbar(50, verbose=1, stream=stream)
    for step in range(1, 51):
        clock.now += 0.2
        bar.update(step, {"loss": 1 / step})
    assert stream.getvalue() == ""
    bar.update(50, {"loss": 0.02}, finalize=True)
    assert stream.getvalue() == "50/50 " + "━" * 20 + " 10s 200ms/step - loss: 0.0200\n"


def test_verbose_2_line(clock):
    stream = Terminal()
    bar = Progbar(120, verbose=2, stream=stream)
    for step in range(1, 121):
        clock.now += 0.5
        bar.update(step, {"loss": 0.1})
    bar.update(120, {"loss": 0.1}, finalize=True)
    assert stream.getvalue() == "120/120 - 60s - 500ms/step - loss: 0.1000\n"


def test_unknown_number_of_steps(capsys):
    bar = Progbar(None, verbose=1)
    bar.update(7, {"loss": 1e-5}, finalize=True)
    assert re.match(r"^      7/Unknown \d+s .*loss: 1\.0000e-05\n$", capsys.readouterr().out)


def test_progress_shows_metrics_named_as_compiled(capsys):
    m = lamina.Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
    history = m.fit(X, Y, epochs=1, batch_size=10, validation_split=0.5, verbose=2)
    out = capsys.readouterr().out
    assert " - acc: " in out and " - val_acc: " in out and "accuracy" not in out
    assert history.history["val_accuracy"] is history.history["val_acc"]


def test_verbose_auto_in_evaluate_and_predict_and_bad_values(model, capsys):
    model.evaluate(X, Y, batch_size=10, verbose="auto")
    model.predict(X, batch_size=10, verbose="auto")
    lines = capsys.readouterr().out.splitlines()
    assert [line[:4] for line in lines] == ["2/2 ", "2/2 "]
    with pytest.raises(ValueError, match=r"predict: Expected verbose .* Received: verbose=3"):
        model.predict(X, verbose=3)
