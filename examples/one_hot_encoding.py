"""One-hot encoding of words and characters (Deep Learning with Python, 6.1, listings 6.1-6.4).

The book's four ways of turning the two sample sentences into one-hot arrays: word-level
one-hot encoding with a hand-built index (6.1), character-level one-hot encoding over the
printable ASCII characters (6.2), Keras's `Tokenizer` keeping the 1,000 most frequent words
(6.3: `fit_on_texts`, `texts_to_sequences`, `texts_to_matrix(mode="binary")`, `word_index`)
and word-level one-hot hashing into 1,000 slots (6.4). The first three are plain Python and
NumPy; the third uses `lamina.preprocessing.text.Tokenizer` where the book imports
`keras.preprocessing.text.Tokenizer`.

Two departures from the printed listings: 6.2's index maps characters to indices (the printed
one maps indices to characters, so every lookup misses), and 6.4 hashes with
`hashing_trick(..., hash_function="md5")` instead of Python's `hash`, which is salted per
process, so the hashed indices are the same on every run.

The last line gives the number of unique tokens the tokenizer found (9, as in the book) and the
shapes of the four arrays:

    python examples/one_hot_encoding.py
"""

import string

import numpy as np

from lamina.preprocessing.text import Tokenizer, hashing_trick

SAMPLES = ["The cat sat on the mat.", "The dog ate my homework."]


def word_level_one_hot(samples, max_length=10):
    """Listing 6.1: index each whitespace-separated word, then one-hot the first words."""
    token_index = {}
    for sample in samples:
        for word in sample.split():
            if word not in token_index:
                token_index[word] = len(token_index) + 1  # 0 is left unused
    results = np.zeros((len(samples), max_length, max(token_index.values()) + 1))
    for i, sample in enumerate(samples):
        for j, word in list(enumerate(sample.split()))[:max_length]:
            results[i, j, token_index[word]] = 1.0
    return token_index, results


def character_level_one_hot(samples, max_length=50):
    """Listing 6.2: one-hot each of the first `max_length` characters among `string.printable`."""
    token_index = {char: i for i, char in enumerate(string.printable, start=1)}
    results = np.zeros((len(samples), max_length, max(token_index.values()) + 1))
    for i, sample in enumerate(samples):
        for j, char in enumerate(sample[:max_length]):
            results[i, j, token_index[char]] = 1.0
    return token_index, results


def tokenizer_one_hot(samples, num_words=1000):
    """Listing 6.3: the `Tokenizer`'s word index, sequences and binary matrix."""
    tokenizer = Tokenizer(num_words=num_words)
    tokenizer.fit_on_texts(samples)
    sequences = tokenizer.texts_to_sequences(samples)
    one_hot_results = tokenizer.texts_to_matrix(samples, mode="binary")
    return tokenizer.word_index, sequences, one_hot_results


def hashed_one_hot(samples, dimensionality=1000, max_length=10):
    """Listing 6.4: hash each word into one of `dimensionality` slots, without an index."""
    results = np.zeros((len(samples), max_length, dimensionality))
    for i, sample in enumerate(samples):
        indices = hashing_trick(sample, dimensionality, hash_function="md5")
        for j, index in enumerate(indices[:max_length]):
            results[i, j, index] = 1.0
    return results


def main(samples=SAMPLES):
    """Runs the four listings; returns their arrays and the tokenizer's results by name."""
    word_index, word_results = word_level_one_hot(samples)
    print(f"6.1 word level: {len(word_index)} distinct words, array {word_results.shape}")
    _, char_results = character_level_one_hot(samples)
    print(f"6.2 character level: array {char_results.shape}")
    tokenizer_index, sequences, matrix = tokenizer_one_hot(samples)
    print(f"6.3 Tokenizer: Found {len(tokenizer_index)} unique tokens.")
    print(f"    word_index: {tokenizer_index}")
    print(f"    sequences: {sequences}")
    hashed = hashed_one_hot(samples)
    print(f"6.4 hashing: array {hashed.shape}")
    print(
        f"unique_tokens: {len(tokenizer_index)} word: {word_results.shape} "
        f"char: {char_results.shape} tokenizer: {matrix.shape} hashed: {hashed.shape}"
    )
    return {
        "word_results": word_results,
        "char_results": char_results,
        "word_index": tokenizer_index,
        "sequences": sequences,
        "matrix": matrix,
        "hashed": hashed,
    }


if __name__ == "__main__":
    main()
