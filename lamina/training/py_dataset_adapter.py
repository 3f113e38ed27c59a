"""The adapter that trains from a `PyDataset`: batches by index, prefetched by its workers."""

from collections.abc import Iterator
from typing import Any

import numpy as np

from lamina.backend import global_rng
from lamina.training.data_adapters import check_batch, unpack
from lamina.training.prefetch import add_batch_note, prefetch


class PyDatasetAdapter:
    """Batches from a `lamina.utils.PyDataset`, in a shuffled order each epoch when asked.

    With `workers > 1` or `use_multiprocessing=True` (read from the dataset, as Keras 3 does),
    the next batches are prepared by worker threads or processes while the current one trains;
    with one worker and threads, `__getitem__` runs in the training loop. The dataset's
    `on_epoch_begin` and `on_epoch_end` run in the training process around each epoch.

    Args:
        dataset: the PyDataset (or a Keras 2 style `Sequence` subclass).
        shuffle: shuffle the order of the batches at each epoch (with lamina's global random
            generator, so `lamina.utils.set_random_seed` makes it reproducible).
        steps: batches per epoch; default `len(dataset)`. More steps than batches go round the
            dataset again (in a fresh order), as Keras 2's `fit_generator` did with the book's
            endless image iterators.
    """

    def __init__(self, dataset: Any, shuffle: Any, steps: int | None, method: str = "fit") -> None:
        self.dataset = dataset
        self.shuffle = bool(shuffle)
        self.method = method
        num = dataset.num_batches if hasattr(dataset, "num_batches") else len(dataset)
        if num is None or num <= 0:
            raise ValueError(
                f"{method}: the data is empty: {type(dataset).__name__} has no batches. "
                f"Received: len(dataset)={num}"
            )
        self.num_batches = int(num)
        self.steps = int(steps) if steps else self.num_batches
        self.workers = int(getattr(dataset, "workers", 1))
        self.use_multiprocessing = bool(getattr(dataset, "use_multiprocessing", False))
        self.max_queue_size = int(getattr(dataset, "max_queue_size", 10))
        self.first_shapes: list | None = None

    def peek(self) -> tuple:
        """Batch 0, read in this process (for the checks made before training)."""
        return self._unpack(0, self._getitem(0))

    def epoch(self) -> Iterator[tuple]:
        """Yield one epoch of `(x, y, sample_weight)` batches; calls the epoch hooks."""
        passes = -(-self.steps // self.num_batches)
        order = [
            global_rng().permutation(self.num_batches)
            if self.shuffle
            else np.arange(self.num_batches)
            for _ in range(passes)
        ]
        order = np.concatenate(order)[: self.steps].tolist()
        _call_hook(self.dataset, "on_epoch_begin")
        if self.workers > 1 or self.use_multiprocessing:
            batches = prefetch(
                self.dataset.__getitem__,
                order,
                self.workers,
                self.use_multiprocessing,
                self.max_queue_size,
                owner=self.dataset,
            )
        else:
            batches = map(self._getitem, order)
        finished = False
        try:
            for index, batch in zip(order, batches, strict=False):
                yield self._unpack(index, batch)
            finished = True
        except GeneratorExit:  # the loop stopped early (stop_training): the epoch still ends
            finished = True
            raise
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()
            if finished:
                _call_hook(self.dataset, "on_epoch_end")

    def _getitem(self, index: int) -> Any:
        try:
            return self.dataset[index]
        except Exception as err:
            add_batch_note(err, self.dataset, index, "the training loop")
            raise

    def _unpack(self, index: int, batch: Any) -> tuple:
        x, y, sw = unpack(batch)
        source = f"of {type(self.dataset).__name__}"
        self.first_shapes = check_batch(x, y, sw, index, source, self.first_shapes, self.method)
        return x, y, sw


def _call_hook(dataset: Any, name: str) -> None:
    hook = getattr(dataset, name, None)
    if callable(hook):
        hook()
