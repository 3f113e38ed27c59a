"""EarlyStopping: stop training when a monitored quantity stops improving."""

import numpy as np

from lamina.callbacks.monitor_callback import (
    MonitorCallback,
    check_verbose,
    print_msg,
)
from lamina.validation import check_int, check_number


class EarlyStopping(MonitorCallback):
    """Stop training once `monitor` has not improved for `patience` epochs.

    Args:
        monitor: the logged quantity to watch.
        min_delta: the smallest change that counts as an improvement (absolute value).
        patience: epochs without improvement before stopping.
        verbose: 1 prints when it stops and when it restores weights.
        mode: `"min"`, `"max"` or `"auto"` (max for accuracy-like names).
        baseline: a value to reach; until the monitored value beats it, the patience runs out
            even while it improves.
        restore_best_weights: at the end of training, put back the weights of the best epoch
            (also when training runs out of epochs without stopping early).
        start_from_epoch: epochs of warm-up during which nothing is watched.

    Attributes:
        stopped_epoch: the epoch (0-based) training stopped at, 0 if it did not stop early.
        best_epoch: the epoch (0-based) of the best value.

    Example:
    >>> stop = lamina.callbacks.EarlyStopping(monitor="val_loss", patience=3)
    >>> model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor=monitor, mode=mode, min_delta=min_delta)
        owner = type(self).__name__
        self.patience = check_int("patience", patience, owner=owner)
        self.verbose = check_verbose(owner, verbose)
        self.baseline = check_number("baseline", baseline, allow_none=True, owner=owner)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = check_int("start_from_epoch", start_from_epoch, owner=owner)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights: list | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        # Reset, so one instance can serve several fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None
        self.reset_best()

    def get_state(self) -> dict:
        return {
            **super().get_state(),
            "wait": self.wait,
            "stopped_epoch": self.stopped_epoch,
            "best_epoch": self.best_epoch,
            "best_weights": self.best_weights,
        }

    def set_state(self, state: dict) -> None:
        super().set_state(state)
        self.wait = int(state["wait"])
        self.stopped_epoch = int(state["stopped_epoch"])
        self.best_epoch = int(state["best_epoch"])
        weights = state["best_weights"]
        self.best_weights = None if weights is None else [np.array(w) for w in weights]

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # The patience restarts only once the baseline (if any) is beaten too; until then
            # it runs out even while the value improves, as Keras documents.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
                return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                best = self.best_epoch + 1
                print_msg(f"Restoring model weights from the end of the best epoch: {best}.")
            self.model.set_weights(self.best_weights)
