"""Keras 2 text preprocessing: `Tokenizer`, `text_to_word_sequence`, `one_hot`, `hashing_trick`.

These are the `keras.preprocessing.text` utilities the book's first edition uses; new code
usually prefers `lamina.layers.TextVectorization`.
"""

import hashlib
import json
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_MODES = ("binary", "count", "freq", "tfidf")


def text_to_word_sequence(
    input_text: str,
    filters: str = DEFAULT_FILTERS,
    lower: bool = True,
    split: str = " ",
) -> list[str]:
    """Split a text into a list of words, dropping the `filters` characters.

    Args:
        input_text: the text.
        filters: characters to remove (each is replaced by `split`); the default holds all ASCII
            punctuation except `'`, plus tabs and newlines.
        lower: lowercase the text first.
        split: the word separator.

    Returns:
        The non-empty words, in order.

    Example:
    >>> text_to_word_sequence("Hello, World! Hello.")
    ['hello', 'world', 'hello']
    """
    if not isinstance(input_text, str):
        raise TypeError(
            "text_to_word_sequence: expected a string. "
            f"Received: input_text of type {type(input_text).__name__}"
        )
    if lower:
        input_text = input_text.lower()
    if filters:
        input_text = input_text.translate(str.maketrans(dict.fromkeys(filters, split)))
    return [w for w in input_text.split(split) if w]


def _md5(word: str) -> int:
    return int(hashlib.md5(word.encode()).hexdigest(), 16)


def hashing_trick(
    text: str,
    n: int,
    hash_function: Callable[[str], int] | str | None = None,
    filters: str = DEFAULT_FILTERS,
    lower: bool = True,
    split: str = " ",
    analyzer: Callable[[str], list[str]] | None = None,
) -> list[int]:
    """Encode a text as word indices in `[1, n)` by hashing each word.

    Different words may share an index (collisions); 0 is never produced.

    Args:
        text: the text.
        n: the size of the hashing space (indices are `hash(word) % (n - 1) + 1`).
        hash_function: a function of a word returning an int, `"md5"` (stable across runs),
            or None for Python's `hash`, which is salted per process (set `PYTHONHASHSEED` to
            repeat results across runs).
        filters: characters to remove, as in `text_to_word_sequence`.
        lower: lowercase the text first.
        split: the word separator.
        analyzer: a function splitting a text into words, instead of the three arguments above.

    Returns:
        A list of ints, one per word.

    Example:
    >>> hashing_trick("The cat, the hat.", 10, hash_function="md5")
    [6, 3, 6, 6]
    """
    if not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"Expected n to be an integer of at least 2. Received: n={n!r}")
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5
    elif not callable(hash_function):
        raise ValueError(
            "Expected hash_function to be None, 'md5' or a callable. "
            f"Received: hash_function={hash_function!r}"
        )
    if analyzer is None:
        words = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    else:
        words = analyzer(text)
    return [hash_function(w) % (n - 1) + 1 for w in words]


def one_hot(
    input_text: str,
    n: int,
    filters: str = DEFAULT_FILTERS,
    lower: bool = True,
    split: str = " ",
    analyzer: Callable[[str], list[str]] | None = None,
) -> list[int]:
    """Encode a text as word indices in `[1, n)` with Python's `hash` (Keras's `one_hot`).

    Despite its name it returns indices, not one-hot vectors. Python's string hash is salted
    per process, so indices change between runs unless `PYTHONHASHSEED` is set; use
    `hashing_trick(..., hash_function="md5")` for stable ones.

    Example:
    >>> codes = one_hot("the cat sat on the mat", 50)
    >>> codes[0] == codes[4]
    True
    """
    return hashing_trick(
        input_text,
        n,
        hash_function=hash,
        filters=filters,
        lower=lower,
        split=split,
        analyzer=analyzer,
    )


class Tokenizer:
    """Index the words of a corpus by frequency and turn texts into sequences or matrices.

    Index 0 is reserved (padding); the most frequent word gets 1 (2 when `oov_token` is set,
    which takes 1). Ties keep the order in which the words were first seen.

    Args:
        num_words: keep only the `num_words - 1` most frequent words when converting texts
            (`word_index` still holds every word).
        filters: characters removed from the texts.
        lower: lowercase the texts.
        split: the word separator.
        char_level: index characters instead of words.
        oov_token: a token standing for unknown words in `texts_to_sequences` (index 1).
        analyzer: a function splitting a text into words, instead of filters/lower/split.

    Example:
    >>> tokenizer = Tokenizer(num_words=1000)
    >>> tokenizer.fit_on_texts(["The cat sat on the mat.", "The dog ate my homework."])
    >>> tokenizer.texts_to_sequences(["the cat ate"])
    [[1, 2, 7]]
    """

    def __init__(
        self,
        num_words: int | None = None,
        filters: str = DEFAULT_FILTERS,
        lower: bool = True,
        split: str = " ",
        char_level: bool = False,
        oov_token: str | None = None,
        analyzer: Callable[[str], list[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        if "nb_words" in kwargs:  # the Keras 1 name
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Tokenizer: unknown keyword argument(s). Received: {kwargs}")
        if num_words is not None and (not isinstance(num_words, int | np.integer) or num_words < 0):
            raise ValueError(
                f"Expected num_words to be None or a non-negative integer. "
                f"Received: num_words={num_words!r}"
            )
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.analyzer = analyzer
        self.document_count = document_count
        self.word_counts: OrderedDict[str, int] = OrderedDict()
        self.word_docs: defaultdict[str, int] = defaultdict(int)
        self.index_docs: defaultdict[int, int] = defaultdict(int)
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}

    # ----- fitting ---------------------------------------------------------------------------

    def _words(self, text: Any, index: int, method: str) -> list[str]:
        if isinstance(text, list):  # already split into words
            for j, w in enumerate(text):
                if not isinstance(w, str):
                    raise TypeError(
                        f"Tokenizer.{method}: a text given as a list must hold strings. "
                        f"Received: texts[{index}][{j}] of type {type(w).__name__}"
                    )
            return [w.lower() for w in text] if self.lower else list(text)
        if not isinstance(text, str):
            raise TypeError(
                f"Tokenizer.{method}: expected every text to be a string (or a list of words). "
                f"Received: texts[{index}] of type {type(text).__name__}: {text!r:.60}"
            )
        if self.char_level:
            return list(text.lower() if self.lower else text)
        if self.analyzer is not None:
            return list(self.analyzer(text))
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    @staticmethod
    def _check_texts(texts: Any, method: str) -> None:
        if isinstance(texts, str | bytes):
            raise TypeError(
                f"Tokenizer.{method}: expected a list of texts, not a single string (which would "
                f"be read one character per text). Received: texts={texts!r:.60}"
            )
        if not isinstance(texts, Iterable):
            raise TypeError(
                f"Tokenizer.{method}: expected a list of texts. "
                f"Received: texts of type {type(texts).__name__}"
            )

    def fit_on_texts(self, texts: Iterable[str]) -> None:
        """Count the words of `texts` and (re)build `word_index`; may be called repeatedly.

        Args:
            texts: a list of strings, or of lists of words.
        """
        self._check_texts(texts, "fit_on_texts")
        for i, text in enumerate(texts):
            words = self._words(text, i, "fit_on_texts")
            self.document_count += 1
            for w in words:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(words):
                self.word_docs[w] += 1
        # sorted() is stable: equally frequent words keep their first-seen order.
        ranked = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocab = [] if self.oov_token is None else [self.oov_token]
        vocab += [w for w, _ in ranked]
        self.word_index = {w: i for i, w in enumerate(vocab, start=1)}
        self.index_word = {i: w for w, i in self.word_index.items()}
        for w, c in self.word_docs.items():
            self.index_docs[self.word_index[w]] = c

    def fit_on_sequences(self, sequences: Iterable[Iterable[int]]) -> None:
        """Count in how many sequences each index occurs (for `sequences_to_matrix` tf-idf)."""
        sequences = list(sequences)
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    # ----- converting ------------------------------------------------------------------------

    def texts_to_sequences(self, texts: Iterable[str]) -> list[list[int]]:
        """Turn each text into a list of word indices.

        Unknown words, and words ranked at or past `num_words`, are dropped, or become the
        `oov_token`'s index when one is set.
        """
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts: Iterable[str]) -> Any:
        """Like `texts_to_sequences`, yielding one sequence at a time."""
        self._check_texts(texts, "texts_to_sequences")
        num_words = self.num_words
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        for n, text in enumerate(texts):
            seq = []
            for w in self._words(text, n, "texts_to_sequences"):
                i = self.word_index.get(w)
                if i is not None and not (num_words and i >= num_words):
                    seq.append(i)
                elif oov is not None:
                    seq.append(oov)
            yield seq

    def sequences_to_texts(self, sequences: Iterable[Iterable[int]]) -> list[str]:
        """Turn sequences of indices back into space-joined texts (the inverse mapping)."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences: Iterable[Iterable[int]]) -> Any:
        """Like `sequences_to_texts`, yielding one text at a time."""
        num_words = self.num_words
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        for seq in sequences:
            words = []
            for i in seq:
                word = self.index_word.get(int(i))
                if word is not None and not (num_words and i >= num_words):
                    words.append(word)
                elif oov is not None:
                    words.append(self.index_word[oov])
            yield " ".join(words)

    def texts_to_matrix(self, texts: Iterable[str], mode: str = "binary") -> np.ndarray:
        """Turn texts into a `(len(texts), num_words)` matrix; see `sequences_to_matrix`."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(
        self, sequences: Iterable[Iterable[int]], mode: str = "binary"
    ) -> np.ndarray:
        """Turn sequences of indices into a float64 matrix with one column per index.

        Args:
            sequences: lists of word indices.
            mode: `"binary"` (1 where the word occurs), `"count"`, `"freq"` (count divided by
                the sequence length) or `"tfidf"`: `(1 + log(count)) *
                log(1 + document_count / (1 + documents containing the word))`.

        Returns:
            An array of shape `(len(sequences), num_words)` (`len(word_index) + 1` columns when
            `num_words` is None); indices past the last column are ignored.

        Example:
        >>> tokenizer.sequences_to_matrix([[1, 1, 2]], mode="count")[0, :3]
        array([0., 2., 1.])
        """
        if mode not in _MODES:
            raise ValueError(f"Expected mode to be one of {_MODES}. Received: mode={mode!r}")
        if self.num_words:
            num_words = self.num_words
        elif self.word_index:
            num_words = len(self.word_index) + 1
        else:
            raise ValueError(
                "Tokenizer.sequences_to_matrix: set num_words or call fit_on_texts first, so "
                "the number of columns is known. Received: num_words=None and no fitted words"
            )
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: fit on some texts before using mode='tfidf'.")
        sequences = list(sequences)
        x = np.zeros((len(sequences), num_words))
        for row, seq in enumerate(sequences):
            seq = list(seq)
            if not seq:
                continue
            counts: dict[int, int] = defaultdict(int)
            for j in seq:
                if 0 <= j < num_words:
                    counts[int(j)] += 1
            for j, c in counts.items():
                if mode == "count":
                    x[row, j] = c
                elif mode == "freq":
                    x[row, j] = c / len(seq)
                elif mode == "binary":
                    x[row, j] = 1
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[row, j] = (1 + np.log(c)) * idf
        return x

    # ----- serialization ---------------------------------------------------------------------

    def get_config(self) -> dict:
        """The tokenizer's settings and fitted state as a JSON-safe dict."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs: Any) -> str:
        """The tokenizer as a JSON string; `tokenizer_from_json` rebuilds it."""
        return json.dumps({"class_name": "Tokenizer", "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """Rebuild a `Tokenizer` from the string `Tokenizer.to_json()` returned.

    Example:
    >>> same = tokenizer_from_json(tokenizer.to_json())
    """
    config = dict(json.loads(json_string).get("config", {}))
    word_counts = json.loads(config.pop("word_counts"))
    word_docs = json.loads(config.pop("word_docs"))
    index_docs = {int(k): v for k, v in json.loads(config.pop("index_docs")).items()}
    index_word = {int(k): v for k, v in json.loads(config.pop("index_word")).items()}
    word_index = json.loads(config.pop("word_index"))
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = OrderedDict(word_counts)
    tokenizer.word_docs = defaultdict(int, word_docs)
    tokenizer.index_docs = defaultdict(int, index_docs)
    tokenizer.index_word = index_word
    tokenizer.word_index = word_index
    return tokenizer
