"""Tests for the Jena climate loader on small files in the published format."""

import re
import zipfile

import numpy as np
import pytest

from lamina.datasets import jena_climate

HEADER_LINE = ",".join(f'"{name}"' for name in jena_climate.HEADER)
ROWS = [
    "01.01.2009 00:10:00,996.52,-8.02,265.40,-8.90,93.30,3.33,3.11,0.22,1.94,3.12,1307.75,"
    "1.03,1.75,152.30",
    "01.01.2009 00:20:00,996.57,-8.41,265.01,-9.28,93.40,3.23,3.02,0.21,1.89,3.03,1309.80,"
    "0.72,1.50,136.10",
    "01.01.2009 00:30:00,996.53,-8.51,264.91,-9.31,93.90,3.21,3.01,0.20,1.88,3.02,1310.24,"
    "0.19,0.63,171.60",
]


def _text(rows=ROWS, header=HEADER_LINE) -> str:
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture
def data_dir(tmp_path, offline, monkeypatch):
    folder = tmp_path / "data" / "jena_climate"
    folder.mkdir(parents=True)
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path / "data"))
    return folder


def _check(header, float_data, rows=3):
    assert header == list(jena_climate.HEADER) and header[2] == "T (degC)"
    assert float_data.shape == (rows, 14) and float_data.dtype == np.float32
    temperature = float_data[:, jena_climate.TEMPERATURE_COLUMN]
    np.testing.assert_allclose(temperature, [-8.02, -8.41, -8.51][:rows], rtol=1e-6)
    np.testing.assert_allclose(float_data[0, [0, -1]], [996.52, 152.30], rtol=1e-6)


def test_reads_the_csv_from_lamina_data(data_dir):
    (data_dir / jena_climate.CSV).write_text(_text())
    _check(*jena_climate.load_data())


def test_reads_the_zip_in_place(data_dir):
    with zipfile.ZipFile(data_dir / jena_climate.ZIP, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("__MACOSX/._" + jena_climate.CSV, b"resource fork")
        z.writestr(jena_climate.CSV, _text())
    _check(*jena_climate.load_data())
    assert sorted(p.name for p in data_dir.iterdir()) == [jena_climate.ZIP]  # not extracted


def test_csv_in_the_cache(offline):
    folder = offline / "datasets" / "jena_climate"
    folder.mkdir(parents=True)
    (folder / jena_climate.CSV).write_text(_text().replace("\n", "\r\n"))
    _check(*jena_climate.load_data())


def test_downloads_the_zip_into_the_cache(tmp_path, offline, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with zipfile.ZipFile(mirror / jena_climate.ZIP, "w") as z:
        z.writestr(jena_climate.CSV, _text())
    monkeypatch.setattr(
        jena_climate, "ORIGINS", ("https://example.invalid/", mirror.as_uri() + "/")
    )
    _check(*jena_climate.load_data())
    assert (offline / "datasets" / "jena_climate" / jena_climate.ZIP).is_file()


def test_offline_error_lists_places_and_the_csv_alternative(data_dir, offline):
    with pytest.raises(FileNotFoundError) as info:
        jena_climate.load_data()
    message = str(info.value)
    assert str(data_dir / jena_climate.ZIP) in message
    assert str(offline / "datasets" / "jena_climate" / jena_climate.ZIP) in message
    assert jena_climate.ORIGINS[0] + jena_climate.ZIP in message
    assert f"The unzipped {jena_climate.CSV} is also accepted" in message


BAD_ROW = ROWS[1].split(",")


@pytest.mark.parametrize(
    "text, problem",
    [
        (_text(header='"Date Time","p (mbar)"'), "is not the Jena climate CSV"),
        (_text(rows=[]), "has a header but no rows"),
        (_text(rows=[ROWS[0], ",".join(BAD_ROW[:-1])]), "line 3: expected 15 .* 14 fields"),
        (_text(rows=[ROWS[0], ROWS[1] + ",1.0"]), "line 3: expected 15 .* 16 fields"),
        (_text(rows=[ROWS[0], ROWS[1].replace("93.40", "9x")]), "line 3: .*finite number.*'9x'"),
        (_text(rows=[*ROWS[:2], ROWS[2].replace("3.21", "nan")]), "line 4: .*'nan'"),
        (_text(rows=[ROWS[0], ROWS[1].replace("3.23", "")]), "line 3: .*Received: ''"),
    ],
)
def test_bad_csv_names_file_and_problem(data_dir, text, problem):
    path = data_dir / jena_climate.CSV
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + problem):
        jena_climate.load_data()


def test_binary_csv_names_the_file(data_dir):
    path = data_dir / jena_climate.CSV
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ValueError, match=re.escape(str(path)) + " is not a text CSV"):
        jena_climate.load_data()


def test_cut_zip_names_the_file(data_dir):
    path = data_dir / jena_climate.ZIP
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(jena_climate.CSV, _text())
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(ValueError, match=re.escape(str(path)) + " is not a complete zip"):
        jena_climate.load_data()


def test_zip_without_the_csv_is_refused(data_dir):
    with zipfile.ZipFile(data_dir / jena_climate.ZIP, "w") as z:
        z.writestr("other.csv", _text())
    with pytest.raises(ValueError, match="does not hold jena_climate_2009_2016.csv"):
        jena_climate.load_data()


def test_another_series_is_refused(tmp_path):
    path = tmp_path / "vic_elec.csv"
    path.write_text('"Time","Demand","Temperature","Date","Holiday"\n1,2,3,4,5\n')
    with pytest.raises(ValueError, match="is not the Jena climate CSV"):
        jena_climate.read_csv(path)
