"""TextVectorization: vocabularies and encodings worked out by hand."""

import json
import math

import numpy as np
import pytest

import lamina
from lamina.layers.layer import Layer
from lamina.layers.preprocessing.text_vectorization import TextVectorization
from lamina.tensor import Tensor
from lamina.testing import run_layer_test

BOOK = ["I write, erase, rewrite", "Erase again, and then", "A poppy blooms."]
BOOK_VOCAB = ["", "[UNK]", "erase", "write", "then", "rewrite", "poppy", "i", "blooms", "and",
              "again", "a"]  # fmt: skip


def adapted(data=BOOK, **kwargs):
    layer = TextVectorization(**kwargs)
    layer.adapt(data)
    return layer


def values(t):
    assert isinstance(t, Tensor)
    return t.numpy()


# ----- int mode ----------------------------------------------------------------------------------


def test_book_example_vocabulary_and_encoding():
    # most frequent first ("erase" twice), ties in reverse alphabetical order, as Keras
    layer = adapted()
    assert isinstance(layer, Layer) and layer.weights == [] and layer.trainable_weights == []
    assert layer.get_vocabulary() == BOOK_VOCAB
    assert layer.get_vocabulary(include_special_tokens=False) == BOOK_VOCAB[2:]
    assert layer.vocabulary_size() == 12
    out = layer("I write, rewrite, and still rewrite again")
    assert out.dtype == np.int64
    np.testing.assert_array_equal(values(out), [7, 3, 5, 9, 1, 5, 10])


def test_int_batches_pad_to_the_longest_or_to_output_sequence_length():
    layer = adapted()
    np.testing.assert_array_equal(
        values(layer(["a poppy", "erase", ""])), [[11, 6], [2, 0], [0, 0]]
    )
    fixed = adapted(output_sequence_length=3)
    out = fixed(np.array([["i write erase rewrite"], ["a"]]))  # (batch, 1) input
    np.testing.assert_array_equal(values(out), [[7, 3, 2], [11, 0, 0]])
    assert fixed.compute_output_shape((None, 1)) == (None, 3)


def test_max_tokens_counts_the_special_tokens():
    layer = adapted(max_tokens=4)
    assert layer.get_vocabulary() == ["", "[UNK]", "erase", "write"]
    np.testing.assert_array_equal(values(layer(["write poppy erase"])), [[3, 1, 2]])


def test_max_tokens_cut_falls_on_the_largest_of_equally_frequent_tokens():
    layer = adapted(["a a b c d e e"], max_tokens=5)  # room for 3: a, e, then d of b c d
    assert layer.get_vocabulary() == ["", "[UNK]", "e", "a", "d"]
    multi = adapted(["b a c c", "a"], max_tokens=3, output_mode="count")
    assert multi.get_vocabulary() == ["[UNK]", "c", "a"]


def test_int_mode_before_adapt_maps_everything_to_oov():
    layer = TextVectorization()
    assert layer.get_vocabulary() == ["", "[UNK]"]
    np.testing.assert_array_equal(values(layer(["any words"])), [[1, 1]])


def test_ngrams():
    layer = adapted(["a b c"], ngrams=2)
    # all five tokens occur once: reverse order of "a" < "a b" < "b" < "b c" < "c"
    assert layer.get_vocabulary() == ["", "[UNK]", "c", "b c", "b", "a b", "a"]
    np.testing.assert_array_equal(values(layer("a b c")), [6, 4, 2, 5, 3])  # 1-grams, 2-grams
    bigrams = adapted(["a b c"], ngrams=(2,))
    assert bigrams.get_vocabulary() == ["", "[UNK]", "b c", "a b"]


@pytest.mark.parametrize(
    ("standardize", "tokens"),
    [
        ("lower_and_strip_punctuation", ["its", "ok"]),  # the apostrophe goes too, as Keras
        ("lower", ["it's,", "ok!"]),
        ("strip_punctuation", ["Its", "OK"]),
        (None, ["It's,", "OK!"]),
        (lambda s: s.upper(), ["IT'S,", "OK!"]),
    ],
)
def test_standardize(standardize, tokens):
    layer = TextVectorization(standardize=standardize, vocabulary=tokens)
    np.testing.assert_array_equal(values(layer(["It's, OK!"])), [[2, 3]])


def test_split_character_none_and_callable():
    chars = adapted(["abca"], split="character")
    assert chars.get_vocabulary() == ["", "[UNK]", "a", "c", "b"]
    np.testing.assert_array_equal(values(chars(["cab"])), [[3, 2, 4]])
    whole = TextVectorization(split=None, vocabulary=["new york", "paris"])
    np.testing.assert_array_equal(values(whole(["New York", "Rome", ""])), [2, 1, 0])
    np.testing.assert_array_equal(values(whole([["paris", "new york"]])), [[3, 2]])
    dashes = TextVectorization(
        standardize="lower", split=lambda s: s.split("-"), vocabulary=["a", "b"]
    )
    np.testing.assert_array_equal(values(dashes(["b-a-c"])), [[3, 2, 1]])


# ----- vector modes ------------------------------------------------------------------------------


def test_multi_hot_and_count_put_oov_in_column_0():
    data = ["the cat sat", "the cat", "the dog"]
    multi = adapted(data, output_mode="multi_hot")
    assert multi.get_vocabulary() == ["[UNK]", "the", "cat", "sat", "dog"]
    out = multi(["the the cat bird fish", "dog"])
    assert out.dtype == np.float32 and out.shape == (2, 5)
    np.testing.assert_array_equal(values(out), [[1, 1, 1, 0, 0], [0, 0, 0, 0, 1]])
    count = adapted(data, output_mode="count")
    np.testing.assert_array_equal(values(count(["the the cat bird fish"])), [[2, 2, 1, 0, 0]])
    np.testing.assert_array_equal(values(count("dog dog")), [0, 0, 0, 0, 2])
    assert count.compute_output_shape((None,)) == (None, 5)


def test_tf_idf_uses_log_one_plus_documents_over_one_plus_document_count():
    layer = adapted(["a a b", "a c"], output_mode="tf_idf")
    assert layer.get_vocabulary() == ["[UNK]", "a", "c", "b"]
    idf_a = math.log(1 + 2 / (1 + 2))
    idf_bc = math.log(1 + 2 / (1 + 1))
    idf_oov = (idf_a + 2 * idf_bc) / 3  # the mean of the learned weights
    out = values(layer(["a a c d"]))
    np.testing.assert_allclose(out, [[idf_oov, 2 * idf_a, idf_bc, 0]], rtol=1e-6)
    assert layer.get_config()["idf_weights"] == pytest.approx([idf_oov, idf_a, idf_bc, idf_bc])


def test_tf_idf_with_given_vocabulary_and_weights():
    layer = TextVectorization(output_mode="tf_idf", vocabulary=["x", "y"], idf_weights=[1.0, 3.0])
    np.testing.assert_allclose(values(layer(["y y z"])), [[2.0, 0.0, 6.0]])
    full = TextVectorization(
        output_mode="tf_idf", vocabulary=["[UNK]", "x"], idf_weights=[0.5, 1.0]
    )
    np.testing.assert_allclose(values(full(["q x"])), [[0.5, 1.0]])


def test_pad_to_max_tokens_widens_the_vector_modes():
    layer = adapted(["a b", "a"], output_mode="tf_idf", max_tokens=6, pad_to_max_tokens=True)
    out = values(layer(["a b"]))
    assert out.shape == (1, 6)
    np.testing.assert_allclose(out[0, 3:], 0)
    multi = TextVectorization(output_mode="multi_hot", max_tokens=4, pad_to_max_tokens=True)
    np.testing.assert_array_equal(values(multi(["unadapted"])), [[1, 0, 0, 0]])


def test_vector_modes_need_a_vocabulary_first():
    with pytest.raises(RuntimeError, match="adapt"):
        TextVectorization(output_mode="multi_hot")(["a"])


# ----- adapt -------------------------------------------------------------------------------------


def test_adapt_accepts_arrays_datasets_and_generators():
    from_array = adapted(np.array([[s] for s in BOOK]))
    from_batches = adapted([np.array(BOOK[:2]), np.array(BOOK[2:])].__iter__())
    from_bytes = adapted([s.encode() for s in BOOK])
    assert from_array.get_vocabulary() == BOOK_VOCAB
    assert from_batches.get_vocabulary() == BOOK_VOCAB
    assert from_bytes.get_vocabulary() == BOOK_VOCAB
    first_batch_only = TextVectorization()
    first_batch_only.adapt(iter([["zz zz"], ["yy"]]), steps=1)
    assert first_batch_only.get_vocabulary() == ["", "[UNK]", "zz"]
    first_batch_only.adapt(["new words"])  # adapting again replaces the vocabulary
    assert first_batch_only.get_vocabulary() == ["", "[UNK]", "words", "new"]


def test_adapt_errors():
    with pytest.raises(TypeError, match="single string"):
        TextVectorization().adapt("one review")
    with pytest.raises(TypeError, match=r"map\(lambda x, y: x\)"):
        TextVectorization().adapt(iter([(np.array(["a"]), np.array([1]))]))
    with pytest.raises(TypeError, match="dtype float64"):
        TextVectorization().adapt(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="int"):
        TextVectorization().adapt(["fine", 3])


# ----- given vocabularies ------------------------------------------------------------------------


def test_set_vocabulary_with_or_without_special_tokens_and_from_a_file(tmp_path):
    plain = TextVectorization(vocabulary=["cat", "dog"])
    assert plain.get_vocabulary() == ["", "[UNK]", "cat", "dog"]
    same = TextVectorization(vocabulary=["", "[UNK]", "cat", "dog"])
    assert same.get_vocabulary() == plain.get_vocabulary()
    path = tmp_path / "vocab.txt"
    path.write_text("cat\ndog\n")
    from_file = TextVectorization(vocabulary=str(path))
    assert from_file.get_vocabulary() == plain.get_vocabulary()
    multi = TextVectorization(output_mode="count", vocabulary=np.array(["cat", "dog"]))
    assert multi.get_vocabulary() == ["[UNK]", "cat", "dog"]


def test_set_vocabulary_errors():
    with pytest.raises(ValueError, match="repeat"):
        TextVectorization(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match="index 1"):
        TextVectorization(vocabulary=["a", ""])
    with pytest.raises(ValueError, match="max_tokens=3"):
        TextVectorization(max_tokens=3, vocabulary=["a", "b"])
    with pytest.raises(ValueError, match="empty vocabulary"):
        TextVectorization(vocabulary=[])
    with pytest.raises(ValueError, match="idf_weights must be set"):
        TextVectorization(output_mode="tf_idf", vocabulary=["a"])
    with pytest.raises(ValueError, match="one weight per vocabulary entry"):
        TextVectorization(output_mode="tf_idf", vocabulary=["a"], idf_weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="only be set in output_mode='tf_idf'"):
        TextVectorization(vocabulary=["a"], idf_weights=[1.0])


# ----- inputs, configuration, models -----------------------------------------------------------


def test_input_forms_and_errors():
    layer = adapted()
    want = [[7, 3]]
    np.testing.assert_array_equal(values(layer(("i write",))), want)
    np.testing.assert_array_equal(values(layer(Tensor(np.array(["i write"])))), want)
    np.testing.assert_array_equal(values(layer(np.array([b"i write"]))), want)
    with pytest.raises(ValueError, match=r"shape \(1, 2\)"):
        layer(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="dtype float32"):
        layer(np.zeros(3, dtype="float32"))
    with pytest.raises(TypeError, match="int"):
        layer(["ok", 5])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"output_mode": "binary"}, "output_mode='binary'"),
        ({"output_mode": "count", "output_sequence_length": 3}, "output_sequence_length=3"),
        ({"output_sequence_length": 0}, "output_sequence_length=0"),
        ({"max_tokens": 1}, "max_tokens=1"),
        ({"ngrams": 0}, "ngrams=0"),
        ({"ngrams": 2, "split": None}, "split=None"),
        ({"standardize": "upper"}, "standardize='upper'"),
        ({"split": "comma"}, "split='comma'"),
        ({"output_mode": "multi_hot", "pad_to_max_tokens": True}, "max_tokens=None"),
        ({"ragged": True}, "ragged=True"),
        ({"units": 3}, "units"),
    ],
)
def test_constructor_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        TextVectorization(**kwargs)


def test_config_round_trip_keeps_the_vocabulary():
    for kwargs in ({"ngrams": 2, "output_sequence_length": 5}, {"output_mode": "tf_idf"}):
        layer = adapted(**kwargs)
        config = json.loads(json.dumps(layer.get_config()))
        clone = TextVectorization.from_config(config)
        assert clone.get_vocabulary() == layer.get_vocabulary()
        np.testing.assert_allclose(values(clone(BOOK)), values(layer(BOOK)))


def test_layer_contract():
    for kwargs, want, dtype in (
        ({"output_mode": "multi_hot"}, [[1, 1, 0], [1, 0, 1]], "float32"),
        ({"output_sequence_length": 3}, [[1, 2, 0], [1, 3, 0]], "int64"),
    ):
        run_layer_test(
            TextVectorization,
            {**kwargs, "vocabulary": ["cat", "dog"]},
            input_data=np.array([["the cat"], ["a dog"]]),
            expected_output=np.array(want),
            expected_output_dtype=dtype,
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
            run_symbolic=False,  # lamina.Input cannot make a string placeholder from '<U7'
            run_gradient_check=False,
            run_training=False,
        )


def test_inside_a_functional_model():
    layer = adapted(output_mode="multi_hot")
    inputs = lamina.Input(shape=(1,), dtype=str)
    features = layer(inputs)
    assert features.shape == (None, 12 - 1) and features.dtype == np.float32
    lamina.utils.set_random_seed(0)
    outputs = lamina.layers.Dense(1, activation="sigmoid")(features)
    model = lamina.Model(inputs, outputs)
    preds = model.predict(np.array([["erase then"], ["a poppy"]]), verbose=0)
    assert preds.shape == (2, 1)
    ints = adapted(output_sequence_length=4)(lamina.Input(shape=(1,), dtype=str))
    assert ints.shape == (None, 4) and ints.dtype == np.int64
