"""Each process's share of the batches, worked out for 2 processes without MPI."""

import sys

import numpy as np
import pytest

from lamina.distribution import communicator
from lamina.distribution.sharding import Shards
from lamina.training.py_dataset import PyDataset
from lamina.training.py_dataset_adapter import PyDatasetAdapter


class Arrays:
    """An array adapter's interface: `n` samples in batches of `batch_size`, in order."""

    def __init__(self, n: int, batch_size: int):
        self.n, self.batch_size = n, batch_size
        self.steps = -(-n // batch_size)

    def peek(self):
        return next(self.epoch())

    def epoch(self):
        rows = np.arange(self.n)
        for i in range(self.steps):
            part = rows[i * self.batch_size : (i + 1) * self.batch_size]
            yield part, part * 10, None


class Stream:
    """A generator adapter's interface: `count` whole batches numbered from 0."""

    def __init__(self, count: int, steps: int | None):
        self.count, self.steps = count, steps

    def epoch(self):
        for i in range(self.count):
            yield np.full(3, i), None, None


def _take(adapter, training):
    kind = "arrays" if isinstance(adapter, Arrays) else "stream"
    return [
        [b[0].tolist() for b in Shards(adapter, r, 2, kind, training).epoch()] for r in range(2)
    ]


def test_each_global_batch_is_split_in_rank_order():
    rank0, rank1 = _take(Arrays(9, 4), training=True)
    # The last batch holds 1 sample, fewer than the processes: left out of training.
    assert rank0 == [[0, 1], [4, 5]]
    assert rank1 == [[2, 3], [6, 7]]
    assert Shards(Arrays(9, 4), 0, 2, "arrays", True).steps == 2


def test_evaluation_uses_every_sample_once():
    rank0, rank1 = _take(Arrays(9, 4), training=False)
    assert rank0 == [[0, 1], [4, 5]]
    assert rank1 == [[2, 3], [6, 7], [8]]
    shards = Shards(Arrays(9, 4), 1, 2, "arrays", False)
    list(shards.epoch())
    assert shards.pieces == [(0, 1, 2), (1, 1, 2), (2, 1, 1)]


def test_streams_are_dealt_round_robin_and_truncated_for_training():
    assert _take(Stream(5, None), training=True) == [[[0] * 3, [2] * 3], [[1] * 3, [3] * 3]]
    assert _take(Stream(5, None), training=False) == [
        [[0] * 3, [2] * 3, [4] * 3],
        [[1] * 3, [3] * 3],
    ]
    assert Shards(Stream(5, 5), 0, 2, "stream", True).steps == 2
    assert Shards(Stream(5, 5), 0, 2, "stream", False).steps == 3
    assert Shards(Stream(5, 5), 1, 2, "stream", False).steps == 2


class Numbered(PyDataset):
    """Batch i holds three copies of i; records the indices read."""

    def __init__(self, n: int):
        super().__init__()
        self.n, self.read = n, []

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.read.append(i)
        return np.full((3, 1), float(i)), np.zeros(3)


@pytest.mark.parametrize(
    ("training", "want"), [(True, [[0, 2], [1, 3]]), (False, [[0, 2, 4], [1, 3]])]
)
def test_a_py_dataset_is_read_only_at_each_process_s_own_batches(training, want):
    got = []
    for rank in range(2):
        dataset = Numbered(5)
        shards = Shards(PyDatasetAdapter(dataset, False, None), rank, 2, "indexed", training)
        assert shards.steps == len(want[rank])
        got.append([int(b[0][0, 0]) for b in shards.epoch()])
        assert dataset.read == want[rank]
    assert got == want


def test_without_mpi4py_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(communicator, "_comm", None)
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r'pip install "lamina\[mpi\]"'):
        communicator.rank()


def test_set_distribution_refuses_other_objects():
    from lamina import distribution

    with pytest.raises(TypeError, match="Received: value='data'"):
        distribution.set_distribution("data")
    assert distribution.distribution() is None


def test_without_mpi_the_process_is_alone(monkeypatch):
    from lamina import distribution

    monkeypatch.delitem(sys.modules, "mpi4py.MPI", raising=False)
    assert (distribution.rank(), distribution.size(), distribution.is_chief()) == (0, 1, True)
    assert distribution.list_devices("cpu") == ["cpu:0"]
