"""ModelCheckpoint: save the model or its weights during training, every epoch or N batches."""

import contextlib
import os
import warnings
from typing import Any

import numpy as np

from lamina.callbacks.finite_weights import first_nonfinite_weight
from lamina.callbacks.monitor_callback import (
    MonitorCallback,
    check_verbose,
    print_msg,
)
from lamina.io import weight_store
from lamina.validation import check_int, check_number


class ModelCheckpoint(MonitorCallback):
    """Save checkpoints while training, optionally only when `monitor` improves.

    `filepath` may hold `str.format` fields filled from the logs: `{epoch}` (counted from 1),
    `{batch}` (from 1, when saving every N batches) and any logged value, e.g.
    `"ckpt-{epoch:02d}-{val_loss:.2f}.weights.safetensors"`. Missing folders are created. Every
    file is written atomically: a crash or an error mid-save leaves the previous file intact.
    Weights holding NaN or infinite values (a diverged run) are never saved: a warning says so
    and the previous file stays.

    `save_weights_only=False` saves the whole model with `model.save` (architecture, weights,
    compile settings and optimizer state; `lamina.models.load_model` reads it back).

    With `max_to_keep`, only the last files this callback wrote are kept: once a new name is
    written, the oldest beyond the limit are deleted (useful with `{epoch}` in the name).

    Args:
        filepath: where to save; ends in `.weights.safetensors` (or `.weights.h5`) with
            `save_weights_only=True`, in `.keras` otherwise.
        monitor: the logged quantity `save_best_only` compares.
        verbose: 1 prints a line at each decision.
        save_best_only: save only when `monitor` improves on the best so far.
        save_weights_only: save only the weights (`model.save_weights`).
        mode: `"min"`, `"max"` or `"auto"` (max for accuracy-like names).
        save_freq: `"epoch"` to save after each epoch, or an integer number of batches.
        initial_value_threshold: the value `monitor` must beat before the first save with
            `save_best_only`.
        max_to_keep: how many of the files written to keep, the newest; None keeps them all.

    Example:
    >>> checkpoint = lamina.callbacks.ModelCheckpoint(
    ...     "best.weights.safetensors", save_weights_only=True, save_best_only=True)
    >>> model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[checkpoint])
    >>> model.load_weights("best.weights.safetensors")
    """

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: Any = "epoch",
        initial_value_threshold: float | None = None,
        max_to_keep: int | None = None,
    ) -> None:
        owner = type(self).__name__
        initial = check_number(
            "initial_value_threshold", initial_value_threshold, allow_none=True, owner=owner
        )
        super().__init__(monitor=monitor, mode=mode, initial_best=initial)
        self.filepath = os.fspath(filepath)
        self.verbose = check_verbose(owner, verbose)
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        if save_freq != "epoch":
            is_int = isinstance(save_freq, int | np.integer) and not isinstance(save_freq, bool)
            if not is_int or save_freq < 1:
                raise ValueError(
                    f"{owner}: expected save_freq to be 'epoch' or a positive number of batches. "
                    f"Received: save_freq={save_freq!r}"
                )
            save_freq = int(save_freq)
        self.save_freq = save_freq
        suffixes = (weight_store.WEIGHTS_SUFFIX, ".weights.h5")
        if self.save_weights_only and not self.filepath.endswith(suffixes):
            raise ValueError(
                f"{owner}: with save_weights_only=True the filepath must end in "
                f"{suffixes[0]!r} (lamina's weights format) or {suffixes[1]!r} (Keras 3's). "
                f"Received: filepath={self.filepath!r}"
            )
        if not self.save_weights_only and not self.filepath.endswith(".keras"):
            raise ValueError(
                f"{owner}: the filepath must end in '.keras' (the model format), or pass "
                f"save_weights_only=True with a name ending in {weight_store.WEIGHTS_SUFFIX!r}. "
                f"Received: filepath={self.filepath!r}"
            )
        if max_to_keep is not None:
            max_to_keep = check_int("max_to_keep", max_to_keep, minimum=1, owner=owner)
        self.max_to_keep = max_to_keep
        self._kept: list[str] = []  # the files written, oldest first
        self._current_epoch = 0
        self._batches_since_save = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._batches_since_save = 0

    def get_state(self) -> dict:
        return {
            **super().get_state(),
            "current_epoch": self._current_epoch,
            "batches_since_save": self._batches_since_save,
            "kept": list(self._kept),
        }

    def set_state(self, state: dict) -> None:
        super().set_state(state)
        self._current_epoch = int(state["current_epoch"])
        self._batches_since_save = int(state["batches_since_save"])
        self._kept = [str(path) for path in state["kept"]]

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch: int, batch: int | None, logs: dict | None) -> None:
        logs = logs or {}
        filepath = self._file_path(epoch, batch, logs)
        bad = first_nonfinite_weight(self.model)
        if bad is not None:
            # A diverged model (say, stopped by TerminateOnNaN) must not replace a good file.
            warnings.warn(
                f"ModelCheckpoint: not saving {filepath!r} at epoch {epoch + 1}: the weight "
                f"{bad!r} holds NaN or infinite values (training diverged). The previous "
                "checkpoint, if any, is kept.",
                UserWarning,
                stacklevel=3,
            )
            return
        if not self._should_save(epoch, logs, filepath):
            return
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: finished saving model to {filepath}")
        self._forget_old_files(filepath)

    def _forget_old_files(self, filepath: str) -> None:
        if filepath in self._kept:
            self._kept.remove(filepath)
        self._kept.append(filepath)
        if self.max_to_keep is None:
            return
        while len(self._kept) > self.max_to_keep:
            old = self._kept.pop(0)
            with contextlib.suppress(FileNotFoundError):
                os.remove(old)

    def _should_save(self, epoch: int, logs: dict, filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"Epoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"ModelCheckpoint can save the best model only with {self.monitor} available; "
                f"saving anyway. Available metrics are: {', '.join(logs) or '(none)'}",
                UserWarning,
                stacklevel=3,
            )
            return True
        current = float(current)
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(
                    f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
        return False

    def _file_path(self, epoch: int, batch: int | None, logs: dict) -> str:
        values = dict(logs)
        values["epoch"] = epoch + 1
        if batch is not None:
            values.setdefault("batch", batch + 1)
        try:
            return self.filepath.format(**values)
        except KeyError as e:
            raise KeyError(
                f"ModelCheckpoint: failed to format filepath {self.filepath!r}: {e} is not "
                f"logged. Available: {', '.join(values)}"
            ) from e
        except (ValueError, IndexError) as e:
            raise ValueError(
                f"ModelCheckpoint: failed to format filepath {self.filepath!r} with {values}: {e}"
            ) from e
