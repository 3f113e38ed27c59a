"""Data adapters: turn arrays, generators and iterables into batches of (x, y, sample_weight)."""

import inspect
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from lamina import tree
from lamina.backend import global_rng, is_array
from lamina.tensor import Tensor
from lamina.training.py_dataset import PyDataset


def flatten_arrays(data: Any) -> list:
    """The arrays in `data` (an array or a structure of arrays), in order; None is skipped."""
    return [a for a in tree.flatten(data) if a is not None]


def map_arrays(fn: Any, data: Any) -> Any:
    """Apply `fn` to each array in `data`, keeping its structure; None stays None."""
    return tree.map_structure(lambda a: None if a is None else fn(a), data)


def _as_array(a: Any, arg: str, method: str) -> Any:
    if isinstance(a, Tensor):
        return a.data
    if is_array(a):
        return a
    try:
        arr = np.asarray(a)
    except ValueError:  # NumPy refuses nested lists of uneven lengths
        arr = np.asarray(a, dtype=object)
    if arr.dtype == object:
        raise ValueError(
            f"{method}: {arg} is not a regular array of numbers (nested lists must have equal "
            "lengths at each level); pad sequences to one length with "
            f"lamina.utils.pad_sequences, or pass a NumPy array. Received: {arg}={a!r:.80}"
        )
    return arr


def _holds_numbers(data: Any) -> bool:
    """Whether a (nested) list holds plain numbers or strings, judged by its first items, as
    Keras does: such a list is one array, while a list of arrays is several inputs."""
    while isinstance(data, list | tuple) and data:
        data = data[0]
    return isinstance(data, list | tuple | int | float | str | bytes | np.generic)


def standardize(data: Any, arg: str, method: str = "fit") -> Any:
    """The arrays of `x`, `y` or `sample_weight`, with a nested list of numbers as one array.

    A list (or tuple) of arrays keeps its structure: one array per input or output; each item
    may itself be a nested list of numbers. A dict keeps its keys.
    """
    if data is None:
        return None
    if isinstance(data, dict):
        return {k: standardize(v, f"{arg}[{k!r}]", method) for k, v in data.items()}
    if isinstance(data, list | tuple) and not _holds_numbers(data):
        items = [standardize(v, f"{arg}[{i}]", method) for i, v in enumerate(data)]
        for i, item in enumerate(items):
            if not isinstance(item, list | tuple | dict) and np.ndim(item) == 0:
                raise ValueError(
                    f"{method}: {arg} is a list holding both arrays and single numbers. A list "
                    "of numbers (nested lists of equal lengths) is read as one array, and a "
                    "list of arrays as one array per input or output; it cannot mix the two. "
                    f"Received: {arg}[{i}]={data[i]!r:.40}"
                )
        return type(data)(items)
    return _as_array(data, arg, method)


def check_numeric_targets(y: Any, method: str = "fit") -> None:
    """Refuse targets that are strings: a loss needs numbers."""
    for a in flatten_arrays(y):
        dtype = getattr(a, "dtype", None)
        if dtype is None or dtype.kind not in "USO":
            continue
        first = a.reshape(-1)[0] if a.size else None
        if dtype.kind == "O" and not isinstance(first, str | bytes):
            continue
        raise ValueError(
            f"{method}: y holds strings (dtype {dtype}), but a loss compares the model's "
            "outputs with numbers. Encode the labels as integer class ids, e.g. "
            "`classes, y = np.unique(y, return_inverse=True)` (then lamina.utils.to_categorical(y)"
            " for one-hot targets). Received: y with dtype "
            f"{dtype} and first label {np.asarray(first).item()!r}"
        )


def pack(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """The batch `train_step` and `test_step` receive, as in Keras 3: `x` alone when there are
    no targets (wrapped as `(x,)` when x is itself a tuple or list of inputs), else `(x, y)` or
    `(x, y, sample_weight)`; `unpack` reverses it."""
    if y is None and sample_weight is None:
        return (x,) if isinstance(x, list | tuple) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def unpack(data: Any) -> tuple[Any, Any, Any]:
    """Split a batch into `(x, y, sample_weight)`; missing parts are None.

    A list is read as a tuple, as Keras 3 does: a batch `[x, y]` is `(x, y)`.
    """
    if isinstance(data, list):
        data = tuple(data)
    if isinstance(data, tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data[0], data[1], data[2]
        raise ValueError(
            "Expected a batch to be x, (x,), (x, y) or (x, y, sample_weight). "
            f"Received: a {type(data).__name__} of length {len(data)}"
        )
    return data, None, None


def num_samples(x: Any, y: Any, sample_weight: Any, method: str = "fit") -> int:
    """The common first dimension of every array, or a clear error naming the mismatch."""
    sizes = {}
    for name, part in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        for a in flatten_arrays(part):
            if np.ndim(a) == 0:
                raise ValueError(
                    f"{method}: {name} must have a batch axis. Received: a scalar {name}"
                )
            sizes.setdefault(name, set()).add(len(a))
    all_sizes = set().union(*sizes.values()) if sizes else set()
    if len(all_sizes) > 1:
        described = ", ".join(
            f"{k} with {' and '.join(str(n) for n in sorted(v))} samples" for k, v in sizes.items()
        )
        raise ValueError(
            f"{method}: x, y and sample_weight must have the same number of samples (the length of "
            "the first axis). Check that the arrays belong together (e.g. x_train with "
            f"y_train). Received: {described}"
        )
    if not all_sizes or 0 in all_sizes:
        raise ValueError(f"{method}: the data is empty (0 samples). Received: x with 0 samples")
    return all_sizes.pop()


class ArrayAdapter:
    """Batches from arrays, shuffled each epoch when asked; arrays on disk are read per batch.

    `shuffle=True` draws a new permutation of the samples each epoch. `shuffle="batch"` cuts
    the samples into contiguous blocks of `batch_size`, shuffles the order of the blocks and
    the samples within each block: every read is one contiguous slice, for data on a slow disk.

    A `np.memmap` (e.g. `np.load(path, mmap_mode="r")`) is never read whole: each batch gathers
    only its rows. With `shuffle=True` those row indices are sorted within the batch, so the
    reads go forwards through the file (the batch's samples and their mean loss are the same;
    only their order within the batch changes).

    `steps` caps the batches of an epoch. More steps than the arrays hold batches do not go
    round the arrays again: as in Keras 3, the epoch ends when the arrays run out, with a
    warning (`steps_name` names the argument in it).
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        sample_weight: Any,
        batch_size: int,
        shuffle: Any,
        steps: int | None = None,
        method: str = "fit",
        steps_name: str = "steps_per_epoch",
    ) -> None:
        self.x = standardize(x, "x", method)
        self.y = standardize(y, "y", method)
        self.sample_weight = standardize(sample_weight, "sample_weight", method)
        self.n = num_samples(self.x, self.y, self.sample_weight, method)
        check_numeric_targets(self.y, method)
        self.batch_size = batch_size
        if shuffle not in (True, False, "batch"):
            raise ValueError(
                f"Expected shuffle to be True, False or 'batch'. Received: shuffle={shuffle!r}"
            )
        self.shuffle = shuffle if shuffle == "batch" else bool(shuffle)
        arrays = flatten_arrays([self.x, self.y, self.sample_weight])
        self.on_disk = any(isinstance(a, np.memmap) for a in arrays)
        batches = -(-self.n // batch_size)
        self.steps = min(steps, batches) if steps else batches
        if steps and steps > batches:
            warnings.warn(
                f"{method}: {steps_name}={steps} is more than the {batches} batches of "
                f"{batch_size} that the {self.n} samples make; each pass stops when the arrays "
                f"run out, after {batches} batches (the arrays are not repeated). Leave "
                f"{steps_name} unset to use all the data, or raise epochs to train longer.",
                UserWarning,
                stacklevel=4,
            )

    def peek(self) -> tuple:
        """The first batch, in order (for the checks made before training)."""
        return self._take(slice(0, min(self.batch_size, self.n)))

    def epoch(self) -> Iterator[tuple]:
        bs, n = self.batch_size, self.n
        if self.shuffle == "batch":
            blocks = global_rng().permutation(-(-n // bs))
            for b in blocks[: self.steps]:
                within = global_rng().permutation(min(bs, n - b * bs))
                yield self._take(slice(b * bs, min((b + 1) * bs, n)), within)
            return
        order = global_rng().permutation(n) if self.shuffle else None
        for i in range(self.steps):
            s = slice(i * bs, min((i + 1) * bs, n))
            if order is None:
                yield self._take(s)
            elif self.on_disk:
                yield self._take(np.sort(order[s]))
            else:
                yield self._take(order[s])

    def _take(self, rows: Any, then: Any = None) -> tuple:
        """The batch of samples `rows` (a slice or indices), reordered by `then` if given."""

        def pick(a: Any) -> Any:
            batch = a[rows]
            if isinstance(batch, np.memmap):  # a view of the file: read it now, in one place
                batch = np.array(batch)
            return batch if then is None else batch[then]

        return (
            map_arrays(pick, self.x),
            map_arrays(pick, self.y),
            map_arrays(pick, self.sample_weight),
        )


class GeneratorAdapter:
    """Batches drawn from a Python generator, iterator or re-iterable (a list of batches).

    A pass that runs out of batches before `steps` ends there, with a warning (once), as in
    Keras 3; `steps_name` names the argument in it.
    """

    def __init__(
        self,
        data: Any,
        steps: int | None,
        method: str = "fit",
        steps_name: str = "steps_per_epoch",
    ) -> None:
        self.data = data
        self.steps = steps
        self.method = method
        self.steps_name = steps_name
        self.warned = False
        self.reiterable = not isinstance(data, Iterator) and not inspect.isgenerator(data)
        self.iterator = iter(data) if not self.reiterable else None
        self.first_shapes: list | None = None
        self.pending: tuple | None = None  # a batch drawn by peek() and not yet trained on
        if self.steps is None and hasattr(data, "__len__"):
            self.steps = len(data)

    def peek(self) -> tuple:
        """The first batch (for the checks made before training); a one-shot generator keeps
        it for the first epoch, so no batch is lost."""
        if self.reiterable:
            it = iter(self.data)
        elif self.pending is not None:
            return self.pending
        else:
            it = self.iterator
        try:
            batch = next(it)
        except StopIteration:
            raise ValueError(
                f"{self.method}: the data is empty: the generator yielded no batch. "
                "Received: an exhausted or empty generator"
            ) from None
        x, y, sw = unpack(batch)
        self._check(0, x, y, sw)
        if not self.reiterable:
            self.pending = (x, y, sw)
        return x, y, sw

    def epoch(self) -> Iterator[tuple]:
        it = iter(self.data) if self.reiterable else self.iterator
        step = 0
        while self.steps is None or step < self.steps:
            if self.pending is not None:
                yield self.pending
                self.pending = None
                step += 1
                continue
            try:
                batch = next(it)
            except StopIteration:
                if step == 0 and not self.reiterable:
                    raise ValueError(
                        f"{self.method}: the generator is exhausted and yields no more batches. "
                        f"Pass {self.steps_name} so each pass draws a fixed number of batches "
                        "from an endless generator, or a re-iterable object (a list or a "
                        "PyDataset)."
                    ) from None
                if self.steps is not None and not self.warned:
                    self.warned = True
                    warnings.warn(
                        f"{self.method}: the data ran out after {step} batches, fewer than "
                        f"{self.steps_name}={self.steps}; the pass ends there. Make the "
                        f"generator yield at least {self.steps_name} batches per pass (an "
                        "endless generator for several epochs).",
                        UserWarning,
                        stacklevel=3,
                    )
                return
            x, y, sw = unpack(batch)
            self._check(step, x, y, sw)
            yield x, y, sw
            step += 1
        if self.steps is None:
            self.steps = step

    def _check(self, step: int, x: Any, y: Any, sw: Any) -> None:
        self.first_shapes = check_batch(
            x, y, sw, step, "from the generator", self.first_shapes, self.method
        )


def check_batch(
    x: Any, y: Any, sw: Any, step: int, source: str, first_shapes: Any, method: str
) -> list:
    """Refuse a streamed batch whose parts differ in length, whose targets are not numbers, or
    whose samples are shaped unlike those of the first batch (`first_shapes`, None for the
    first batch itself).

    Returns the batch's sample shapes (x then y); `source` says where batches come from and
    `method` names the caller (`fit`, `evaluate`, ...) in errors.
    """
    try:
        num_samples(x, y, sw, method)
    except ValueError as err:
        raise ValueError(f"{method}: batch {step} {source} is inconsistent: {err}") from None
    check_numeric_targets(y, method)
    shapes = [np.shape(a)[1:] for a in flatten_arrays(x) + flatten_arrays(y)]
    if first_shapes is not None and shapes != first_shapes:
        raise ValueError(
            f"{method}: every batch {source} must hold samples of the shapes of its first "
            f"batch, {first_shapes} (x then y). Received: batch {step} with sample shapes {shapes}"
        )
    return shapes


def make_adapter(
    x: Any,
    y: Any,
    sample_weight: Any,
    batch_size: int | None,
    shuffle: Any,
    steps: int | None,
    method: str = "fit",
    steps_name: str = "steps_per_epoch",
) -> Any:
    """Choose the adapter for `x`: arrays (and lists/dicts of arrays), a PyDataset, or a
    generator / iterable. `method` and `steps_name` name the caller and its argument in errors.
    """

    if isinstance(x, PyDataset):
        if y is not None or sample_weight is not None:
            raise ValueError(
                f"{method}: a PyDataset yields (x, y) or (x, y, sample_weight) batches itself; "
                "do not pass y or sample_weight. Received: x={type(x).__name__} object and "
                f"y={type(y).__name__}, sample_weight={type(sample_weight).__name__}"
            )
        # py_dataset_adapter builds on this module's batch helpers, so it is imported late.
        from lamina.training.py_dataset_adapter import PyDatasetAdapter

        return PyDatasetAdapter(x, shuffle, steps, method)
    if is_generator_like(x):
        if y is not None:
            raise ValueError(
                f"{method}: when x is a generator or dataset it must yield (x, y) batches itself; "
                "do not pass y. Received: y is not None"
            )
        return GeneratorAdapter(x, steps, method, steps_name)
    return ArrayAdapter(x, y, sample_weight, batch_size or 32, shuffle, steps, method, steps_name)


def is_generator_like(x: Any) -> bool:
    """Whether `x` yields its own batches (a generator, iterator, PyDataset or Sequence)."""
    if x is None or is_array(x) or isinstance(x, Tensor | dict | list | tuple | np.generic):
        return False
    return isinstance(x, Iterable | Iterator) or hasattr(x, "__getitem__") and hasattr(x, "__len__")
