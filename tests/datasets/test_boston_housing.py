"""Tests for the Boston housing loader and its CSV reader."""

import re

import numpy as np
import pytest

from lamina.datasets import boston_housing, files

HEADER = ",".join(f'"{n}"' for n in (*boston_housing.FEATURE_NAMES, "MEDV"))


def _row(i: int) -> str:
    return ",".join(str(i + j / 10) for j in range(14))


def _csv(tmp_path, lines: list[str], name: str = "boston.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_real_split_matches_keras(use_shared):
    use_shared("boston_housing")
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    assert x_train.shape == (404, 13) and y_train.shape == (404,)
    assert x_test.shape == (102, 13) and y_test.shape == (102,)
    assert x_train.dtype == y_train.dtype == np.float64
    np.testing.assert_allclose(x_train[0, :3], [1.23247, 0, 8.14])
    np.testing.assert_allclose(y_train[:3], [15.2, 42.3, 50.0])


def test_real_test_split_and_seed(use_shared):
    use_shared("boston_housing")
    (x_train, _), (x_test, _) = boston_housing.load_data(test_split=0.5, seed=0)
    assert len(x_train) == 253 and len(x_test) == 253
    everything = np.concatenate([x_train, x_test])
    (a, _), (b, _) = boston_housing.load_data()
    assert sorted(map(tuple, everything)) == sorted(map(tuple, np.concatenate([a, b])))


@pytest.mark.parametrize("test_split", [-0.2, 1.2, "0.2", True])
def test_bad_test_split(offline, test_split):
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=test_split)


def test_read_csv(tmp_path):
    path = _csv(tmp_path, ["3,13,,", HEADER, _row(0), _row(1), "", _row(2)])
    x, y = boston_housing.read_csv(path)
    assert x.shape == (3, 13) and y.shape == (3,)
    assert x[1, 0] == 1.0 and y[2] == pytest.approx(3.3)


@pytest.mark.parametrize(
    "lines, problem",
    [
        (["3,13", HEADER, _row(0), _row(1)], "should have 3 rows.*cut short"),
        (["2,13", HEADER, _row(0), _row(1)[:-4]], "line 4: 13 fields instead of 14"),
        (["2,13", HEADER, _row(0), _row(1).replace("1.2", "x")], "line 4: could not convert"),
        (["2,13", HEADER, "nan," + _row(0)[4:], _row(1)], "line 3: a value is not finite"),
        (["rows,13", HEADER], r"line 1: expected 'rows,features'"),
        (["2,13", '"CRIM","ZN"'], "line 2: the header should name 14 columns"),
        (["2,13"], "too short"),
    ],
)
def test_bad_csv_names_file_and_problem(tmp_path, lines, problem):
    path = _csv(tmp_path, lines)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + problem):
        boston_housing.read_csv(path)


def test_binary_file_names_the_file(tmp_path):
    path = tmp_path / "boston.csv"
    path.write_bytes(b"\x1f\x8b\x08\x00\xff\xfe")
    with pytest.raises(ValueError, match=re.escape(str(path)) + " is not a text CSV"):
        boston_housing.read_csv(path)


def test_cut_copy_in_lamina_data_is_refused(tmp_path, offline, monkeypatch):
    folder = tmp_path / "data" / "boston_housing"
    folder.mkdir(parents=True)
    _csv(folder, ["506,13", HEADER, _row(0)], name=boston_housing.CSV)
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path / "data"))
    with pytest.raises(ValueError, match="not the expected file.*Received: sha256="):
        boston_housing.load_data()


def test_download_from_a_mirror_into_the_cache(use_shared, tmp_path, monkeypatch):
    source = use_shared("boston_housing")
    home = tmp_path / "fresh_home"
    monkeypatch.setenv("LAMINA_HOME", str(home))
    monkeypatch.delenv("LAMINA_DATA")
    monkeypatch.setattr(boston_housing, "ORIGINS", (source.as_uri() + "/",))
    (x_train, _), _ = boston_housing.load_data()
    assert x_train[0, 0] == pytest.approx(1.23247)
    cached = home / "datasets" / "boston_housing" / boston_housing.CSV
    assert files.sha256_file(cached) == boston_housing.CSV_SHA256
