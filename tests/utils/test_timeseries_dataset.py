"""timeseries_dataset_from_array: Keras's windowing, checked on hand-made and real series."""

import csv
import gzip
import time
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina.training.py_dataset import PyDataset
from lamina.utils.timeseries_dataset import timeseries_dataset_from_array

VIC_ELEC = Path("/work/shared/datasets/vic_elec/vic_elec.csv.gz")


def batches(ds):
    return [b for b in ds]


def test_keras_example_1_windows_with_rate_and_stride():
    # Keras's docstring: indices 0..98, sequence_length=10, sampling_rate=2, sequence_stride=3
    ds = timeseries_dataset_from_array(
        np.arange(99), None, sequence_length=10, sampling_rate=2, sequence_stride=3,
        batch_size=128,
    )  # fmt: skip
    assert isinstance(ds, PyDataset) and len(ds) == 1
    x = ds[0]
    assert x.shape == (27, 10)
    np.testing.assert_array_equal(x[0], np.arange(0, 20, 2))
    np.testing.assert_array_equal(x[1], np.arange(3, 23, 2))
    np.testing.assert_array_equal(x[2], np.arange(6, 26, 2))
    np.testing.assert_array_equal(x[-1], np.arange(78, 98, 2))


def test_keras_example_2_target_is_the_row_after_the_window():
    data = np.arange(100) * 1.0
    ds = timeseries_dataset_from_array(data, data[10:], sequence_length=10, batch_size=32)
    assert len(ds) == 3 and sum(len(y) for _, y in ds) == 90
    x, y = ds[0]
    assert x.shape == (32, 10) and x.dtype == np.float64
    np.testing.assert_array_equal(x[0], np.arange(10))
    np.testing.assert_array_equal(y[:3], [10, 11, 12])
    x, y = ds[2]
    np.testing.assert_array_equal(x[-1], np.arange(89, 99))
    assert y[-1] == 99


def test_target_of_window_i_is_targets_at_its_start():
    data = np.arange(12)
    targets = np.arange(12) * 100
    x, y = timeseries_dataset_from_array(data, targets, 3, sequence_stride=2, batch_size=4)[0]
    np.testing.assert_array_equal(x, [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8]])
    np.testing.assert_array_equal(y, [0, 200, 400, 600])


def test_start_and_end_index_bound_the_windows():
    data = np.arange(20)
    ds = timeseries_dataset_from_array(
        data, data * 10, 3, start_index=5, end_index=12, batch_size=2
    )
    xs, ys = zip(*batches(ds), strict=True)
    x, y = np.concatenate(xs), np.concatenate(ys)
    np.testing.assert_array_equal(x, [[5, 6, 7], [6, 7, 8], [7, 8, 9], [8, 9, 10], [9, 10, 11]])
    np.testing.assert_array_equal(y, [50, 60, 70, 80, 90])
    assert [len(b) for b in ys] == [2, 2, 1]


def test_multivariate_windows_and_unbatched():
    data = np.arange(20.0).reshape(10, 2)
    x, y = timeseries_dataset_from_array(data, np.arange(10), 4, batch_size=3)[1]
    assert x.shape == (3, 4, 2)
    np.testing.assert_array_equal(x[0, :, 0], [6, 8, 10, 12])
    np.testing.assert_array_equal(y, [3, 4, 5])
    single = timeseries_dataset_from_array(data, np.arange(10), 4, batch_size=None)
    assert len(single) == 7
    x, y = single[6]
    assert x.shape == (4, 2) and y == 6


def test_shorter_targets_limit_the_windows():
    ds = timeseries_dataset_from_array(np.arange(10), np.arange(4), 3, batch_size=10)
    x, y = ds[0]
    np.testing.assert_array_equal(y, [0, 1, 2, 3])
    assert len(x) == 4


def test_shuffle_uses_keras_seeded_order_then_reshuffles_each_pass():
    data = np.arange(30)
    ds = timeseries_dataset_from_array(data, data, 5, batch_size=4, shuffle=True, seed=7)
    want = np.arange(26)
    np.random.RandomState(7).shuffle(want)
    first = np.concatenate([y for _, y in ds])
    np.testing.assert_array_equal(first, want)
    for x, y in ds:  # every window still matches its target
        np.testing.assert_array_equal(x[:, 0], y)
    second = np.concatenate([y for _, y in ds])
    assert sorted(second.tolist()) == list(range(26))
    assert not np.array_equal(second, first)
    again = timeseries_dataset_from_array(data, data, 5, batch_size=4, shuffle=True, seed=7)
    np.testing.assert_array_equal(np.concatenate([y for _, y in again]), first)
    ordered = timeseries_dataset_from_array(data, data, 5, batch_size=4)
    for _ in range(2):
        np.testing.assert_array_equal(np.concatenate([y for _, y in ordered]), np.arange(26))


def test_batches_are_gathered_lazily():
    # The book's Jena shape: 420k rows x 14; every window of 720 rows would take 17 GB.
    data = np.zeros((420_451, 14), dtype="float32")
    start = time.perf_counter()
    ds = timeseries_dataset_from_array(
        data[:-1], data[1:, 1], sequence_length=120, sampling_rate=6, batch_size=256,
        shuffle=True, seed=0,
    )  # fmt: skip
    x, y = ds[0]
    assert time.perf_counter() - start < 1.0
    assert x.shape == (256, 120, 14) and y.shape == (256,)
    assert ds.num_windows == 420_450 - 119 * 6


def test_vic_elec_temperature_windows_match_direct_indexing():
    with gzip.open(VIC_ELEC, "rt") as f:
        rows = list(csv.DictReader(f))
    temperature = np.array([float(r["Temperature"]) for r in rows], dtype="float32")
    demand = np.array([float(r["Demand"]) for r in rows], dtype="float32")
    assert len(temperature) == 52_608
    features = np.stack([temperature, demand], axis=1)
    # as the book: predict the temperature 24 hours (48 half-hours) after a day of history
    sampling_rate, sequence_length = 2, 24
    delay = sampling_rate * (sequence_length + 48 - 1)
    n_train = len(features) // 2
    ds = timeseries_dataset_from_array(
        features[:-delay], temperature[delay:], sequence_length=sequence_length,
        sampling_rate=sampling_rate, batch_size=256, start_index=0, end_index=n_train,
    )  # fmt: skip
    n_windows = n_train - (sequence_length - 1) * sampling_rate
    assert ds.num_windows == n_windows and len(ds) == -(-n_windows // 256)
    x, y = ds[7]
    for k in (0, 100, 255):
        s = 7 * 256 + k
        np.testing.assert_array_equal(x[k], features[s : s + 48 : 2])
        assert y[k] == temperature[s + delay]
    x, y = ds[len(ds) - 1]
    last = n_windows - 1
    np.testing.assert_array_equal(x[-1, :, 0], temperature[last : last + 48 : 2])
    assert last + 46 < n_train


def test_fit_reads_the_dataset():
    lamina.utils.set_random_seed(0)
    series = np.sin(np.arange(300) / 5.0).astype("float32")[:, None]
    ds = timeseries_dataset_from_array(
        series[:-1], series[5:, 0], 4, batch_size=32, shuffle=True, seed=1
    )
    model = lamina.Sequential([lamina.layers.Flatten(), lamina.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_errors():
    data = np.arange(10)
    with pytest.raises(ValueError, match="no window fits"):
        timeseries_dataset_from_array(data, None, 11)
    with pytest.raises(ValueError, match="no window fits"):
        timeseries_dataset_from_array(data, None, 4, sampling_rate=4)
    with pytest.raises(ValueError, match="no window fits"):
        timeseries_dataset_from_array(data, None, 4, start_index=3, end_index=5)
    with pytest.raises(ValueError, match="end_index=10"):
        timeseries_dataset_from_array(data, None, 2, end_index=10)
    with pytest.raises(ValueError, match="start_index=10"):
        timeseries_dataset_from_array(data, None, 2, start_index=10)
    with pytest.raises(ValueError, match="above start_index"):
        timeseries_dataset_from_array(data, None, 2, start_index=5, end_index=5)
    with pytest.raises(ValueError, match="sequence_length=0"):
        timeseries_dataset_from_array(data, None, 0)
    with pytest.raises(ValueError, match="sampling_rate=0"):
        timeseries_dataset_from_array(data, None, 2, sampling_rate=0)
    with pytest.raises(ValueError, match="sequence_stride=10"):
        timeseries_dataset_from_array(data, None, 2, sequence_stride=10)
    with pytest.raises(ValueError, match="batch_size=0"):
        timeseries_dataset_from_array(data, None, 2, batch_size=0)
    with pytest.raises(ValueError, match="time axis"):
        timeseries_dataset_from_array(np.float32(1), None, 2)
    with pytest.raises(IndexError):
        timeseries_dataset_from_array(data, None, 2)[1]
