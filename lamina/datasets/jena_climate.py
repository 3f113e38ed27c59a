"""The Jena weather series (Max Planck Institute for Biogeochemistry, 2009-2016).

The book's temperature-forecasting data: 14 quantities (pressure, temperature, humidity, wind,
...) recorded every 10 minutes from 2009 to 2016, as `jena_climate_2009_2016.csv` in the
zip that Keras's examples download. No sha256 of that zip is published, so a copy is checked
by its content instead: a CSV with exactly the header below and 14 numbers per row.
"""

import io
import os
import zipfile
from pathlib import Path
from typing import NoReturn

import numpy as np

from lamina.datasets import files

NAME = "jena_climate"
CSV = "jena_climate_2009_2016.csv"
ZIP = CSV + ".zip"
ORIGINS = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "https://s3.amazonaws.com/keras-datasets/",
)
HEADER = (
    "Date Time", "p (mbar)", "T (degC)", "Tpot (K)", "Tdew (degC)", "rh (%)", "VPmax (mbar)",
    "VPact (mbar)", "VPdef (mbar)", "sh (g/kg)", "H2OC (mmol/mol)", "rho (g/m**3)", "wv (m/s)",
    "max. wv (m/s)", "wd (deg)",
)  # fmt: skip
TEMPERATURE_COLUMN = 1  # "T (degC)" in the float data (the header's column 2)


def load_data() -> tuple[list[str], np.ndarray]:
    """Loads the Jena climate series as the book reads it: the header and the numbers.

    Looks for `jena_climate_2009_2016.csv`, then for the zip holding it, in
    `$LAMINA_DATA/jena_climate/` and in the cache `$LAMINA_HOME/datasets/jena_climate/`, and
    otherwise downloads the zip into the cache. The zip is read in place, never extracted.

    Returns:
        `(header, float_data)`: `header` is the list of the CSV's 15 column names, `"Date Time"`
        first (the book's `header`, without the quotes); `float_data` is a float32 array of
        shape `(rows, 14)` holding every column after the date, one row per 10 minutes (the
        book's `raw_data`, 420,451 rows in the published file). The temperature in degrees
        Celsius, the book's target, is `float_data[:, TEMPERATURE_COLUMN]`.

    Raises:
        FileNotFoundError: the file is nowhere and cannot be downloaded; the message lists
            where it looked and what to do.
        ValueError: the file is not this CSV (another header), a row is malformed, or the zip
            is corrupt or cut short; the message names the file and what is wrong.

    Example:
        >>> header, float_data = load_data()  # doctest: +SKIP
        >>> temperature = float_data[:, TEMPERATURE_COLUMN]  # doctest: +SKIP
        >>> header[2], float_data.shape  # doctest: +SKIP
        ('T (degC)', (420451, 14))
    """
    for folder in (files.data_dir(NAME), files.cache_dir(NAME)):
        if folder is not None and (folder / CSV).is_file():
            return read_csv(folder / CSV)
    try:
        archive = files.find_dataset_files(NAME, {ZIP: None}, ORIGINS)[ZIP]
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f"{e}\nThe unzipped {CSV} is also accepted in the same folders."
        ) from None
    return read_zip(archive)


def read_zip(path: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """Reads the CSV inside the published zip; see `load_data` for what it returns."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if Path(n).name == CSV and "__MACOSX" not in n]
            if not names:
                raise ValueError(
                    f"{path} does not hold {CSV}. Received: members={archive.namelist()[:10]}"
                )
            data = archive.read(names[0])
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise ValueError(
            f"{path} is not a complete zip file (cut short or corrupt); delete it and load "
            f"again. Received: error={e!r}"
        ) from e
    return _parse(data, f"{path} (member {names[0]})")


def read_csv(path: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """Reads `jena_climate_2009_2016.csv`; see `load_data` for what it returns."""
    path = Path(path)
    return _parse(path.read_bytes(), str(path))


def _parse(data: bytes, source: str) -> tuple[list[str], np.ndarray]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{source} is not a text CSV file. Received: error={e}") from e
    first_line, _, rows = text.partition("\n")
    header = [name.strip().strip('"') for name in first_line.strip().split(",")]
    if tuple(header) != HEADER:
        raise ValueError(
            f"{source} is not the Jena climate CSV: its header should be {list(HEADER)}. "
            f"Received: header={header}"
        )
    lines = [(n, line) for n, line in enumerate(rows.splitlines(), start=2) if line.strip()]
    if not lines:
        raise ValueError(f"{source} has a header but no rows; it may be cut short.")
    n_values = len(HEADER) - 1
    if rows.count(",") != n_values * len(lines):
        _raise_for_bad_line(lines, source)  # some row has too few or too many fields
    try:
        float_data = np.loadtxt(
            io.StringIO(rows), delimiter=",", usecols=range(1, len(HEADER)), dtype=np.float32
        ).reshape(len(lines), n_values)
    except ValueError:
        _raise_for_bad_line(lines, source)
    if not np.isfinite(float_data).all():
        _raise_for_bad_line(lines, source)
    return list(header), float_data


def _raise_for_bad_line(lines: list[tuple[int, str]], source: str) -> NoReturn:
    """Finds the first malformed row (slow, so only once something is known to be wrong)."""
    for number, line in lines:
        fields = line.split(",")
        if len(fields) != len(HEADER):
            raise ValueError(
                f"{source}, line {number}: expected {len(HEADER)} comma-separated fields. "
                f"Received: {len(fields)} fields in {line!r}"
            )
        for field in fields[1:]:
            try:
                value = float(field)
            except ValueError:
                value = None
            if value is None or not np.isfinite(value):
                raise ValueError(
                    f"{source}, line {number}: every field after the date must be a finite "
                    f"number. Received: {field!r} in {line!r}"
                )
    raise ValueError(f"{source} could not be read as the Jena climate CSV.")
