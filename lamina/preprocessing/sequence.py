"""Sequence preprocessing: `pad_sequences` and the Keras 2 `TimeseriesGenerator`."""

import json
from typing import Any

import numpy as np

from lamina.backend import global_rng, to_numpy
from lamina.tensor import Tensor
from lamina.training.py_dataset import PyDataset


def pad_sequences(
    sequences: Any,
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pad (or truncate) sequences of varying length into one `(num_samples, maxlen)` array.

    Args:
        sequences: a list of sequences (lists or arrays; their items may be arrays of one
            shape, giving an output of shape `(num_samples, maxlen, *item_shape)`).
        maxlen: the output length; defaults to the longest sequence.
        dtype: the output dtype (`object` for strings of any length).
        padding: `"pre"` or `"post"`: pad before or after each sequence.
        truncating: `"pre"` or `"post"`: drop values from the start or the end of sequences
            longer than `maxlen`.
        value: the padding value.

    Returns:
        A NumPy array.

    Example:
    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
    array([[2, 3],
           [0, 4]], dtype=int32)
    """
    if padding not in ("pre", "post"):
        raise ValueError(f'Expected padding to be "pre" or "post". Received: padding={padding!r}')
    if truncating not in ("pre", "post"):
        raise ValueError(
            f'Expected truncating to be "pre" or "post". Received: truncating={truncating!r}'
        )
    if maxlen is not None and (not isinstance(maxlen, int | np.integer) or maxlen < 0):
        raise ValueError(
            f"Expected maxlen to be None or a non-negative integer. Received: maxlen={maxlen!r}"
        )
    if isinstance(sequences, Tensor):
        sequences = to_numpy(sequences.data)
    if isinstance(sequences, str | bytes) or not hasattr(sequences, "__len__"):
        raise ValueError(
            "pad_sequences: expected a list of sequences. "
            f"Received: sequences of type {type(sequences).__name__}"
        )
    lengths = []
    sample_shape: tuple = ()
    shape_found = False
    for i, s in enumerate(sequences):
        if isinstance(s, str | bytes) or not hasattr(s, "__len__"):
            raise ValueError(
                "pad_sequences: every item of `sequences` must be a sequence (a list, tuple or "
                f"array of values). Received: sequences[{i}]={s!r:.60} of type {type(s).__name__}"
            )
        lengths.append(len(s))
        if not shape_found and len(s):
            try:
                sample_shape = np.shape(s)[1:]
            except ValueError:
                raise ValueError(
                    f"pad_sequences: the items of sequences[{i}] must all have one shape (numbers, "
                    f"or arrays of one shape). Received: sequences[{i}]={s!r:.60}"
                ) from None
            shape_found = True
    if maxlen is None:
        maxlen = max(lengths, default=0)
    is_text = np.dtype(dtype).kind in "OUS"
    if isinstance(value, str) and not is_text:
        raise ValueError(
            f"pad_sequences: a string padding value needs dtype=object (or a string dtype). "
            f"Received: value={value!r}, dtype={dtype!r}"
        )
    out = np.full((len(lengths), int(maxlen), *sample_shape), value, dtype=dtype)
    if maxlen == 0:
        return out
    for i, s in enumerate(sequences):
        if not len(s):
            continue
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        try:
            kept = np.asarray(kept, dtype=dtype)
        except (TypeError, ValueError) as err:
            raise ValueError(
                f"pad_sequences: sequences[{i}] cannot be converted to {dtype}: {err}. "
                f"Received: sequences[{i}]={s!r:.60}"
            ) from None
        if kept.shape[1:] != sample_shape:
            raise ValueError(
                f"pad_sequences: the items of sequences[{i}] have shape {kept.shape[1:]}, unlike "
                f"those of the first non-empty sequence, {sample_shape}. "
                f"Received: sequences[{i}]={s!r:.60}"
            )
        if padding == "post":
            out[i, : len(kept)] = kept
        else:
            out[i, maxlen - len(kept) :] = kept
    return out


class TimeseriesGenerator(PyDataset):
    """Batches of fixed-length windows over a series and the target that follows each one.

    The Keras 2 utility (`keras.preprocessing.sequence.TimeseriesGenerator`). The sample ending
    before row `r` is `data[r - length : r : sampling_rate]` and its target is `targets[r]`,
    for `r` from `start_index + length` to `end_index` (inclusive) every `stride` rows.

    Args:
        data: an indexable series (array or list) with time on the first axis.
        targets: the targets, as long as `data`.
        length: how many rows of history each sample spans (before subsampling).
        sampling_rate: keep every `sampling_rate`-th row within a sample.
        stride: the step between the ends of consecutive samples.
        start_index: rows before it are not used as targets.
        end_index: the last row used as a target (default: the last row).
        shuffle: draw the target rows at random (with replacement) instead of in order.
        reverse: put each sample's rows in reverse time order.
        batch_size: samples per batch (the last batch may be smaller).
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` of `PyDataset`.

    Example:
    >>> gen = TimeseriesGenerator(np.arange(10), np.arange(10), length=3, batch_size=2)
    >>> x, y = gen[0]
    >>> x.tolist(), y.tolist()
    ([[0, 1, 2], [1, 2, 3]], [3, 4])
    """

    def __init__(
        self,
        data: Any,
        targets: Any,
        length: int,
        sampling_rate: int = 1,
        stride: int = 1,
        start_index: int = 0,
        end_index: int | None = None,
        shuffle: bool = False,
        reverse: bool = False,
        batch_size: int = 128,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if len(data) != len(targets):
            raise ValueError(
                "TimeseriesGenerator: data and targets must have the same length. "
                f"Received: len(data)={len(data)}, len(targets)={len(targets)}"
            )
        for name, v, low in (
            ("length", length, 1),
            ("sampling_rate", sampling_rate, 1),
            ("stride", stride, 1),
            ("start_index", start_index, 0),
            ("batch_size", batch_size, 1),
        ):
            if not isinstance(v, int | np.integer) or v < low:
                raise ValueError(
                    f"Expected {name} to be an integer of at least {low}. Received: {name}={v!r}"
                )
        self.data = data
        self.targets = targets
        self.length = int(length)
        self.sampling_rate = int(sampling_rate)
        self.stride = int(stride)
        self.start_index = int(start_index) + self.length
        self.end_index = len(data) - 1 if end_index is None else int(end_index)
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = int(batch_size)
        if self.start_index > self.end_index:
            raise ValueError(
                f"TimeseriesGenerator: start_index + length ({self.start_index}) is past "
                f"end_index ({self.end_index}), so no row is left to be a target. "
                f"Received: length={length}, start_index={start_index}, end_index={end_index}, "
                f"len(data)={len(data)}"
            )

    def __len__(self) -> int:
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"TimeseriesGenerator has {len(self)} batches. Received: {index}")
        index %= len(self)
        if self.shuffle:
            rows = global_rng().integers(self.start_index, self.end_index + 1, self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            last = min(first + self.batch_size * self.stride, self.end_index + 1)
            rows = np.arange(first, last, self.stride)
        samples = np.array([self.data[r - self.length : r : self.sampling_rate] for r in rows])
        targets = np.array([self.targets[r] for r in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets

    def __iter__(self) -> Any:
        for i in range(len(self)):
            yield self[i]

    def get_config(self) -> dict:
        """The generator's settings (data and targets as lists), JSON-safe."""
        return {
            "data": np.asarray(self.data).tolist(),
            "targets": np.asarray(self.targets).tolist(),
            "length": self.length,
            "sampling_rate": self.sampling_rate,
            "stride": self.stride,
            "start_index": self.start_index - self.length,
            "end_index": self.end_index,
            "shuffle": self.shuffle,
            "reverse": self.reverse,
            "batch_size": self.batch_size,
        }

    def to_json(self, **kwargs: Any) -> str:
        """The generator as a JSON string."""
        return json.dumps(
            {"class_name": "TimeseriesGenerator", "config": self.get_config()}, **kwargs
        )
