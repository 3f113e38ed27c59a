"""Tests for the tokenizer, ragged sequences and Keras's load_data options."""

import numpy as np
import pytest

from lamina.datasets import text_corpus
from lamina.datasets.text_corpus import Ragged, keras_sequences, rank_words, tokenize


def test_tokenize_keeps_apostrophes_and_lowercases_ascii_only():
    text = "Don't <b>STOP</b>!\tÉtÉ\nnaïve\xa0Café \x85end".encode()
    assert tokenize(text) == [
        b"don't",
        b"b",
        b"stop",
        b"b",
        "\xc9t\xc9".encode(),  # non-ASCII capitals are left alone, as in Keras's files
        "na\xefve\xa0caf\xe9".encode(),  # split on the space character only
        "\x85end".encode(),
    ]


def test_tokenize_replaces_every_ascii_punctuation_but_the_apostrophe():
    punctuation = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'
    assert tokenize(f"a{punctuation}b'c".encode()) == [b"a", b"b'c"]


def test_rank_words_by_count_then_first_appearance():
    docs = [[b"z", b"y", b"x"], [b"x", b"w"], [b"y"]]
    assert rank_words(docs) == {b"y": 1, b"x": 2, b"z": 3, b"w": 4}


def test_encode_skips_unknown_words():
    assert text_corpus.encode([b"a", b"zz", b"b", b"a"], {b"a": 1, b"b": 7}) == [1, 7, 1]


@pytest.fixture
def ragged():
    return Ragged.from_lists([[5, 6, 7], [], [8], [9, 10]])


def _lists(r: Ragged) -> list[list[int]]:
    return [list(x) for x in r.to_object_array()]


def test_ragged_round_trip(ragged):
    assert ragged.values.dtype == np.int32 and ragged.offsets.dtype == np.int64
    assert ragged.offsets.tolist() == [0, 3, 3, 4, 6]
    assert _lists(ragged) == [[5, 6, 7], [], [8], [9, 10]]


def test_ragged_take_permutation_subset_and_mask(ragged):
    assert _lists(ragged.take(np.array([3, 0, 2, 1]))) == [[9, 10], [5, 6, 7], [8], []]
    assert _lists(ragged.take(np.array([2]))) == [[8]]
    assert _lists(ragged.take(np.array([True, False, False, True]))) == [[5, 6, 7], [9, 10]]
    assert len(ragged.take(np.array([], dtype=np.int64))) == 0


def test_ragged_prepend_and_keep_values(ragged):
    assert _lists(ragged.prepend(1)) == [[1, 5, 6, 7], [1], [1, 8], [1, 9, 10]]
    kept = ragged.keep_values(ragged.values % 2 == 0)
    assert _lists(kept) == [[6], [], [8], [10]]


def test_object_array_stays_1d_when_lengths_agree():
    out = Ragged.from_lists([[1, 2], [3, 4]]).to_object_array()
    assert out.shape == (2,) and out.dtype == object
    assert out[0] == [1, 2] and type(out[0][0]) is int


@pytest.mark.parametrize(
    "values, offsets",
    [
        (np.arange(3), np.array([0, 2])),
        (np.arange(3), np.array([1, 3])),
        (np.arange(3), [0, 2, 1, 3]),
    ],
)
def test_checked_rejects_inconsistent_offsets(values, offsets):
    with pytest.raises(ValueError, match="cache.npz are inconsistent"):
        Ragged.checked(values, np.asarray(offsets), "cache.npz")


def _keras_reference(splits, num_words, skip_top, maxlen, start_char, oov_char, index_from):
    """Keras's list comprehensions, applied to already shuffled splits."""
    out = []
    for xs, labels in splits:
        if start_char is not None:
            xs = [[start_char] + [w + index_from for w in x] for x in xs]
        elif index_from:
            xs = [[w + index_from for w in x] for x in xs]
        if maxlen:
            kept = [(x, y) for x, y in zip(xs, labels, strict=True) if len(x) < maxlen]
            xs, labels = [x for x, _ in kept], [y for _, y in kept]
        out.append((xs, list(labels)))
    if not num_words:
        num_words = max(max(x) for xs, _ in out for x in xs if x)
    result = []
    for xs, labels in out:
        if oov_char is not None:
            xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
        else:
            xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
        result.append((xs, labels))
    return result


@pytest.mark.parametrize(
    "options",
    [
        dict(num_words=None, skip_top=0, maxlen=None, start_char=1, oov_char=2, index_from=3),
        dict(num_words=20, skip_top=0, maxlen=None, start_char=1, oov_char=2, index_from=3),
        dict(num_words=30, skip_top=5, maxlen=8, start_char=1, oov_char=2, index_from=3),
        dict(num_words=25, skip_top=4, maxlen=None, start_char=1, oov_char=None, index_from=3),
        dict(num_words=None, skip_top=0, maxlen=6, start_char=None, oov_char=2, index_from=0),
        dict(num_words=15, skip_top=0, maxlen=None, start_char=None, oov_char=0, index_from=2),
    ],
)
def test_keras_sequences_match_keras_reference(options):
    rng = np.random.default_rng(0)
    lists = [[list(rng.integers(1, 40, rng.integers(1, 12))) for _ in range(n)] for n in (30, 20)]
    labels = [rng.integers(0, 2, len(x)) for x in lists]
    splits = [(Ragged.from_lists(x), y) for x, y in zip(lists, labels, strict=True)]
    got = keras_sequences(splits, **options)
    want = _keras_reference(
        [(x, y.tolist()) for x, y in zip(lists, labels, strict=True)], **options
    )
    for (seqs, y), (want_x, want_y) in zip(got, want, strict=True):
        assert _lists(seqs) == want_x
        assert y.tolist() == want_y


@pytest.mark.parametrize(
    "name, value",
    [
        ("num_words", -1),
        ("skip_top", None),
        ("maxlen", 2.5),
        ("index_from", True),
        ("oov_char", "2"),
    ],
)
def test_check_options_names_the_bad_option(name, value):
    options = dict(num_words=None, skip_top=0, maxlen=None, start_char=1, oov_char=2, index_from=3)
    options[name] = value
    with pytest.raises(ValueError, match=f"Received: {name}="):
        text_corpus.check_options(**options)
