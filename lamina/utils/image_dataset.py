"""image_dataset_from_directory: batches of images and labels read from class subfolders."""

import operator
import os
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from lamina.backend import global_rng
from lamina.training.py_dataset import PyDataset
from lamina.utils import image_utils
from lamina.utils.dataset_utils import check_validation_split_arg

ALLOWED_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_LABEL_MODES = ("int", "categorical", "binary", None)
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
# Keras's (TensorFlow's) resize method names, mapped to the nearest Pillow filter.
_INTERPOLATIONS = {
    "bilinear": "bilinear",
    "nearest": "nearest",
    "bicubic": "bicubic",
    "area": "box",
    "lanczos3": "lanczos",
    "lanczos5": "lanczos",
    "hamming": "hamming",
    "box": "box",
    "lanczos": "lanczos",
}


def image_dataset_from_directory(
    directory: Any,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: tuple[int, int] = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    verbose: bool = True,
    on_error: str = "raise",
) -> Any:
    """Make a dataset of image batches (and labels) from a folder of class subfolders.

    Images are decoded and resized when a batch is read, as float32 arrays with values in
    0-255. With `labels="inferred"` each visible subfolder is a class, in alphanumeric order
    unless `class_names` says otherwise; images are found recursively inside it.

    Args:
        directory: the folder.
        labels: "inferred" (from the subfolders), None (images only), or a list of integer
            labels, one per image file in the sorted order of their paths.
        label_mode: "int" (int32 indices), "categorical" (float32 one-hot), "binary" (float32
            0/1, shape `(batch, 1)`, two classes) or None (no labels).
        class_names: the class subfolder names in label order (with `labels="inferred"`).
        color_mode: "rgb", "rgba" or "grayscale".
        batch_size: images per batch, or None to yield single images.
        image_size: `(height, width)` every image is resized to.
        shuffle: shuffle the files (once, with `seed`) and then every epoch.
        seed: for shuffling and the validation split.
        validation_split: the fraction of files held out for validation.
        subset: "training", "validation" or "both" (returns the two datasets).
        interpolation: "bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5".
        follow_links: follow symbolic links to folders.
        crop_to_aspect_ratio: centre-crop each image to the target aspect ratio first.
        pad_to_aspect_ratio: pad each image with black to the target aspect ratio first.
        data_format: "channels_last" (default) or "channels_first".
        verbose: print how many files were found.
        on_error: "raise" (default) stops at an unreadable image with a ValueError naming it;
            "skip" leaves such files out with a warning naming them (a lamina extension).

    Returns:
        An `ImageDataset` (a PyDataset with `class_names` and `file_paths`), or a pair of them
        for `subset="both"`.

    Example:
    >>> train_dataset = image_dataset_from_directory("cats_vs_dogs_small/train",
    ...                                              image_size=(180, 180), batch_size=32)
    Found 2000 files belonging to 2 classes.
    >>> images, labels = train_dataset[0]
    >>> images.shape, labels.shape
    ((32, 180, 180, 3), (32,))
    """
    caller = "image_dataset_from_directory"
    image_utils.require_pil()  # fail now, not at the first batch
    explicit = isinstance(labels, list | tuple | np.ndarray)
    if explicit:
        labels = list(labels)
    if not explicit and labels not in ("inferred", None):
        raise ValueError(
            "Expected labels to be 'inferred', None, or a list of integer labels, one per image "
            f"file in the sorted order of their paths. Received: labels={labels!r}"
        )
    if label_mode not in _LABEL_MODES:
        raise ValueError(
            f"Expected label_mode to be one of {_LABEL_MODES}. Received: label_mode={label_mode!r}"
        )
    if labels is None or label_mode is None:
        labels = label_mode = None
    if class_names is not None and labels != "inferred":
        raise ValueError(
            "class_names can only be given with labels='inferred'. "
            f"Received: labels={labels!r}, class_names={class_names!r}"
        )
    if color_mode not in _CHANNELS:
        raise ValueError(
            "Expected color_mode to be 'rgb', 'rgba' or 'grayscale'. "
            f"Received: color_mode={color_mode!r}"
        )
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Expected interpolation to be one of {tuple(_INTERPOLATIONS)}. "
            f"Received: interpolation={interpolation!r}"
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "Only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True. "
            "Received: both True"
        )
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0
    ):
        raise ValueError(
            f"Expected batch_size to be a positive integer or None. Received: {batch_size!r}"
        )
    image_size = image_utils.check_size(image_size, "image_size")
    data_format = image_utils.check_data_format(data_format)
    image_utils.check_on_error(on_error)
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    directory = image_utils.check_directory(directory, caller)

    paths, label_list, class_names = _index(directory, labels, class_names, follow_links, caller)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            "label_mode='binary' needs exactly 2 classes. "
            f"Received: {len(class_names)} classes {class_names}"
        )
    if on_error == "skip":
        keep = image_utils.drop_unreadable(paths, caller)
        paths = [paths[k] for k in keep]
        label_list = None if label_list is None else label_list[keep]
    if verbose:
        if labels is None:
            print(f"Found {len(paths)} files.")
        else:
            print(f"Found {len(paths)} files belonging to {len(class_names)} classes.")
    if shuffle:
        if seed is None:
            seed = int(global_rng().integers(10**6))
        order = np.random.RandomState(seed).permutation(len(paths))
        paths = [paths[k] for k in order]
        label_list = None if label_list is None else label_list[order]

    def make(part: slice, name: str) -> "ImageDataset":
        part_paths = paths[part]
        if not part_paths:
            raise ValueError(
                f"{caller}: the {name} subset is empty ({len(paths)} files, "
                f"validation_split={validation_split})."
            )
        if verbose and subset is not None:
            print(f"Using {len(part_paths)} files for {name}.")
        return ImageDataset(
            part_paths,
            None if label_list is None else label_list[part],
            label_mode=label_mode,
            class_names=class_names,
            image_size=image_size,
            color_mode=color_mode,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            interpolation=interpolation,
            crop_to_aspect_ratio=crop_to_aspect_ratio,
            pad_to_aspect_ratio=pad_to_aspect_ratio,
            data_format=data_format,
            on_error=on_error,
        )

    if subset is None:
        return make(slice(None), "training")
    cut = len(paths) - int(validation_split * len(paths))
    if subset == "both":
        return make(slice(0, cut), "training"), make(slice(cut, None), "validation")
    return make(slice(0, cut) if subset == "training" else slice(cut, None), subset)


def _index(
    directory: str, labels: Any, class_names: Any, follow_links: bool, caller: str
) -> tuple[list[str], np.ndarray | None, list[str]]:
    """The image paths, their labels (or None) and the class names."""
    if labels != "inferred":
        paths = image_utils.list_images(directory, ALLOWED_FORMATS, follow_links)
        if not paths:
            raise image_utils.no_images_error(directory, caller, ALLOWED_FORMATS, None)
        if labels is None:
            return paths, None, []
        values = np.asarray(labels)
        if values.ndim != 1 or not np.issubdtype(values.dtype, np.integer) or values.min() < 0:
            raise ValueError(
                "Expected labels to be a list of non-negative integers. "
                f"Received: labels={labels!r:.100}"
            )
        if len(values) != len(paths):
            raise ValueError(
                f"{caller}: labels must give one label per image file: found {len(paths)} "
                f"files in {directory!r}. Received: {len(values)} labels"
            )
        return paths, values.astype(np.int32), [str(i) for i in range(int(values.max()) + 1)]
    found = image_utils.class_subfolders(directory)
    if class_names is not None:
        if set(class_names) != set(found) or len(set(class_names)) != len(class_names):
            raise ValueError(
                f"{caller}: class_names must name the subfolders of the folder, each once: "
                f"{found}. Received: class_names={class_names!r}"
            )
        found = list(class_names)
    if not found:
        raise image_utils.no_images_error(directory, caller, ALLOWED_FORMATS, [])
    paths: list[str] = []
    values: list[int] = []
    for i, name in enumerate(found):
        files = image_utils.list_images(
            os.path.join(directory, name), ALLOWED_FORMATS, follow_links
        )
        paths += files
        values += [i] * len(files)
    if not paths:
        raise image_utils.no_images_error(directory, caller, ALLOWED_FORMATS, found)
    return paths, np.array(values, dtype=np.int32), found


class ImageDataset(PyDataset):
    """Batches of images (float32, 0-255) and labels read from files when requested.

    Made by `image_dataset_from_directory`. `len(ds)` is the number of batches, `ds[i]` the
    i-th batch, and `for images, labels in ds:` goes through one epoch. With `shuffle`, each
    epoch after the first (a finished `for` loop, or `on_epoch_end()`) is in a new random order.

    Attributes:
        class_names: the class names, in label order.
        file_paths: the image files, in the order of the first epoch.
    """

    def __init__(
        self,
        file_paths: list[str],
        labels: np.ndarray | None,
        label_mode: str | None,
        class_names: list[str],
        image_size: tuple[int, int],
        color_mode: str = "rgb",
        batch_size: int | None = 32,
        shuffle: bool = False,
        seed: int | None = None,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        data_format: str = "channels_last",
        on_error: str = "raise",
    ) -> None:
        super().__init__()
        self.file_paths = list(file_paths)
        self.labels = labels
        self.label_mode = label_mode
        self.class_names = list(class_names)
        self.image_size = tuple(image_size)
        self.color_mode = color_mode
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.data_format = data_format
        self.on_error = on_error
        self._seed = int(seed) if seed is not None else int(global_rng().integers(2**32))
        self._epoch = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        size = self.batch_size or 1
        return -(-len(self.file_paths) // size)

    def __getitem__(self, idx: int) -> Any:
        idx = operator.index(idx)
        count = len(self)
        if idx < 0:
            idx += count
        if not 0 <= idx < count:
            raise IndexError(
                f"Batch index out of range: the dataset has {count} batches. Received: idx={idx}"
            )
        return self._get(idx, self._epoch)

    def _get(self, idx: int, epoch: int) -> Any:
        n = len(self.file_paths)
        if self.shuffle and epoch:
            order = np.random.default_rng((self._seed, epoch)).permutation(n)
        else:
            order = np.arange(n)  # the first epoch reads file_paths in order
        size = self.batch_size or 1
        picks = order[idx * size : (idx + 1) * size]
        images, kept = [], []
        for j in picks:
            x = self._load(self.file_paths[j])
            if x is not None:
                images.append(x)
                kept.append(j)
        if not images:
            raise ValueError(
                "image_dataset_from_directory: every image of this batch failed to load: "
                f"{[self.file_paths[j] for j in picks]}"
            )
        batch = np.stack(images)
        labels = None if self.labels is None else self._encode(self.labels[kept])
        if self.batch_size is None:
            batch = batch[0]
            labels = None if labels is None else labels[0]
        return batch if labels is None else (batch, labels)

    def _encode(self, labels: np.ndarray) -> np.ndarray:
        if self.label_mode == "categorical":
            return np.eye(len(self.class_names), dtype=np.float32)[labels]
        if self.label_mode == "binary":
            return labels.astype(np.float32)[:, None]
        return labels.astype(np.int32)

    def _load(self, path: str) -> np.ndarray | None:
        try:
            img = image_utils.load_img(path, color_mode=self.color_mode)
        except ValueError as err:
            if self.on_error == "raise":
                raise ValueError(
                    f"image_dataset_from_directory: {err} Pass on_error='skip' to skip "
                    "unreadable files."
                ) from None
            warnings.warn(f"image_dataset_from_directory: skipping {path!r}: {err}", stacklevel=4)
            return None
        height, width = self.image_size
        if self.crop_to_aspect_ratio:
            img = img.crop(image_utils.center_crop_box(img.size[1], img.size[0], height, width))
        elif self.pad_to_aspect_ratio:
            img = _pad_to_aspect(img, height, width)
        if img.size != (width, height):
            filters = image_utils.require_pil().Resampling
            resample = getattr(filters, _INTERPOLATIONS[self.interpolation].upper())
            img = img.resize((width, height), resample)
        return image_utils.img_to_array(img, data_format=self.data_format, dtype="float32")

    def __iter__(self) -> Iterator:
        epoch = self._epoch
        for i in range(len(self)):
            yield self._get(i, epoch)
        with self._lock:
            if self._epoch == epoch:
                self._epoch += 1  # a finished pass; the next one is reshuffled

    def on_epoch_end(self) -> None:
        """Start a new epoch: the files are reshuffled (with `shuffle=True`)."""
        with self._lock:
            self._epoch += 1

    def take(self, count: int) -> "PyDataset":
        """The first `count` batches (all for -1), as with `tf.data.Dataset.take`.

        Example:
        >>> for images, labels in train_dataset.take(1):
        ...     print(images.shape)
        """
        return _Take(self, len(self) if count == -1 else max(0, min(int(count), len(self))))

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def _pad_to_aspect(img: Any, height: int, width: int) -> Any:
    w, h = img.size
    if w * height > h * width:
        new_w, new_h = w, round(w * height / width)
    else:
        new_w, new_h = round(h * width / height), h
    if (new_w, new_h) == (w, h):
        return img
    canvas = image_utils.require_pil().new(img.mode, (new_w, new_h))
    canvas.paste(img, ((new_w - w) // 2, (new_h - h) // 2))
    return canvas


class _Take(PyDataset):
    """The first batches of a dataset."""

    def __init__(self, dataset: PyDataset, count: int) -> None:
        super().__init__()
        self.dataset, self.count = dataset, count
        self.class_names = getattr(dataset, "class_names", None)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, idx: int) -> Any:
        idx = operator.index(idx)
        if not -self.count <= idx < self.count:
            raise IndexError(f"Batch index out of range ({self.count} batches). Received: {idx}")
        return self.dataset[idx % self.count]

    def __iter__(self) -> Iterator:
        for i in range(self.count):
            yield self[i]
