"""Tests for the Reuters loader: small synthetic SGML files, then the real archive."""

import io
import re
import tarfile

import numpy as np
import pytest

from lamina.datasets import files, reuters

# Keras's per-topic training counts (SteffenBauer/KerasTools, Reuters_Analysis), label order.
KERAS_TRAIN_COUNTS = [
    55, 432, 74, 3159, 1949, 17, 48, 16, 139, 101, 124, 390, 49, 172, 26, 20, 444, 39, 66, 549,
    269, 100, 15, 41, 62, 92, 24, 15, 48, 19, 45, 39, 32, 11, 50, 10, 49, 19, 19, 24, 36, 30, 13,
    21, 12, 18,
]  # fmt: skip
# Keras's mean training-sequence lengths (start character included) of a few topics, same source.
KERAS_MEAN_LENGTHS = {"cocoa": 225.78, "earn": 87.67, "acq": 135.83, "heat": 115.55, "hog": 90.75}


def _article(newid: int, topics: list[str], body: str | None) -> str:
    d = "".join(f"<D>{t}</D>" for t in topics)
    text = f"<TITLE>WIRE {newid}</TITLE>" + (
        f"<BODY>{body}</BODY>" if body is not None else "Blah blah blah."
    )
    return (
        f'<REUTERS TOPICS="YES" NEWID="{newid}">\n<DATE>1-MAR-1987</DATE>\n'
        f"<TOPICS>{d}</TOPICS>\n<TEXT>{text}</TEXT>\n</REUTERS>\n"
    )


SGML = {
    "reut2-000.sgm": [
        _article(1, ["b", "a"], "X, y."),  # labeled by its first topic, b
        _article(2, [], "no topic: dropped"),
        _article(3, ["a"], None),  # no body: takes the next one in its file
        _article(4, [], "z Z z x"),
        _article(5, ["c"], "c is too rare"),  # c has 1 wire, below the minimum of 2
        _article(6, ["b"], None),  # no body and none after it in the file: empty
    ],
    "reut2-001.sgm": [_article(7, ["a"], "y")],
}
# Words by count (z 3; x, y 2 each, x first), sequences and labels (b first seen, so 0).
WORD_INDEX = {"z": 1, "x": 2, "y": 3}
SEQUENCES = [[2, 3], [1, 1, 1, 2], [], [3]]
LABELS = [0, 1, 0, 1]


@pytest.fixture
def synthetic(tmp_path, offline, monkeypatch):
    folder = tmp_path / "data" / "reuters"
    folder.mkdir(parents=True)
    archive = folder / reuters.ARCHIVE
    with tarfile.open(archive, "w:xz") as tar:
        for name, articles in {"README.txt": [""], **SGML}.items():
            data = ("<!DOCTYPE lewis>\n" + "".join(articles)).encode()
            info = tarfile.TarInfo(f"reuters21578/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(reuters, "ARCHIVE_SHA256", files.sha256_file(archive))
    monkeypatch.setattr(reuters, "MIN_WIRES_PER_TOPIC", 2)
    return archive


def test_synthetic_follows_keras_preprocessing(synthetic):
    (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=100, test_split=0.25)
    order = np.arange(4)
    np.random.RandomState(113).shuffle(order)
    want = [[1] + [w + 3 for w in SEQUENCES[i]] for i in order]
    assert [list(x) for x in x_train] + [list(x) for x in x_test] == want
    assert y_train.tolist() + y_test.tolist() == [LABELS[i] for i in order]
    assert len(x_train) == 3 and x_train.dtype == object and y_train.dtype == np.int64


def test_synthetic_word_index_and_label_names(synthetic, offline):
    assert reuters.get_word_index() == WORD_INDEX
    with np.load(offline / "datasets" / "reuters" / "reuters.npz") as npz:
        assert npz["label_names"].tobytes() == b"b\na"


def test_test_split_extremes(synthetic):
    (x_train, _), (x_test, _) = reuters.load_data(test_split=0)
    assert len(x_train) == 4 and len(x_test) == 0
    (x_train, _), (x_test, _) = reuters.load_data(test_split=1)
    assert len(x_train) == 0 and len(x_test) == 4


@pytest.mark.parametrize("test_split", [-0.1, 1.5, "0.2", None])
def test_bad_test_split(synthetic, test_split):
    with pytest.raises(ValueError, match="test_split"):
        reuters.load_data(test_split=test_split)


def test_maxlen_keeping_nothing_raises(synthetic):
    with pytest.raises(ValueError, match="Received: maxlen=1"):
        reuters.load_data(maxlen=1)


def test_cut_archive_names_the_file(synthetic, monkeypatch):
    synthetic.write_bytes(synthetic.read_bytes()[:-60])
    monkeypatch.setattr(reuters, "ARCHIVE_SHA256", files.sha256_file(synthetic))
    with pytest.raises(ValueError, match=re.escape(str(synthetic)) + ".*cut short or corrupt"):
        reuters.load_data()


def test_archive_without_sgml_is_refused(synthetic, monkeypatch):
    with tarfile.open(synthetic, "w:xz") as tar:
        tar.addfile(tarfile.TarInfo("reuters21578/README.txt"), io.BytesIO(b""))
    monkeypatch.setattr(reuters, "ARCHIVE_SHA256", files.sha256_file(synthetic))
    with pytest.raises(ValueError, match="holds no reuters21578/reut2-NNN.sgm"):
        reuters.load_data()


def test_missing_archive_message(offline):
    with pytest.raises(FileNotFoundError, match="No download origin is known") as info:
        reuters.load_data()
    assert str(offline / "datasets" / "reuters" / reuters.ARCHIVE) in str(info.value)


def test_label_names_are_keras():
    names = reuters.get_label_names()
    assert len(names) == 46 and names[:4] == ("cocoa", "grain", "veg-oil", "earn")


# The real archive, built once per test run into the session's LAMINA_HOME.


@pytest.fixture(scope="module")
def reuters_10k(shared_env):
    with shared_env("reuters"):
        return reuters.load_data(num_words=10000)


def test_real_sizes_and_topics_match_keras(reuters_10k):
    (x_train, y_train), (x_test, y_test) = reuters_10k
    assert len(x_train) == 8982 and len(x_test) == 2246
    assert y_train.dtype == np.int64 and x_train.dtype == object
    assert np.bincount(y_train, minlength=46).tolist() == KERAS_TRAIN_COUNTS
    assert y_train[:10].tolist() == [3, 4, 3, 4, 4, 4, 4, 3, 3, 16]
    assert max(max(x) for x in x_train) == 9999


def test_real_mean_lengths_match_keras(reuters_10k):
    # Reproduced only because wires without a body take the next body, as Keras's did.
    (x_train, y_train), _ = reuters_10k
    lengths = np.array([len(x) for x in x_train])
    for topic, mean in KERAS_MEAN_LENGTHS.items():
        label = reuters.get_label_names().index(topic)
        assert lengths[y_train == label].mean() == pytest.approx(mean, abs=0.006)


def test_real_first_wire(use_shared, reuters_10k):
    use_shared("reuters")
    (x_train, _), _ = reuters_10k
    assert x_train[0][:12] == [1, 2, 2, 8, 43, 10, 447, 5, 25, 207, 270, 5]  # Keras's too
    word_index = reuters.get_word_index()
    assert len(word_index) == 30978 and word_index["the"] == 1
    words = {i + 3: w for w, i in word_index.items()}
    (x_all, _), _ = reuters.load_data()
    decoded = " ".join(words[i] for i in x_all[0][1:13])
    assert decoded == "mcgrath rentcorp said as a result of its december acquisition of space"


def test_real_label_names_come_from_the_data(use_shared, session_home, reuters_10k):
    use_shared("reuters")
    with np.load(session_home / "datasets" / "reuters" / "reuters.npz") as npz:
        names = npz["label_names"].tobytes().decode().split("\n")
    assert tuple(names) == reuters.get_label_names()
