"""FitState: what one `fit` run shares with the callbacks that take part in running it."""

from collections.abc import Callable, Iterator
from typing import NamedTuple

from lamina.validation import check_int


class Resume(NamedTuple):
    """A request to go on from batch `step` of epoch `epoch`; see `FitState.resume_from`."""

    epoch: int
    step: int
    restore: Callable[[Iterator | None], dict]


class FitState:
    """The running `fit`'s callbacks, metric trackers and starting point, for callbacks.

    `fit` makes a new one for each run, as `model.fit_state`, before `on_train_begin`. Most
    callbacks need only their hooks' arguments; `BackupAndRestore` uses this to save the
    whole run and to make an interrupted run go on where it stopped.

    Args:
        callbacks: every callback of the run, in the order their hooks run (`History` and
            the progress bar included).
        metrics: `metrics(per_output_losses)` returns the trackers whose running state a
            backup holds; see `FitState.metrics`.

    Example:
    >>> class CountCallbacks(lamina.callbacks.Callback):
    ...     def on_train_begin(self, logs=None):
    ...         print(len(self.model.fit_state.callbacks))
    """

    def __init__(self, callbacks: list, metrics: Callable[[bool], list]) -> None:
        self.callbacks = list(callbacks)
        self._metrics = metrics
        self._resume: Resume | None = None
        self._taken = False

    def metrics(self, per_output_losses: bool = False) -> list:
        """The metrics whose running state a backup saves and restores.

        Args:
            per_output_losses: make the per-output loss trackers of a model with several
                outputs now, rather than at the first batch (to restore their state).

        Returns:
            The model's `metrics`, then the per-output loss trackers once they exist.
        """
        return self._metrics(per_output_losses)

    def resume_from(
        self, epoch: int, step: int, restore: Callable[[Iterator | None], dict]
    ) -> None:
        """Ask `fit` to go on from batch `step` of epoch `epoch` instead of `initial_epoch`.

        Call it in `on_train_begin`. `fit` then calls `restore` once to put the run's state
        back: `restore(None)` right after `on_train_begin` when `step` is 0 (between epochs)
        or `epoch` is past the run's `epochs`; otherwise `restore(batches)` after that
        epoch's `on_epoch_begin`, with the iterator of its batches, from which `restore`
        draws the `step` batches already done, returning the logs of the last one.

        Raises:
            ValueError: when `epoch` or `step` is not a count, or `restore` not callable.
            RuntimeError: when called outside `on_train_begin`, or a second time.
        """
        epoch = check_int("epoch", epoch, owner="FitState.resume_from")
        step = check_int("step", step, owner="FitState.resume_from")
        if not callable(restore):
            raise ValueError(
                "FitState.resume_from: expected restore to be a function of the epoch's "
                f"batches. Received: restore={restore!r}"
            )
        if self._taken:
            raise RuntimeError(
                "FitState.resume_from must be called in on_train_begin: fit has already chosen "
                f"where to start. Received: a call with epoch={epoch}, step={step}"
            )
        if self._resume is not None:
            raise RuntimeError(
                "Two callbacks asked fit to resume (e.g. two BackupAndRestore callbacks that "
                f"found a backup); fit can start from one point only. Received: epoch={epoch}, "
                f"step={step} after epoch={self._resume.epoch}, step={self._resume.step}"
            )
        self._resume = Resume(epoch, step, restore)

    def take_resume(self) -> Resume | None:
        """The pending request of `resume_from`, if any; after this, `resume_from` raises.

        Called once by `fit`, right after `on_train_begin`.
        """
        resume, self._resume, self._taken = self._resume, None, True
        return resume
