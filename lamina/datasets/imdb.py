"""IMDB movie reviews labeled by sentiment (Maas et al., 2011), as Keras's word-index sequences.

Keras ships the reviews already encoded; lamina rebuilds the same arrays from the raw reviews
once and caches them (see `load_data`). The rebuild reproduces Keras's `x_train[0]` and labels
exactly.
"""

import json
import re
from pathlib import Path

import numpy as np

from lamina.datasets import cache, files
from lamina.datasets.archive import iter_tar
from lamina.datasets.text_corpus import Ragged, check_options, encode, keras_sequences, tokenize

NAME = "imdb"
REVIEWS = "aclImdb_v1_labeled.tar.xz"
WORD_INDEX = "imdb_word_index.json"
REVIEWS_SHA256 = "899a044680be00d3d4ab679700f4d1301dc5bcf987a2b104d7ea14dd0f738c82"
WORD_INDEX_SHA256 = "027313fe9a320280f3bf0fac5baf58c4a683cf39a7ed9c3d3d3912bde4284cf6"
# The word index is Keras's own file (same bytes: md5 bfafd718b763782e994055a2d397834f). The
# reviews archive is a repack of Stanford's aclImdb_v1 without the unlabeled reviews; it has
# no public origin, so it must be in LAMINA_DATA or the cache.
WORD_INDEX_ORIGINS = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",)

# Bump when the way the cached arrays are built changes, so old caches are rebuilt.
_BUILD_VERSION = "imdb-1"
_MEMBER = re.compile(r"(?:\./)?aclImdb/(train|test)/(pos|neg)/([^/]+\.txt)")

Split = tuple[np.ndarray, np.ndarray]


def load_data(
    path: str = "imdb.npz",
    num_words: int | None = None,
    skip_top: int = 0,
    maxlen: int | None = None,
    seed: int = 113,
    start_char: int | None = 1,
    oov_char: int | None = 2,
    index_from: int = 3,
) -> tuple[Split, Split]:
    """Loads the IMDB dataset: 25,000 training and 25,000 test reviews, labeled 1 or 0.

    Each review is a list of word indices: a word's index in `get_word_index()` (1 for the most
    frequent word) plus `index_from`, after `start_char`. The first call builds the sequences
    from the raw reviews (`imdb/aclImdb_v1_labeled.tar.xz` and `imdb/imdb_word_index.json`,
    looked for in `$LAMINA_DATA/imdb/`, then in the cache `$LAMINA_HOME/datasets/imdb/`)
    and caches them; later calls read the cache. A review is tokenized as Keras's files were
    made (see `text_corpus.tokenize`); words missing from the index (words seen only in the
    test reviews) are skipped. Each split is ordered `pos/` files by name, then `neg/` files
    by name, then shuffled with `numpy.random.RandomState(seed)`, as Keras does.

    Args:
        path: the cache file's name in `$LAMINA_HOME/datasets/imdb/` (Keras's `imdb.npz`).
        num_words: keep the `num_words` most frequent words (indices below `num_words`);
            others become `oov_char`. None keeps all but, as in Keras, the largest index.
        skip_top: words with an index below `skip_top` become `oov_char`.
        maxlen: drop reviews of `maxlen` or more indices (start character included).
        seed: the shuffling seed.
        start_char: the index put at the start of every review; None for none.
        oov_char: the index of dropped words; None removes them instead.
        index_from: added to every word's rank.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x_*` are 1-D object arrays of Python lists of
        ints, `y_*` int64 arrays of 0 (negative) and 1 (positive).

    Raises:
        FileNotFoundError: the raw files are needed and are nowhere; the message lists where it
            looked and what to do.
        ValueError: an option is invalid, a file is corrupt or cut short (the message names
            it), or `maxlen` leaves no review in a split.

    Example:
        >>> (x_train, y_train), _ = load_data(num_words=10000)  # doctest: +SKIP
        >>> len(x_train[0]), x_train[0][:6], y_train[:4].tolist()  # doctest: +SKIP
        (218, [1, 14, 22, 16, 43, 530], [1, 0, 0, 1])
    """
    check_options(num_words, skip_top, maxlen, start_char, oov_char, index_from)
    cache_file = files.cache_dir(NAME) / path
    arrays = cache.load_or_build(cache_file, _cache_key(), _build)
    rng = np.random.RandomState(seed)
    splits = []
    for split in ("train", "test"):
        seqs = Ragged.checked(arrays[f"{split}_values"], arrays[f"{split}_offsets"], cache_file)
        labels = arrays[f"{split}_labels"].astype(np.int64)
        order = np.arange(len(seqs))
        rng.shuffle(order)
        splits.append((seqs.take(order), labels[order]))
    (x_train, y_train), (x_test, y_test) = keras_sequences(
        splits, num_words, skip_top, maxlen, start_char, oov_char, index_from
    )
    if maxlen and (len(x_train) == 0 or len(x_test) == 0):
        raise ValueError(
            "No review is shorter than maxlen in one of the splits; increase maxlen. "
            f"Received: maxlen={maxlen}"
        )
    return (x_train.to_object_array(), y_train), (x_test.to_object_array(), y_test)


def get_word_index(path: str = WORD_INDEX) -> dict[str, int]:
    """Returns Keras's IMDB word index: word -> rank (1 for the most frequent word).

    A review's index `i` (other than the start and out-of-vocabulary characters) stands for
    the word whose rank is `i - index_from`.

    Args:
        path: the file's name in the dataset folders (Keras's `imdb_word_index.json`).

    Example:
        >>> word_index = get_word_index()  # doctest: +SKIP
        >>> word_index["the"]  # doctest: +SKIP
        1
    """
    found = files.find_dataset_files(NAME, {path: WORD_INDEX_SHA256}, WORD_INDEX_ORIGINS)
    return _read_word_index(found[path])


def _cache_key() -> str:
    return f"{_BUILD_VERSION}:{REVIEWS_SHA256}:{WORD_INDEX_SHA256}"


def _find_sources() -> tuple[Path, Path]:
    """Finds both files, reporting every missing one at once (they have different origins)."""
    found, errors = [], []
    for filename, sha256, origins in (
        (REVIEWS, REVIEWS_SHA256, ()),
        (WORD_INDEX, WORD_INDEX_SHA256, WORD_INDEX_ORIGINS),
    ):
        try:
            found.append(files.find_dataset_files(NAME, {filename: sha256}, origins)[filename])
        except FileNotFoundError as e:
            errors.append(str(e))
    if errors:
        raise FileNotFoundError("\n\n".join(errors))
    return found[0], found[1]


def _build() -> cache.Arrays:
    reviews_path, word_index_path = _find_sources()
    word_index = {w.encode("utf-8"): i for w, i in _read_word_index(word_index_path).items()}
    reviews = {
        match.groups(): encode(tokenize(text), word_index)
        for match, text in iter_tar(reviews_path, _MEMBER, "The IMDB reviews archive")
    }
    arrays: cache.Arrays = {}
    for split in ("train", "test"):
        keys, labels = [], []
        for label, value in (("pos", 1), ("neg", 0)):
            names = sorted(n for s, lab, n in reviews if (s, lab) == (split, label))
            if not names:
                raise ValueError(
                    f"{reviews_path} has no aclImdb/{split}/{label}/*.txt review; it is not "
                    "the IMDB reviews archive."
                )
            keys += [(split, label, n) for n in names]
            labels += [value] * len(names)
        seqs = Ragged.from_lists(reviews[k] for k in keys)
        arrays[f"{split}_values"] = seqs.values
        arrays[f"{split}_offsets"] = seqs.offsets
        arrays[f"{split}_labels"] = np.array(labels, dtype=np.int8)
    return arrays


def _read_word_index(path: Path) -> dict[str, int]:
    try:
        word_index = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"The word index {path} is not valid JSON. Received: error={e}") from e
    if not isinstance(word_index, dict) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in word_index.values()
    ):
        raise ValueError(
            f"The word index {path} must be a JSON object of words to ints. "
            f"Received: type={type(word_index).__name__}"
        )
    return word_index
