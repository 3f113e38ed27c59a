"""ReduceLROnPlateau: lower the learning rate when a monitored quantity stops improving."""

from typing import Any

import numpy as np

from lamina.callbacks.monitor_callback import (
    MonitorCallback,
    check_verbose,
    print_msg,
)
from lamina.validation import check_int, check_number


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by `factor` after `patience` epochs without improvement.

    The current rate is also logged each epoch as `logs["learning_rate"]`, so History and
    CSVLogger record it.

    Args:
        monitor: the logged quantity to watch.
        factor: the multiplier, in [0, 1): `new_lr = lr * factor`.
        patience: epochs without improvement before lowering the rate.
        verbose: 1 prints each change.
        mode: `"min"`, `"max"` or `"auto"` (max for accuracy-like names).
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a change before counting again.
        min_lr: the rate never goes below this.

    Example:
    >>> reduce_lr = lamina.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2,
    ...                                                patience=5, min_lr=0.001)
    >>> model.fit(x, y, validation_split=0.2, callbacks=[reduce_lr])
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        if "epsilon" in kwargs:  # Keras 2's name for min_delta
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"{owner}: unknown argument(s) {sorted(kwargs)}. Received: {kwargs}")
        super().__init__(monitor=monitor, mode=mode, min_delta=min_delta)
        self.factor = check_number("factor", factor, low=0.0, high=1.0, high_open=True, owner=owner)
        self.patience = check_int("patience", patience, owner=owner)
        self.verbose = check_verbose(owner, verbose)
        self.cooldown = check_int("cooldown", cooldown, owner=owner)
        self.min_lr = check_number("min_lr", min_lr, low=0.0, owner=owner)
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait = 0
        self.cooldown_counter = 0
        self.reset_best()

    def get_state(self) -> dict:
        return {**super().get_state(), "wait": self.wait, "cooldown_counter": self.cooldown_counter}

    def set_state(self, state: dict) -> None:
        super().set_state(state)
        self.wait = int(state["wait"])
        self.cooldown_counter = int(state["cooldown_counter"])

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = self.model.optimizer
        if logs is not None:
            logs["learning_rate"] = float(optimizer.learning_rate)
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        old_lr = float(optimizer.learning_rate)
        # Compared in float32 so a rate already at min_lr up to rounding is left alone.
        if np.float32(old_lr) > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                print_msg(
                    f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}."
                )
            self.cooldown_counter = self.cooldown
            self.wait = 0
