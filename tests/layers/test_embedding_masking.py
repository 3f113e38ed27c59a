"""Embedding, Masking and how a mask travels from the layer that makes it to those that use it."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.testing import run_layer_test


def test_embedding_passes_the_layer_contract():
    ids = np.array([[1, 2, 0], [4, 3, 3]])
    run_layer_test(
        layers.Embedding,
        {"input_dim": 5, "output_dim": 3},
        input_data=ids,
        expected_output_shape=(2, 3, 3),
        expected_num_trainable_weights=1,
        run_gradient_check=False,  # ids are not differentiable; the op registry checks the table
    )


def test_embedding_gathers_rows_and_accumulates_repeated_ids():
    layer = layers.Embedding(4, 2)
    ids = np.array([[1, 1, 3]])
    with lamina.GradientTape() as tape:
        out = layer(ids)
        loss = lamina.ops.sum(out)
    np.testing.assert_array_equal(out.numpy()[0], layer.embeddings.numpy()[[1, 1, 3]])
    grad = tape.gradient(loss, layer.embeddings).numpy()
    np.testing.assert_array_equal(grad, [[0, 0], [2, 2], [0, 0], [1, 1]])


def test_embedding_defaults_and_keras2_input_length():
    layer = layers.Embedding(10, 4, input_length=7)
    assert layer.get_config()["batch_input_shape"] == [None, 7]
    assert layer.get_config()["embeddings_initializer"]["class_name"] == "RandomUniform"
    model = lamina.Sequential([layers.Embedding(10000, 32, input_length=500)])
    assert model.count_params() == 320_000


def test_embedding_errors_name_the_bad_id_and_its_position():
    layer = layers.Embedding(3, 2)
    with pytest.raises(IndexError, match=r"ids\[0, 2\]=7.*input_dim"):
        layer(np.array([[0, 1, 7]]))
    with pytest.raises(TypeError, match=r"ids\[0\]=0\.5"):
        layer(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="input_dim"):
        layers.Embedding(0, 2)


def test_mask_zero_makes_a_mask_the_next_layer_receives():
    seen = {}

    class Probe(layers.Layer):
        supports_masking = True

        def call(self, inputs, mask=None):
            seen["mask"] = None if mask is None else np.asarray(mask)
            return inputs

    inputs = lamina.Input(shape=(3,), dtype="int64")
    x = layers.Embedding(5, 2, mask_zero=True)(inputs)
    model = lamina.Model(inputs, Probe()(x))
    out = model(np.array([[3, 0, 1]]))
    np.testing.assert_array_equal(seen["mask"], [[True, False, True]])
    np.testing.assert_array_equal(np.asarray(out._keras_mask), [[True, False, True]])
    assert layers.Embedding(5, 2)(np.array([[0]])).__class__ is lamina.Tensor
    assert getattr(layers.Embedding(5, 2)(np.array([[0]])), "_keras_mask", None) is None


def test_a_layer_without_mask_support_stops_the_mask_with_keras_3s_warning():
    x = layers.Embedding(5, 2, mask_zero=True)(np.array([[1, 0]]))
    assert x._keras_mask is not None
    with pytest.warns(UserWarning, match="'flat' .*does not support masking"):
        out = layers.Flatten(name="flat")(x)
    assert getattr(out, "_keras_mask", None) is None


def test_masking_zeroes_and_masks_the_padded_steps():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]], "float32")
    out = layers.Masking(mask_value=0.0)(x)
    np.testing.assert_array_equal(np.asarray(out._keras_mask), [[True, False, True]])
    np.testing.assert_array_equal(out.numpy(), x)
    out = layers.Masking(mask_value=1.0)(x)
    np.testing.assert_array_equal(out.numpy()[0, 0], [1.0, 2.0])
    run_layer_test(
        layers.Masking,
        {"mask_value": 0.0},
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=0,
    )
