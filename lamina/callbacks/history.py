"""History: records the logs of each epoch; `model.fit` returns it."""

from typing import Any

from lamina.callbacks.callback import Callback

# Keras 2 spellings the book reads, and the Keras 3 keys they stand for (and back).
_ALIASES = {
    "acc": "accuracy",
    "mean_absolute_error": "mae",
    "mean_squared_error": "mse",
    "mean_absolute_percentage_error": "mape",
    "mean_squared_logarithmic_error": "msle",
}
_ALIASES.update({v: k for k, v in list(_ALIASES.items())})


class HistoryDict(dict):
    """A dict of per-epoch lists that also answers to Keras 2's key spellings.

    `history["acc"]` reads `history["accuracy"]`, `history["val_mean_absolute_error"]` reads
    `history["val_mae"]`, `history["out_acc"]` reads `history["out_accuracy"]` (an output's
    metric), and the other way round.
    """

    def _resolve(self, key: Any) -> Any:
        if dict.__contains__(self, key) or not isinstance(key, str):
            return key
        for name, alias in _ALIASES.items():
            if key == name or key.endswith("_" + name):
                candidate = key[: len(key) - len(name)] + alias
                if dict.__contains__(self, candidate):
                    return candidate
        return key

    def __getitem__(self, key: Any) -> Any:
        return dict.__getitem__(self, self._resolve(key))

    def __contains__(self, key: Any) -> bool:
        return dict.__contains__(self, self._resolve(key))

    def get(self, key: Any, default: Any = None) -> Any:
        return dict.get(self, self._resolve(key), default)


class History(Callback):
    """Record the epoch logs: `history.history["loss"]` is the list of per-epoch losses.

    Example:
    >>> history = model.fit(x, y, epochs=5)
    >>> history.history["val_accuracy"]
    """

    def __init__(self) -> None:
        super().__init__()
        self.history = HistoryDict()
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
