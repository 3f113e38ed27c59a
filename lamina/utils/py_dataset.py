"""PyDataset: a dataset of batches, indexed, that `fit` can read with parallel workers."""

from typing import Any


class PyDataset:
    """Base class for datasets that produce whole batches: implement `__len__` and `__getitem__`.

    `fit` reads batches by index, in a shuffled order each epoch when `shuffle=True`, prefetching
    the next ones with `workers` threads (or processes with `use_multiprocessing=True`) while the
    current batch trains, and calls `on_epoch_end` after each epoch.

    Args:
        workers: how many threads or processes prepare batches ahead (1: in the training loop).
        use_multiprocessing: use processes instead of threads (for Python-heavy `__getitem__`).
        max_queue_size: how many batches may be prepared ahead.

    Example:
    >>> class Batches(lamina.utils.PyDataset):
    ...     def __init__(self, x, y, batch_size, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x, self.y, self.batch_size = x, y, batch_size
    ...     def __len__(self):
    ...         return -(-len(self.x) // self.batch_size)
    ...     def __getitem__(self, i):
    ...         s = slice(i * self.batch_size, (i + 1) * self.batch_size)
    ...         return self.x[s], self.y[s]
    """

    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ) -> None:
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(
                f"Expected workers to be a positive integer. Received: workers={workers!r}"
            )
        if not isinstance(max_queue_size, int) or max_queue_size < 1:
            raise ValueError(
                f"Expected max_queue_size to be a positive integer. Received: {max_queue_size!r}"
            )
        self.workers = workers
        self.use_multiprocessing = bool(use_multiprocessing)
        self.max_queue_size = max_queue_size

    def __len__(self) -> int:
        raise NotImplementedError(
            f"{type(self).__name__} must implement __len__ (batches per epoch)"
        )

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index)")

    def on_epoch_end(self) -> None:
        """Called after each epoch; override to reshuffle or change the data."""

    @property
    def num_batches(self) -> int:
        return len(self)


Sequence = PyDataset  # the Keras 2 name the book uses
