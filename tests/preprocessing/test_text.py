"""Keras 2 text utilities: known values worked out by hand."""

import hashlib
import math

import numpy as np
import pytest

from lamina.preprocessing.text import (
    Tokenizer,
    hashing_trick,
    one_hot,
    text_to_word_sequence,
    tokenizer_from_json,
)

TEXTS = ["The cat sat on the mat.", "The dog ate the cat!", "A bird"]
# counts: the 4, cat 2, then one each in first-seen order: sat on mat dog ate a bird


# ----- text_to_word_sequence, hashing_trick, one_hot -------------------------------------------


def test_text_to_word_sequence_default_filters_keep_apostrophes():
    assert text_to_word_sequence("Hello, World!\tIt's\nme...") == ["hello", "world", "it's", "me"]


def test_text_to_word_sequence_options():
    assert text_to_word_sequence("A-b C", lower=False) == ["A", "b", "C"]
    assert text_to_word_sequence("a-b,c", filters="", split=",") == ["a-b", "c"]
    assert text_to_word_sequence("a;b;;c", filters="", split=";") == ["a", "b", "c"]
    assert text_to_word_sequence("") == []


def test_text_to_word_sequence_rejects_non_strings():
    with pytest.raises(TypeError, match="int"):
        text_to_word_sequence(3)


def test_hashing_trick_md5_is_the_md5_of_each_word_mod_n_minus_1_plus_1():
    got = hashing_trick("The cat, the hat.", 10, hash_function="md5")
    want = [int(hashlib.md5(w.encode()).hexdigest(), 16) % 9 + 1 for w in "the cat the hat".split()]
    assert got == want == [6, 3, 6, 6]


def test_hashing_trick_custom_function_and_analyzer():
    assert hashing_trick("a bb ccc", 3, hash_function=len) == [2, 1, 2]
    assert hashing_trick("x|yy", 5, hash_function=len, analyzer=lambda t: t.split("|")) == [2, 3]


def test_hashing_trick_default_uses_python_hash_and_one_hot_too():
    words = ["the", "cat", "the"]
    want = [hash(w) % 49 + 1 for w in words]
    assert hashing_trick("The cat the", 50) == want
    assert one_hot("The cat the", 50) == want
    assert all(1 <= i < 50 for i in one_hot("some words here", 50))


def test_hashing_trick_bad_arguments():
    with pytest.raises(ValueError, match="n=1"):
        hashing_trick("a", 1)
    with pytest.raises(ValueError, match="sha1"):
        hashing_trick("a", 5, hash_function="sha1")


# ----- Tokenizer -------------------------------------------------------------------------------


def fitted(**kwargs):
    tokenizer = Tokenizer(**kwargs)
    tokenizer.fit_on_texts(TEXTS)
    return tokenizer


def test_fit_on_texts_ranks_by_count_and_keeps_first_seen_order_for_ties():
    t = fitted()
    assert list(t.word_index.items()) == [
        ("the", 1), ("cat", 2), ("sat", 3), ("on", 4), ("mat", 5), ("dog", 6), ("ate", 7),
        ("a", 8), ("bird", 9),
    ]  # fmt: skip
    assert t.index_word[1] == "the" and t.index_word[9] == "bird"
    assert t.word_counts["the"] == 4 and t.word_counts["cat"] == 2 and t.word_counts["a"] == 1
    assert t.word_docs["the"] == 2 and t.word_docs["cat"] == 2 and t.word_docs["bird"] == 1
    assert t.index_docs[1] == 2 and t.index_docs[9] == 1
    assert t.document_count == 3


def test_fit_on_texts_accumulates_across_calls():
    t = fitted()
    t.fit_on_texts(["bird bird bird bird bird"])
    assert t.word_index["bird"] == 1 and t.word_index["the"] == 2
    assert t.document_count == 4 and t.word_docs["bird"] == 2


def test_texts_to_sequences_drops_unknown_words():
    t = fitted()
    assert t.texts_to_sequences(["the cat sat", "zebra the"]) == [[1, 2, 3], [1]]
    assert list(t.texts_to_sequences_generator(["mat"])) == [[5]]


def test_num_words_keeps_indices_below_it():
    t = fitted(num_words=3)
    assert t.texts_to_sequences(["the cat sat dog"]) == [[1, 2]]
    assert len(t.word_index) == 9  # the index itself keeps every word


def test_oov_token_takes_index_1_and_replaces_unknown_and_rare_words():
    t = fitted(num_words=4, oov_token="<OOV>")
    assert t.word_index["<OOV>"] == 1 and t.word_index["the"] == 2 and t.word_index["sat"] == 4
    assert t.texts_to_sequences(["the cat sat zebra"]) == [[2, 3, 1, 1]]
    assert t.sequences_to_texts([[2, 3, 1, 9]]) == ["the cat <OOV> <OOV>"]


def test_sequences_to_texts_inverts_texts_to_sequences():
    t = fitted()
    seqs = t.texts_to_sequences(["The bird ate the mat!"])
    assert seqs == [[1, 9, 7, 1, 5]]
    assert t.sequences_to_texts(seqs) == ["the bird ate the mat"]
    assert t.sequences_to_texts([[1, 42]]) == ["the"]  # unknown index dropped


def test_char_level_and_pre_split_lists():
    t = Tokenizer(char_level=True)
    t.fit_on_texts(["abA", "b"])
    assert t.word_index == {"a": 1, "b": 2}
    assert t.texts_to_sequences(["Ba"]) == [[2, 1]]
    words = Tokenizer()
    words.fit_on_texts([["Hello", "World"], ["hello"]])
    assert words.word_index == {"hello": 1, "world": 2}


def test_lower_false_and_custom_split():
    t = Tokenizer(lower=False, split="|", filters="")
    t.fit_on_texts(["A|b|A"])
    assert t.word_index == {"A": 1, "b": 2}


def test_texts_to_matrix_binary_count_freq():
    t = fitted()  # 10 columns: index 0 plus nine words
    binary = t.texts_to_matrix(["the cat the", ""], mode="binary")
    assert binary.shape == (2, 10) and binary.dtype == np.float64
    np.testing.assert_array_equal(binary[0], [0, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(binary[1], np.zeros(10))
    count = t.texts_to_matrix(["the cat the"], mode="count")[0]
    np.testing.assert_array_equal(count[:3], [0, 2, 1])
    freq = t.texts_to_matrix(["the cat the"], mode="freq")[0]
    np.testing.assert_allclose(freq[:3], [0, 2 / 3, 1 / 3])


def test_texts_to_matrix_tfidf_uses_keras_formula():
    # tf = 1 + ln(count); idf = ln(1 + documents / (1 + documents containing the word))
    t = fitted()
    row = t.texts_to_matrix(["the cat the bird"], mode="tfidf")[0]
    the = (1 + math.log(2)) * math.log(1 + 3 / (1 + 2))
    cat = 1.0 * math.log(1 + 3 / (1 + 2))
    bird = 1.0 * math.log(1 + 3 / (1 + 1))
    np.testing.assert_allclose(row[[1, 2, 9]], [the, cat, bird])
    assert row.sum() == pytest.approx(the + cat + bird)


def test_sequences_to_matrix_with_num_words_and_fit_on_sequences():
    t = Tokenizer(num_words=4)
    m = t.sequences_to_matrix([[1, 3, 3, 7]], mode="count")  # 7 is past the last column
    np.testing.assert_array_equal(m, [[0, 1, 0, 2]])
    t.fit_on_sequences([[1, 3], [3]])
    assert t.document_count == 2 and t.index_docs[3] == 2
    tfidf = t.sequences_to_matrix([[3]], mode="tfidf")
    assert tfidf[0, 3] == pytest.approx(math.log(1 + 2 / 3))


def test_matrix_errors():
    with pytest.raises(ValueError, match="num_words"):
        Tokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match="mode='tfidf'"):
        Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(ValueError, match="onehot"):
        fitted().texts_to_matrix(["the"], mode="onehot")


def test_non_string_texts_raise_type_error_naming_index_and_type():
    with pytest.raises(TypeError, match=r"texts\[1\] of type int"):
        Tokenizer().fit_on_texts(["fine", 3])
    with pytest.raises(TypeError, match=r"texts\[0\] of type bytes"):
        fitted().texts_to_sequences([b"the"])
    with pytest.raises(TypeError, match=r"texts\[0\]\[1\] of type float"):
        Tokenizer().fit_on_texts([["a", 1.5]])
    with pytest.raises(TypeError, match="single string"):
        Tokenizer().fit_on_texts("the cat")
    with pytest.raises(TypeError, match="unknown keyword"):
        Tokenizer(num_word=3)
    with pytest.raises(ValueError, match="num_words=-1"):
        Tokenizer(num_words=-1)


def test_json_round_trip():
    t = fitted(num_words=5, oov_token="?")
    same = tokenizer_from_json(t.to_json())
    assert same.word_index == t.word_index and same.index_word == t.index_word
    assert same.num_words == 5 and same.document_count == 3
    assert same.texts_to_sequences(["the zebra"]) == t.texts_to_sequences(["the zebra"])
    np.testing.assert_array_equal(
        same.texts_to_matrix(["the cat"], mode="tfidf"), t.texts_to_matrix(["the cat"], "tfidf")
    )
