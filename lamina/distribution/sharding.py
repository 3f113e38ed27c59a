"""Each process's share of the batches of a data adapter, for data-parallel training.

`fit` splits each global batch of arrays into `size()` contiguous slices in rank order (so the
processes together see exactly the batch one process would), and gives each process every
`size()`-th batch of a generator or PyDataset, in groups of `size()` so that every process runs
the same number of steps. `evaluate` and `predict` split the same way but drop nothing; each
process records which rows it holds (`pieces`) so that `predict` can put the outputs back in
order.
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
        split_batches: True for arrays (split each batch into slices), False for generators and
            PyDatasets (give whole batches round-robin).
        training: True for `fit`: every process must run the same number of steps, so a
            global batch of arrays with fewer samples than processes, and the last group of
            fewer than `size` generator batches, are skipped. False for `evaluate` and
            `predict`: every sample is used once, and processes may run different step counts.
    """

    def __init__(
        self, adapter: Any, rank: int, size: int, split_batches: bool, training: bool
    ) -> None:
        self.adapter = adapter
        self.rank = rank
        self.size = size
        self.split_batches = split_batches
        self.training = training
        # (global batch index, rank, rows) of each batch this process yielded in the last epoch.
        self.pieces: list[tuple[int, int, int]] = []
        self.steps = self._steps(adapter.steps)

    def _steps(self, steps: int | None) -> int | None:
        if steps is None:
            return None
        if self.split_batches:
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
        if self.split_batches:
            yield from self._split(batches)
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
