"""The batch iterators behind `ImageDataGenerator.flow` and `flow_from_directory`.

Each is a `PyDataset` (`len(it)` batches, `it[i]` the i-th batch) and also an endless iterator
(`next(it)` cycles through the batches forever), so both `model.fit(it)` and the older
`model.fit(it, steps_per_epoch=...)` / `for x, y in it: ... break` styles work.

Shuffling and augmentation are reproducible and safe with parallel workers. The samples are
in a new random order each epoch, the epoch advancing when `next()` wraps around to the first
batch or when `on_epoch_end()` is called (as `fit` does after each epoch). Each read of a
batch is augmented with a generator seeded from `(seed, epoch, batch, times read)`, so a batch
read again gets new transforms (also in worker processes, which see the epoch) and a seed fixes
the whole sequence.
"""

import operator
import os
import threading
import warnings
from typing import Any

import numpy as np

from lamina.backend import global_rng
from lamina.training.py_dataset import PyDataset
from lamina.utils import image_utils
from lamina.utils.image_utils import img_to_array, load_img, save_img
from lamina.validation import check_int

WHITE_LIST_FORMATS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")
CLASS_MODES = ("categorical", "binary", "sparse", "input", None)
_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}


def _validation_split(gen: Any, subset: str, caller: str) -> float:
    """The generator's validation fraction, after checking that `subset` can use it."""
    if subset not in ("training", "validation"):
        raise ValueError(
            f"Expected subset to be 'training' or 'validation'. Received: subset={subset!r}"
        )
    split = getattr(gen, "_validation_split", 0.0)
    if not split:
        raise ValueError(
            f"{caller}: subset needs the ImageDataGenerator's validation_split. "
            f"Received: subset={subset!r} with validation_split=0"
        )
    return split


class Iterator(PyDataset):
    """Base of the image iterators: batches by index, and endlessly with `next()`.

    Subclasses implement `_batch(indices, rng)`, which builds the batch of the given samples.

    Args:
        n: the number of samples.
        batch_size: samples per batch (the last batch may be smaller).
        shuffle: draw the samples in a new random order each epoch.
        seed: an integer for reproducible shuffling and augmentation.
    """

    white_list_formats = WHITE_LIST_FORMATS

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: int | None) -> None:
        super().__init__()
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
            raise TypeError(f"Expected seed to be an integer or None. Received: seed={seed!r}")
        self.n = int(n)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.batch_index = 0
        self.total_batches_seen = 0
        self._base_seed = int(seed) if seed is not None else int(global_rng().integers(2**32))
        self._epoch = 0
        self._order_cache: tuple = (-1, None)
        self._visits = [0] * len(self)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return -(-self.n // self.batch_size)

    def __getitem__(self, idx: int) -> Any:
        idx = operator.index(idx)
        count = len(self)
        if idx < 0:
            idx += count
        if not 0 <= idx < count:
            raise IndexError(
                f"Batch index out of range: this iterator has {count} batches. Received: idx={idx}"
            )
        return self._get(idx, self._epoch)

    def _get(self, idx: int, epoch: int) -> Any:
        with self._lock:
            visit = self._visits[idx]
            self._visits[idx] += 1
            self.total_batches_seen += 1
        cached = self._order_cache
        if cached[0] == epoch:
            order = cached[1]
        else:
            order = np.arange(self.n)
            if self.shuffle:
                order = np.random.default_rng((self._base_seed, 2**32 + epoch)).permutation(order)
            self._order_cache = (epoch, order)
        picks = order[idx * self.batch_size : (idx + 1) * self.batch_size]
        rng = np.random.default_rng((self._base_seed, epoch, idx, visit))
        return self._batch(picks, rng)

    def _batch(self, indices: np.ndarray, rng: np.random.Generator) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement _batch")

    def __iter__(self) -> "Iterator":
        return self

    def __next__(self) -> Any:
        with self._lock:
            idx, epoch = self.batch_index, self._epoch
            self.batch_index = (idx + 1) % len(self)
            if self.batch_index == 0:
                self._epoch += 1
        return self._get(idx, epoch)

    next = __next__  # the Keras 2 method name

    def reset(self) -> None:
        """Make `next()` start again from the first batch."""
        self.batch_index = 0

    def on_epoch_end(self) -> None:
        """Start a new epoch: the samples are reshuffled (with `shuffle=True`)."""
        with self._lock:
            self._epoch += 1

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _adopt_generator(
        self,
        gen: Any,
        data_format: str | None,
        dtype: Any,
        save_to_dir: str | None,
        save_prefix: str,
        save_format: str,
    ) -> None:
        # The generator's data format and dtype are the defaults of the iterator's own.
        self.image_data_generator = gen
        self.data_format = image_utils.check_data_format(
            data_format or (gen.data_format if gen is not None else None)
        )
        self.dtype = image_utils.default_dtype(
            dtype if dtype is not None or gen is None else gen.dtype
        )
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format

    def _save(self, x: np.ndarray, index: int, rng: np.random.Generator) -> None:
        name = f"{self.save_prefix}_{index}_{rng.integers(10**7)}.{self.save_format}"
        save_img(os.path.join(self.save_to_dir, name), x, data_format=self.data_format)

    def _augment(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        gen = self.image_data_generator
        if gen is None:
            return x
        x = gen.apply_transform(x, gen.get_random_transform(x.shape, rng))
        return gen.standardize(x)


class NumpyArrayIterator(Iterator):
    """Batches of (augmented) images from arrays: what `ImageDataGenerator.flow` returns.

    Args:
        x: images, `(samples, height, width, channels)` (or channels first); or a tuple
            `(images, extra)` where `extra` (an array or list of arrays) is batched alongside.
        y: labels, or None to yield images only.
        image_data_generator: the `ImageDataGenerator` that augments and standardizes.
        batch_size: samples per batch.
        shuffle: reshuffle every epoch.
        sample_weight: per-sample weights, yielded third.
        seed: for reproducible shuffling and augmentation.
        data_format: "channels_last" or "channels_first" (default: the generator's).
        save_to_dir: a folder to save each augmented image to (to look at them).
        save_prefix: the saved files' name prefix.
        save_format: "png" or "jpeg".
        subset: "training" or "validation" with the generator's `validation_split`.
        ignore_class_split: allow subsets that do not contain every class.
        dtype: the batches' float type (default: the generator's).
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        image_data_generator: Any,
        batch_size: int = 32,
        shuffle: bool = False,
        sample_weight: Any = None,
        seed: int | None = None,
        data_format: str | None = None,
        save_to_dir: str | None = None,
        save_prefix: str = "",
        save_format: str = "png",
        subset: str | None = None,
        ignore_class_split: bool = False,
        dtype: Any = None,
    ) -> None:
        gen = image_data_generator
        self._adopt_generator(gen, data_format, dtype, save_to_dir, save_prefix, save_format)
        extra: list = []
        if isinstance(x, tuple | list):
            if len(x) != 2:
                raise ValueError(
                    "flow: x must be an array of images or a tuple (images, extra arrays). "
                    f"Received: a {type(x).__name__} of length {len(x)}"
                )
            x, extra = x
            extra = [np.asarray(a) for a in (extra if isinstance(extra, list | tuple) else [extra])]
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(
                "flow: x must be a batch of images, a rank-4 array "
                f"(samples, height, width, channels). Received: x with shape {x.shape}"
            )
        y = None if y is None else np.asarray(y)
        sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        for name, arr in [("y", y), ("sample_weight", sample_weight)] + [
            (f"extra array {i}", a) for i, a in enumerate(extra)
        ]:
            if arr is not None and (arr.ndim == 0 or len(arr) != len(x)):
                raise ValueError(
                    f"flow: x and {name} must have the same length. "
                    f"Received: x.shape={x.shape}, {name}.shape={arr.shape}"
                )
        if subset is not None:
            keep = self._subset(len(x), y, gen, subset, ignore_class_split)
            x = x[keep]
            y = None if y is None else y[keep]
            sample_weight = None if sample_weight is None else sample_weight[keep]
            extra = [a[keep] for a in extra]
        if len(x) == 0:
            raise ValueError("flow: x holds no images. Received: x with 0 samples")
        self.x, self.y, self.sample_weight, self.x_misc = x, y, sample_weight, extra
        super().__init__(len(x), batch_size, shuffle, seed)

    @staticmethod
    def _subset(n: int, y: Any, gen: Any, subset: str, ignore_class_split: bool) -> slice:
        split = _validation_split(gen, subset, "flow")
        cut = int(n * split)
        if y is not None and not ignore_class_split:
            if not np.array_equal(np.unique(y[:cut]), np.unique(y[cut:])):
                raise ValueError(
                    "flow: the training and validation subsets hold different classes after "
                    "the split (the first validation_split of the samples is the validation "
                    "subset). If the arrays are sorted by label, shuffle them first, or pass "
                    "ignore_class_split=True."
                )
        return slice(0, cut) if subset == "validation" else slice(cut, n)

    def _batch(self, indices: np.ndarray, rng: np.random.Generator) -> Any:
        batch_x = np.empty((len(indices),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(indices):
            batch_x[i] = self._augment(self.x[j], rng)
            if self.save_to_dir:
                self._save(batch_x[i], int(j), rng)
        out_x = [batch_x] + [a[indices] for a in self.x_misc] if self.x_misc else batch_x
        if self.y is None:
            return out_x
        if self.sample_weight is None:
            return out_x, self.y[indices]
        return out_x, self.y[indices], self.sample_weight[indices]


class DirectoryIterator(Iterator):
    """Batches of images read from class subfolders: what `flow_from_directory` returns.

    Attributes:
        classes: the class index of every image (int32), in `filenames` order.
        class_indices: `{class name: index}`.
        filenames: image paths relative to `directory`.
        filepaths: full image paths.
        samples: the number of images.

    See `ImageDataGenerator.flow_from_directory` for the arguments.
    """

    def __init__(
        self,
        directory: Any,
        image_data_generator: Any,
        target_size: tuple[int, int] = (256, 256),
        color_mode: str = "rgb",
        classes: list[str] | None = None,
        class_mode: str | None = "categorical",
        batch_size: int = 32,
        shuffle: bool = True,
        seed: int | None = None,
        data_format: str | None = None,
        save_to_dir: str | None = None,
        save_prefix: str = "",
        save_format: str = "png",
        follow_links: bool = False,
        subset: str | None = None,
        interpolation: str = "nearest",
        keep_aspect_ratio: bool = False,
        dtype: Any = None,
        on_error: str = "raise",
    ) -> None:
        caller = "flow_from_directory"
        image_utils.require_pil()  # fail now, not at the first batch
        gen = image_data_generator
        self._adopt_generator(gen, data_format, dtype, save_to_dir, save_prefix, save_format)
        if color_mode not in _CHANNELS:
            raise ValueError(
                "Expected color_mode to be 'rgb', 'rgba' or 'grayscale'. "
                f"Received: color_mode={color_mode!r}"
            )
        if class_mode not in CLASS_MODES:
            raise ValueError(
                f"Expected class_mode to be one of {CLASS_MODES}. "
                f"Received: class_mode={class_mode!r}"
            )
        self.target_size = image_utils.check_size(target_size, "target_size")
        channels = (_CHANNELS[color_mode],)
        self.image_shape = (
            self.target_size + channels
            if self.data_format == "channels_last"
            else channels + self.target_size
        )
        self.color_mode, self.class_mode = color_mode, class_mode
        self.interpolation = image_utils.check_interpolation(interpolation)
        self.keep_aspect_ratio = keep_aspect_ratio
        self.on_error = image_utils.check_on_error(on_error)
        self.directory = image_utils.check_directory(directory, caller)
        split = self._split(gen, subset)

        formats = tuple("." + f for f in self.white_list_formats)
        found = image_utils.class_subfolders(self.directory)
        names = list(found if classes is None else classes)
        missing = [c for c in names if not os.path.isdir(os.path.join(self.directory, c))]
        if missing:
            raise ValueError(
                f"{caller}: the classes {missing} have no subfolder in {self.directory!r} "
                f"(its subfolders are {found}). Received: classes={classes!r}"
            )
        if not names:
            raise image_utils.no_images_error(self.directory, caller, formats, [])
        if class_mode == "binary" and len(names) != 2:
            raise ValueError(
                f"{caller}: class_mode='binary' needs exactly 2 classes. "
                f"Received: {len(names)} classes {names}"
            )
        paths: list[str] = []
        labels: list[int] = []
        total = 0
        for i, name in enumerate(names):
            files = image_utils.list_images(
                os.path.join(self.directory, name), formats, follow_links
            )
            total += len(files)
            files = files[int(split[0] * len(files)) : int(split[1] * len(files))]
            paths += files
            labels += [i] * len(files)
        if on_error == "skip":
            keep = image_utils.drop_unreadable(paths, caller)
            paths, labels = [paths[k] for k in keep], [labels[k] for k in keep]
        if not total:
            raise image_utils.no_images_error(self.directory, caller, formats, names)
        if not paths:
            raise ValueError(
                f"{caller}: no images are left for subset={subset!r} out of {total} found "
                f"(validation_split={getattr(gen, '_validation_split', 0)})."
            )
        self.class_indices = {name: i for i, name in enumerate(names)}
        self.num_classes = len(names)
        self.classes = np.array(labels, dtype=np.int32)
        self._filepaths = paths
        self.filenames = [os.path.relpath(p, self.directory) for p in paths]
        self.samples = len(paths)
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        super().__init__(self.samples, batch_size, shuffle, seed)

    @staticmethod
    def _split(gen: Any, subset: str | None) -> tuple[float, float]:
        if subset is None:
            return 0.0, 1.0
        split = _validation_split(gen, subset, "flow_from_directory")
        return (0.0, split) if subset == "validation" else (split, 1.0)

    @property
    def filepaths(self) -> list[str]:
        return list(self._filepaths)

    @property
    def labels(self) -> np.ndarray:
        return self.classes

    def _load(self, j: int) -> np.ndarray | None:
        path = self._filepaths[j]
        try:
            img = load_img(
                path,
                color_mode=self.color_mode,
                target_size=self.target_size,
                interpolation=self.interpolation,
                keep_aspect_ratio=self.keep_aspect_ratio,
            )
        except ValueError as err:
            if self.on_error == "raise":
                raise ValueError(
                    f"flow_from_directory: {err} Pass on_error='skip' to skip unreadable files."
                ) from None
            warnings.warn(f"flow_from_directory: skipping {path!r}: {err}", stacklevel=4)
            return None
        return img_to_array(img, data_format=self.data_format, dtype=self.dtype)

    def _batch(self, indices: np.ndarray, rng: np.random.Generator) -> Any:
        batch_x = np.empty((len(indices),) + self.image_shape, dtype=self.dtype)
        kept = []
        for j in indices:
            x = self._load(int(j))
            if x is None:
                continue
            batch_x[len(kept)] = self._augment(x, rng)
            if self.save_to_dir:
                self._save(batch_x[len(kept)], int(j), rng)
            kept.append(j)
        if not kept:
            raise ValueError(
                "flow_from_directory: every image of this batch failed to load: "
                f"{[self._filepaths[j] for j in indices]}"
            )
        batch_x = batch_x[: len(kept)]
        labels = self.classes[kept]
        if self.class_mode == "input":
            return batch_x, batch_x.copy()
        if self.class_mode in ("binary", "sparse"):
            return batch_x, labels.astype(self.dtype)
        if self.class_mode == "categorical":
            return batch_x, np.eye(self.num_classes, dtype=self.dtype)[labels]
        return batch_x
