"""PyDataset: a dataset of batches, indexed, that `fit` can read with parallel workers."""

from collections.abc import Iterator
from typing import Any


class PyDataset:
    """Base class for datasets that produce whole batches: implement `__len__` and `__getitem__`.

    `fit`, `evaluate` and `predict` read batches by index. `fit` takes them in a new shuffled
    order each epoch when `shuffle=True` (lamina's global random generator decides it, so
    `lamina.utils.set_random_seed` makes it reproducible), and calls `on_epoch_begin` and
    `on_epoch_end` around each epoch. With `workers > 1` the next batches are prepared by that
    many threads while the current one trains, at most `max_queue_size` ahead and delivered in
    order; with `use_multiprocessing=True` by processes instead. Data larger than memory works
    the same way: `__getitem__` reads only its batch (from a `np.memmap`, files, images).

    Threads are the right default: NumPy releases the GIL while it copies, reads files and
    multiplies matrices. Worker threads call `__getitem__` concurrently on the same object, so
    it must not change shared state (reading slices of arrays, memmaps or files is safe).
    Processes help only when `__getitem__` is pure Python (decoding, augmentation loops); each
    worker then gets a pickled copy of the dataset, re-sent at each epoch, so the dataset must
    be picklable: keep paths, not open files, and open a memmap in `__getitem__` (a pickled
    `np.memmap` carries its whole content). An error raised by `__getitem__` in a worker, or
    a worker process that dies (killed, out of memory), stops training with a `RuntimeError`
    naming the class and the batch index, chained to the original error.

    Subclasses written for Keras 2's `Sequence`, whose `__init__` does not call
    `super().__init__()`, get the defaults (one worker, threads, a queue of 10).

    Args:
        workers: how many threads or processes prepare batches ahead (1 with threads: in the
            training loop, no prefetching).
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
    >>> model.fit(Batches(x_train, y_train, 128, workers=2), epochs=5)
    """

    # Class-level defaults, for subclasses whose __init__ does not call super().__init__().
    workers: int = 1
    use_multiprocessing: bool = False
    max_queue_size: int = 10

    def __init__(
        self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10
    ) -> None:
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ValueError(
                f"Expected workers to be a positive integer. Received: workers={workers!r}"
            )
        if (
            not isinstance(max_queue_size, int)
            or isinstance(max_queue_size, bool)
            or max_queue_size < 1
        ):
            raise ValueError(
                "Expected max_queue_size to be a positive integer. "
                f"Received: max_queue_size={max_queue_size!r}"
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

    def __iter__(self) -> Iterator[Any]:
        """The batches in order, once (without this, `iter` would index past the end)."""
        for i in range(len(self)):
            yield self[i]

    def on_epoch_begin(self) -> None:
        """Called before each epoch, in the training process."""

    def on_epoch_end(self) -> None:
        """Called after each epoch, in the training process; override to reshuffle or change
        the data (worker processes see the change: they get a fresh copy each epoch)."""

    @property
    def num_batches(self) -> int:
        """Batches per epoch: `len(self)`."""
        return len(self)


Sequence = PyDataset  # the Keras 2 name the book uses
