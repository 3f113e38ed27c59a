import sys

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.utils import plot_history

pytest.importorskip("matplotlib", reason="plot_history needs the viz extra")

LOGS = {
    "loss": [0.9, 0.5, 0.3],
    "accuracy": [0.6, 0.8, 0.9],
    "val_loss": [1.0, 0.7, 0.6],
    "val_accuracy": [0.5, 0.7, 0.75],
}


def test_dots_for_training_and_a_line_for_validation():
    figure = plot_history(LOGS)
    assert [axes.get_title() for axes in figure.axes] == [
        "Training and validation loss",
        "Training and validation accuracy",
    ]
    for axes, name in zip(figure.axes, ["loss", "accuracy"], strict=True):
        training, validation = axes.get_lines()
        assert training.get_marker() == "o" and training.get_linestyle() == "None"
        assert validation.get_marker() == "None" and validation.get_linestyle() == "-"
        np.testing.assert_array_equal(training.get_xdata(), [1, 2, 3])
        np.testing.assert_array_equal(training.get_ydata(), LOGS[name])
        np.testing.assert_array_equal(validation.get_ydata(), LOGS[f"val_{name}"])


def test_chosen_metrics_and_no_validation():
    figure = plot_history({"loss": [1.0, 0.5], "mae": [0.8, 0.4]}, metrics="mae")
    assert len(figure.axes) == 1 and len(figure.axes[0].get_lines()) == 1


def test_the_history_of_a_fit_with_keras_2_names_to_a_png(tmp_path):
    image_module = pytest.importorskip("PIL.Image")
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([layers.Input((4,)), layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.default_rng(0).random((20, 4)), np.arange(20) % 2
    history = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0)
    path = tmp_path / "curves.png"
    figure = plot_history(history, metrics=["loss", "acc"], to_file=path)
    assert len(figure.axes[1].get_lines()) == 2  # "acc" reads accuracy and val_accuracy
    with image_module.open(path) as img:
        assert img.format == "PNG" and min(img.size) > 100
        img.load()
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"Received: metrics=\['loss', 'auc'\]"):
        plot_history(LOGS, metrics=["loss", "auc"])
    with pytest.raises(TypeError, match="Received: history of type list"):
        plot_history([0.5, 0.4])
    with pytest.raises(ValueError, match="no training entries"):
        plot_history({"val_loss": [1.0]})


def test_without_matplotlib_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install lamina\[viz\]"):
        plot_history(LOGS)
