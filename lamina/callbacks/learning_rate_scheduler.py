"""LearningRateScheduler: set the learning rate at the start of each epoch from a function."""

import inspect
import numbers
from collections.abc import Callable

from lamina.callbacks.callback import Callback
from lamina.callbacks.monitor_callback import check_verbose, print_msg


class LearningRateScheduler(Callback):
    """Set `model.optimizer.learning_rate = schedule(epoch, lr)` before each epoch.

    The rate in use is also logged each epoch as `logs["learning_rate"]`.

    Args:
        schedule: a function of the epoch (0-based) and the current rate returning the new rate;
            a function of the epoch alone (Keras 2) works too.
        verbose: 1 prints each rate set.

    Example:
    >>> def schedule(epoch, lr):
    ...     return lr if epoch < 10 else lr * 0.9
    >>> model.fit(x, y, epochs=15, callbacks=[lamina.callbacks.LearningRateScheduler(schedule)])
    """

    def __init__(self, schedule: Callable, verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler: expected schedule to be a function (epoch, lr) -> lr. "
                f"Received: schedule={schedule!r}"
            )
        self.schedule = schedule
        self.verbose = check_verbose(type(self).__name__, verbose)
        self._takes_lr = _accepts_two_arguments(schedule)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = self.model.optimizer
        if self._takes_lr:
            lr = self.schedule(epoch, float(optimizer.learning_rate))
        else:
            lr = self.schedule(epoch)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise ValueError(
                "LearningRateScheduler: the schedule must return a number. "
                f"Received: {lr!r} at epoch {epoch}"
            )
        optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


def _accepts_two_arguments(fn: Callable) -> bool:
    # Decided once from the signature, instead of calling with two arguments and retrying on a
    # TypeError, which would also swallow TypeErrors raised inside the schedule.
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params)
