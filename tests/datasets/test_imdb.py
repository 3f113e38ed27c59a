"""Tests for the IMDB loader: a small synthetic archive, then the real reviews once per run."""

import io
import json
import re
import tarfile
import time

import numpy as np
import pytest

from lamina.datasets import cache, files, imdb
from lamina.datasets.archive import iter_tar
from lamina.datasets.text_corpus import tokenize

# Keras's imdb.load_data(num_words=10000) x_train[0], from train/pos/576_10.txt.
KERAS_X0_START = [1, 14, 22, 16, 43, 530, 973, 1622, 1385, 65, 458, 4468, 66, 3941, 4, 173]
KERAS_X0_END = [5345, 19, 178, 32]
KERAS_Y_TRAIN_10 = [1, 0, 0, 1, 0, 0, 1, 0, 1, 0]

WORD_INDEX = {"the": 1, "movie": 2, "great": 3, "bad": 4, "it's": 5, "plot": 6}
REVIEWS = {
    "train/pos/10_8.txt": b"The movie, it's GREAT!<br /><br />great",
    "train/pos/2_9.txt": b"great plot",
    "train/neg/5_1.txt": b"bad BAD movie; the plot?",
    "train/neg/0_3.txt": b"unknown words are skipped: bad",
    "test/pos/1_10.txt": b"great great movie",
    "test/neg/3_2.txt": b"the plot... bad",
}
# The reviews encoded with WORD_INDEX, in Keras's order (pos by name, then neg by name).
TRAIN = [[1, 2, 5, 3, 3], [3, 6], [4], [4, 4, 2, 1, 6]]
TRAIN_LABELS = [1, 1, 0, 0]
TEST = [[3, 3, 2], [1, 6, 4]]
TEST_LABELS = [1, 0]


def _tar_xz(path, members: dict[str, bytes]):
    with tarfile.open(path, "w:xz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def synthetic(tmp_path, offline, monkeypatch):
    """A tiny archive in the real layout in LAMINA_DATA, with its sha256s patched in."""
    folder = tmp_path / "data" / "imdb"
    folder.mkdir(parents=True)
    reviews = _tar_xz(
        folder / imdb.REVIEWS,
        {"aclImdb/README": b"readme", **{f"aclImdb/{k}": v for k, v in REVIEWS.items()}},
    )
    (folder / imdb.WORD_INDEX).write_text(json.dumps(WORD_INDEX))
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(imdb, "REVIEWS_SHA256", files.sha256_file(reviews))
    monkeypatch.setattr(imdb, "WORD_INDEX_SHA256", files.sha256_file(folder / imdb.WORD_INDEX))
    return folder


def _shuffled(seqs, labels, rng):
    order = np.arange(len(seqs))
    rng.shuffle(order)
    return [seqs[i] for i in order], [labels[i] for i in order]


def test_synthetic_sequences_follow_keras(synthetic):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=100)
    rng = np.random.RandomState(113)  # one generator for both splits, as in Keras
    train, train_labels = _shuffled(TRAIN, TRAIN_LABELS, rng)
    test, test_labels = _shuffled(TEST, TEST_LABELS, rng)
    assert [list(x) for x in x_train] == [[1] + [w + 3 for w in s] for s in train]
    assert [list(x) for x in x_test] == [[1] + [w + 3 for w in s] for s in test]
    assert y_train.tolist() == train_labels and y_test.tolist() == test_labels
    assert x_train.dtype == object and x_train.shape == (4,) and y_train.dtype == np.int64
    assert all(type(x) is list and all(type(w) is int for w in x) for x in x_train)


def test_synthetic_options(synthetic):
    (x_train, _), _ = imdb.load_data(seed=0, num_words=7, skip_top=4, start_char=None)
    rng = np.random.RandomState(0)
    train, _ = _shuffled(TRAIN, TRAIN_LABELS, rng)
    want = [[w + 3 if 4 <= w + 3 < 7 else 2 for w in s] for s in train]
    assert [list(x) for x in x_train] == want
    (x_train, y_train), (x_test, _) = imdb.load_data(maxlen=5, oov_char=None, index_from=0)
    assert all(len(x) < 5 for x in np.concatenate([x_train, x_test]))
    assert len(x_train) == len(y_train) == 2 and len(x_test) == 2  # train keeps [3, 6], [4]


def test_without_num_words_the_largest_index_is_oov_like_keras(synthetic):
    (x_train, _), (x_test, _) = imdb.load_data()
    values = [w for x in np.concatenate([x_train, x_test]) for w in x]
    assert max(values) == 8 and 9 not in values  # "plot" (6 + 3) became oov_char 2


def test_cache_is_written_beside_its_digest_and_reused(synthetic, offline, tmp_path, monkeypatch):
    first = imdb.load_data(num_words=100)
    cached = offline / "datasets" / "imdb" / "imdb.npz"
    assert cached.is_file() and cache.sha256_path(cached).is_file()
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path / "elsewhere"))  # raw files gone
    second = imdb.load_data(num_words=100)
    for a, b in zip(first, second, strict=True):
        assert a[0].tolist() == b[0].tolist() and a[1].tolist() == b[1].tolist()


def test_path_names_the_cache_file(synthetic, offline):
    imdb.load_data(path="other.npz")
    assert (offline / "datasets" / "imdb" / "other.npz").is_file()
    assert not (offline / "datasets" / "imdb" / "imdb.npz").exists()


def test_corrupt_cache_is_rebuilt(synthetic, offline):
    imdb.load_data()
    cached = offline / "datasets" / "imdb" / "imdb.npz"
    cached.write_bytes(cached.read_bytes()[:-100])
    with pytest.warns(UserWarning, match="corrupt"):
        (x_train, _), _ = imdb.load_data(num_words=100)
    assert len(x_train) == 4


def test_cut_archive_names_the_file(synthetic, monkeypatch):
    archive = synthetic / imdb.REVIEWS
    archive.write_bytes(archive.read_bytes()[:-200])
    monkeypatch.setattr(imdb, "REVIEWS_SHA256", files.sha256_file(archive))
    with pytest.raises(ValueError, match=re.escape(str(archive)) + ".*cut short or corrupt"):
        imdb.load_data()


def test_file_with_wrong_sha256_is_refused(synthetic, monkeypatch):
    monkeypatch.setattr(imdb, "REVIEWS_SHA256", "0" * 64)
    with pytest.raises(ValueError, match=re.escape(str(synthetic / imdb.REVIEWS))):
        imdb.load_data()


def test_archive_without_reviews_is_refused(synthetic, monkeypatch):
    archive = _tar_xz(synthetic / imdb.REVIEWS, {"aclImdb/train/pos/1_7.txt": b"great"})
    monkeypatch.setattr(imdb, "REVIEWS_SHA256", files.sha256_file(archive))
    with pytest.raises(ValueError, match=r"no aclImdb/train/neg/\*\.txt review"):
        imdb.load_data()


def test_missing_files_are_all_reported(offline, tmp_path, monkeypatch):
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path / "data"))
    with pytest.raises(FileNotFoundError) as info:
        imdb.load_data()
    message = str(info.value)
    for name in (imdb.REVIEWS, imdb.WORD_INDEX):
        assert str(tmp_path / "data" / "imdb" / name) in message
        assert str(offline / "datasets" / "imdb" / name) in message
    assert "No download origin is known" in message  # the reviews archive
    assert imdb.WORD_INDEX_ORIGINS[0] + imdb.WORD_INDEX in message
    assert "network disabled in tests" in message


def test_maxlen_keeping_nothing_raises(synthetic):
    with pytest.raises(ValueError, match="Received: maxlen=2"):
        imdb.load_data(maxlen=2)


def test_bad_option_raises(synthetic):
    with pytest.raises(ValueError, match="Received: num_words=-5"):
        imdb.load_data(num_words=-5)


def test_get_word_index_synthetic(synthetic):
    assert imdb.get_word_index() == WORD_INDEX


def test_bad_word_index_names_the_file(synthetic, monkeypatch):
    path = synthetic / imdb.WORD_INDEX
    path.write_text("{not json")
    monkeypatch.setattr(imdb, "WORD_INDEX_SHA256", files.sha256_file(path))
    with pytest.raises(ValueError, match=re.escape(str(path)) + " is not valid JSON"):
        imdb.get_word_index()


# The real reviews: built once per test run into the session's LAMINA_HOME.


@pytest.fixture(scope="module")
def imdb_10k(shared_env):
    with shared_env("imdb"):
        start = time.perf_counter()
        data = imdb.load_data(num_words=10000)
        print(
            f"imdb.load_data(num_words=10000), cache build included: "
            f"{time.perf_counter() - start:.1f} s"
        )
        return data


def test_real_first_review_matches_keras(imdb_10k):
    (x_train, y_train), (x_test, y_test) = imdb_10k
    assert len(x_train[0]) == 218
    assert x_train[0][: len(KERAS_X0_START)] == KERAS_X0_START
    assert x_train[0][-len(KERAS_X0_END) :] == KERAS_X0_END
    assert y_train[:10].tolist() == KERAS_Y_TRAIN_10


def test_real_shapes_and_values(imdb_10k):
    (x_train, y_train), (x_test, y_test) = imdb_10k
    assert x_train.shape == x_test.shape == y_train.shape == y_test.shape == (25000,)
    assert x_train.dtype == x_test.dtype == object
    assert y_train.dtype == y_test.dtype == np.int64
    assert np.bincount(y_train).tolist() == np.bincount(y_test).tolist() == [12500, 12500]
    assert max(max(x) for x in x_train) == 9999 and all(x[0] == 1 for x in x_test)


def test_real_word_index_decodes_the_first_review(use_shared, imdb_10k):
    use_shared("imdb")
    word_index = imdb.get_word_index()
    assert len(word_index) == 88584 and word_index["the"] == 1
    words = {i + 3: w for w, i in word_index.items()}
    (x_train, _), _ = imdb_10k
    decoded = " ".join(words.get(i, "?") for i in x_train[0][1:11])
    assert decoded == "this film was just brilliant casting location scenery story direction"


def test_real_later_loads_read_the_cache(use_shared, imdb_10k, monkeypatch):
    use_shared("imdb")

    def no_build():
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(imdb, "_build", no_build)
    start = time.perf_counter()
    (x_train, _), _ = imdb.load_data()
    elapsed = time.perf_counter() - start
    print(f"imdb.load_data() from the cache: {elapsed:.2f} s")
    assert x_train[0][:6] == [1, 14, 22, 16, 43, 530]
    assert len(x_train[0]) == 218


@pytest.mark.slow
def test_real_tokenization_gives_exactly_keras_vocabulary(use_shared):
    # Keras's word index is the training reviews' vocabulary: no word more, no word less.
    folder = use_shared("imdb")
    vocabulary = set()
    pattern = re.compile(r"aclImdb/train/(pos|neg)/[^/]+\.txt")
    for _, text in iter_tar(folder / imdb.REVIEWS, pattern, "The IMDB reviews archive"):
        vocabulary.update(tokenize(text))
    assert vocabulary == {w.encode() for w in imdb.get_word_index()}
