"""Callback: hooks that run at the start and end of training, epochs and batches."""

from typing import Any


class Callback:
    """Base class of callbacks; override the hooks you need.

    `self.model` is the model being trained and `self.params` holds `epochs`, `steps` and
    `verbose`. `logs` are dicts of metric values (`loss`, `accuracy`, `val_loss`, ...).

    Example:
    >>> class PrintLoss(lamina.callbacks.Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, logs["loss"])
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def get_state(self) -> dict:
        """What the callback has learned so far, for `BackupAndRestore` to save.

        Callbacks whose decisions depend on the epochs seen (EarlyStopping's best value and
        patience, ReduceLROnPlateau's, ModelCheckpoint's best) override this and `set_state`,
        so that a run resumed from a backup decides as the uninterrupted run would have.

        Returns:
            A dict of JSON-safe values (numbers, strings, None, lists, dicts with string keys)
            and NumPy arrays; empty for a callback without state.
        """
        return {}

    def set_state(self, state: dict) -> None:
        """Restore what `get_state` returned (called after `on_train_begin`)."""

    def on_train_begin(self, logs: dict | None = None) -> None: ...

    def on_train_end(self, logs: dict | None = None) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None: ...

    def on_test_begin(self, logs: dict | None = None) -> None: ...

    def on_test_end(self, logs: dict | None = None) -> None: ...

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None: ...

    def on_predict_begin(self, logs: dict | None = None) -> None: ...

    def on_predict_end(self, logs: dict | None = None) -> None: ...

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None: ...

    # Keras 2 names, still used by older code.
    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None: ...


_HOOKS = [name for name in vars(Callback) if name.startswith("on_")]


def overrides(callback: Callback, hook: str) -> bool:
    """Whether `callback` defines `hook` itself (so calling it can do something)."""
    return getattr(type(callback), hook) is not getattr(Callback, hook)
