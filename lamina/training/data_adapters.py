"""Data adapters: turn arrays, generators and iterables into batches of (x, y, sample_weight)."""

import inspect
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from lamina import tree
from lamina.backend import global_rng, is_array
from lamina.tensor import Tensor


def flatten_arrays(data: Any) -> list:
    """The arrays in `data` (an array or a structure of arrays), in order; None is skipped."""
    return [a for a in tree.flatten(data) if a is not None]


def map_arrays(fn: Any, data: Any) -> Any:
    """Apply `fn` to each array in `data`, keeping its structure; None stays None."""
    return tree.map_structure(lambda a: None if a is None else fn(a), data)


def _as_array(a: Any, arg: str) -> Any:
    if isinstance(a, Tensor):
        return a.data
    if is_array(a):
        return a
    arr = np.asarray(a)
    if arr.dtype == object:
        raise TypeError(f"fit: {arg} must hold numbers in a regular shape. Received: {arr!r:.80}")
    return arr


def unpack(data: Any) -> tuple[Any, Any, Any]:
    """Split a batch into `(x, y, sample_weight)`; missing parts are None."""
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


def num_samples(x: Any, y: Any, sample_weight: Any) -> int:
    """The common first dimension of every array, or a clear error naming the mismatch."""
    sizes = {}
    for name, part in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        for a in flatten_arrays(part):
            if np.ndim(a) == 0:
                raise ValueError(f"fit: {name} must have a batch axis. Received: a scalar {name}")
            sizes.setdefault(name, set()).add(len(a))
    all_sizes = set().union(*sizes.values()) if sizes else set()
    if len(all_sizes) > 1:
        described = ", ".join(
            f"{k} with {' and '.join(str(n) for n in sorted(v))} samples" for k, v in sizes.items()
        )
        raise ValueError(
            "fit: x, y and sample_weight must have the same number of samples (the length of "
            "the first axis). Check that the arrays belong together (e.g. x_train with "
            f"y_train). Received: {described}"
        )
    if not all_sizes or 0 in all_sizes:
        raise ValueError("fit: the data is empty (0 samples). Received: x with 0 samples")
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
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        sample_weight: Any,
        batch_size: int,
        shuffle: Any,
        steps: int | None = None,
    ) -> None:
        self.x = map_arrays(lambda a: _as_array(a, "x"), x)
        self.y = map_arrays(lambda a: _as_array(a, "y"), y)
        self.sample_weight = map_arrays(lambda a: _as_array(a, "sample_weight"), sample_weight)
        self.n = num_samples(self.x, self.y, self.sample_weight)
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
    """Batches drawn from a Python generator, iterator or re-iterable (a list of batches)."""

    def __init__(self, data: Any, steps: int | None) -> None:
        self.data = data
        self.steps = steps
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
                "fit: the data is empty: the generator yielded no batch. "
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
                        "fit: the generator is exhausted and yields no more batches. Pass "
                        "steps_per_epoch so each epoch draws a fixed number of batches from an "
                        "endless generator, or a re-iterable object (a list or a PyDataset)."
                    ) from None
                return
            x, y, sw = unpack(batch)
            self._check(step, x, y, sw)
            yield x, y, sw
            step += 1
        if self.steps is None:
            self.steps = step

    def _check(self, step: int, x: Any, y: Any, sw: Any) -> None:
        self.first_shapes = check_batch(x, y, sw, step, "from the generator", self.first_shapes)


def check_batch(x: Any, y: Any, sw: Any, step: int, source: str, first_shapes: Any) -> list:
    """Refuse a streamed batch whose parts differ in length or whose samples are shaped
    unlike those of the first batch (`first_shapes`, None for the first batch itself).

    Returns the batch's sample shapes (x then y); `source` says where batches come from.
    """
    try:
        num_samples(x, y, sw)
    except ValueError as err:
        raise ValueError(f"fit: batch {step} {source} is inconsistent: {err}") from None
    shapes = [np.shape(a)[1:] for a in flatten_arrays(x) + flatten_arrays(y)]
    if first_shapes is not None and shapes != first_shapes:
        raise ValueError(
            f"fit: every batch {source} must hold samples of the shapes of its first batch, "
            f"{first_shapes} (x then y). Received: batch {step} with sample shapes {shapes}"
        )
    return shapes


def make_adapter(
    x: Any, y: Any, sample_weight: Any, batch_size: int | None, shuffle: Any, steps: int | None
) -> Any:
    """Choose the adapter for `x`: arrays (and lists/dicts of arrays), a PyDataset, or a
    generator / iterable."""
    from lamina.utils.py_dataset import PyDataset

    if isinstance(x, PyDataset):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "fit: a PyDataset yields (x, y) or (x, y, sample_weight) batches itself; do not "
                f"pass y or sample_weight. Received: x={type(x).__name__} object and "
                f"y={type(y).__name__}, sample_weight={type(sample_weight).__name__}"
            )
        from lamina.training.py_dataset_adapter import PyDatasetAdapter

        return PyDatasetAdapter(x, shuffle, steps)
    if _is_generator_like(x):
        if y is not None:
            raise ValueError(
                "fit: when x is a generator or dataset it must yield (x, y) batches itself; "
                "do not pass y. Received: y is not None"
            )
        return GeneratorAdapter(x, steps)
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
        raise ValueError(
            f"Expected batch_size to be a positive integer. Received: batch_size={batch_size!r}"
        )
    return ArrayAdapter(x, y, sample_weight, batch_size or 32, shuffle, steps)


def _is_generator_like(x: Any) -> bool:
    if x is None or is_array(x) or isinstance(x, Tensor | dict | list | tuple | np.generic):
        return False
    return isinstance(x, Iterable | Iterator) or hasattr(x, "__getitem__") and hasattr(x, "__len__")
