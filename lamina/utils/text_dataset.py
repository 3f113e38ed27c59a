"""text_dataset_from_directory: batches of (texts, labels) from a folder of `.txt` files.

Also holds `BatchDataset`, the PyDataset base of the datasets lamina's loaders return: it is
iterable, reshuffles between passes when asked to, and offers the few `tf.data` methods the
book calls on such datasets (`map`, `cache`, `prefetch`, `take`).
"""

import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from lamina.backend import global_rng
from lamina.training.py_dataset import PyDataset
from lamina.utils.dataset_utils import check_validation_split_arg
from lamina.validation import check_int

ALLOWED_FORMATS = (".txt",)


class BatchDataset(PyDataset):
    """A PyDataset of ready batches, iterable, with `map`, `cache`, `prefetch` and `take`.

    Subclasses implement `__len__` and `_batch(i)`; they may set `self._order` (a permutation
    of sample indices) and `self._rng` to have `on_epoch_end` reshuffle the samples. Every pass
    of `for batch in dataset` after the first starts with a reshuffle, as a `tf.data` dataset
    with `shuffle` does.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._order: np.ndarray | None = None
        self._rng: np.random.Generator | None = None
        self._passes = 0

    def _batch(self, index: int) -> Any:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if not isinstance(index, int | np.integer) or not -n <= index < n:
            raise IndexError(f"{type(self).__name__} has {n} batches. Received: index={index!r}")
        return self._batch(int(index) % n)

    def __iter__(self) -> Iterator[Any]:
        if self._passes:
            self.on_epoch_end()
        self._passes += 1
        for i in range(len(self)):
            yield self._batch(i)

    def on_epoch_end(self) -> None:
        """Reshuffle the samples (when the dataset shuffles)."""
        if self._rng is not None and self._order is not None:
            self._order = self._rng.permutation(self._order)

    def map(self, fn: Callable, num_parallel_calls: Any = None, deterministic: Any = None) -> Any:
        """A dataset of `fn(*batch)` (or `fn(batch)` when batches are not tuples), made lazily.

        Example:
        >>> texts_only = train_ds.map(lambda x, y: x)
        """
        return _MappedDataset(self, fn)

    def cache(self, filename: str = "") -> Any:
        """A dataset that keeps each batch in memory once made, and replays them in order."""
        return _CachedDataset(self)

    def prefetch(self, buffer_size: Any = None) -> Any:
        """Return the dataset itself (`fit` prefetches with `workers`)."""
        return self

    def take(self, count: int) -> Any:
        """A dataset of the first `count` batches (all of them when `count` is -1)."""
        return _TakenDataset(self, count)


class _MappedDataset(BatchDataset):
    def __init__(self, parent: BatchDataset, fn: Callable) -> None:
        super().__init__()
        self.parent, self.fn = parent, fn
        self.class_names = getattr(parent, "class_names", None)

    def __len__(self) -> int:
        return len(self.parent)

    def _apply(self, batch: Any) -> Any:
        return self.fn(*batch) if isinstance(batch, tuple) else self.fn(batch)

    def _batch(self, index: int) -> Any:
        return self._apply(self.parent[index])

    def __iter__(self) -> Iterator[Any]:
        for batch in self.parent:
            yield self._apply(batch)

    def on_epoch_end(self) -> None:
        self.parent.on_epoch_end()


class _CachedDataset(BatchDataset):
    def __init__(self, parent: BatchDataset) -> None:
        super().__init__()
        self.parent = parent
        self.class_names = getattr(parent, "class_names", None)
        self._cache: dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self.parent)

    def _batch(self, index: int) -> Any:
        if index not in self._cache:
            self._cache[index] = self.parent[index]
        return self._cache[index]


class _TakenDataset(BatchDataset):
    def __init__(self, parent: BatchDataset, count: int) -> None:
        super().__init__()
        if not isinstance(count, int | np.integer) or count < -1:
            raise ValueError(f"Expected count to be -1 or a count of batches. Received: {count!r}")
        self.parent, self.count = parent, int(count)

    def __len__(self) -> int:
        n = len(self.parent)
        return n if self.count == -1 else min(n, self.count)

    def _batch(self, index: int) -> Any:
        return self.parent[index]

    def on_epoch_end(self) -> None:
        self.parent.on_epoch_end()


class TextDirectoryDataset(BatchDataset):
    """Batches of texts read from files, with their labels; made by
    `text_dataset_from_directory`.

    Attributes:
        class_names: the class names (the subfolder names), in label order.
        file_paths: the files, in the order of the first pass.
    """

    def __init__(
        self,
        file_paths: list[str],
        labels: np.ndarray | None,
        label_mode: str | None,
        class_names: list[str] | None,
        batch_size: int | None,
        max_length: int | None,
        shuffle: bool,
        seed: int | None,
        encoding: str,
    ) -> None:
        super().__init__()
        self.file_paths = list(file_paths)
        self.labels = labels
        self.label_mode = label_mode
        self.class_names = class_names
        self.batch_size = batch_size
        self.max_length = max_length
        self.encoding = encoding
        self._order = np.arange(len(self.file_paths))
        if shuffle:
            self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.file_paths)
        return -(-len(self.file_paths) // self.batch_size)

    def _read(self, i: int) -> str:
        with open(self.file_paths[i], "rb") as f:
            text = f.read().decode(self.encoding)
        return text if self.max_length is None else text[: self.max_length]

    def _encode_labels(self, ids: np.ndarray) -> np.ndarray:
        labels = self.labels[ids]
        if self.label_mode == "categorical":
            return np.eye(len(self.class_names), dtype="float32")[labels]
        if self.label_mode == "binary":
            return labels.astype("float32")[..., None]
        return labels

    def _batch(self, index: int) -> Any:
        if self.batch_size is None:
            ids = self._order[index : index + 1]
        else:
            ids = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        texts = np.array([self._read(i) for i in ids], dtype=str)
        if self.batch_size is None:
            texts = texts[0]
        if self.labels is None:
            return texts
        labels = self._encode_labels(ids)
        return texts, labels[0] if self.batch_size is None else labels


def _valid_files(directory: str, follow_links: bool) -> list[str]:
    """The allowed files under `directory`, sorted by folder then name."""
    walk = sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0])
    return [
        os.path.join(root, name)
        for root, _, names in walk
        for name in sorted(names)
        if name.lower().endswith(ALLOWED_FORMATS)
    ]


def _index_directory(
    directory: str, labels: Any, class_names: list[str] | None, follow_links: bool
) -> tuple[list[str], np.ndarray | None, list[str] | None]:
    if labels != "inferred":
        paths = _valid_files(directory, follow_links)
        if not paths:
            raise ValueError(
                f"No text files found in directory {directory!r}. "
                f"Allowed formats: {ALLOWED_FORMATS}"
            )
        if labels is None:
            return paths, None, None
        if len(labels) != len(paths):
            raise ValueError(
                "Expected as many labels as text files in the directory. "
                f"Received: len(labels)={len(labels)}, with {len(paths)} files found in "
                f"{directory!r}"
            )
        names = [str(c) for c in sorted(set(labels))]
        return paths, np.asarray(labels, dtype="int32"), names
    subdirs = sorted(
        d
        for d in os.listdir(directory)
        if not d.startswith(".") and os.path.isdir(os.path.join(directory, d))
    )
    if not subdirs:
        loose = [f for f in os.listdir(directory) if f.lower().endswith(ALLOWED_FORMATS)]
        hint = (
            f" It holds {len(loose)} .txt files directly; pass labels=None to read them "
            "without labels."
            if loose
            else ""
        )
        raise ValueError(
            f"text_dataset_from_directory: found no class subfolders in {directory!r}. With "
            "labels='inferred' each class's .txt files must sit in a subfolder named after "
            f"the class (e.g. {directory}/pos/ and {directory}/neg/).{hint}"
        )
    if class_names is not None:
        unknown = [c for c in class_names if c not in subdirs]
        if unknown:
            raise ValueError(
                "The class_names passed must name subfolders of the directory. Expected names "
                f"from {subdirs}. Received: class_names={list(class_names)}"
            )
        subdirs = list(class_names)
    paths: list[str] = []
    ids: list[int] = []
    for label, sub in enumerate(subdirs):
        found = _valid_files(os.path.join(directory, sub), follow_links)
        paths += found
        ids += [label] * len(found)
    if not paths:
        raise ValueError(
            f"No text files found in the class subfolders {subdirs} of {directory!r}. "
            f"Allowed formats: {ALLOWED_FORMATS}"
        )
    return paths, np.asarray(ids, dtype="int32"), subdirs


def text_dataset_from_directory(
    directory: str,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
    encoding: str = "utf-8",
) -> Any:
    """Make a dataset of (texts, labels) batches from a folder of `.txt` files.

    With `labels="inferred"`, each subfolder of `directory` is a class, in alphanumeric order
    (`aclImdb/train/neg/` gets label 0, `pos/` label 1); files are found recursively.

    Args:
        directory: the folder.
        labels: `"inferred"` (from the subfolders), None (texts only), or a list of integer
            labels, one per file in the alphanumeric order of the file paths.
        label_mode: `"int"` (int32 labels), `"categorical"` (float32 one-hot), `"binary"`
            (float32, shape `(batch, 1)`, for exactly two classes) or None (no labels).
        class_names: the subfolders to use, in label order (with `labels="inferred"`).
        batch_size: texts per batch; None yields one `(text, label)` at a time.
        max_length: keep at most this many characters of each text.
        shuffle: shuffle the files (once here, and again between passes).
        seed: the shuffling seed; needed with `validation_split`.
        validation_split: the fraction of the files held out for validation.
        subset: `"training"`, `"validation"` or `"both"` (a list of the two datasets).
        follow_links: follow symbolic links to folders.
        verbose: print how many files and classes were found.
        encoding: the text files' encoding.

    Returns:
        A `PyDataset` of `(texts, labels)` batches (`texts`, a NumPy array of `str`; just
        `texts` when there are no labels), with `.class_names`; a list of two with
        `subset="both"`.

    Raises:
        ValueError: for an empty folder, a folder without class subfolders, or bad arguments.

    Example:
    >>> train_ds = text_dataset_from_directory("aclImdb/train", batch_size=32)
    >>> for texts, labels in train_ds:
    ...     break
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"text_dataset_from_directory: no such folder. Received: directory={directory!r}"
        )
    if isinstance(labels, list | tuple | np.ndarray):
        labels = list(labels)
        if not all(isinstance(v, int | np.integer) and v >= 0 for v in labels):
            raise ValueError(
                "Expected labels given as a list to hold non-negative integers. "
                f"Received: labels={labels!r:.80}"
            )
    elif labels is not None and labels != "inferred":
        raise ValueError(
            'Expected labels to be "inferred", None, or a list of integer labels, one per text '
            f"file. Received: labels={labels!r}"
        )
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            'Expected label_mode to be "int", "categorical", "binary" or None. '
            f"Received: label_mode={label_mode!r}"
        )
    if class_names is not None and labels != "inferred":
        raise ValueError(
            f'class_names can only be passed with labels="inferred". Received: labels={labels!r}'
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    check_int("batch_size", batch_size, minimum=1, allow_none=True)
    check_int("max_length", max_length, minimum=1, allow_none=True)
    check_validation_split_arg(validation_split, subset, shuffle, seed)

    paths, ids, names = _index_directory(directory, labels, class_names, follow_links)
    if verbose:
        found = f"Found {len(paths)} files"
        print(f"{found}." if names is None else f"{found} belonging to {len(names)} classes.")
    if label_mode == "binary" and len(names) != 2:
        raise ValueError(
            'label_mode="binary" needs exactly 2 classes. '
            f"Received: class_names={names} ({len(names)} classes)"
        )
    if shuffle:
        if seed is None:
            seed = int(global_rng().integers(1_000_000))
        perm = np.random.RandomState(seed).permutation(len(paths))
        paths = [paths[i] for i in perm]
        ids = None if ids is None else ids[perm]

    def make(part: slice, subset_name: str | None) -> TextDirectoryDataset:
        part_paths = paths[part]
        if not part_paths:
            raise ValueError(
                f"The {subset_name} subset is empty: validation_split={validation_split} of "
                f"{len(paths)} files leaves no file for it."
            )
        if verbose and subset_name is not None:
            print(f"Using {len(part_paths)} files for {subset_name}.")
        return TextDirectoryDataset(
            part_paths,
            None if ids is None else ids[part],
            label_mode,
            names,
            batch_size,
            max_length,
            shuffle,
            seed,
            encoding,
        )

    if not validation_split:
        return make(slice(None), None)
    num_val = int(validation_split * len(paths))
    train = slice(0, len(paths) - num_val)
    val = slice(len(paths) - num_val, len(paths))
    if subset == "training":
        return make(train, "training")
    if subset == "validation":
        return make(val, "validation")
    return [make(train, "training"), make(val, "validation")]
