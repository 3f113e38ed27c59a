"""Each process's share of the batches of a data adapter, for data-parallel training.

`fit` splits each global batch of arrays into `size()` contiguous slices in rank order (so the
processes together see exactly the batch one process would), and gives each process every
`size()`-th batch of a generator or PyDataset, in groups of `size()` so that every process runs
the same number of steps. A PyDataset is read by index, so each process reads only its own
batches; a generator is drawn whole by every process, which keeps its own batches. `evaluate`
and `predict` split the same way but drop nothing; each process records which rows it holds
(`pieces`) so that `predict` can put the outputs back in order.
"""

from collections.abc import Iterator
from itertools import count, islice
from typing import Any

from lamina import tree


def _rows(batch: tuple) -> int:
    first = next(a for a in tree.flatten(batch) if a is not None)
    return len(first)


def _slice(batch: tuple, lo: int, hi: int) -> tuple:
    return tree.map_structure(lambda a: None if a is None else a[lo:hi], batch)


class Shards:
    """A data adapter's batches for process `rank` of `size`.

    Args:
        adapter: the adapter of the whole data (its `epoch()`, `peek()`, `steps`, `x`, `y`).
        rank: this process's index.
        size: the number of processes.
        kind: `"arrays"` (split each batch into slices), `"indexed"` (a PyDataset adapter, with
            `dataset` and `num_batches`: read batches `rank, rank + size, ...` only) or
            `"stream"` (a generator: deal whole batches round-robin).
        training: True for `fit`: every process must run the same number of steps, so a
            global batch of arrays with fewer samples than processes, and the last group of
            fewer than `size` generator batches, are skipped. False for `evaluate` and
            `predict`: every sample is used once, and processes may run different step counts.
    """

    def __init__(self, adapter: Any, rank: int, size: int, kind: str, training: bool) -> None:
        if kind not in ("arrays", "indexed", "stream"):
            raise ValueError(
                f"Expected kind 'arrays', 'indexed' or 'stream'. Received: kind={kind!r}"
            )
        self.adapter = adapter
        self.rank = rank
        self.size = size
        self.kind = kind
        self.training = training
        # (global batch index, rank, rows) of each batch this process yielded in the last epoch.
        self.pieces: list[tuple[int, int, int]] = []
        self.steps = self._steps(adapter.steps)
        if kind == "indexed":
            total = adapter.num_batches
            adapter.dataset = RankBatches(adapter.dataset, total, rank, size, self.training)
            adapter.num_batches = len(adapter.dataset)
            # `steps` counted batches of the whole dataset; every process now runs its share.
            adapter.steps = self.steps if self.steps else adapter.num_batches
            if adapter.num_batches == 0:
                raise ValueError(
                    f"The dataset has {total} batches, fewer than the {size} processes; each "
                    f"process needs at least one. Received: len(dataset)={total}"
                )

    def _steps(self, steps: int | None) -> int | None:
        if steps is None:
            return None
        if self.kind == "arrays":
            last = self.adapter.n - (steps - 1) * self.adapter.batch_size
            short = 0 < last < self.size and steps * self.adapter.batch_size >= self.adapter.n
            return steps - 1 if self.training and short else steps
        if self.training:
            return steps // self.size
        return len(range(self.rank, steps, self.size))

    def __getattr__(self, name: str) -> Any:
        # x, y and the rest of the adapter's attributes, for the checks made before training.
        if name == "adapter":
            raise AttributeError(name)
        return getattr(self.adapter, name)

    def peek(self) -> tuple:
        """The adapter's first whole batch (for the checks made before training)."""
        return self.adapter.peek()

    def epoch(self) -> Iterator[tuple]:
        self.pieces = []
        batches = self.adapter.epoch()
        if self.kind == "arrays":
            yield from self._split(batches)
        elif self.kind == "indexed":
            for j, batch in enumerate(batches):  # in order: evaluate and predict do not shuffle
                self.pieces.append((j * self.size + self.rank, self.rank, _rows(batch)))
                yield batch
        elif self.training:
            yield from self._grouped(batches)
        else:
            yield from self._round_robin(batches)

    def _split(self, batches: Iterator[tuple]) -> Iterator[tuple]:
        for index, batch in enumerate(batches):
            n = _rows(batch)
            if self.training and n < self.size:
                continue
            lo, hi = n * self.rank // self.size, n * (self.rank + 1) // self.size
            if hi > lo:
                self.pieces.append((index, self.rank, hi - lo))
                yield _slice(batch, lo, hi)

    def _grouped(self, batches: Iterator[tuple]) -> Iterator[tuple]:
        for group in count():
            if self.steps is not None and group >= self.steps:
                return
            batch = list(islice(batches, self.size))
            if len(batch) < self.size:
                return
            self.pieces.append((group * self.size + self.rank, self.rank, _rows(batch[self.rank])))
            yield batch[self.rank]

    def _round_robin(self, batches: Iterator[tuple]) -> Iterator[tuple]:
        for index, batch in enumerate(batches):
            if index % self.size == self.rank:
                self.pieces.append((index, self.rank, _rows(batch)))
                yield batch


class RankBatches:
    """The batches `rank, rank + size, ...` of a PyDataset, as a dataset of their own.

    For training, every process gets `len(dataset) // size` of them (the last
    `len(dataset) % size` batches are left out, so that all run the same number of steps).
    The dataset's other attributes and epoch hooks are its own.
    """

    def __init__(self, dataset: Any, num_batches: int, rank: int, size: int, equal: bool) -> None:
        self.dataset, self.rank, self.size = dataset, rank, size
        self.length = num_batches // size if equal else len(range(rank, num_batches, size))

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> Any:
        return self.dataset[index * self.size + self.rank]

    def __getattr__(self, name: str) -> Any:
        if name == "dataset":
            raise AttributeError(name)
        return getattr(self.dataset, name)
