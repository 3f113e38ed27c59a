"""MonitorCallback: the base of callbacks that watch one logged quantity and ask "improved?".

Also the `verbose` check and the message printer the built-in callbacks share.
"""

import math
import sys
import warnings
from typing import Any

import numpy as np

from lamina.callbacks.callback import Callback
from lamina.validation import check_int, check_number

# Quantities that grow as the model gets better; "auto" mode maximizes names containing one of
# these (after any "val_" prefix) and minimizes everything else, losses and errors included.
_HIGHER_IS_BETTER = (
    "acc",
    "auc",
    "precision",
    "recall",
    "f1",
    "fbeta",
    "iou",
    "r2",
    "cosine_similarity",
    "correlation",
    "sensitivity",
    "specificity",
)


def infer_mode(monitor: str) -> str:
    """`"max"` for accuracy-like names (`"val_accuracy"`, `"auc"`, ...), else `"min"`."""
    name = monitor.removeprefix("val_")
    return "max" if any(hint in name for hint in _HIGHER_IS_BETTER) else "min"


class MonitorCallback(Callback):
    """Base class of callbacks that monitor `logs[monitor]` for improvements.

    Args:
        monitor: the logged quantity, e.g. `"val_loss"` or `"val_accuracy"`.
        mode: `"min"`, `"max"`, or `"auto"` (max for accuracy-like names, see `infer_mode`).
        initial_best: the value to beat at first (None: any first value counts).
        min_delta: how much the value must improve by to count, as an absolute change.

    Attributes:
        monitor_op: `np.less` or `np.greater`, how a better value compares.
        best: the best value seen so far.

    Example:
    >>> class PrintBest(MonitorCallback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         value = self.get_monitor_value(logs)
    ...         if value is not None and self._is_improvement(value, self.best):
    ...             self.best = value
    ...             print("new best", value)
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        initial_best: float | None = None,
        min_delta: float = 0.0,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                f"{owner}: expected monitor to be a logged name. Received: monitor={monitor!r}"
            )
        if mode not in ("auto", "min", "max"):
            raise ValueError(
                f"{owner}: expected mode to be 'auto', 'min' or 'max'. Received: mode={mode!r}"
            )
        self.monitor = monitor
        self.mode = mode
        self.initial_best = check_number("initial_best", initial_best, allow_none=True, owner=owner)
        self.min_delta = abs(check_number("min_delta", min_delta, owner=owner))
        direction = infer_mode(monitor) if mode == "auto" else mode
        self.monitor_op = np.greater if direction == "max" else np.less
        self.reset_best()

    def reset_best(self) -> None:
        """Forget the values seen: `best` goes back to `initial_best` (or +-inf)."""
        if self.initial_best is not None:
            self.best = self.initial_best
        else:
            self.best = -math.inf if self.monitor_op is np.greater else math.inf

    def get_state(self) -> dict:
        return {"best": float(self.best)}

    def set_state(self, state: dict) -> None:
        self.best = float(state["best"])

    def _is_improvement(self, value: float, reference: float) -> bool:
        """Whether `value` beats `reference` by more than `min_delta`."""
        if self.monitor_op is np.greater:
            return bool(value - self.min_delta > reference)
        return bool(value + self.min_delta < reference)

    def get_monitor_value(self, logs: dict | None) -> float | None:
        """`logs[monitor]` as a float, or None with a warning listing the logged keys."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"{type(self).__name__} is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {', '.join(logs) or '(none)'}",
                UserWarning,
                stacklevel=3,
            )
            return None
        return float(value)


def check_verbose(owner: str, value: Any) -> int:
    """Return `verbose` as an int (booleans allowed), else raise a ValueError."""
    return check_int("verbose", int(value) if isinstance(value, bool) else value, owner=owner)


def print_msg(message: str) -> None:
    """Print a callback's message on its own line, even after a half-drawn progress bar."""
    interactive = bool(getattr(sys.stdout, "isatty", lambda: False)())
    print(("\n" if interactive else "") + message, flush=True)
