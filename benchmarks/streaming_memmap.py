"""Training from disk: one epoch of the book's first network on a 4 GB float32 memmap.

The issue's acceptance test for data larger than memory. The parent writes 1.3 million
MNIST-shaped rows (MNIST's 60,000 training images repeated with Gaussian noise, 4.1 GB of
float32, plus one-hot labels) to `.npy` files in a temporary folder, in chunks, and deletes them
at the end. Each side then trains Deep Learning with Python's first network (Dense 512 relu,
Dense 10 softmax, RMSprop, categorical cross-entropy, batch 128, shuffled) for one epoch in its
own process:

- memory: `fit(x, y)` on MNIST's 60,000 rows held in memory (the reference).
- memmap: `fit(x, y)` on the memmap (`np.load(path, mmap_mode="r")`): each batch gathers its
  rows from the file, the shuffled row indices sorted within the batch so reads go forwards.
- pydataset: a `PyDataset` whose `__getitem__` reads a contiguous slice of the memmap, with two
  worker threads prefetching while a batch trains (batch order shuffled per epoch).
- processes: the same PyDataset with `use_multiprocessing=True` (not run by default).

Each child reports the epoch time per sample and its peak anonymous resident memory
(`RssAnon` in /proc/self/status, sampled every 5 ms: the process's own buffers; the mapped
file's page cache is `RssFile` and does not count). The acceptance: peak RssAnon under 1 GB on
the memmap, and the time per sample within 15% of the in-memory run. The in-memory side runs
several epochs and several times (first, between and after the disk sides), and the summary
also compares the best 469-step stretch of each side and the CPU time per sample (of the
training process: worker processes are not counted), which other processes on a shared
machine disturb much less than the wall time.

Page cache: the 4.1 GB file fits in the page cache of a machine with enough free memory, and
right after it is written it is cached, so the memmap sides read from memory through page
faults; that is allowed by the issue and is what the default run measures. `--cold` drops the
file from the cache (fsync, then posix_fadvise DONTNEED) before each memmap side, so the epoch
reads from the disk.

The children run without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (set on some machines for old
OpenBLAS builds; they slow a current NumPy's OpenBLAS about 1.8x), with the same BLAS thread
count; the table names the BLAS kernel that threadpoolctl reports.

Usage:
    python benchmarks/streaming_memmap.py             # memory, memmap, memory, pydataset, memory
    python benchmarks/streaming_memmap.py --threads 2 --sides memory,pydataset --cold
    python benchmarks/streaming_memmap.py --rows 200000       # a quicker, smaller file
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import harness
import numpy as np

import lamina

FEATURES, HIDDEN, CLASSES, BATCH = 784, 512, 10, 128
ROWS = 1_300_000
NOISE = 0.1
CHUNK = 20_000  # rows per write: 63 MB
WARMUP_STEPS = 5
SEGMENT = 469  # steps in one epoch of MNIST's 60,000 rows
ANON_LIMIT_MB = 1000
TIME_TOLERANCE = 0.15
DROPPED_ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def load_mnist() -> tuple[np.ndarray, np.ndarray]:
    """MNIST's training set as (60000, 784) float32 in [0, 1] and one-hot float32 labels."""
    from lamina.datasets import mnist

    (images, labels), _ = mnist.load_data()
    x = images.reshape(len(images), FEATURES).astype(np.float32)
    x /= 255
    return x, np.eye(CLASSES, dtype=np.float32)[labels]


def write_dataset(folder: Path, rows: int, seed: int = 0) -> tuple[Path, Path]:
    """Writes `rows` noisy copies of MNIST's rows to x.npy / y.npy, CHUNK rows at a time."""
    x_path, y_path = folder / "x.npy", folder / "y.npy"
    base_x, base_y = load_mnist()
    rng = np.random.default_rng(seed)
    x = np.lib.format.open_memmap(x_path, mode="w+", dtype=np.float32, shape=(rows, FEATURES))
    y = np.lib.format.open_memmap(y_path, mode="w+", dtype=np.float32, shape=(rows, CLASSES))
    for start in range(0, rows, CHUNK):
        stop = min(start + CHUNK, rows)
        source = np.arange(start, stop) % len(base_x)
        chunk = rng.standard_normal((stop - start, FEATURES), dtype=np.float32)
        chunk *= NOISE
        chunk += base_x[source]
        np.clip(chunk, 0, 1, out=chunk)
        x[start:stop] = chunk
        y[start:stop] = base_y[source]
    x.flush()
    y.flush()
    del x, y
    for path in (x_path, y_path):  # written back now, not during a timed epoch
        with open(path, "rb+") as f:
            os.fsync(f.fileno())
    return x_path, y_path


def drop_from_page_cache(path: Path) -> None:
    with open(path, "rb") as f:
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


# ----- the child side ---------------------------------------------------------------------


def memory_status() -> dict[str, float]:
    """RssAnon and RssFile of this process, in MiB."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("RssAnon", "RssFile"):
                values[key] = int(line.split()[1]) / 1024
    return values


class PeakSampler:
    """Samples this process's RssAnon and RssFile every `interval` seconds in a thread."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.peak = memory_status()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        for key, value in memory_status().items():
            self.peak[key] = max(self.peak[key], value)

    def __enter__(self) -> "PeakSampler":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self._sample()


class MemmapBatches(lamina.utils.PyDataset):
    """Contiguous batches of rows from .npy files, mapped lazily in each process that reads."""

    def __init__(self, x_path: str, y_path: str, batch_size: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.paths, self.batch_size = (x_path, y_path), batch_size
        self.arrays: list | None = None
        self.rows = len(np.load(x_path, mmap_mode="r"))

    def __getstate__(self) -> dict:  # a worker process maps the files itself: no 4 GB pickle
        return {**self.__dict__, "arrays": None}

    def __len__(self) -> int:
        return -(-self.rows // self.batch_size)

    def __getitem__(self, index: int) -> tuple:
        if self.arrays is None:
            self.arrays = [np.load(path, mmap_mode="r") for path in self.paths]
        s = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return tuple(np.array(a[s]) for a in self.arrays)


class SegmentClock(lamina.callbacks.Callback):
    """Wall seconds per SEGMENT steps (an MNIST epoch's worth): their best is the speed
    under the least interference from other processes on a shared machine."""

    def __init__(self) -> None:
        super().__init__()
        self.wall: list[float] = []  # of full segments only

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.mark = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if (batch + 1) % SEGMENT == 0:
            now = time.perf_counter()
            self.wall.append(now - self.mark)
            self.mark = now


def run_side(side: str, args: argparse.Namespace) -> dict:
    """Builds the model, warms it up, then trains the side's epoch(s) under the sampler."""
    from threadpoolctl import threadpool_info

    harness.pin_threads(args.threads)
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [
            lamina.layers.Dense(HIDDEN, activation="relu", input_shape=(FEATURES,)),
            lamina.layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    warm = WARMUP_STEPS * BATCH
    rng = np.random.default_rng(0)
    warm_y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, warm)]
    model.fit(rng.random((warm, FEATURES), dtype=np.float32), warm_y, batch_size=BATCH, verbose=0)
    start = memory_status()
    epochs = args.memory_epochs if side == "memory" else 1
    wall, cpu, clock = [], [], SegmentClock()
    with PeakSampler() as sampler:
        if side == "memory":
            x, y = load_mnist()
        elif side == "memmap":
            x, y = np.load(args.x, mmap_mode="r"), np.load(args.y, mmap_mode="r")
        else:
            processes = side == "processes"
            x = MemmapBatches(
                args.x, args.y, BATCH, workers=args.workers, use_multiprocessing=processes
            )
            y = None
        samples = len(x) if y is not None else x.rows
        for _ in range(epochs):
            begin = time.perf_counter(), time.process_time()
            batch_size = None if y is None else BATCH
            history = model.fit(x, y, batch_size=batch_size, verbose=0, callbacks=[clock])
            wall.append(time.perf_counter() - begin[0])
            cpu.append(time.process_time() - begin[1])
    blas = [
        f"{i['internal_api']} {i['version']} kernel {i.get('architecture')}, "
        f"{i['num_threads']} threads"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    return {
        "side": side,
        "samples": samples,
        "epoch_s": statistics.median(wall),
        "us_per_sample": statistics.median(wall) / samples * 1e6,
        "cpu_us_per_sample": statistics.median(cpu) / samples * 1e6,
        "best_segment_us": min(clock.wall) / (SEGMENT * BATCH) * 1e6,
        "anon_start_mb": start["RssAnon"],
        "anon_peak_mb": sampler.peak["RssAnon"],
        "file_peak_mb": sampler.peak["RssFile"],
        "loss": history.history["loss"][-1],
        "accuracy": history.history["accuracy"][-1],
        "blas": blas[0] if blas else "?",
        "env": {name: os.environ.get(name) for name in DROPPED_ENV_VARS},
    }


# ----- the parent -------------------------------------------------------------------------


def launch(side: str, args: argparse.Namespace, x_path: Path, y_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV_VARS}
    env.update({name: str(args.threads) for name in harness.THREAD_ENV_VARS})
    if args.cold and side != "memory":
        for path in (x_path, y_path):
            drop_from_page_cache(path)
    command = [sys.executable, __file__, "--side", side, "--x", str(x_path), "--y", str(y_path)]
    command += ["--threads", str(args.threads), "--workers", str(args.workers)]
    command += ["--memory-epochs", str(args.memory_epochs)]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"side {side!r} failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(results: list[dict]) -> None:
    """The table, then each disk side against the in-memory runs, by three measures.

    - epoch: the epoch's wall time per sample (the issue's figure), against the median of the
      in-memory runs;
    - best: the best 469-step stretch of each (the least disturbed by other processes);
    - cpu: the process's CPU time per sample (all its threads; blind to waiting for the disk).
    """
    print(
        f"{'side':<10}{'samples':>9}{'epoch s':>9}{'us/sample':>10}{'best us':>9}{'cpu us':>8}"
        f"{'anon start':>11}{'anon peak':>10}{'file peak':>10}{'loss':>7}{'acc':>7}"
    )
    for r in results:
        print(
            f"{r['side']:<10}{r['samples']:>9}{r['epoch_s']:>9.1f}{r['us_per_sample']:>10.1f}"
            f"{r['best_segment_us']:>9.1f}{r['cpu_us_per_sample']:>8.1f}"
            f"{r['anon_start_mb']:>11.0f}{r['anon_peak_mb']:>10.0f}{r['file_peak_mb']:>10.0f}"
            f"{r['loss']:>7.3f}{r['accuracy']:>7.3f}"
        )
    print(f"(memory in MiB; BLAS: {results[0]['blas']}; environment {results[0]['env']})")
    memory = [r for r in results if r["side"] == "memory"]
    if not memory:
        return
    reference = {
        "epoch": statistics.median(r["us_per_sample"] for r in memory),
        "best": min(r["best_segment_us"] for r in memory),
        "cpu": statistics.median(r["cpu_us_per_sample"] for r in memory),
    }
    for r in results:
        if r["side"] == "memory":
            continue
        ratio = {
            "epoch": r["us_per_sample"] / reference["epoch"],
            "best": r["best_segment_us"] / reference["best"],
            "cpu": r["cpu_us_per_sample"] / reference["cpu"],
        }
        verdict = "within" if ratio["epoch"] <= 1 + TIME_TOLERANCE else "NOT within"
        anon = "under" if r["anon_peak_mb"] < ANON_LIMIT_MB else "NOT under"
        print(
            f"{r['side']}: time per sample {ratio['epoch']:.2f}x the in-memory run's "
            f"({verdict} {TIME_TOLERANCE:.0%}; best stretch {ratio['best']:.2f}x, CPU "
            f"{ratio['cpu']:.2f}x); peak RssAnon {r['anon_peak_mb']:.0f} MiB ({anon} 1 GB, "
            f"{r['anon_peak_mb'] - r['anon_start_mb']:+.0f} MiB over its start)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", default="memory,memmap,memory,pydataset,memory")
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    parser.add_argument("--workers", type=int, default=2, help="PyDataset workers")
    parser.add_argument("--memory-epochs", type=int, default=3, help="median of N epochs")
    parser.add_argument("--cold", action="store_true", help="drop the file from the cache")
    parser.add_argument("--dir", default=None, help="where to write the file (default: tmp)")
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--x", help=argparse.SUPPRESS)
    parser.add_argument("--y", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(harness.ROOT))  # the working tree's lamina
    if args.side:
        print(json.dumps(run_side(args.side, args)), flush=True)
        return
    sides = [s for s in args.sides.split(",") if s]
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="lamina-memmap-") as folder:
        begin = time.perf_counter()
        x_path, y_path = write_dataset(Path(folder), args.rows)
        size_gb = (x_path.stat().st_size + y_path.stat().st_size) / 1e9
        print(
            f"wrote {args.rows} rows ({size_gb:.2f} GB) in {time.perf_counter() - begin:.0f} s; "
            f"threads={args.threads} workers={args.workers} cold={args.cold}",
            flush=True,
        )
        results = []
        for side in sides:
            results.append(launch(side, args, x_path, y_path))
            r = results[-1]
            print(f"  {side}: {r['epoch_s']:.1f} s, peak RssAnon {r['anon_peak_mb']:.0f} MiB")
    report(results)


if __name__ == "__main__":
    main()
