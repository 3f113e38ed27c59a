"""CIFAR-10: 32x32 color images in 10 classes (Krizhevsky, 2009), from a JPEG subset.

lamina reads `cifar10_jpg/cifar10_jpg_subset.tar.gz`: JPEG re-encodings of the full test set
(10,000 images) and of a 10,000-image training subset (1,000 per class), not Keras's 50,000
training images from the original pickles. JPEG decoding makes the pixels close to, not equal
to, the originals. Decoding needs Pillow (`pip install lamina[images]`).
"""

import importlib
import io
import re
from pathlib import Path

import numpy as np

from lamina.datasets import cache, files
from lamina.datasets.archive import iter_tar

NAME = "cifar10_jpg"
ARCHIVE = "cifar10_jpg_subset.tar.gz"
ARCHIVE_SHA256 = "49967c657d2547caa11c48f906a921d7d60da23b0553487f69f75f1a5038967b"

CLASS_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip

# The archive is sorted by class; this fixed shuffle mixes the classes, as in Keras's arrays
# (a class-sorted training set would make `validation_split` hold only the last classes).
SHUFFLE_SEED = 113

_BUILD_VERSION = "cifar10-1"
_MEMBER = re.compile(r"(?:\./)?cifar10_jpg/(train|test)/([a-z]+)/([^/]+\.jpg)")

Split = tuple[np.ndarray, np.ndarray]


def load_data() -> tuple[Split, Split]:
    """Loads CIFAR-10 from the JPEG subset: 10,000 training and 10,000 test images.

    The archive is looked for in `$LAMINA_DATA/cifar10_jpg/`, then in the cache
    `$LAMINA_HOME/datasets/cifar10_jpg/`. The first call decodes the JPEGs (a few seconds)
    and caches the arrays there as `cifar10.npz`, tied to the Pillow version that decoded them.
    Each split is shuffled once with a fixed seed (`SHUFFLE_SEED`), so classes are mixed.
    Label `k` is `CLASS_NAMES[k]`: airplane, automobile, bird, cat, deer, dog, frog, horse,
    ship, truck, Keras's order.

    Note that the training part is a 10,000-image subset (1,000 per class) of Keras's 50,000.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes `(10000, 32, 32, 3)`,
        `(10000, 1)`, `(10000, 32, 32, 3)` and `(10000, 1)`.

    Raises:
        ImportError: Pillow is not installed.
        FileNotFoundError: the archive is nowhere; the message says where it looked.
        ValueError: the archive is corrupt or cut short, or an image is not a 32x32 JPEG (the
            message names the file).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
        >>> x_train.shape, CLASS_NAMES[y_train[0, 0]]  # doctest: +SKIP
        ((10000, 32, 32, 3), 'frog')
    """
    image_module = _import_pillow()
    key = f"{_BUILD_VERSION}:{ARCHIVE_SHA256}:pillow-{_pillow_version()}"
    cache_file = files.cache_dir(NAME) / "cifar10.npz"
    arrays = cache.load_or_build(cache_file, key, lambda: _build(image_module))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _import_pillow():
    try:
        return importlib.import_module("PIL.Image")
    except ImportError as e:
        raise ImportError(
            "Loading CIFAR-10 decodes JPEG files, which needs Pillow: "
            "`pip install lamina[images]` (or `pip install pillow`)."
        ) from e


def _pillow_version() -> str:
    return importlib.import_module("PIL").__version__


def _build(image_module) -> cache.Arrays:
    archive = files.find_dataset_files(NAME, {ARCHIVE: ARCHIVE_SHA256}, ())[ARCHIVE]
    images = _read_images(archive, image_module)
    arrays: cache.Arrays = {}
    rng = np.random.RandomState(SHUFFLE_SEED)
    for split in ("train", "test"):
        keys = sorted(k for k in images if k[0] == split)
        if not keys:
            raise ValueError(
                f"{archive} has no cifar10_jpg/{split}/<class>/*.jpg image; it is not the "
                "CIFAR-10 JPEG archive."
            )
        order = np.arange(len(keys))
        rng.shuffle(order)
        keys = [keys[i] for i in order]
        arrays[f"x_{split}"] = np.stack([images[k] for k in keys])
        arrays[f"y_{split}"] = np.array([[k[1]] for k in keys], dtype=np.uint8)
    return arrays


def _read_images(archive: Path, image_module) -> dict[tuple[str, int, str], np.ndarray]:
    """Decodes every image in one pass; keys are `(split, label, file name)`."""
    images = {}
    for match, data in iter_tar(archive, _MEMBER, "The CIFAR-10 archive"):
        split, class_name, filename = match.groups()
        if class_name not in CLASS_NAMES:
            raise ValueError(
                f"{archive} has an image of an unknown class, {match.group()}. "
                f"Expected one of {CLASS_NAMES}. Received: class={class_name!r}"
            )
        label = CLASS_NAMES.index(class_name)
        images[split, label, filename] = _decode(data, image_module, archive, match.group())
    return images


def _decode(data: bytes, image_module, archive: Path, name: str) -> np.ndarray:
    try:
        with image_module.open(io.BytesIO(data)) as image:
            pixels = np.asarray(image.convert("RGB"))
    except (OSError, ValueError, SyntaxError) as e:  # Pillow's errors for undecodable data
        raise ValueError(f"{name} in {archive} is not a valid image. Received: error={e}") from e
    if pixels.shape != (32, 32, 3):
        raise ValueError(
            f"{name} in {archive} is not a 32x32 image. Received: shape={pixels.shape}"
        )
    return pixels
