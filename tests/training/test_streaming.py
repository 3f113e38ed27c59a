"""Data larger than memory: memmaps read per batch, batch shuffling, generators over files."""

import json
import subprocess
import sys

import numpy as np
import pytest

import lamina
from lamina.training.data_adapters import ArrayAdapter
from lamina.utils import PyDataset


def memmap_of(tmp_path, array, name="x.npy"):
    path = tmp_path / name
    out = np.lib.format.open_memmap(path, mode="w+", dtype=array.dtype, shape=array.shape)
    out[:] = array
    out.flush()
    del out
    return np.load(path, mmap_mode="r")


def row_ids(batch_x):
    return batch_x[:, 0].astype(int).tolist()


@pytest.mark.parametrize("shuffle", [False, True, "batch"])
def test_memmap_is_read_batch_by_batch(tmp_path, shuffle):
    x = memmap_of(tmp_path, np.repeat(np.arange(50, dtype=np.float32)[:, None], 3, axis=1))
    adapter = ArrayAdapter(x, None, None, batch_size=8, shuffle=shuffle)
    assert adapter.x is x  # no copy of the whole array
    seen = []
    for bx, _, _ in adapter.epoch():
        assert type(bx) is np.ndarray and len(bx) <= 8  # this batch's rows, read into memory
        seen += row_ids(bx)
    assert sorted(seen) == list(range(50))
    assert (seen == list(range(50))) == (shuffle is False)


def test_shuffled_memmap_rows_are_read_in_file_order_within_a_batch(tmp_path):
    x = memmap_of(tmp_path, np.arange(100, dtype=np.float32)[:, None])
    y = memmap_of(tmp_path, np.arange(100, dtype=np.int64), "y.npy")
    batches = [
        (row_ids(bx), by.tolist()) for bx, by, _ in ArrayAdapter(x, y, None, 10, True).epoch()
    ]
    for ids, labels in batches:
        assert ids == sorted(ids) and ids == labels
    assert [ids for ids, _ in batches] != [list(range(i, i + 10)) for i in range(0, 100, 10)]
    # In memory, the rows keep the permutation's order.
    in_memory = ArrayAdapter(np.arange(100.0)[:, None], None, None, 10, True)
    assert any(row_ids(bx) != sorted(row_ids(bx)) for bx, _, _ in in_memory.epoch())


def test_batch_shuffle_reads_contiguous_blocks_in_a_new_order(tmp_path):
    x = np.arange(45, dtype=np.float32)[:, None]
    lamina.utils.set_random_seed(0)
    epochs = [[row_ids(bx) for bx, _, _ in ArrayAdapter(x, None, None, 10, "batch").epoch()]]
    epochs.append([row_ids(bx) for bx, _, _ in ArrayAdapter(x, None, None, 10, "batch").epoch()])
    for batches in epochs:
        blocks = [sorted(ids) for ids in batches]
        assert sorted(blocks) == [list(range(i, min(i + 10, 45))) for i in range(0, 45, 10)]
    assert epochs[0] != epochs[1]
    assert any(ids != sorted(ids) for ids in epochs[0])  # shuffled within the block too
    lamina.utils.set_random_seed(0)
    again = [row_ids(bx) for bx, _, _ in ArrayAdapter(x, None, None, 10, "batch").epoch()]
    assert again == epochs[0]


def test_shuffle_must_be_a_known_value():
    with pytest.raises(ValueError, match="shuffle='global'"):
        ArrayAdapter(np.zeros((4, 1)), None, None, 2, "global")


def test_fit_on_a_memmap_matches_fit_in_memory(tmp_path, data, make_classifier):
    x, y = data
    weights = []
    for xs, ys in ((x, y), (memmap_of(tmp_path, x), memmap_of(tmp_path, y, "y.npy"))):
        lamina.utils.set_random_seed(5)
        model = make_classifier()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        model.fit(xs, ys, batch_size=8, epochs=2, shuffle="batch", verbose=0)
        weights.append([w.numpy() for w in model.weights])
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)


class FileBatches(PyDataset):
    """One batch per .npz file: a PyDataset over files, read by worker threads."""

    def __init__(self, paths, **kwargs):
        super().__init__(**kwargs)
        self.paths = paths

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        with np.load(self.paths[index]) as f:
            return f["x"], f["y"]


def test_training_from_files(tmp_path, data, make_classifier):
    x, y = data
    paths = []
    for i in range(5):
        paths.append(tmp_path / f"batch{i}.npz")
        np.savez(paths[-1], x=x[i * 8 : (i + 1) * 8], y=y[i * 8 : (i + 1) * 8])

    def endless_reader():
        while True:
            for path in paths:
                with np.load(path) as f:
                    yield f["x"], f["y"]

    results = []
    for source, kwargs in (
        (FileBatches(paths, workers=2), {}),
        (endless_reader(), {"steps_per_epoch": 5}),
        (x, {"y": y, "batch_size": 8}),
    ):
        lamina.utils.set_random_seed(5)
        model = make_classifier()
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        model.fit(source, epochs=2, shuffle=False, verbose=0, **kwargs)
        results.append([w.numpy() for w in model.weights])
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            np.testing.assert_array_equal(a, b)


# Trains one epoch from a memmap through fit(x, y) and through a PyDataset with two workers,
# sampling RssAnon (anonymous memory: the process's own buffers, not the file's page cache).
CHILD = """
import json, sys, threading, time
import numpy as np
import lamina

def rss_anon_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024

class Rows(lamina.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
    def __len__(self):
        return -(-len(self.x) // self.batch_size)
    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return np.array(self.x[s]), np.array(self.y[s])

model = lamina.Sequential([
    lamina.layers.Dense(32, activation="relu", input_shape=(784,)),
    lamina.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
model.fit(np.zeros((512, 784), "float32"), np.zeros(512, "int64"), batch_size=256, verbose=0)
start = peak = rss_anon_mb()
done = threading.Event()

def sample():
    global peak
    while not done.wait(0.002):
        peak = max(peak, rss_anon_mb())

sampler = threading.Thread(target=sample)
sampler.start()
x, y = np.load(sys.argv[1], mmap_mode="r"), np.load(sys.argv[2], mmap_mode="r")
model.fit(x, y, batch_size=256, epochs=1, shuffle=True, verbose=0)
model.fit(Rows(x, y, 256, workers=2), epochs=1, verbose=0)
done.set()
sampler.join()
print(json.dumps({"start_mb": start, "peak_mb": max(peak, rss_anon_mb())}))
"""


def test_training_on_a_200mb_memmap_keeps_anonymous_memory_low(tmp_path):
    rows = 64_000  # 784 float32 each: 200 MB
    px, py = tmp_path / "x.npy", tmp_path / "y.npy"
    try:
        x = np.lib.format.open_memmap(px, mode="w+", dtype=np.float32, shape=(rows, 784))
        rng = np.random.default_rng(0)
        for start in range(0, rows, 8000):
            x[start : start + 8000] = rng.random((8000, 784), dtype=np.float32)
        x.flush()
        del x
        np.save(py, rng.integers(0, 10, rows))
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(px), str(py)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        memory = json.loads(proc.stdout.strip().splitlines()[-1])
        assert memory["peak_mb"] - memory["start_mb"] < 150, memory
    finally:
        px.unlink(missing_ok=True)
        py.unlink(missing_ok=True)
