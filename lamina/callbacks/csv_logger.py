"""CSVLogger: write each epoch's logs as a row of a CSV file.

Unlike the checkpoint files, the log is not written through `atomic_write`: it grows by one
row per epoch, and rewriting the whole file each epoch to swap it in atomically would cost time
growing with its length. Instead the file is opened once in write or append mode and each row
is flushed and fsynced as soon as it is written, so after a crash the file holds every finished
epoch, and at worst a torn last line, which the next run in append mode closes off.
"""

import collections.abc
import csv
import os
from typing import IO, Any

import numpy as np

from lamina.callbacks.callback import Callback


class CSVLogger(Callback):
    """Append a row per epoch to a CSV file: `epoch` (0-based) then the logs, sorted by name.

    Args:
        filename: the CSV file.
        separator: the one-character field separator.
        append: add to an existing file (its header is kept and reused) instead of
            overwriting it.

    Example:
    >>> logger = lamina.callbacks.CSVLogger("training.log")
    >>> model.fit(x, y, epochs=10, callbacks=[logger])
    """

    def __init__(
        self, filename: str | os.PathLike, separator: str = ",", append: bool = False
    ) -> None:
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(
                "CSVLogger: expected separator to be one character. "
                f"Received: separator={separator!r}"
            )
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: IO[str] | None = None
        self.writer: csv.DictWriter | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._close()
        self.keys = None
        self.writer = None
        self.append_header = True
        mode = "a" if self.append and os.path.exists(self.filename) else "w"
        torn = False
        if mode == "a":
            header, torn = _read_header(self.filename, self.sep)
            if header:
                self.append_header = False
                self.keys = [k for k in header if k != "epoch"]
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")
        if torn:
            self.csv_file.write("\n")  # close off a row cut short by a crash

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            # With validation_freq > 1 the first epoch has no val_ entries; make room for them.
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += ["val_" + k for k in self.keys]
        if self.csv_file is None:  # used without on_train_begin
            self.on_train_begin()
        if self.writer is None:
            self.writer = csv.DictWriter(
                self.csv_file,
                fieldnames=["epoch", *self.keys],
                delimiter=self.sep,
                lineterminator="\n",
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, _cell(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()
        os.fsync(self.csv_file.fileno())

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close()
        self.writer = None

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = None


def _read_header(path: str, sep: str) -> tuple[list[str], bool]:
    """The column names on the first line, and whether the last line lacks its newline."""
    with open(path, "rb") as f:
        first = f.readline().decode("utf-8")
        if not first.strip():
            return [], False
        f.seek(-1, os.SEEK_END)
        torn = f.read(1) not in (b"\n", b"\r")
    return next(csv.reader([first], delimiter=sep)), torn


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        return f"[{', '.join(map(str, value))}]"
    return value
