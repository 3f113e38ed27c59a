"""Tests for the build-once array cache."""

import numpy as np
import pytest

from lamina.datasets import cache, files


@pytest.fixture
def arrays():
    return {"values": np.arange(10, dtype=np.int32), "labels": np.array([0, 1], np.int8)}


def _builder(arrays, calls):
    def build():
        calls.append(1)
        return arrays

    return build


def test_builds_once_then_reads_the_cache(tmp_path, arrays):
    path, calls = tmp_path / "c" / "data.npz", []
    first = cache.load_or_build(path, "k1", _builder(arrays, calls))
    second = cache.load_or_build(path, "k1", _builder(arrays, calls))
    assert len(calls) == 1
    for got in (first, second):
        assert sorted(got) == ["labels", "values"]
        np.testing.assert_array_equal(got["values"], arrays["values"])
        assert got["values"].dtype == np.int32 and got["labels"].dtype == np.int8


def test_digest_file_is_in_sha256sum_format(tmp_path, arrays):
    path = tmp_path / "data.npz"
    cache.write_arrays(path, arrays, "k")
    digest, name = cache.sha256_path(path).read_text().split()
    assert digest == files.sha256_file(path) and name == "data.npz"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.npz", "data.npz.sha256"]


def test_the_file_is_plain_npz_without_pickle(tmp_path, arrays):
    path = tmp_path / "data.npz"
    cache.write_arrays(path, arrays, "k")
    with np.load(path, allow_pickle=False) as npz:
        assert str(npz[cache.KEY_NAME]) == "k"
        np.testing.assert_array_equal(npz["labels"], arrays["labels"])


def test_another_key_rebuilds_quietly(tmp_path, arrays):
    path, calls = tmp_path / "data.npz", []
    cache.load_or_build(path, "v1", _builder(arrays, calls))
    cache.load_or_build(path, "v2", _builder(arrays, calls))
    cache.load_or_build(path, "v2", _builder(arrays, calls))
    assert len(calls) == 2


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_corrupt_entry_is_rebuilt_with_a_warning(tmp_path, arrays, damage):
    path, calls = tmp_path / "data.npz", []
    cache.load_or_build(path, "k", _builder(arrays, calls))
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        del data[len(data) // 2 :]
    path.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="data.npz are corrupt: its sha256"):
        got = cache.load_or_build(path, "k", _builder(arrays, calls))
    assert len(calls) == 2
    np.testing.assert_array_equal(got["values"], arrays["values"])
    assert files.sha256_file(path) == cache.sha256_path(path).read_text().split()[0]


def test_unreadable_entry_with_matching_digest_is_rebuilt(tmp_path, arrays):
    # A digest that matches bytes which are not an npz (e.g. written by something else).
    path, calls = tmp_path / "data.npz", []
    path.write_bytes(b"not an npz")
    cache.sha256_path(path).write_text(f"{files.sha256_file(path)}  data.npz\n")
    with pytest.warns(UserWarning, match="cannot be read"):
        cache.load_or_build(path, "k", _builder(arrays, calls))
    assert len(calls) == 1


def test_missing_digest_file_rebuilds(tmp_path, arrays):
    path, calls = tmp_path / "data.npz", []
    cache.load_or_build(path, "k", _builder(arrays, calls))
    cache.sha256_path(path).unlink()
    cache.load_or_build(path, "k", _builder(arrays, calls))
    assert len(calls) == 2 and cache.sha256_path(path).is_file()


def test_failed_build_leaves_nothing(tmp_path):
    def build():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        cache.load_or_build(tmp_path / "data.npz", "k", build)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "bad", [{"x": np.array([[1], [1, 2]], dtype=object)}, {cache.KEY_NAME: np.zeros(1)}]
)
def test_object_arrays_and_reserved_name_are_refused(tmp_path, bad):
    with pytest.raises(ValueError, match="plain arrays"):
        cache.write_arrays(tmp_path / "data.npz", bad, "k")
    assert list(tmp_path.iterdir()) == []


def test_no_temporary_files_remain(tmp_path, arrays):
    cache.write_arrays(tmp_path / "data.npz", arrays, "k")
    cache.write_arrays(tmp_path / "data.npz", arrays, "k2")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_unwritable_cache_still_returns_the_arrays(tmp_path, arrays, monkeypatch):
    def fail(path, write):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(cache, "_atomic_write", fail)
    with pytest.warns(UserWarning, match="Could not cache the arrays.*read-only"):
        got = cache.load_or_build(tmp_path / "data.npz", "k", lambda: arrays)
    np.testing.assert_array_equal(got["values"], arrays["values"])
