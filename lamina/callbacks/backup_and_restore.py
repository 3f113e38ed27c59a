"""BackupAndRestore: a training run killed mid-way resumes, bit for bit, when run again.

The backup is one safetensors file, written atomically (`lamina.io.atomic`), so a crash
while writing it leaves the previous backup. It holds

- the model's weights, laid out as in a weights file (`layers/<layer>/vars/<i>`);
- the optimizer's variables (`optimizer/vars/<i>`, `optimizer/ema/<i>`), as in a model file;
- in the metadata entry `training_state`, a JSON document: the position (epoch, batches
  done in that epoch, batches per epoch), the states of the random generators (lamina's
  global one, which shuffles the batches; the state it had when the epoch began, to draw the
  same order again; every `SeedGenerator` of the model, which draw the dropout masks;
  NumPy's and Python's global ones), the learning rate, the metrics' running states, the
  other callbacks' `get_state()` and the History so far. Arrays inside these (metric
  totals, EarlyStopping's best weights) are tensors named `state/<i>`, which the JSON
  refers to.

Nothing is pickled, and reading a backup runs no code from it.
"""

import contextlib
import json
import os
import random
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from lamina.backend import SeedGenerator, global_rng, to_numpy
from lamina.callbacks.callback import Callback
from lamina.callbacks.finite_weights import first_nonfinite_weight
from lamina.callbacks.history import History
from lamina.callbacks.progbar_logger import ProgbarLogger
from lamina.distribution import is_chief
from lamina.io import safetensors_io, weight_store
from lamina.io.atomic import atomic_write
from lamina.serialization.errors import ModelFileError

BACKUP_NAME = "backup.safetensors"
PREVIOUS_NAME = "backup.previous.safetensors"
STATE_KEY = "training_state"
STATE_VERSION = 1
_ARRAY = "__array__"


class BackupAndRestore(Callback):
    """Back up the whole training state as it goes; running the same script again resumes it.

    After a crash (a killed process, a lost machine), running the same script again makes
    `fit` start where the backup was made, and the run ends bit-identical to one that was never
    interrupted: weights, optimizer state, learning rate, the shuffled order of the batches,
    dropout masks, metrics, the epoch and batch counters, the state of the other callbacks
    (EarlyStopping's best value and patience, ...) and the History so far.

    Exact resumption needs the same script: same model, data, callbacks and `fit` arguments.
    Data given as arrays, a `PyDataset` or a re-iterable object is replayed exactly (the
    batches already done in the interrupted epoch are drawn again and skipped); a one-shot
    generator cannot be replayed and simply goes on from where it is. A run whose `epochs` is
    already reached by the backup restores its state and trains no further (as Keras does).
    `fit` runs it after every other callback, so that a backup holds what they all saw; it
    finds them, and asks `fit` to resume, through `model.fit_state` (see `FitState`).

    Args:
        backup_dir: the folder for the backup (made if missing); one folder per training run.
        save_freq: `"epoch"` to back up after every epoch, or a number of batches.
        double_checkpoint: also keep the backup before the last, which is used if the last
            one cannot be read.
        delete_checkpoint: delete the backup when training ends (all epochs done, or stopped
            early), so that the next run starts afresh. A run that diverged keeps it (see below).

    Weights holding NaN or infinite values are never backed up: a warning says so, the
    previous backup stays, and it is not deleted when training ends, so the last good state
    of a diverged run is never lost.

    Example:
    >>> backup = lamina.callbacks.BackupAndRestore("/tmp/backup", save_freq=100)
    >>> model.fit(x, y, epochs=10, callbacks=[backup])  # killed? run the script again
    """

    def __init__(
        self,
        backup_dir: str | os.PathLike,
        save_freq: Any = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError(
                f"BackupAndRestore needs a folder. Received: backup_dir={backup_dir!r}"
            )
        if save_freq != "epoch" and (
            not isinstance(save_freq, int | np.integer)
            or isinstance(save_freq, bool)
            or save_freq < 1
        ):
            raise ValueError(
                "BackupAndRestore: expected save_freq to be 'epoch' or a positive number of "
                f"batches. Received: save_freq={save_freq!r}"
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._epoch = 0
        self._epoch_rng: dict | None = None
        self._batches_since_save = 0
        self._refused = False  # a backup was refused for non-finite weights

    @property
    def backup_path(self) -> str:
        """The backup file."""
        return os.path.join(self.backup_dir, BACKUP_NAME)

    # ----- hooks -----------------------------------------------------------------------------

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._batches_since_save = 0
        self._refused = False
        found = self._read_backup()
        if found is not None:
            resume = _Resume(self, *found)
            self.model.fit_state.resume_from(resume.epoch, resume.step, resume.restore)
            source, _, _, state = found
            self._check_batches_per_epoch(source, state)

    def _check_batches_per_epoch(self, source: str, state: dict) -> None:
        """Warn when a mid-epoch position counts batches of another size than this run's."""
        saved, now = state.get("steps_per_epoch"), self.params.get("steps")
        if not state["step"] or saved is None or now is None or saved == now:
            return
        warnings.warn(
            f"BackupAndRestore: {source} was made after {state['step']} batches of epoch "
            f"{state['epoch'] + 1} of a run with {saved} batches per epoch, but this run has "
            f"{now} (another batch_size, or other data). The position counts batches of the old "
            f"size: lamina skips the first {state['step']} batches of this run and trains the "
            "rest of the epoch, so some of its samples may be trained twice or not at all. "
            "Resume with the same batch_size, or delete the backup to start afresh.",
            UserWarning,
            stacklevel=3,
        )

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        # The last hook before the epoch draws its order: this state draws it again.
        self._epoch = epoch
        self._epoch_rng = global_rng().bit_generator.state

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq and not self.model.stop_training:
            self._batches_since_save = 0
            self._write_backup(self._epoch, batch + 1)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        # A run that is stopping is not backed up: if it dies before it ends, it redoes the
        # epoch from the last backup, deterministically, and stops again.
        if self.save_freq == "epoch" and not self.model.stop_training:
            self._write_backup(epoch + 1, 0)

    def on_train_end(self, logs: dict | None = None) -> None:
        if not self.delete_checkpoint or not is_chief():  # rank 0 alone writes the files
            return
        if self._refused:
            warnings.warn(
                f"BackupAndRestore: training diverged, so the last backup with finite weights "
                f"is kept in {self.backup_dir!r} (delete_checkpoint=True notwithstanding). "
                "Running the script again resumes from it; delete the folder to start afresh.",
                UserWarning,
                stacklevel=2,
            )
            return
        for name in (BACKUP_NAME, PREVIOUS_NAME):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(self.backup_dir, name))
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)  # only if nothing else is in it

    # ----- writing ---------------------------------------------------------------------------

    def _write_backup(self, epoch: int, step: int) -> None:
        if not is_chief():  # data-parallel processes hold the same state; rank 0 writes it
            return
        model = self.model
        bad = first_nonfinite_weight(model)
        if bad is not None:
            self._refused = True
            warnings.warn(
                f"BackupAndRestore: not backing up "
                f"{f'after batch {step} of epoch {epoch + 1}' if step else f'after epoch {epoch}'}"
                f": the weight {bad!r} holds NaN or infinite values (training diverged). The "
                "previous backup, if any, is kept.",
                UserWarning,
                stacklevel=3,
            )
            return
        arrays, metadata = weight_store.weight_arrays(model)
        optimizer_arrays, optimizer_metadata = model.optimizer.state_arrays(model.weights)
        arrays.update(optimizer_arrays)
        metadata.update(optimizer_metadata)
        history = model.history
        state = {
            "version": STATE_VERSION,
            "epoch": epoch,
            "step": step,
            "steps_per_epoch": self.params.get("steps"),
            "epoch_rng": self._epoch_rng if step else None,
            "random": _random_state(model),
            "learning_rate": _float_learning_rate(model.optimizer),
            "metrics": [[m.name, m.get_state()] for m in model.fit_state.metrics()],
            "callbacks": [[type(c).__name__, c.get_state()] for c in self._stateful()],
            "history": {"epoch": list(history.epoch), "history": dict(history.history)},
        }
        extra: dict[str, np.ndarray] = {}
        metadata[STATE_KEY] = json.dumps(_encode(state, extra))
        arrays.update(extra)
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self.backup_path):
            os.replace(self.backup_path, os.path.join(self.backup_dir, PREVIOUS_NAME))
        atomic_write(self.backup_path, lambda f: safetensors_io.write(f, arrays, metadata))

    def _stateful(self) -> list:
        """The other callbacks that have a state to back up (History is backed up apart)."""
        skip = (History, ProgbarLogger, BackupAndRestore)
        others = [c for c in self.model.fit_state.callbacks if not isinstance(c, skip)]
        return [c for c in others if c.get_state()]

    # ----- reading ---------------------------------------------------------------------------

    def _read_backup(self) -> tuple | None:
        paths = [self.backup_path]
        if self.double_checkpoint:
            paths.append(os.path.join(self.backup_dir, PREVIOUS_NAME))
        for i, path in enumerate(paths):
            if not os.path.exists(path):
                continue
            try:
                return _read(path)
            except ModelFileError as err:
                if i + 1 == len(paths):
                    raise
                warnings.warn(f"{err} Resuming from the backup before it.", stacklevel=2)
        return None


class _Resume:
    """Where an interrupted run stopped, and how to put its state back (`FitState.resume_from`)."""

    def __init__(
        self, owner: BackupAndRestore, source: str, store: Any, metadata: dict, state: dict
    ) -> None:
        self.owner = owner
        self.source = source
        self.store = store  # the weights and the optimizer's variables
        self.metadata = metadata
        self.state = state
        self.epoch = state["epoch"]
        self.step = state["step"]

    def restore(self, batches: Iterator | None) -> dict:
        """Restore the run's state; mid-epoch, first draw the `step` batches already done.

        Returns:
            The logs of the last batch done (empty between epochs).
        """
        model, state = self.owner.model, self.state
        others = self._check_same_run(model)
        if batches is not None:
            global_rng().bit_generator.state = state["epoch_rng"]
            for _ in range(self.step):
                if next(batches, None) is None:
                    raise ValueError(
                        f"{self.source} was made after {self.step} batches of epoch "
                        f"{self.epoch + 1}, but the data now yields fewer. Resume with the same "
                        "data, or delete the backup to start afresh."
                    )
            self.owner._epoch_rng = state["epoch_rng"]
        weight_store.assign_weights(model, self.store)
        try:
            model.optimizer.load_state_arrays(self.store.extra, self.metadata, model.weights)
        except ValueError as e:
            raise ModelFileError(f"{self.source}: the optimizer state does not fit: {e}") from None
        if state["learning_rate"] is not None and _float_learning_rate(model.optimizer) is not None:
            model.optimizer.learning_rate = state["learning_rate"]
        _set_random_state(model, state["random"])
        metrics = model.fit_state.metrics()
        for metric, (_, metric_state) in zip(metrics, state["metrics"], strict=True):
            metric.set_state(metric_state)
        for callback, (_, callback_state) in zip(others, state["callbacks"], strict=True):
            callback.set_state(callback_state)
        model.history.epoch[:] = state["history"]["epoch"]
        model.history.history.clear()
        model.history.history.update(state["history"]["history"])
        return model.get_metrics_result() if batches is not None else {}

    def _check_same_run(self, model: Any) -> list:
        """Check, before changing anything, that this run is the one backed up; returns the
        callbacks whose state to restore."""

        state, again = self.state, "or delete the backup to start afresh"
        others = self.owner._stateful()
        names = [type(c).__name__ for c in others]
        saved = [name for name, _ in state["callbacks"]]
        if names != saved:
            raise ValueError(
                f"{self.source} was made with the callbacks {saved}, but this run has {names}. "
                f"Resume with the same callbacks, {again}."
            )
        saved = len(state["random"]["seed_generators"])
        if saved != len(_seed_generators(model)):
            raise ValueError(
                f"{self.source} holds {saved} layer random generators (dropout), but the model "
                f"has {len(_seed_generators(model))}. Resume with the same model, {again}."
            )
        saved = [name for name, _ in state["metrics"]]
        metrics = model.fit_state.metrics()
        if len(saved) > len(metrics):
            # The per-output loss trackers are made at the first batch; this run has none yet.
            metrics = model.fit_state.metrics(per_output_losses=True)
        names = [m.name for m in metrics]
        if names != saved:
            raise ValueError(
                f"{self.source} holds the metrics {saved}, but the model has {names}. "
                f"Resume with the same compile arguments, {again}."
            )
        return others


def _read(path: str) -> tuple[str, Any, dict, dict]:
    source = repr(path)
    with open(path, "rb") as f:
        arrays, metadata = safetensors_io.read(f, os.fstat(f.fileno()).st_size, source)
    if STATE_KEY not in metadata:
        raise ModelFileError(f"{source} is not a lamina backup: it has no {STATE_KEY!r}.")
    try:
        state = json.loads(metadata[STATE_KEY])
    except ValueError as err:
        raise ModelFileError(f"{source}: its training state is not valid JSON ({err}).") from None
    extra = {k: arrays.pop(k) for k in list(arrays) if k.startswith("state/")}
    state = _decode(state, extra, source)
    version = state.get("version") if isinstance(state, dict) else None
    if version != STATE_VERSION:
        raise ModelFileError(
            f"{source}: unknown training state version {version!r}; this lamina reads "
            f"{STATE_VERSION}."
        )
    position = [state.get("epoch"), state.get("step")]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in position):
        raise ModelFileError(f"{source}: its epoch and step are not counts. Received: {position}")
    store = weight_store.store_from_arrays(arrays, metadata, source)
    return source, store, metadata, state


# ----- pieces of the state ------------------------------------------------------------------


def _float_learning_rate(optimizer: Any) -> float | None:
    # A schedule follows the restored step counter; only a plain rate needs saving.
    return optimizer.learning_rate if isinstance(optimizer._learning_rate, float) else None


def _seed_generators(model: Any) -> list[SeedGenerator]:
    """Every SeedGenerator held by the model's layers, breadth first (a fixed order)."""
    found: list[SeedGenerator] = []
    layers, seen = [model], {id(model)}
    for layer in layers:
        found += [v for v in vars(layer).values() if isinstance(v, SeedGenerator)]
        for sub in layer._sublayers:
            if id(sub) not in seen:
                seen.add(id(sub))
                layers.append(sub)
    return found


def _random_state(model: Any) -> dict:
    version, internal, gauss = random.getstate()
    return {
        "lamina": global_rng().bit_generator.state,
        "numpy": np.random.get_state(legacy=False),
        "python": [version, list(internal), gauss],
        "seed_generators": [g.get_state() for g in _seed_generators(model)],
    }


def _set_random_state(model: Any, saved: dict) -> None:
    global_rng().bit_generator.state = saved["lamina"]
    np.random.set_state(saved["numpy"])
    version, internal, gauss = saved["python"]
    random.setstate((version, tuple(internal), gauss))
    for generator, state in zip(_seed_generators(model), saved["seed_generators"], strict=True):
        generator.set_state(state)


# ----- JSON with arrays ---------------------------------------------------------------------


def _encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """`value` as JSON-safe data; each array goes into `arrays` as `state/<i>`."""
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"A backed-up dict needs string keys. Received: {list(value)[:5]}")
        return {k: _encode(v, arrays) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v, arrays) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic) or hasattr(value, "__array__"):
        name = f"state/{len(arrays)}"
        arrays[name] = np.array(to_numpy(value), order="C")
        return {_ARRAY: name, "scalar": isinstance(value, np.generic)}
    raise TypeError(
        "A backup holds numbers, strings, None, lists, dicts and arrays. "
        f"Received: a {type(value).__name__} in a callback's or metric's state"
    )


def _decode(value: Any, arrays: dict[str, np.ndarray], source: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {_ARRAY, "scalar"}:
            array = arrays.get(value[_ARRAY]) if isinstance(value[_ARRAY], str) else None
            if array is None:
                raise ModelFileError(f"{source}: its state refers to a missing tensor.")
            return array[()] if value["scalar"] else array
        return {k: _decode(v, arrays, source) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, arrays, source) for v in value]
    return value
