"""timeseries_dataset_from_array: batches of sliding windows over a series, made lazily."""

from typing import Any

import numpy as np

from lamina.backend import global_rng, to_numpy
from lamina.tensor import Tensor
from lamina.utils.text_dataset import BatchDataset
from lamina.validation import check_int


def _as_array(a: Any) -> Any:
    if isinstance(a, Tensor):
        return to_numpy(a.data)
    return a if isinstance(a, np.ndarray) else np.asarray(a)


class TimeseriesDataset(BatchDataset):
    """Batches of windows `data[s : s + sequence_length * sampling_rate : sampling_rate]` and
    targets `targets[s]`, one per window start `s`; made by `timeseries_dataset_from_array`.

    Only the window starts are stored; each batch is gathered from `data` when asked for.
    """

    def __init__(
        self,
        data: np.ndarray,
        targets: np.ndarray | None,
        starts: np.ndarray,
        sequence_length: int,
        sampling_rate: int,
        batch_size: int | None,
        shuffle: bool,
        seed: int | None,
    ) -> None:
        super().__init__()
        self.data = data
        self.targets = targets
        self.sequence_length = sequence_length
        self.sampling_rate = sampling_rate
        self.batch_size = batch_size
        self._offsets = np.arange(sequence_length) * sampling_rate
        self._order = starts
        if shuffle:
            self._rng = np.random.default_rng(seed)

    @property
    def num_windows(self) -> int:
        return len(self._order)

    def __len__(self) -> int:
        if self.batch_size is None:
            return self.num_windows
        return -(-self.num_windows // self.batch_size)

    def _batch(self, index: int) -> Any:
        if self.batch_size is None:
            starts = self._order[index]
        else:
            starts = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        x = self.data[np.add.outer(starts, self._offsets)]
        if self.targets is None:
            return x
        return x, self.targets[starts]


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
) -> TimeseriesDataset:
    """Make a dataset of sliding windows over a series, with a target per window.

    Window `i` starts at row `s = start_index + i * sequence_stride` and holds rows
    `s, s + sampling_rate, ..., s + (sequence_length - 1) * sampling_rate`; its target is
    `targets[s]` (so pass `targets=series[delay:]` to predict `delay` rows after the start).
    Windows must end before `end_index`. Batches are gathered lazily from `data`.

    Args:
        data: an array (or list) with time on the first axis.
        targets: the targets, indexed like `data`, or None for windows only.
        sequence_length: rows per window (after subsampling).
        sequence_stride: rows between the starts of consecutive windows.
        sampling_rate: keep every `sampling_rate`-th row within a window.
        batch_size: windows per batch (the last may be smaller); None yields single windows.
        shuffle: shuffle the windows (with `seed` at first, then again between passes).
        seed: the shuffling seed.
        start_index: the first row used (default 0).
        end_index: rows from this one on are not used (default: none left out); must be
            below `len(data)`.

    Returns:
        A `PyDataset` of `(windows, targets)` NumPy batches (`windows` alone without targets);
        windows have shape `(batch, sequence_length, *data.shape[1:])`.

    Raises:
        ValueError: for bad arguments, or when no window fits between start and end.

    Example:
    >>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(10) * 10, 3, batch_size=2)
    >>> x, y = ds[0]
    >>> x.tolist(), y.tolist()
    ([[0, 1, 2], [1, 2, 3]], [0, 10])
    """
    data = _as_array(data)
    if data.ndim == 0:
        raise ValueError("Expected data to have a time axis. Received: a scalar")
    n = len(data)
    if targets is not None:
        targets = _as_array(targets)
        if targets.ndim == 0:
            raise ValueError("Expected targets to have a time axis. Received: a scalar")
    check_int("sequence_length", sequence_length, minimum=1)
    check_int("sequence_stride", sequence_stride, minimum=1)
    check_int("sampling_rate", sampling_rate, minimum=1)
    check_int("batch_size", batch_size, minimum=1, allow_none=True)
    check_int("start_index", start_index, minimum=0, allow_none=True)
    check_int("end_index", end_index, minimum=1, allow_none=True)
    if start_index is not None and start_index >= n:
        raise ValueError(
            "Expected start_index to be below the length of the data. "
            f"Received: start_index={start_index}, for data of length {n}"
        )
    if end_index is not None:
        if start_index is not None and end_index <= start_index:
            raise ValueError(
                "Expected end_index to be above start_index. "
                f"Received: start_index={start_index}, end_index={end_index}"
            )
        if end_index >= n:
            raise ValueError(
                "Expected end_index to be below the length of the data (leave it None to use "
                f"every row). Received: end_index={end_index}, for data of length {n}"
            )
    if sampling_rate >= n or sequence_stride >= n:
        raise ValueError(
            "Expected sampling_rate and sequence_stride to be below the length of the data. "
            f"Received: sampling_rate={sampling_rate}, sequence_stride={sequence_stride}, "
            f"for data of length {n}"
        )
    start = 0 if start_index is None else int(start_index)
    end = n if end_index is None else int(end_index)
    span = (sequence_length - 1) * sampling_rate + 1
    num_starts = end - start - span + 1
    if num_starts <= 0:
        raise ValueError(
            f"timeseries_dataset_from_array: a window spans {span} rows "
            f"((sequence_length - 1) * sampling_rate + 1), more than the {end - start} rows "
            f"from start_index={start} to end_index={end}, so no window fits. Received: "
            f"sequence_length={sequence_length}, sampling_rate={sampling_rate}, len(data)={n}"
        )
    if targets is not None:
        num_starts = min(num_starts, len(targets) - start)
        if num_starts <= 0:
            raise ValueError(
                "timeseries_dataset_from_array: targets has no row for the first window. "
                f"Received: len(targets)={len(targets)}, start_index={start}"
            )
    index_dtype = np.int32 if end < 2**31 else np.int64
    starts = np.arange(start, start + num_starts, sequence_stride, dtype=index_dtype)
    if shuffle:
        if seed is None:
            seed = int(global_rng().integers(1_000_000))
        np.random.RandomState(seed).shuffle(starts)
    return TimeseriesDataset(
        data, targets, starts, sequence_length, sampling_rate, batch_size, shuffle, seed
    )
