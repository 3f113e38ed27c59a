"""plot_history: the training and validation curves of a `fit`, drawn as the book draws them."""

import os
from typing import Any

from lamina.utils.plotting import new_figure, save_png


def plot_history(
    history: Any, metrics: str | list[str] | None = None, to_file: str | os.PathLike | None = None
) -> Any:
    """Plot each metric per epoch: blue dots for training, a blue line for validation.

    One panel per metric, titled "Training and validation <metric>", as the book draws its
    curves by hand after every `fit`. Needs matplotlib (`pip install lamina[viz]`).

    Args:
        history: the `History` that `fit` returns, or its `history` dict of per-epoch lists.
        metrics: the metric names to plot (e.g. `["loss", "accuracy"]`); by default every
            training entry of the history (those without the `val_` prefix).
        to_file: a PNG file to write the figure to.

    Returns:
        The `matplotlib.figure.Figure`.

    Raises:
        TypeError: `history` is neither a `History` nor a dict.
        ValueError: a metric is not in the history, or the history is empty.
        ImportError: matplotlib is not installed.

    Example:
    >>> history = model.fit(x, y, validation_split=0.2, epochs=10)
    >>> lamina.utils.plot_history(history, ["loss", "accuracy"], to_file="curves.png")
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError(
            "plot_history expects the History returned by fit, or its history dict. "
            f"Received: history of type {type(history).__name__}"
        )
    names = _metric_names(logs, metrics)
    figure = new_figure(6.0, 4.0 * len(names))
    for row, name in enumerate(names):
        axes = figure.add_subplot(len(names), 1, row + 1)
        values = list(logs[name])
        epochs = range(1, len(values) + 1)
        axes.plot(epochs, values, "bo", label=f"Training {name}")
        if f"val_{name}" in logs:
            val_values = list(logs[f"val_{name}"])
            axes.plot(range(1, len(val_values) + 1), val_values, "b", label=f"Validation {name}")
        axes.set_title(f"Training and validation {name}")
        axes.set_xlabel("Epochs")
        axes.set_ylabel(name)
        axes.legend()
    figure.tight_layout()
    if to_file is not None:
        save_png(figure, to_file)
    return figure


def _metric_names(logs: dict, metrics: str | list[str] | None) -> list[str]:
    training = [key for key in logs if not str(key).startswith("val_")]
    if metrics is None:
        if not training:
            raise ValueError(
                "plot_history found no training entries to plot. "
                f"Received: history with keys {sorted(map(str, logs))}"
            )
        return training
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    missing = [name for name in names if name not in logs]
    if missing or not names:
        raise ValueError(
            f"plot_history expects metric names from the history, which has {training}. "
            f"Received: metrics={metrics!r}"
        )
    return names
