"""TextVectorization: strings to token indices, multi-hot, count or tf-idf vectors."""

import re
import string
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from lamina.backend import default_xp, floatx, to_numpy
from lamina.layers.layer import Layer
from lamina.layers.symbolic import KerasTensor
from lamina.tensor import Tensor

MASK_TOKEN = ""
OOV_TOKEN = "[UNK]"
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
_OUTPUT_MODES = ("int", "multi_hot", "count", "tf_idf")
_STRIP_TABLE = str.maketrans("", "", string.punctuation)
_WORDS = re.compile(r"[^ \t\n\r\f\v]+")  # runs of non-whitespace (ASCII whitespace, as TF)


class TextVectorization(Layer):
    """Turn strings into token indices, or into multi-hot, count or tf-idf vectors.

    Each string is standardized (lowercased, punctuation stripped), split into words, extended
    with n-grams, and looked up in a vocabulary learned by `adapt` (most frequent first; ties
    in reverse alphabetical order, as Keras) or given as `vocabulary`. In `"int"` mode index 0
    is padding (`""`) and 1 is the out-of-vocabulary token `"[UNK]"`; in the other modes
    `"[UNK]"` takes column 0. Not differentiable: it has no weights and returns int64 (`"int"`)
    or float tensors.

    Args:
        max_tokens: the vocabulary size cap, special tokens included (at least 2); None for
            no cap.
        standardize: `"lower_and_strip_punctuation"`, `"lower"`, `"strip_punctuation"`, None,
            or a function of one string returning a string.
        split: `"whitespace"`, `"character"`, None (each string is one token), or a function
            of one string returning its list of tokens.
        ngrams: None, an int n (all 1..n-grams) or a tuple of the n-gram sizes to emit.
        output_mode: `"int"`, `"multi_hot"`, `"count"` or `"tf_idf"`.
        output_sequence_length: `"int"` mode only: pad or truncate every sequence to this
            length (otherwise a batch is padded to its longest sequence).
        pad_to_max_tokens: the vector modes output `max_tokens` columns even when the
            vocabulary is smaller.
        vocabulary: a list of tokens (or a path to a file with one per line), instead of
            `adapt`.
        idf_weights: `"tf_idf"` mode with `vocabulary`: one weight per vocabulary entry.
        sparse: must be False (lamina has no sparse tensors).
        ragged: must be False (lamina has no ragged tensors).
        encoding: the encoding of `bytes` inputs.

    Call arguments:
        inputs: a string, or a list, array or tensor of strings of shape `(batch,)` or
            `(batch, 1)`.

    Output shape:
        `"int"`: `(batch, sequence_length)`; other modes: `(batch, num_columns)`; the batch
        axis is dropped for a single string.

    Example:
    >>> vectorizer = TextVectorization(output_mode="int")
    >>> vectorizer.adapt(["I write, erase, rewrite", "Erase again, and then", "A poppy blooms."])
    >>> vectorizer.get_vocabulary()[:4]
    ['', '[UNK]', 'erase', 'write']
    >>> vectorizer("I write, rewrite, and still rewrite again").numpy()
    array([ 7,  3,  5,  9,  1,  5, 10])
    """

    # Arguments opened as a file when given a string: a config loaded from a file must hold
    # the vocabulary itself (lamina.layers.serialization.deserialize_layer checks it).
    path_arguments = ("vocabulary",)

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable | None = "lower_and_strip_punctuation",
        split: str | Callable | None = "whitespace",
        ngrams: int | tuple | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("vocabulary_size", None)  # written by Keras's get_config
        kwargs.pop("trainable", None)  # never trainable: it has no weights
        super().__init__(name=name, trainable=False, **kwargs)
        if max_tokens is not None and (
            not isinstance(max_tokens, int | np.integer) or max_tokens < 2
        ):
            raise ValueError(
                "Expected max_tokens to be None or an integer of at least 2 (room for the "
                f"padding and OOV tokens). Received: max_tokens={max_tokens!r}"
            )
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ValueError(
                f"Expected standardize to be one of {_STANDARDIZE}, None or a function. "
                f"Received: standardize={standardize!r}"
            )
        if not (split is None or callable(split) or split in _SPLIT):
            raise ValueError(
                f"Expected split to be one of {_SPLIT}, None or a function. "
                f"Received: split={split!r}"
            )
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not _valid_ngrams(ngrams):
            raise ValueError(
                "Expected ngrams to be None, a positive integer or a tuple of positive "
                f"integers. Received: ngrams={ngrams!r}"
            )
        if ngrams is not None and split is None:
            raise ValueError(
                f"ngrams needs the strings split into tokens. Received: ngrams={ngrams!r} "
                "with split=None"
            )
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"Expected output_mode to be one of {_OUTPUT_MODES}. "
                f"Received: output_mode={output_mode!r}"
            )
        if output_sequence_length is not None:
            if output_mode != "int":
                raise ValueError(
                    "output_sequence_length can only be set in output_mode='int'. Received: "
                    f"output_sequence_length={output_sequence_length!r}, "
                    f"output_mode={output_mode!r}"
                )
            if not isinstance(output_sequence_length, int | np.integer) or (
                output_sequence_length < 1
            ):
                raise ValueError(
                    "Expected output_sequence_length to be None or a positive integer. "
                    f"Received: output_sequence_length={output_sequence_length!r}"
                )
        if pad_to_max_tokens and max_tokens is None and output_mode != "int":
            raise ValueError(
                "pad_to_max_tokens=True needs max_tokens, the number of columns to pad to. "
                "Received: max_tokens=None"
            )
        if sparse or ragged:
            raise ValueError(
                "lamina has no sparse or ragged tensors; use the dense outputs. "
                f"Received: sparse={sparse!r}, ragged={ragged!r}"
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "idf_weights can only be set in output_mode='tf_idf'. "
                f"Received: output_mode={output_mode!r}"
            )
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        if ngrams is None:
            self._ngram_sizes: tuple = ()
        elif isinstance(ngrams, tuple):
            self._ngram_sizes = tuple(int(n) for n in ngrams)
        else:
            self._ngram_sizes = tuple(range(1, int(ngrams) + 1))
        self.output_mode = output_mode
        self.output_sequence_length = (
            None if output_sequence_length is None else int(output_sequence_length)
        )
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.encoding = encoding
        self._specials = [MASK_TOKEN, OOV_TOKEN] if output_mode == "int" else [OOV_TOKEN]
        self._oov_index = len(self._specials) - 1
        self._vocab: list[str] = list(self._specials)
        self._index: dict[str, int] = {}
        self._idf: np.ndarray | None = None
        self._vocab_set = False
        self._rebuild_index()
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif idf_weights is not None:
            raise ValueError("idf_weights needs a vocabulary. Received: vocabulary=None")
        self.built = True

    # ----- vocabulary ------------------------------------------------------------------------

    def _rebuild_index(self) -> None:
        # A token listed twice (only "[UNK]" may be) keeps its first index.
        self._index = {}
        for i, token in enumerate(self._vocab):
            self._index.setdefault(token, i)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The vocabulary, index by index (`""` and `"[UNK]"` first in `"int"` mode)."""
        vocab = list(self._vocab)
        return vocab if include_special_tokens else vocab[len(self._specials) :]

    def vocabulary_size(self) -> int:
        """The number of vocabulary entries, special tokens included."""
        return len(self._vocab)

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Set the vocabulary (and, in `"tf_idf"` mode, the idf weights) directly.

        Args:
            vocabulary: tokens in index order (the special tokens may lead it, in their order),
                or the path of a file with one token per line.
            idf_weights: `"tf_idf"` mode only: a weight per entry of `vocabulary`.
        """
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError("idf_weights must be set when output_mode='tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(
                "idf_weights can only be set in output_mode='tf_idf'. "
                f"Received: output_mode={self.output_mode!r}"
            )
        if isinstance(vocabulary, str):
            if self.output_mode == "tf_idf":
                raise ValueError("output_mode='tf_idf' cannot load its vocabulary from a file.")
            with open(vocabulary, encoding=self.encoding) as f:
                vocabulary = f.read().splitlines()
            while vocabulary and vocabulary[-1] == "":
                vocabulary.pop()
        tokens = [self._decode(t, "vocabulary") for t in _as_list(vocabulary, "vocabulary")]
        if not tokens:
            raise ValueError("Cannot set an empty vocabulary. Received: vocabulary=[]")
        start = len(self._specials)
        has_specials = tokens[:start] == self._specials
        body = tokens[start:] if has_specials else tokens
        repeated = sorted(t for t, c in Counter(body).items() if c > 1)
        if repeated:
            raise ValueError(
                f"The vocabulary must not repeat tokens. Received: repeated tokens {repeated}"
            )
        if MASK_TOKEN in body:
            raise ValueError(
                "The empty string is reserved (padding). Leave the special tokens out of the "
                f"vocabulary, or put them first, in this order: {self._specials}. Received: "
                f"'' at vocabulary index {tokens.index(MASK_TOKEN, start if has_specials else 0)}"
            )
        full = self._specials + body
        if self.max_tokens is not None and len(full) > self.max_tokens:
            raise ValueError(
                f"The vocabulary holds {len(full)} tokens (special tokens included), more than "
                f"max_tokens={self.max_tokens}."
            )
        idf = None
        if idf_weights is not None:
            if isinstance(idf_weights, Tensor):
                idf_weights = to_numpy(idf_weights.data)
            weights = np.asarray(idf_weights, dtype="float64")
            if weights.ndim != 1 or len(weights) != len(tokens):
                raise ValueError(
                    "idf_weights must be 1-D with one weight per vocabulary entry. Received: "
                    f"idf_weights of shape {weights.shape} for {len(tokens)} tokens"
                )
            if not has_specials:
                weights = np.concatenate([np.full(start, weights.mean()), weights])
            idf = self._pad_idf(weights)
        self._vocab, self._idf, self._vocab_set = full, idf, True
        self._rebuild_index()

    def _pad_idf(self, weights: np.ndarray) -> np.ndarray:
        if self.pad_to_max_tokens and self.max_tokens is not None:
            weights = np.pad(weights, (0, self.max_tokens - len(weights)))
        return weights

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary (and idf weights) from `data`, replacing any earlier one.

        Args:
            data: a list or array of strings, or a dataset / iterable of batches of strings
                (e.g. `train_ds.map(lambda x, y: x)`).
            batch_size: unused (kept for Keras's signature).
            steps: read at most this many batches of a dataset.
        """
        if isinstance(data, str | bytes):
            raise TypeError(
                "adapt expects a list or array of strings, or a dataset of batches of strings. "
                f"Received: a single string {data!r:.60}"
            )
        if steps is not None and (not isinstance(steps, int | np.integer) or steps < 1):
            raise ValueError(f"Expected steps to be None or a positive integer. Received: {steps}")
        counts: Counter = Counter()
        doc_counts: Counter = Counter()
        num_docs = 0
        for batch in _adapt_batches(data, steps):
            for row in self._tokenize(self._strings(batch, "adapt"))[0]:
                counts.update(row)
                if self.output_mode == "tf_idf":
                    doc_counts.update(set(row))
                num_docs += 1
        for token in (MASK_TOKEN, OOV_TOKEN):
            counts.pop(token, None)
        limit = None if self.max_tokens is None else self.max_tokens - len(self._specials)
        tokens = _rank(counts, limit)
        self._vocab = self._specials + tokens
        self._vocab_set = True
        self._rebuild_index()
        if self.output_mode == "tf_idf":
            idf = np.log(1 + num_docs / (1 + np.array([doc_counts[t] for t in tokens], "float64")))
            oov = idf.mean() if len(idf) else 0.0
            self._idf = self._pad_idf(np.concatenate([[oov], idf]))

    # ----- computing -------------------------------------------------------------------------

    def _decode(self, value: Any, where: str) -> str:
        if isinstance(value, str):
            return str(value)
        if isinstance(value, bytes | np.bytes_):
            return value.decode(self.encoding)
        raise TypeError(
            f"TextVectorization: expected strings in {where}. "
            f"Received: {value!r:.60} of type {type(value).__name__}"
        )

    def _strings(self, inputs: Any, where: str) -> np.ndarray:
        """`inputs` as a NumPy array of `str`."""
        if isinstance(inputs, Tensor):
            inputs = to_numpy(inputs.data)
        if isinstance(inputs, str | bytes | np.str_ | np.bytes_):
            return np.array(self._decode(inputs, where), dtype=object)
        if isinstance(inputs, list | tuple):
            inputs = np.array(inputs, dtype=object)
        arr = np.asarray(inputs)
        if arr.dtype.kind == "U":
            return arr.astype(object)
        if arr.dtype.kind in "SO":
            flat = [self._decode(v, where) for v in arr.reshape(-1)]
            out = np.empty(len(flat), dtype=object)
            out[:] = flat
            return out.reshape(arr.shape)
        raise TypeError(
            f"TextVectorization: expected strings in {where}. "
            f"Received: an array of dtype {arr.dtype} and shape {arr.shape}"
        )

    def _standardize(self, text: str) -> str:
        mode = self.standardize
        if mode is None:
            return text
        if callable(mode):
            out = mode(text)
            if isinstance(out, np.ndarray) and out.ndim == 0:
                out = out.item()
            return self._decode(out, "the output of standardize")
        if mode != "strip_punctuation":
            text = text.lower()
        if mode != "lower":
            text = text.translate(_STRIP_TABLE)
        return text

    def _split(self, text: str) -> list[str]:
        if self.split == "whitespace":
            return _WORDS.findall(text)
        if self.split == "character":
            return list(text)
        out = self.split(text)
        if isinstance(out, str) or not isinstance(out, Iterable):
            raise TypeError(
                "TextVectorization: a split function must return a list of tokens. "
                f"Received: {out!r:.60}"
            )
        return [self._decode(t, "the output of split") for t in out]

    def _with_ngrams(self, words: list[str]) -> list[str]:
        if not self._ngram_sizes:
            return words
        return [
            " ".join(words[i : i + n]) for n in self._ngram_sizes for i in range(len(words) - n + 1)
        ]

    def _tokenize(self, strings: np.ndarray) -> tuple[list[list[str]], tuple]:
        """Rows of tokens, and the leading shape the output keeps (() for one string)."""
        if self.split is None:
            if strings.ndim == 0:
                return [[self._standardize(strings.item())]], ()
            if strings.ndim == 1:
                return [[self._standardize(s)] for s in strings], (len(strings),)
            if strings.ndim == 2:
                rows = [[self._standardize(s) for s in row] for row in strings]
                return rows, (len(strings),)
        else:
            if strings.ndim == 2 and strings.shape[1] == 1:
                strings = strings[:, 0]
            if strings.ndim == 0:
                return [self._with_ngrams(self._split(self._standardize(strings.item())))], ()
            if strings.ndim == 1:
                rows = [self._with_ngrams(self._split(self._standardize(s))) for s in strings]
                return rows, (len(strings),)
        raise ValueError(
            "TextVectorization expects one string per sample: inputs of shape (batch,) or "
            f"(batch, 1). Received: inputs of shape {strings.shape}"
        )

    def _depth(self) -> int:
        if self.pad_to_max_tokens and self.max_tokens is not None:
            return self.max_tokens
        return len(self._vocab)

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(inputs, KerasTensor):
            return super().__call__(inputs, *args, **kwargs)
        kwargs.pop("training", None)
        return self.call(inputs, *args, **kwargs)

    def call(self, inputs: Any) -> Tensor:
        """Vectorize `inputs` (a string or a batch of strings)."""
        strings = self._strings(inputs, "inputs")
        if self.output_mode == "int" and self.split is None:
            out = self._lookup_unsplit(strings)
        else:
            rows, lead = self._tokenize(strings)
            out = self._lookup_int(rows) if self.output_mode == "int" else self._encode(rows)
            if lead == ():
                out = out[0]
        xp = default_xp()
        return Tensor(out if xp is np else xp.asarray(out))

    def _pad(self, ids: list[list[int]]) -> np.ndarray:
        length = self.output_sequence_length
        if length is None:
            length = max((len(r) for r in ids), default=0)
        out = np.zeros((len(ids), length), dtype="int64")
        for r, row in enumerate(ids):
            row = row[:length]
            out[r, : len(row)] = row
        return out

    def _lookup_int(self, rows: list[list[str]]) -> np.ndarray:
        oov, index = self._oov_index, self._index
        return self._pad([[index.get(t, oov) for t in row] for row in rows])

    def _lookup_unsplit(self, strings: np.ndarray) -> np.ndarray:
        """`"int"` mode without splitting: one index per input string, in the input's shape."""
        if strings.ndim > 2:
            raise ValueError(
                "TextVectorization expects inputs of shape (batch,) or (batch, tokens). "
                f"Received: inputs of shape {strings.shape}"
            )
        oov, index = self._oov_index, self._index
        flat = [index.get(self._standardize(s), oov) for s in strings.reshape(-1)]
        out = np.array(flat, dtype="int64").reshape(strings.shape)
        if out.ndim == 2 and self.output_sequence_length is not None:
            out = self._pad(out.tolist())
        return out

    def _encode(self, rows: list[list[str]]) -> np.ndarray:
        """The multi-hot, count or tf-idf matrix of `rows` of tokens."""
        oov, index = self._oov_index, self._index
        if not self._vocab_set and not self.pad_to_max_tokens:
            raise RuntimeError(
                f"TextVectorization with output_mode={self.output_mode!r} needs its "
                "vocabulary before it is called (its width is the vocabulary size): call "
                "adapt(data) or pass vocabulary=..."
            )
        if self.output_mode == "tf_idf" and self._idf is None:
            raise RuntimeError(
                "TextVectorization with output_mode='tf_idf' needs idf weights: call "
                "adapt(data) or pass vocabulary=... and idf_weights=..."
            )
        depth = self._depth()
        flat_rows, flat_ids = [], []
        for r, row in enumerate(rows):
            ids = [index.get(t, oov) for t in row if t != MASK_TOKEN]
            flat_ids += ids
            flat_rows += [r] * len(ids)
        cells = np.asarray(flat_rows, dtype=np.int64) * depth + np.asarray(flat_ids, np.int64)
        out = np.zeros(len(rows) * depth, dtype=floatx())
        if self.output_mode == "multi_hot":
            out[cells] = 1
        else:
            uniq, counts = np.unique(cells, return_counts=True)
            out[uniq] = counts
        out = out.reshape(len(rows), depth)
        if self.output_mode == "tf_idf":
            out *= self._idf[:depth].astype(out.dtype)
        return out

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if not (
            len(shape) == 1 or len(shape) == 2 and (self.split is None or shape[1] in (1, None))
        ):
            raise ValueError(
                "TextVectorization expects one string per sample: inputs of shape (batch,) or "
                f"(batch, 1). Received: input_shape={shape}"
            )
        batch = shape[:1]
        if self.output_mode != "int":
            return (*batch, self._depth())
        if self.split is None:
            if len(shape) == 2 and self.output_sequence_length is not None:
                return (*batch, self.output_sequence_length)
            return shape
        return (*batch, self.output_sequence_length)

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        from lamina.layers.symbolic import KerasTensor  # lamina.models builds on the layers

        dtype = "int64" if self.output_mode == "int" else floatx()
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype)

    # ----- configuration ---------------------------------------------------------------------

    def get_config(self) -> dict:
        vocab = self.get_vocabulary() if self._vocab_set else None
        idf = None if self._idf is None else self._idf[: len(self._vocab)].tolist()
        return {
            **super().get_config(),
            "max_tokens": self.max_tokens,
            "standardize": self.standardize,
            "split": self.split,
            "ngrams": list(self.ngrams) if isinstance(self.ngrams, tuple) else self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary": vocab,
            "idf_weights": idf,
            "encoding": self.encoding,
        }


def _rank(counts: Counter, limit: int | None) -> list[str]:
    """The `limit` most frequent tokens, ties in reverse token order (Keras's rule)."""
    if limit is not None and limit < len(counts):
        # Keep the tokens above the limit-th count, and fill up with the largest tokens of it.
        values = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
        cut = np.partition(values, len(values) - limit)[len(values) - limit]
        keys = list(counts)
        kept = [keys[i] for i in np.flatnonzero(values > cut)]
        tied = sorted((keys[i] for i in np.flatnonzero(values == cut)), reverse=True)
        counts = Counter({t: counts[t] for t in kept + tied[: limit - len(kept)]})
    # Two stable sorts: by token descending, then by count descending.
    return sorted(sorted(counts, reverse=True), key=counts.__getitem__, reverse=True)


def _valid_ngrams(ngrams: Any) -> bool:
    if ngrams is None:
        return True
    if isinstance(ngrams, int | np.integer):
        return ngrams >= 1
    return (
        isinstance(ngrams, tuple)
        and len(ngrams) > 0
        and all(isinstance(n, int | np.integer) and n >= 1 for n in ngrams)
    )


def _as_list(values: Any, name: str) -> list:
    if isinstance(values, Tensor):
        values = to_numpy(values.data)
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ValueError(f"Expected {name} to be 1-D. Received: shape {values.shape}")
        return values.tolist()
    if isinstance(values, list | tuple):
        return list(values)
    raise TypeError(
        f"Expected {name} to be a list or array of strings. Received: {type(values).__name__}"
    )


def _adapt_batches(data: Any, steps: int | None) -> Iterable:
    """The batches of `data`: the whole of an array or list, or each batch of a dataset."""
    if isinstance(data, list | tuple | np.ndarray | Tensor):
        yield data
        return
    if not isinstance(data, Iterable) and not hasattr(data, "__getitem__"):
        raise TypeError(
            "adapt expects a list or array of strings, or a dataset of batches of strings. "
            f"Received: {type(data).__name__}"
        )
    if not hasattr(data, "__iter__"):  # a plain PyDataset: index its batches
        data = (data[i] for i in range(len(data)))
    for step, batch in enumerate(data):
        if steps is not None and step >= steps:
            return
        if isinstance(batch, tuple):
            raise TypeError(
                "adapt expects batches of strings only, but the dataset yields tuples (texts "
                "with labels?). Keep the texts: layer.adapt(dataset.map(lambda x, y: x)). "
                f"Received: a batch tuple of length {len(batch)}"
            )
        yield batch
