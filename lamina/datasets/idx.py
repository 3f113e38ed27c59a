"""Reading gzipped IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a big-endian header (a magic number, then one 32-bit size per dimension)
followed by the uint8 values in C order.
"""

import gzip
import hashlib
import math
import os
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
MNIST_FILENAMES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

_GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)

Split = tuple[np.ndarray, np.ndarray]


def read_images(path: str | os.PathLike, shape: tuple[int, int, int] | None = None) -> np.ndarray:
    """Reads a gzipped IDX image file (magic 0x00000803).

    Args:
        path: the `.gz` file.
        shape: the expected `(count, rows, cols)`, or None to accept any.

    Returns:
        A writable uint8 array of shape `(count, rows, cols)`.

    Raises:
        ValueError: the file is not valid gzip, has another magic number or shape, or its
            byte count does not match its header.

    Example:
        >>> x = read_images("t10k-images-idx3-ubyte.gz", shape=(10000, 28, 28))  # doctest: +SKIP
    """
    return _read(Path(path), IMAGES_MAGIC, 3, shape)


def read_labels(path: str | os.PathLike, count: int | None = None) -> np.ndarray:
    """Reads a gzipped IDX label file (magic 0x00000801).

    Args:
        path: the `.gz` file.
        count: the expected number of labels, or None to accept any.

    Returns:
        A writable uint8 array of shape `(count,)`.

    Raises:
        ValueError: as for `read_images`.

    Example:
        >>> y = read_labels("t10k-labels-idx1-ubyte.gz", count=10000)  # doctest: +SKIP
    """
    return _read(Path(path), LABELS_MAGIC, 1, None if count is None else (count,))


def gunzip_sha256(path: str | os.PathLike) -> str:
    """Returns the sha256 hex digest of a gzip file's decompressed content.

    Mirrors recompress the same data, so this identifies the data where the `.gz` bytes cannot.

    Example:
        >>> gunzip_sha256("t10k-labels-idx1-ubyte.gz")  # doctest: +SKIP
        'ff7bcfd4...'
    """
    path = Path(path)
    try:
        with gzip.open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except _GZIP_ERRORS as e:
        raise _gzip_error(path, e) from e


def read_mnist_files(paths: Mapping[str, Path], train: int, test: int) -> tuple[Split, Split]:
    """Reads the four MNIST-layout files into Keras's `(x_train, y_train), (x_test, y_test)`.

    Args:
        paths: the path of each name in `MNIST_FILENAMES`.
        train: the number of training examples expected.
        test: the number of test examples expected.

    Example:
        >>> (x_train, y_train), _ = read_mnist_files(paths, 60000, 10000)  # doctest: +SKIP
    """
    x_train = read_images(paths[TRAIN_IMAGES], shape=(train, 28, 28))
    y_train = read_labels(paths[TRAIN_LABELS], count=train)
    x_test = read_images(paths[TEST_IMAGES], shape=(test, 28, 28))
    y_test = read_labels(paths[TEST_LABELS], count=test)
    return (x_train, y_train), (x_test, y_test)


def _read(path: Path, magic: int, ndim: int, shape: tuple[int, ...] | None) -> np.ndarray:
    try:
        data = gzip.decompress(path.read_bytes())
    except _GZIP_ERRORS as e:
        raise _gzip_error(path, e) from e
    header_size = 4 * (1 + ndim)
    if len(data) < header_size:
        raise ValueError(
            f"IDX file {path} is too short for its {header_size}-byte header. "
            f"Received: size={len(data)} bytes"
        )
    found, *dims = struct.unpack_from(f">{1 + ndim}I", data)
    if found != magic:
        raise ValueError(
            f"IDX file {path} has the wrong magic number: expected 0x{magic:08x}. "
            f"Received: magic=0x{found:08x}"
        )
    if shape is not None and tuple(dims) != shape:
        raise ValueError(
            f"IDX file {path} has the wrong dimensions: expected {shape}. "
            f"Received: dims={tuple(dims)}"
        )
    expected_size = header_size + math.prod(dims)
    if len(data) != expected_size:
        raise ValueError(
            f"IDX file {path} has the wrong size: its header {tuple(dims)} needs "
            f"{expected_size} bytes once decompressed. Received: size={len(data)} bytes"
        )
    # bytearray makes the result writable (Keras's arrays are), e.g. for in-place shuffling.
    return np.frombuffer(bytearray(data), np.uint8, offset=header_size).reshape(dims)


def _gzip_error(path: Path, error: Exception) -> ValueError:
    return ValueError(
        f"IDX file {path} is not a complete gzip file (cut short or corrupt); delete it and "
        f"fetch it again. Received: error={error!r}"
    )
