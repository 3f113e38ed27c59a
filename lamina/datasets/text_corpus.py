"""Tokenizing raw text and turning word-index sequences into Keras's IMDB and Reuters arrays.

Keras's preprocessed IMDB and Reuters files were made with the old Keras `Tokenizer` on byte
strings: ASCII letters lowercased (other letters left alone), every ASCII punctuation character
except the apostrophe, and tabs and newlines, replaced by a space, then a split on the space
character only (so a non-breaking space or U+0085 stays inside a word). Doing the same on
bytes reproduces their words exactly.

Sequences are kept as `Ragged` values: one flat integer array and the offsets where each
sequence starts, so they can be cached without pickle and transformed with whole-array NumPy
operations; only the final result becomes Keras's object array of Python lists.
"""

import string
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import chain

import numpy as np

_PUNCTUATION = bytes(c for c in string.punctuation.encode() if c != ord("'")) + b"\t\n"
_TABLE = bytes.maketrans(
    string.ascii_uppercase.encode() + _PUNCTUATION,
    string.ascii_lowercase.encode() + b" " * len(_PUNCTUATION),
)


def tokenize(text: bytes) -> list[bytes]:
    """Splits raw text into words the way Keras's IMDB and Reuters files were made.

    Example:
        >>> tokenize(b"It's <br />GREAT,\\tisn't it?")
        [b"it's", b'br', b'great', b"isn't", b'it']
    """
    return [w for w in text.translate(_TABLE).split(b" ") if w]


def rank_words(documents: Iterable[list[bytes]]) -> dict[bytes, int]:
    """Numbers words 1, 2, ... by descending count; equal counts keep first-appearance order.

    Example:
        >>> rank_words([[b"b", b"a"], [b"a", b"c"]])
        {b'a': 1, b'b': 2, b'c': 3}
    """
    counts: Counter[bytes] = Counter()
    for words in documents:
        counts.update(words)
    # Counter keeps insertion (first appearance) order and sorted() is stable.
    ranked = sorted(counts, key=counts.__getitem__, reverse=True)
    return {word: i for i, word in enumerate(ranked, start=1)}


def encode(words: list[bytes], word_index: Mapping[bytes, int]) -> list[int]:
    """Maps words to their indices (all positive), skipping words not in `word_index`."""
    # filter(None, ...) drops the misses (None) without a Python-level loop: ~2x faster.
    return list(filter(None, map(word_index.get, words)))


@dataclass(frozen=True)
class Ragged:
    """Integer sequences of different lengths: `values[offsets[i]:offsets[i + 1]]` is the i-th.

    Attributes:
        values: the sequences one after another, a 1-D integer array.
        offsets: int64, `len(self) + 1` entries, starting at 0 and ending at `len(values)`.
    """

    values: np.ndarray
    offsets: np.ndarray

    @classmethod
    def from_lists(cls, sequences: Iterable[list[int]], dtype=np.int32) -> "Ragged":
        """Packs Python lists of ints."""
        sequences = list(sequences)
        lengths = np.fromiter(map(len, sequences), np.int64, count=len(sequences))
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        values = np.fromiter(chain.from_iterable(sequences), dtype, count=int(offsets[-1]))
        return cls(values, offsets)

    @classmethod
    def checked(cls, values: np.ndarray, offsets: np.ndarray, source: str) -> "Ragged":
        """Builds a Ragged from stored arrays, checking they fit together.

        Raises:
            ValueError: the offsets do not describe `values` (names `source`).
        """
        values, offsets = np.asarray(values), np.asarray(offsets)
        ok = (
            values.ndim == 1
            and offsets.ndim == 1
            and offsets.size >= 1
            and offsets[0] == 0
            and offsets[-1] == values.size
            and bool(np.all(np.diff(offsets) >= 0))
        )
        if not ok:
            raise ValueError(
                f"The sequences stored in {source} are inconsistent: the offsets do not split "
                f"the values. Delete the file to rebuild it. Received: values.shape="
                f"{values.shape}, offsets.shape={offsets.shape}"
            )
        return cls(values, offsets.astype(np.int64))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def take(self, indices: np.ndarray) -> "Ragged":
        """Returns the sequences at `indices` (a permutation, a subset or a boolean mask)."""
        indices = np.arange(len(self))[indices]
        starts = self.offsets[:-1][indices]
        lengths = self.lengths[indices]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        # Position j of new sequence k comes from starts[k] + j.
        source = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return Ragged(self.values[source], offsets)

    def prepend(self, value: int) -> "Ragged":
        """Puts `value` in front of every sequence."""
        offsets = self.offsets + np.arange(len(self) + 1)
        is_first = np.zeros(offsets[-1], dtype=bool)
        is_first[offsets[:-1]] = True
        values = np.empty(offsets[-1], dtype=np.result_type(self.values, np.min_scalar_type(value)))
        values[is_first] = value
        values[~is_first] = self.values
        return Ragged(values, offsets)

    def keep_values(self, mask: np.ndarray) -> "Ragged":
        """Drops the values where `mask` is False, keeping every sequence (maybe empty)."""
        kept = np.concatenate([[0], np.cumsum(mask)]).astype(np.int64)
        return Ragged(self.values[mask], kept[self.offsets])

    def to_object_array(self) -> np.ndarray:
        """Returns a 1-D object array of Python lists of ints, like Keras's."""
        flat = self.values.tolist()
        bounds = self.offsets.tolist()
        out = np.empty(len(self), dtype=object)
        # Assigned one by one: np.array(lists) would make a 2-D array when lengths agree.
        for i in range(len(self)):
            out[i] = flat[bounds[i] : bounds[i + 1]]
        return out


def keras_sequences(
    splits: list[tuple[Ragged, np.ndarray]],
    num_words: int | None,
    skip_top: int,
    maxlen: int | None,
    start_char: int | None,
    oov_char: int | None,
    index_from: int,
) -> list[tuple[Ragged, np.ndarray]]:
    """Applies Keras's `load_data` options to already shuffled word-index sequences.

    The steps and their quirks are Keras's: add `index_from` to every word index, prepend
    `start_char`, drop sequences of `maxlen` or more (start character included), then
    replace every value outside `[skip_top, num_words)` by `oov_char` (or drop it when
    `oov_char` is None). Without `num_words` the bound is the largest value left, so that
    single word also becomes `oov_char`, as in Keras. The start character is subject to the
    same bounds.

    Args:
        splits: `(sequences, labels)` pairs; `num_words` defaults to a bound over all of them.
        num_words, skip_top, maxlen, start_char, oov_char, index_from: as in
            `imdb.load_data`.

    Returns:
        The transformed `(sequences, labels)` pairs, values as int64.
    """
    out = []
    for seqs, labels in splits:
        seqs = Ragged(seqs.values.astype(np.int64) + index_from, seqs.offsets)
        if start_char is not None:
            seqs = seqs.prepend(start_char)
        if maxlen:
            keep = seqs.lengths < maxlen
            seqs, labels = seqs.take(keep), labels[keep]
        out.append((seqs, labels))
    if not num_words:
        num_words = max((int(s.values.max()) for s, _ in out if s.values.size), default=0)
    result = []
    for seqs, labels in out:
        in_vocab = (seqs.values >= skip_top) & (seqs.values < num_words)
        if oov_char is not None:
            seqs = Ragged(np.where(in_vocab, seqs.values, oov_char), seqs.offsets)
        else:
            seqs = seqs.keep_values(in_vocab)
        result.append((seqs, labels))
    return result


def check_options(num_words, skip_top, maxlen, start_char, oov_char, index_from) -> None:
    """Raises a ValueError naming the first option that is not a valid int (or None)."""
    options = {
        "num_words": (num_words, True),
        "skip_top": (skip_top, False),
        "maxlen": (maxlen, True),
        "start_char": (start_char, True),
        "oov_char": (oov_char, True),
        "index_from": (index_from, False),
    }
    for name, (value, may_be_none) in options.items():
        if value is None and may_be_none:
            continue
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            allowed = "a non-negative int" + (" or None" if may_be_none else "")
            raise ValueError(f"`{name}` must be {allowed}. Received: {name}={value!r}")
