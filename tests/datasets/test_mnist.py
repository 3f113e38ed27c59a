"""Tests for the MNIST and Fashion-MNIST loaders and the file finder; no test uses the network."""

import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from lamina.datasets import fashion_mnist, files, idx, mnist

SHARED = Path(__file__).parents[2].parent / "shared" / "datasets"
needs_shared = pytest.mark.skipif(
    not (SHARED / "fashion_mnist").is_dir(),
    reason=f"the shared Fashion-MNIST copy is not at {SHARED / 'fashion_mnist'}",
)
_real_urlopen = urllib.request.urlopen


def _no_network(url, *args, **kwargs):
    if str(url).startswith("file:"):
        return _real_urlopen(url, *args, **kwargs)
    raise urllib.error.URLError("network disabled in tests")


@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    """Every test runs offline with an empty LAMINA_HOME and no LAMINA_DATA."""
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAMINA_DATA", raising=False)


@pytest.fixture(scope="module")
def mnist_data():
    return mnist.load_data()


def test_mnist_shapes_and_dtypes(mnist_data):
    (x_train, y_train), (x_test, y_test) = mnist_data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8


def test_mnist_values(mnist_data):
    (x_train, y_train), (x_test, y_test) = mnist_data
    assert x_train.min() == 0 and x_train.max() == 255
    assert x_test.min() == 0 and x_test.max() == 255
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4]
    train_counts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    test_counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(y_train, minlength=10).tolist() == train_counts
    assert np.bincount(y_test, minlength=10).tolist() == test_counts


def test_mnist_arrays_are_writable():
    (x_train, y_train), _ = mnist.load_data()
    np.random.default_rng(0).shuffle(y_train)
    x_train[0] = 0


def test_mnist_loads_shipped_files_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path / "empty"))
    (_, y_train), _ = mnist.load_data()
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert not (tmp_path / "home").exists()  # nothing was cached or downloaded


def test_mnist_corrupt_shipped_file(tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"
    shutil.copytree(mnist.DATA_DIR, shipped)
    bad = shipped / idx.TEST_LABELS
    bad.write_bytes(bad.read_bytes()[:-1])
    monkeypatch.setattr(mnist, "DATA_DIR", shipped)
    with pytest.raises(ValueError, match="corrupt: " + re.escape(str(bad))):
        mnist.load_data()


def test_mnist_falls_back_to_lamina_data_without_shipped_files(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(mnist.DATA_DIR, data / "mnist")
    monkeypatch.setattr(mnist, "DATA_DIR", tmp_path / "not_installed")
    monkeypatch.setenv("LAMINA_DATA", str(data))
    (_, y_train), (x_test, _) = mnist.load_data()
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9] and x_test.shape == (10000, 28, 28)


@needs_shared
def test_fashion_mnist_from_lamina_data(monkeypatch):
    monkeypatch.setenv("LAMINA_DATA", str(SHARED))
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert y_train[:5].tolist() == [9, 0, 0, 3, 0]
    assert y_test[:5].tolist() == [9, 2, 1, 1, 6]
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10


def test_fashion_mnist_offline_error_lists_files_and_places(tmp_path, monkeypatch):
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path / "data"))
    with pytest.raises(FileNotFoundError) as info:
        fashion_mnist.load_data()
    message = str(info.value)
    for name in idx.MNIST_FILENAMES:
        assert name in message
        assert str(tmp_path / "data" / "fashion_mnist" / name) in message
        assert str(tmp_path / "home" / "datasets" / "fashion_mnist" / name) in message
        for origin in fashion_mnist.ORIGINS:
            assert origin + name in message
    assert "set LAMINA_DATA" in message and "network disabled in tests" in message
    assert not list((tmp_path / "home").rglob("*.part"))


def _demo_file(tmp_path):
    source = tmp_path / "origin"
    source.mkdir()
    (source / "a.bin").write_bytes(b"lamina")
    return source, files.sha256_file(source / "a.bin")


def test_download_goes_to_cache_then_cache_is_used(tmp_path, monkeypatch):
    source, sha = _demo_file(tmp_path)
    origin = source.as_uri() + "/"
    paths = files.find_dataset_files("demo", {"a.bin": sha}, [origin])
    cached = tmp_path / "home" / "datasets" / "demo" / "a.bin"
    assert paths == {"a.bin": cached} and cached.read_bytes() == b"lamina"
    (source / "a.bin").unlink()  # a second call must not need the origin
    assert files.find_dataset_files("demo", {"a.bin": sha}, [origin]) == {"a.bin": cached}


def test_download_with_wrong_sha256_is_deleted(tmp_path):
    source, _ = _demo_file(tmp_path)
    with pytest.raises(ValueError, match="wrong sha256"):
        files.find_dataset_files("demo", {"a.bin": "0" * 64}, [source.as_uri() + "/"])
    assert list((tmp_path / "home" / "datasets" / "demo").iterdir()) == []


def test_lamina_data_takes_precedence_and_is_checked(tmp_path, monkeypatch):
    source, sha = _demo_file(tmp_path)
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path))
    (tmp_path / "demo").mkdir()
    shutil.copy(source / "a.bin", tmp_path / "demo" / "a.bin")
    assert files.find_dataset_files("demo", {"a.bin": sha}, []) == {
        "a.bin": tmp_path / "demo" / "a.bin"
    }
    with pytest.raises(ValueError, match=r"LAMINA_DATA.*Received: sha256="):
        files.find_dataset_files("demo", {"a.bin": "0" * 64}, [])


def test_bad_cache_entry_is_downloaded_again(tmp_path):
    source, sha = _demo_file(tmp_path)
    cached = tmp_path / "home" / "datasets" / "demo" / "a.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"garbage")
    files.find_dataset_files("demo", {"a.bin": sha}, [source.as_uri() + "/"])
    assert cached.read_bytes() == b"lamina"


def test_lamina_home_defaults_to_home_folder(monkeypatch):
    monkeypatch.delenv("LAMINA_HOME")
    assert files.cache_dir("demo") == Path.home() / ".lamina" / "datasets" / "demo"


def test_origin_with_other_scheme_is_refused():
    with pytest.raises(ValueError, match="Received: origin='ftp://x/'"):
        files.find_dataset_files("demo", {"a.bin": "0" * 64}, ["ftp://x/"])


@needs_shared
def test_fashion_mnist_downloads_into_cache(tmp_path, monkeypatch):
    # A file: mirror of the shared copy stands in for the network.
    origin = (SHARED / "fashion_mnist").as_uri() + "/"
    monkeypatch.setattr(fashion_mnist, "ORIGINS", (origin,))
    (_, y_train), _ = fashion_mnist.load_data()
    assert y_train[:5].tolist() == [9, 0, 0, 3, 0]
    cache = tmp_path / "home" / "datasets" / "fashion_mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(idx.MNIST_FILENAMES)
