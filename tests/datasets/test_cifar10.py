"""Tests for the CIFAR-10 JPEG loader: a synthetic archive, then the real subset."""

import io
import re
import sys
import tarfile

import numpy as np
import pytest

from lamina.datasets import cache, cifar10, files

try:
    from PIL import Image
except ImportError:  # the loader's ImportError is still tested
    Image = None
needs_pillow = pytest.mark.skipif(Image is None, reason="Pillow (lamina[images]) is not installed")


def _jpeg(value: int, size: int = 32) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (value, value, value)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _write_archive(path, members: dict[str, bytes]):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _members(per_class: int = 2) -> dict[str, bytes]:
    members = {"cifar10_jpg/README.md": b"readme"}
    for split in ("train", "test"):
        for label, name in enumerate(cifar10.CLASS_NAMES[:3]):
            for i in range(per_class):
                members[f"cifar10_jpg/{split}/{name}/{i:04d}.jpg"] = _jpeg(40 * label + 20)
    return members


@pytest.fixture
def synthetic(tmp_path, offline, monkeypatch):
    folder = tmp_path / "data" / "cifar10_jpg"
    folder.mkdir(parents=True)
    archive = _write_archive(folder / cifar10.ARCHIVE, _members())
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(cifar10, "ARCHIVE_SHA256", files.sha256_file(archive))
    return archive


def _use(monkeypatch, archive, members):
    _write_archive(archive, members)
    monkeypatch.setattr(cifar10, "ARCHIVE_SHA256", files.sha256_file(archive))


@needs_pillow
def test_synthetic_shapes_labels_and_pixels(synthetic, offline):
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == x_test.shape == (6, 32, 32, 3)
    assert y_train.shape == y_test.shape == (6, 1)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert np.bincount(y_train[:, 0]).tolist() == [2, 2, 2]
    # Each image is the gray level of its class, up to JPEG error.
    means = x_train.reshape(6, -1).mean(axis=1)
    np.testing.assert_allclose(means, 40 * y_train[:, 0] + 20, atol=2)
    assert (offline / "datasets" / "cifar10_jpg" / "cifar10.npz").is_file()


@needs_pillow
def test_synthetic_classes_are_shuffled_once_and_for_all(synthetic):
    _, (_, y_test) = cifar10.load_data()
    _, (_, again) = cifar10.load_data()
    assert y_test.tolist() == again.tolist()
    assert y_test[:, 0].tolist() != sorted(y_test[:, 0].tolist())


@needs_pillow
def test_cache_is_tied_to_the_pillow_version(synthetic, monkeypatch):
    calls = []
    build = cifar10._build
    monkeypatch.setattr(cifar10, "_build", lambda m: calls.append(1) or build(m))
    cifar10.load_data()
    cifar10.load_data()
    monkeypatch.setattr(cifar10, "_pillow_version", lambda: "0.0")
    cifar10.load_data()
    assert len(calls) == 2


@needs_pillow
def test_wrong_image_size_names_the_member(synthetic, monkeypatch):
    members = _members()
    members["cifar10_jpg/train/bird/0001.jpg"] = _jpeg(0, size=16)
    _use(monkeypatch, synthetic, members)
    with pytest.raises(ValueError, match=r"train/bird/0001.jpg in .* not a 32x32 image"):
        cifar10.load_data()


@needs_pillow
def test_broken_jpeg_names_the_member(synthetic, monkeypatch):
    members = _members()
    members["cifar10_jpg/test/automobile/0000.jpg"] = b"\xff\xd8\xff not really a jpeg"
    _use(monkeypatch, synthetic, members)
    with pytest.raises(ValueError, match=r"test/automobile/0000.jpg in .* not a valid image"):
        cifar10.load_data()


@needs_pillow
def test_unknown_class_is_refused(synthetic, monkeypatch):
    members = _members()
    members["cifar10_jpg/train/unicorn/0000.jpg"] = _jpeg(0)
    _use(monkeypatch, synthetic, members)
    with pytest.raises(ValueError, match="unknown class.*Received: class='unicorn'"):
        cifar10.load_data()


@needs_pillow
def test_missing_split_is_refused(synthetic, monkeypatch):
    members = {k: v for k, v in _members().items() if "/test/" not in k}
    _use(monkeypatch, synthetic, members)
    with pytest.raises(ValueError, match="no cifar10_jpg/test/<class>/\\*.jpg image"):
        cifar10.load_data()


@needs_pillow
def test_cut_gzip_names_the_file(synthetic, monkeypatch):
    synthetic.write_bytes(synthetic.read_bytes()[:-30])
    monkeypatch.setattr(cifar10, "ARCHIVE_SHA256", files.sha256_file(synthetic))
    with pytest.raises(ValueError, match=re.escape(str(synthetic)) + ".*cut short or corrupt"):
        cifar10.load_data()


def test_without_pillow_the_error_says_what_to_install(offline, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match=re.escape("pip install lamina[images]")):
        cifar10.load_data()


@needs_pillow
def test_missing_archive_message(offline):
    with pytest.raises(FileNotFoundError, match="No download origin is known"):
        cifar10.load_data()


# The real JPEG subset, decoded once per test run into the session's LAMINA_HOME.


@pytest.fixture(scope="module")
def real(shared_env):
    with shared_env("cifar10_jpg"):
        return cifar10.load_data()


@needs_pillow
def test_real_shapes_and_classes(real):
    (x_train, y_train), (x_test, y_test) = real
    assert x_train.shape == x_test.shape == (10000, 32, 32, 3)
    assert y_train.shape == y_test.shape == (10000, 1)
    assert x_train.dtype == y_train.dtype == x_test.dtype == y_test.dtype == np.uint8
    assert np.bincount(y_train[:, 0]).tolist() == np.bincount(y_test[:, 0]).tolist() == [1000] * 10
    assert len(set(y_train[:20, 0].tolist())) > 3  # mixed, not sorted by class
    assert 110 < x_train.mean() < 130 and x_train.min() == 0 and x_train.max() == 255


@needs_pillow
def test_real_second_load_reads_the_cache(use_shared, session_home, real, monkeypatch):
    use_shared("cifar10_jpg")
    monkeypatch.setattr(cifar10, "_build", lambda m: pytest.fail("the cache should be used"))
    (x_train, _), _ = cifar10.load_data()
    np.testing.assert_array_equal(x_train, real[0][0])
    entry = session_home / "datasets" / "cifar10_jpg" / "cifar10.npz"
    assert cache.sha256_path(entry).is_file()
