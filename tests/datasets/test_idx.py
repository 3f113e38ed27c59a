"""Tests for the gzipped IDX reader, on small files written to tmp_path."""

import gzip
import hashlib
import re
import struct

import numpy as np
import pytest

from lamina.datasets import idx


def _idx_bytes(magic: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    return struct.pack(f">{1 + len(dims)}I", magic, *dims) + payload


def _write(path, raw: bytes, compress: bool = True):
    path.write_bytes(gzip.compress(raw, mtime=0) if compress else raw)
    return path


@pytest.fixture
def images():
    return np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)


@pytest.fixture
def images_file(tmp_path, images):
    raw = _idx_bytes(idx.IMAGES_MAGIC, images.shape, images.tobytes())
    return _write(tmp_path / "images.gz", raw)


def _match(path) -> str:
    return re.escape(str(path))


def test_read_images_round_trip(images_file, images):
    x = idx.read_images(images_file, shape=(2, 3, 4))
    assert x.dtype == np.uint8
    np.testing.assert_array_equal(x, images)
    x[0, 0, 0] = 255  # writable, like Keras's arrays


def test_read_labels_round_trip(tmp_path):
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    path = _write(tmp_path / "labels.gz", _idx_bytes(idx.LABELS_MAGIC, (5,), labels.tobytes()))
    y = idx.read_labels(path, count=5)
    assert y.shape == (5,) and y.dtype == np.uint8
    np.testing.assert_array_equal(y, labels)


def test_bad_magic_names_file(images_file):
    with pytest.raises(ValueError, match=_match(images_file) + ".*magic=0x00000803"):
        idx.read_labels(images_file)


def test_wrong_dimensions_names_file(images_file):
    with pytest.raises(ValueError, match=_match(images_file) + r".*dims=\(2, 3, 4\)"):
        idx.read_images(images_file, shape=(2, 28, 28))


@pytest.mark.parametrize("extra", [-1, 1])
def test_wrong_size_names_file(tmp_path, images, extra):
    payload = images.tobytes()
    payload = payload[:extra] if extra < 0 else payload + b"\0" * extra
    path = _write(tmp_path / "sized.gz", _idx_bytes(idx.IMAGES_MAGIC, images.shape, payload))
    with pytest.raises(ValueError, match=_match(path) + ".*wrong size"):
        idx.read_images(path)


def test_short_header_names_file(tmp_path):
    path = _write(tmp_path / "short.gz", b"\0\0\x08")
    with pytest.raises(ValueError, match=_match(path) + ".*too short"):
        idx.read_images(path)


def test_cut_gzip_names_file(images_file):
    data = images_file.read_bytes()
    images_file.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=_match(images_file) + ".*not a complete gzip"):
        idx.read_images(images_file)


def test_corrupt_gzip_checksum_names_file(images_file):
    data = bytearray(images_file.read_bytes())
    data[-8] ^= 0xFF  # the stored CRC32 of the content
    images_file.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=_match(images_file)):
        idx.read_images(images_file)


def test_not_gzip_names_file(tmp_path, images):
    raw = _idx_bytes(idx.IMAGES_MAGIC, images.shape, images.tobytes())
    path = _write(tmp_path / "plain.gz", raw, compress=False)
    with pytest.raises(ValueError, match=_match(path)):
        idx.read_images(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        idx.read_images(tmp_path / "absent.gz")


def test_gunzip_sha256_hashes_content(images_file, images):
    raw = _idx_bytes(idx.IMAGES_MAGIC, images.shape, images.tobytes())
    assert idx.gunzip_sha256(images_file) == hashlib.sha256(raw).hexdigest()


def test_gunzip_sha256_ignores_compression_settings(tmp_path, images):
    raw = _idx_bytes(idx.IMAGES_MAGIC, images.shape, images.tobytes())
    fast = _write(tmp_path / "fast.gz", gzip.compress(raw, compresslevel=1, mtime=1), False)
    best = _write(tmp_path / "best.gz", gzip.compress(raw, compresslevel=9, mtime=2), False)
    assert fast.read_bytes() != best.read_bytes()
    assert idx.gunzip_sha256(fast) == idx.gunzip_sha256(best)


def test_gunzip_sha256_cut_file_names_file(images_file):
    images_file.write_bytes(images_file.read_bytes()[:20])
    with pytest.raises(ValueError, match=_match(images_file)):
        idx.gunzip_sha256(images_file)
