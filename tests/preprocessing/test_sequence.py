"""pad_sequences and TimeseriesGenerator: known values worked out by hand."""

import numpy as np
import pytest

from lamina.preprocessing.sequence import TimeseriesGenerator, pad_sequences
from lamina.training.py_dataset import PyDataset

SEQS = [[1, 2, 3], [4, 5], [6]]


# ----- pad_sequences ---------------------------------------------------------------------------


def test_pad_sequences_defaults_pad_before_to_the_longest():
    out = pad_sequences(SEQS)
    assert out.dtype == np.int32 and out.shape == (3, 3)
    np.testing.assert_array_equal(out, [[1, 2, 3], [0, 4, 5], [0, 0, 6]])


@pytest.mark.parametrize(
    ("padding", "truncating", "want"),
    [
        ("pre", "pre", [[2, 3], [4, 5], [0, 6]]),
        ("pre", "post", [[1, 2], [4, 5], [0, 6]]),
        ("post", "pre", [[2, 3], [4, 5], [6, 0]]),
        ("post", "post", [[1, 2], [4, 5], [6, 0]]),
    ],
)
def test_pad_sequences_maxlen_padding_truncating(padding, truncating, want):
    out = pad_sequences(SEQS, maxlen=2, padding=padding, truncating=truncating)
    np.testing.assert_array_equal(out, want)


def test_pad_sequences_value_dtype_and_longer_maxlen():
    out = pad_sequences([[1.5], [2.25, 3.0]], maxlen=3, dtype="float32", value=-1.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[-1, -1, 1.5], [-1, 2.25, 3.0]])
    # int32 truncates floats, as NumPy's cast does
    np.testing.assert_array_equal(pad_sequences([[1.7]]), [[1]])


def test_pad_sequences_strings_need_object_dtype():
    out = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert out.tolist() == [["a", "b"], ["<pad>", "c"]]
    with pytest.raises(ValueError, match="dtype=object"):
        pad_sequences([["a"]], value="<pad>")


def test_pad_sequences_empty_cases():
    np.testing.assert_array_equal(pad_sequences([[], [1]]), [[0], [1]])
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)
    np.testing.assert_array_equal(pad_sequences([[], []], maxlen=2), [[0, 0], [0, 0]])


def test_pad_sequences_items_may_be_vectors_and_inputs_arrays():
    out = pad_sequences([[[1, 2], [3, 4]], [[5, 6]]])
    assert out.shape == (2, 2, 2)
    np.testing.assert_array_equal(out[1], [[0, 0], [5, 6]])
    np.testing.assert_array_equal(
        pad_sequences(np.array([[1, 2], [3, 4]]), maxlen=3), [[0, 1, 2], [0, 3, 4]]
    )
    np.testing.assert_array_equal(pad_sequences([(1, 2), np.array([3])]), [[1, 2], [0, 3]])


def test_pad_sequences_errors_name_the_bad_item():
    with pytest.raises(ValueError, match=r"sequences\[1\]=3 of type int"):
        pad_sequences([[1, 2], 3])
    with pytest.raises(ValueError, match=r"sequences\[0\]='abc' of type str"):
        pad_sequences(["abc"])
    with pytest.raises(ValueError, match=r"sequences\[1\]"):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])
    with pytest.raises(ValueError, match=r"sequences\[1\] cannot be converted"):
        pad_sequences([[1], [[1, 2], [3]]])
    with pytest.raises(ValueError, match=r"items of sequences\[0\] must all have one shape"):
        pad_sequences([[1, [2]]])
    with pytest.raises(ValueError, match="list of sequences"):
        pad_sequences(5)
    with pytest.raises(ValueError, match="padding='middle'"):
        pad_sequences(SEQS, padding="middle")
    with pytest.raises(ValueError, match="truncating='mid'"):
        pad_sequences(SEQS, truncating="mid")
    with pytest.raises(ValueError, match="maxlen=-1"):
        pad_sequences(SEQS, maxlen=-1)


# ----- TimeseriesGenerator ---------------------------------------------------------------------

DATA = np.arange(10.0)
TARGETS = np.arange(10) * 10


def test_generator_windows_end_before_their_target():
    gen = TimeseriesGenerator(DATA, TARGETS, length=3, batch_size=2)
    assert isinstance(gen, PyDataset)
    assert len(gen) == 4  # targets at rows 3..9: 7 samples in batches of 2
    x, y = gen[0]
    np.testing.assert_array_equal(x, [[0, 1, 2], [1, 2, 3]])
    np.testing.assert_array_equal(y, [30, 40])
    x, y = gen[3]
    np.testing.assert_array_equal(x, [[6, 7, 8]])
    np.testing.assert_array_equal(y, [90])
    assert [len(b[1]) for b in gen] == [2, 2, 2, 1]
    with pytest.raises(IndexError):
        gen[4]


def test_generator_sampling_rate_stride_reverse():
    x, y = TimeseriesGenerator(DATA, TARGETS, length=4, sampling_rate=2, batch_size=2)[0]
    np.testing.assert_array_equal(x, [[0, 2], [1, 3]])
    np.testing.assert_array_equal(y, [40, 50])
    gen = TimeseriesGenerator(DATA, TARGETS, length=3, stride=2, batch_size=2)
    assert len(gen) == 2
    np.testing.assert_array_equal(gen[1][1], [70, 90])
    x, _ = TimeseriesGenerator(DATA, TARGETS, length=3, reverse=True, batch_size=1)[0]
    np.testing.assert_array_equal(x, [[2, 1, 0]])


def test_generator_start_and_end_index_and_features():
    data = np.stack([DATA, -DATA], axis=1)
    gen = TimeseriesGenerator(data, TARGETS, length=3, start_index=2, end_index=7, batch_size=8)
    assert len(gen) == 1
    x, y = gen[0]
    assert x.shape == (3, 3, 2)
    np.testing.assert_array_equal(y, [50, 60, 70])
    np.testing.assert_array_equal(x[0, :, 1], [-2, -3, -4])


def test_generator_shuffle_draws_rows_in_range_with_matching_targets():
    gen = TimeseriesGenerator(DATA, TARGETS, length=3, shuffle=True, batch_size=50)
    x, y = gen[0]
    assert x.shape == (50, 3)
    np.testing.assert_array_equal(y, (x[:, -1] + 1) * 10)
    assert set(y.tolist()) <= {30, 40, 50, 60, 70, 80, 90}


def test_generator_errors_and_config():
    with pytest.raises(ValueError, match="same length"):
        TimeseriesGenerator(DATA, TARGETS[:5], length=3)
    with pytest.raises(ValueError, match="no row is left"):
        TimeseriesGenerator(DATA, TARGETS, length=10)
    with pytest.raises(ValueError, match="length=0"):
        TimeseriesGenerator(DATA, TARGETS, length=0)
    config = TimeseriesGenerator(DATA, TARGETS, length=3, start_index=1).get_config()
    assert config["start_index"] == 1 and config["end_index"] == 9 and config["length"] == 3
    assert (
        '"class_name": "TimeseriesGenerator"'
        in TimeseriesGenerator(DATA, TARGETS, length=3).to_json()
    )
