"""The progress output of fit, evaluate and predict for verbose=0, 1 and 2."""

import io
import re

import numpy as np
import pytest

import lamina
from lamina import layers
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


def test_interactive_bar_redraws_in_place():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = Progbar(4, verbose=1, stream=stream)
    bar.last_draw = -1.0  # allow a draw right away
    bar.update(2, {"loss": 0.5})
    bar.update(4, {"loss": 0.25}, finalize=True)
    text = stream.getvalue()
    assert text.startswith("\r2/4 ") and "loss: 0.5000" in text
    assert "\r4/4 " in text and text.endswith("loss: 0.2500\n")


def test_unknown_number_of_steps(capsys):
    bar = Progbar(None, verbose=1)
    bar.update(7, {"loss": 1e-5}, finalize=True)
    assert re.match(r"^7 \S{20} \d+s .*loss: 1\.0000e-05\n$", capsys.readouterr().out)


def test_progress_shows_metrics_named_as_compiled(capsys):
    m = lamina.Sequential([layers.Dense(2, activation="softmax", input_shape=(3,))])
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
    history = m.fit(X, Y, epochs=1, batch_size=10, validation_split=0.5, verbose=2)
    out = capsys.readouterr().out
    assert " - acc: " in out and " - val_acc: " in out and "accuracy" not in out
    assert history.history["val_accuracy"] is history.history["val_acc"]
