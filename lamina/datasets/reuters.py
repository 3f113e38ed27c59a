"""Reuters newswires labeled over 46 topics, as Keras's word-index sequences.

Keras's `reuters.npz` was made from the Reuters-21578 SGML files by a script Keras no longer
ships. lamina rebuilds it from the same files once and caches the result (see `load_data`):
11,228 wires, 46 topics, split 8,982 / 2,246, with Keras's topic numbering
(`get_label_names()`) and the same first training wire.
"""

import re
from collections import Counter
from pathlib import Path

import numpy as np

from lamina.datasets import cache, files
from lamina.datasets.archive import iter_tar
from lamina.datasets.text_corpus import (
    Ragged,
    check_options,
    encode,
    keras_sequences,
    rank_words,
    tokenize,
)

NAME = "reuters"
ARCHIVE = "reuters21578.tar.xz"
ARCHIVE_SHA256 = "fd810c5057558707428d96241130d888876008c539d2c205c15ee552d7094238"
# Topics with fewer wires (by first topic) are dropped, as in Keras's preprocessing.
MIN_WIRES_PER_TOPIC = 15

# Keras's topic numbering (keras.datasets.reuters.get_label_names): the order in which the kept
# topics first appear in reut2-000.sgm ... reut2-021.sgm, which the rebuild reproduces.
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)  # fmt: skip

_BUILD_VERSION = "reuters-1"
_SGM = re.compile(r"(?:\./)?reuters21578/reut2-\d{3}\.sgm")
_ARTICLE = re.compile(rb"<REUTERS\b.*?</REUTERS>", re.S)
_TOPICS = re.compile(rb"<TOPICS>(.*?)</TOPICS>", re.S)
_TOPIC = re.compile(rb"<D>(.*?)</D>", re.S)
_BODY = re.compile(rb"<BODY>(.*?)</BODY>", re.S)

Split = tuple[np.ndarray, np.ndarray]


def load_data(
    path: str = "reuters.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[Split, Split]:
    """Loads the Reuters newswire dataset: 11,228 wires labeled over 46 topics.

    The first call builds the sequences from `reuters/reuters21578.tar.xz` (looked for in
    `$LAMINA_DATA/reuters/`, then in the cache `$LAMINA_HOME/datasets/reuters/`) and caches
    them; later calls read the cache. The rebuild follows Keras's original preprocessing:
    keep the wires that have a topic, label each by its first topic, drop topics with fewer
    than 15 wires, tokenize each wire's `<BODY>` as for IMDB and number words by descending
    frequency over all kept wires (`get_word_index()`). Like that preprocessing, a wire
    without a `<BODY>` gets the body of the next wire in the same file that has one: this
    reproduces Keras's per-topic mean lengths. Words of equal frequency may be numbered in
    another order than Keras's.

    The wires are then shuffled with `numpy.random.RandomState(seed)`, encoded with the
    options below and split, as Keras does.

    Args:
        path: the cache file's name in `$LAMINA_HOME/datasets/reuters/` (Keras's name).
        num_words: keep the `num_words` most frequent words (indices below `num_words`);
            others become `oov_char`. None keeps all but, as in Keras, the largest index.
        skip_top: words with an index below `skip_top` become `oov_char`.
        maxlen: drop wires of `maxlen` or more indices (start character included).
        test_split: the fraction of wires for the test split, in [0, 1].
        seed: the shuffling seed.
        start_char: the index put at the start of every wire; None for none.
        oov_char: the index of dropped words; None removes them instead.
        index_from: added to every word's rank.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x_*` are 1-D object arrays of Python lists of
        ints, `y_*` int64 topic numbers 0-45 (names in `get_label_names()`).

    Raises:
        FileNotFoundError: the SGML archive is needed and is nowhere; the message says where it
            looked and what to do.
        ValueError: an option is invalid, the archive is corrupt or cut short (the message
            names it), or `maxlen` leaves no wire.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data(num_words=10000)  # doctest: +SKIP
        >>> len(x_train), len(x_test), get_label_names()[y_train[0]]  # doctest: +SKIP
        (8982, 2246, 'earn')
    """
    check_options(num_words, skip_top, maxlen, start_char, oov_char, index_from)
    if isinstance(test_split, bool) or not isinstance(test_split, int | float):
        raise ValueError(f"`test_split` must be a number in [0, 1]. Received: {test_split=}")
    if not 0 <= test_split <= 1:
        raise ValueError(f"`test_split` must be in [0, 1]. Received: {test_split=}")
    arrays, cache_file = _arrays(path)
    seqs = Ragged.checked(arrays["values"], arrays["offsets"], cache_file)
    labels = arrays["labels"].astype(np.int64)
    order = np.arange(len(seqs))
    np.random.RandomState(seed).shuffle(order)
    [(seqs, labels)] = keras_sequences(
        [(seqs.take(order), labels[order])],
        num_words,
        skip_top,
        maxlen,
        start_char,
        oov_char,
        index_from,
    )
    if len(seqs) == 0:
        raise ValueError(f"No wire is shorter than maxlen; increase it. Received: {maxlen=}")
    xs = seqs.to_object_array()
    cut = int(len(xs) * (1 - test_split))
    return (xs[:cut], labels[:cut]), (xs[cut:], labels[cut:])


def get_word_index(path: str = "reuters_word_index.json") -> dict[str, int]:
    """Returns the word index: word -> rank (1 for the most frequent word).

    A wire's index `i` (other than the start and out-of-vocabulary characters) stands for the
    word whose rank is `i - index_from`. The index is built with the sequences (the first
    call may take a few seconds) and cached with them in `reuters.npz`.

    Args:
        path: kept for Keras compatibility (its name for the downloaded JSON); unused.

    Example:
        >>> get_word_index()["the"]  # doctest: +SKIP
        1
    """
    del path  # lamina builds the index instead of downloading Keras's JSON file.
    arrays, _ = _arrays("reuters.npz")
    words = arrays["words"].tobytes().decode("latin-1").split("\n")
    return {word: i for i, word in enumerate(words, start=1)}


def get_label_names() -> tuple[str, ...]:
    """Returns the 46 topic names; the name of label `k` is at position `k`.

    Example:
        >>> get_label_names()[3]
        'earn'
    """
    return LABEL_NAMES


def _arrays(path: str) -> tuple[cache.Arrays, Path]:
    cache_file = files.cache_dir(NAME) / path
    key = f"{_BUILD_VERSION}:{ARCHIVE_SHA256}:{MIN_WIRES_PER_TOPIC}"
    return cache.load_or_build(cache_file, key, _build), cache_file


def _build() -> cache.Arrays:
    archive = files.find_dataset_files(NAME, {ARCHIVE: ARCHIVE_SHA256}, ())[ARCHIVE]
    wires = _read_wires(archive)
    counts = Counter(topic for topic, _ in wires)
    kept = [(topic, body) for topic, body in wires if counts[topic] >= MIN_WIRES_PER_TOPIC]
    if not kept:
        raise ValueError(
            f"{archive} has no topic with {MIN_WIRES_PER_TOPIC} or more wires; it is not the "
            f"Reuters-21578 archive. Received: wires_with_topics={len(wires)}"
        )
    topic_numbers: dict[bytes, int] = {}
    for topic, _ in kept:
        topic_numbers.setdefault(topic, len(topic_numbers))
    documents = [tokenize(body) for _, body in kept]
    word_index = rank_words(documents)
    seqs = Ragged.from_lists(encode(words, word_index) for words in documents)
    return {
        "values": seqs.values,
        "offsets": seqs.offsets,
        "labels": np.array([topic_numbers[topic] for topic, _ in kept], dtype=np.int64),
        "words": _blob(word_index),
        "label_names": _blob(topic_numbers),
    }


def _read_wires(archive: Path) -> list[tuple[bytes, bytes]]:
    """Returns `(first topic, body)` for each wire with a topic, in file order."""
    sgm_files = {
        Path(match.group()).name: data
        for match, data in iter_tar(archive, _SGM, "The Reuters archive")
    }
    if not sgm_files:
        raise ValueError(
            f"{archive} holds no reuters21578/reut2-NNN.sgm file; it is not the Reuters-21578 "
            "archive."
        )
    wires = []
    for name in sorted(sgm_files):
        articles = []
        for article in _ARTICLE.finditer(sgm_files[name]):
            text = article.group()
            topics = _TOPICS.search(text)
            first = _TOPIC.search(topics.group(1)) if topics else None
            body = _BODY.search(text)
            articles.append((first.group(1) if first else None, body and body.group(1)))
        # A wire without a body takes the next body in its file (none left: empty).
        file_wires = []
        next_body = b""
        for topic, body in reversed(articles):
            if body is not None:
                next_body = body
            if topic is not None:
                file_wires.append((topic, next_body))
        wires.extend(reversed(file_wires))
    return wires


def _blob(words) -> np.ndarray:
    """Newline-separated words as uint8, a pickle-free way to store a list of strings."""
    return np.frombuffer(b"\n".join(words), dtype=np.uint8)
