"""DataParallel: the same model on every process of an MPI job, each on a share of the data.

`Model.fit`, `evaluate` and `predict` consult `active_strategy()`; under a `DataParallel`
distribution of more than one process they:

- at the start of `fit`, copy rank 0's weights, optimizer state (when built) and global random
  state to every process, so that processes seeded differently start equal and shuffle alike;
- split the data (see `lamina.distribution.sharding`): `batch_size` is the global batch;
- average the gradients of each step with one Allreduce over one preallocated flat buffer;
- sum the metrics' states over the processes before logs reach the callbacks, so every process
  sees the same logs and takes the same decisions (EarlyStopping stops them all together);
- give every process rank 0's non-trainable weights (moving statistics) at each epoch's end;
- print progress and write ModelCheckpoint, CSVLogger and BackupAndRestore files on rank 0
  only (the other processes run no ModelCheckpoint or CSVLogger, and read backups only);
- `evaluate` reduces its metrics at the end, `predict` gathers its outputs in order on every
  process; neither makes a collective call per batch.

A watchdog (or any per-step check) appends a callable `(phase, step)` to
`DataParallel.step_listeners`: it is called with `"begin"` before and `"end"` after every
training step, the latter once the step's collective calls are done.
"""

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from lamina import tree
from lamina.backend import get_device, get_xp, global_rng, set_num_threads, to_numpy
from lamina.distribution import communicator, faults
from lamina.distribution.sharding import Shards
from lamina.tensor import Tensor

_current: "DataParallel | None" = None


class DataParallel:
    """Data parallelism over the processes of an MPI job (`mpiexec -n N python -m mpi4py ...`).

    Every process holds the whole model; each step, each process runs its slice of the global
    batch and the gradients are averaged, so N processes train exactly as one process would
    with the same `batch_size`. Arrays are split per batch; a generator or PyDataset must yield
    the same batches on every process, each of which takes every N-th batch, and every process
    runs `len // N` steps per epoch (the last `len % N` batches are left out; `steps_per_epoch`
    counts the data's batches, so an epoch still covers the same data). A global batch of arrays
    with fewer samples than processes is left out of training (never out of `evaluate` or
    `predict`). A last batch smaller than the others is split unevenly and each process's
    gradient weighted by its sample count, so the step equals one process's.

    A `train_step` override must average its gradients itself with
    `lamina.distribution.distribution().reduce_gradients(grads, num_samples)`; `fit` raises a
    RuntimeError after a step that averaged none. `BackupAndRestore` needs its `backup_dir` on a
    file system every process sees; a backup made mid-epoch holds rank 0's metric states, so
    the resumed epoch's running metrics count rank 0's share for every process (the weights,
    optimizer and random state are exact). `train_on_batch` averages the gradients of the
    batches the processes pass (no splitting) and returns this process's logs.

    Args:
        device_mesh: not supported; must be None (Keras's argument, for a mesh of devices).
        devices: None, or one device name per process of the job (as `list_devices()` gives);
            lamina runs one device per process, so the list only documents the job's size.

    Raises:
        ImportError: when mpi4py is not installed (`pip install "lamina[mpi]"`).
        ValueError: for a device mesh, or a device list whose length is not the job's size.

    Example:
    >>> lamina.distribution.set_distribution(lamina.distribution.DataParallel())
    >>> model.fit(x_train, y_train, batch_size=128)  # 128 samples per step over all processes
    """

    def __init__(self, device_mesh: Any = None, devices: list | None = None) -> None:
        if device_mesh is not None:
            raise ValueError(
                "DataParallel in lamina runs one device per MPI process and takes no device "
                "mesh; launch more processes with `mpiexec -n N` instead. "
                f"Received: device_mesh={device_mesh!r}"
            )
        self.rank = communicator.rank()
        self.size = communicator.size()
        if devices is not None and len(devices) != self.size:
            raise ValueError(
                f"DataParallel: expected one device per process of the job ({self.size}, as "
                "lamina.distribution.list_devices() gives), or devices=None. "
                f"Received: devices={devices!r}"
            )
        # Called with ("begin" or "end", step) around every training step (e.g. a watchdog).
        self.step_listeners: list[Callable[[str, int], None]] = []
        self._buffer: np.ndarray | None = None
        self.reductions = 0  # calls of reduce_gradients, to catch a step that made none
        self._reductions_before = 0
        self._step = -1
        self._watchdog: faults.StepWatchdog | None = None

    # ----- the steps -----------------------------------------------------------------------

    def step_begin(self, step: int) -> None:
        """Tell the step listeners that training step `step` starts."""
        self._reductions_before = self.reductions
        self._step = step
        for listener in self.step_listeners:
            listener("begin", step)

    def step_end(self, step: int) -> None:
        """Tell the step listeners that training step `step` ended.

        Raises:
            RuntimeError: when the step averaged no gradients (a `train_step` override that
                does not call `reduce_gradients`): the processes' weights would drift apart.
        """
        if self.reductions == self._reductions_before:
            raise RuntimeError(
                f"DataParallel: training step {step} did not average its gradients over the "
                "processes, so their weights would drift apart. A train_step override must "
                "call `grads = lamina.distribution.distribution().reduce_gradients(grads, "
                "num_samples)` (num_samples: this process's batch size) before "
                "optimizer.apply. Received: a train_step that applied local gradients"
            )
        for listener in self.step_listeners:
            listener("end", step)

    def reduce_gradients(self, grads: list, num_samples: int) -> list:
        """The gradients of the global batch: each process's, weighted by its `num_samples`.

        One Allreduce over one flat buffer (made at the first call) holding every gradient
        times `num_samples`, then `num_samples` itself; the sums are divided by the total.
        A None gradient stays None. Returns host arrays (views of the buffer, valid until the
        next call).
        """
        shapes = [None if g is None else tuple(g.shape) for g in grads]
        sizes = [0 if s is None else int(np.prod(s, dtype=np.int64)) for s in shapes]
        total = sum(sizes) + 1
        if self._buffer is None or self._buffer.size != total:
            dtypes = [g.dtype for g in grads if g is not None]
            self._buffer = np.empty(total, dtype=np.result_type(*dtypes, np.float32))
        buf = self._buffer
        offset = 0
        for g, n in zip(grads, sizes, strict=True):
            if g is not None:
                g = to_numpy(g.data if isinstance(g, Tensor) else g)
                np.multiply(g.reshape(-1), num_samples, out=buf[offset : offset + n])
            offset += n
        buf[-1] = num_samples
        for listener in self.step_listeners:
            listener("allreduce", self._step)
        communicator.allreduce_sum(buf)
        self.reductions += 1
        buf[:-1] /= buf[-1]
        out, offset = [], 0
        for shape, n in zip(shapes, sizes, strict=True):
            out.append(None if shape is None else buf[offset : offset + n].reshape(shape))
            offset += n
        return out

    # ----- fit's start and epochs ------------------------------------------------------------

    def sync_start(self, model: Any) -> None:
        """Give every process rank 0's weights, optimizer state and global random state.

        Also arms the fault handling for the fit: an uncaught exception on any process aborts
        the whole job (`faults.install_excepthook`), and a `faults.StepWatchdog` aborts it when
        a step stalls (`LAMINA_STEP_TIMEOUT` seconds, 60 by default), until `fit_end`.
        """
        faults.install_excepthook()
        if self._watchdog is None:
            self._watchdog = faults.StepWatchdog()
            self._watchdog.start()
            self.step_listeners.append(self._watchdog.on_step)
        arrays = [w.data for w in model.weights]
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and optimizer.built:
            arrays += [v.data for v in optimizer.variables]
        self._broadcast_arrays(arrays)
        rng = global_rng().bit_generator
        rng.state = communicator.broadcast_object(rng.state)

    def fit_end(self) -> None:
        """Stop the step watchdog that `sync_start` started (the fit ended or raised)."""
        if self._watchdog is not None:
            self.step_listeners.remove(self._watchdog.on_step)
            self._watchdog.stop()
            self._watchdog = None

    def sync_epoch_end(self, model: Any) -> None:
        """Give every process rank 0's non-trainable weights (moving statistics that each
        process updated from its own samples)."""
        self._broadcast_arrays([w.data for w in model.non_trainable_weights])

    def _broadcast_arrays(self, arrays: list) -> None:
        """Overwrite `arrays` in place with rank 0's: one broadcast per dtype."""
        by_dtype: dict[np.dtype, list] = {}
        for a in arrays:
            by_dtype.setdefault(np.dtype(a.dtype), []).append(a)
        for dtype, group in by_dtype.items():
            flat = np.concatenate([to_numpy(a).reshape(-1) for a in group]).astype(dtype)
            communicator.broadcast(flat)
            offset = 0
            for a in group:
                a[...] = get_xp(a).asarray(flat[offset : offset + a.size].reshape(a.shape))
                offset += a.size

    # ----- data ----------------------------------------------------------------------------

    def shard(self, adapter: Any, kind: str, training: bool) -> Shards:
        """This process's share of `adapter`'s batches; see `lamina.distribution.sharding`."""
        return Shards(adapter, self.rank, self.size, kind, training)

    def gather_predictions(self, data: Shards, outputs: Any) -> Any:
        """Every process's `predict` outputs (a structure of arrays whose rows follow
        `data.pieces`) on every process, in the order of the data."""
        everyone = communicator.allgather_object(data.pieces)
        placed = []  # (global batch, rank, start row in the gathered array, rows)
        start = 0
        for pieces in everyone:
            for index, rank, rows in pieces:
                placed.append((index, rank, start, rows))
                start += rows
        placed.sort()

        def gather(a: np.ndarray) -> np.ndarray:
            whole = communicator.allgather_rows(a)
            return np.concatenate([whole[s : s + n] for _, _, s, n in placed])

        return tree.map_structure(gather, outputs)

    # ----- logs ----------------------------------------------------------------------------

    @contextmanager
    def global_metrics(self, metrics: list, logs: dict) -> Iterator[dict]:
        """Within the block, every metric holds the sum of its state over the processes.

        Yields the mean over the processes of the entries of `logs` that are plain numbers
        (for logs that do not come from the metrics). Every process must enter the block at
        the same point. The local states are put back after it.
        """
        states = [m.get_state() for m in metrics]
        values = [np.asarray(to_numpy(v)) for s in states for v in s.values()]
        extra = [k for k, v in logs.items() if isinstance(v, float | int)]
        flat = np.concatenate(
            [v.astype(np.float64).reshape(-1) for v in values]
            + [np.array([logs[k] for k in extra], dtype=np.float64)]
        )
        communicator.allreduce_sum(flat)
        offset = 0
        for m, state in zip(metrics, states, strict=True):
            summed = {}
            for key, v in state.items():
                n = np.size(v)
                part = flat[offset : offset + n].reshape(np.shape(v))
                summed[key] = part.astype(np.asarray(v).dtype)
                offset += n
            m.set_state(summed)
        means = dict(zip(extra, (flat[offset:] / self.size).tolist(), strict=True))
        try:
            yield means
        finally:
            for m, state in zip(metrics, states, strict=True):
                m.set_state(state)

    # ----- processes -----------------------------------------------------------------------

    def verbose(self, verbose: int) -> int:
        """`verbose` on rank 0; 0 (silent) on the other processes."""
        return verbose if self.rank == 0 else 0

    def is_chief(self) -> bool:
        return self.rank == 0


def set_distribution(value: "DataParallel | None") -> None:
    """Make `value` the distribution `fit`, `evaluate` and `predict` use (None: none).

    Under `mpiexec`, each process is limited to one BLAS thread unless `LAMINA_NUM_THREADS`
    says otherwise, so that the processes do not compete for the cores.

    Raises:
        TypeError: when `value` is neither a DataParallel nor None.
    """
    global _current
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(
            "set_distribution expects a lamina.distribution.DataParallel or None. "
            f"Received: value={value!r}"
        )
    if value is not None and value.size > 1 and not os.environ.get("LAMINA_NUM_THREADS"):
        set_num_threads(1)
    _current = value


def distribution() -> "DataParallel | None":
    """The distribution `set_distribution` set, or None."""
    return _current


def active_strategy() -> "DataParallel | None":
    """The distribution when it spans more than one process, else None: a job of one process
    trains exactly as without a distribution."""
    return _current if _current is not None and _current.size > 1 else None


def rank() -> int:
    """This process's index in the job (0 without MPI or without mpiexec)."""
    return _current.rank if _current is not None else _world_or_one("rank")


def size() -> int:
    """The number of processes in the job (1 without MPI or without mpiexec)."""
    return _current.size if _current is not None else _world_or_one("size")


def is_chief() -> bool:
    """Whether this process is rank 0, the one that prints and writes files."""
    return rank() == 0


def list_devices(device_type: str | None = None) -> list[str]:
    """One device per process of the job, as `"cpu:0"`, `"cpu:1"`, ... (or `"gpu:..."`).

    Args:
        device_type: `"cpu"` or `"gpu"`; defaults to lamina's current device.
    """
    kind = (device_type or get_device()).lower()
    if kind not in ("cpu", "gpu"):
        raise ValueError(f"Expected device_type 'cpu' or 'gpu'. Received: device_type={kind!r}")
    return [f"{kind}:{i}" for i in range(size())]


def _world_or_one(what: str) -> int:
    """rank() or size() of the MPI job; a lone process until the program imports mpi4py.MPI
    (as `python -m mpi4py` does), so that asking never starts MPI."""
    if "mpi4py.MPI" not in sys.modules:
        return 0 if what == "rank" else 1
    return communicator.rank() if what == "rank" else communicator.size()
