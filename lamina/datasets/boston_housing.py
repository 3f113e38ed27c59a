"""Boston house prices (Harrison & Rubinfeld, 1978): 13 features and the median value."""

import math
import os
from pathlib import Path

import numpy as np

from lamina.datasets import files

NAME = "boston_housing"
CSV = "boston_house_prices.csv"
CSV_SHA256 = "d98212636026544fc9b9c0f372e5f819872e6fa6fa757ab025efdda22180f2d6"
# scikit-learn shipped this file until version 1.1; the sha256 above rejects any other copy.
ORIGINS = (
    "https://raw.githubusercontent.com/scikit-learn/scikit-learn/1.1.X/sklearn/datasets/data/",
)
FEATURE_NAMES = (
    "CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX", "PTRATIO", "B",
    "LSTAT",
)  # fmt: skip

Split = tuple[np.ndarray, np.ndarray]


def load_data(
    path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113
) -> tuple[Split, Split]:
    """Loads the Boston housing dataset: 506 towns, 13 features, prices in $1000s.

    The file is looked for in `$LAMINA_DATA/boston_housing/`, then in the cache
    `$LAMINA_HOME/datasets/boston_housing/`, then downloaded, and checked against its sha256.
    The rows are shuffled with `numpy.random.RandomState(seed)` and the first
    `int(506 * (1 - test_split))` are the training set, as in Keras. The feature names are in
    `FEATURE_NAMES`.

    Args:
        path: kept for Keras compatibility (its name for the cached `.npz`); unused, since
            lamina reads the original CSV.
        test_split: the fraction of rows for the test split, in [0, 1].
        seed: the shuffling seed.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float64 arrays of shapes `(404, 13)`, `(404,)`,
        `(102, 13)` and `(102,)` with the default split.

    Raises:
        FileNotFoundError: the file is nowhere and cannot be downloaded.
        ValueError: `test_split` is out of range, or the file is not the expected one.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
        >>> x_train[0, :3].tolist()  # doctest: +SKIP
        [1.23247, 0.0, 8.14]
    """
    del path
    if isinstance(test_split, bool) or not isinstance(test_split, int | float):
        raise ValueError(f"`test_split` must be a number in [0, 1]. Received: {test_split=}")
    if not 0 <= test_split <= 1:
        raise ValueError(f"`test_split` must be in [0, 1]. Received: {test_split=}")
    csv = files.find_dataset_files(NAME, {CSV: CSV_SHA256}, ORIGINS)[CSV]
    x, y = read_csv(csv)
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def read_csv(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Reads scikit-learn's Boston CSV: a `rows,features` line, a header, then the rows.

    Returns:
        `(x, y)`: float64 arrays of shapes `(rows, features)` and `(rows,)`; `y` is the last
        column (MEDV).

    Raises:
        ValueError: the file does not follow that format; the message names the file, the
            line and what is wrong.

    Example:
        >>> x, y = read_csv("boston_house_prices.csv")  # doctest: +SKIP
        >>> x.shape, y.shape  # doctest: +SKIP
        ((506, 13), (506,))
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not a text CSV file. Received: error={e}") from e
    if len(lines) < 2:
        raise ValueError(f"{path} is too short for its two header lines. Received: {len(lines)=}")
    first = [f for f in lines[0].split(",") if f.strip()]
    try:
        n_rows, n_features = (int(f) for f in first)
    except ValueError:
        raise ValueError(
            f"{path}, line 1: expected 'rows,features'. Received: {lines[0]!r}"
        ) from None
    header = lines[1].split(",")
    if len(header) != n_features + 1:
        raise ValueError(
            f"{path}, line 2: the header should name {n_features + 1} columns. "
            f"Received: {len(header)} columns"
        )
    rows = [(number, line) for number, line in enumerate(lines[2:], start=3) if line.strip()]
    if len(rows) != n_rows:
        raise ValueError(
            f"{path} should have {n_rows} rows after its header (line 1 says so); it may be cut "
            f"short. Received: rows={len(rows)}"
        )
    data = np.empty((n_rows, n_features + 1), dtype=np.float64)
    for i, (number, line) in enumerate(rows):
        fields = line.split(",")
        try:
            if len(fields) != n_features + 1:
                raise ValueError(f"{len(fields)} fields instead of {n_features + 1}")
            data[i] = [float(f) for f in fields]
            if not all(math.isfinite(v) for v in data[i]):
                raise ValueError("a value is not finite")
        except ValueError as e:
            raise ValueError(f"{path}, line {number}: {e}. Received: {line!r}") from None
    return data[:, :-1], data[:, -1]
