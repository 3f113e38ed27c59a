"""TimeDistributed: one layer applied to every time step, its shapes, masks and saving."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.saving.keras_layout import keras_slots
from lamina.testing import run_layer_test

X = np.random.default_rng(0).standard_normal((2, 4, 3)).astype("float32")


def _dense(dtype=None):
    return layers.TimeDistributed(layers.Dense(5, dtype=dtype), dtype=dtype)


def _conv(dtype=None):
    return layers.TimeDistributed(layers.Conv2D(2, 3, dtype=dtype), dtype=dtype)


def test_time_distributed_dense_passes_the_layer_contract():
    run_layer_test(
        _dense,
        input_shape=(2, 4, 3),
        expected_output_shape=(2, 4, 5),
        expected_num_trainable_weights=2,
    )


def test_time_distributed_conv2d_passes_the_layer_contract():
    run_layer_test(
        _conv,
        input_shape=(2, 3, 5, 5, 1),
        expected_output_shape=(2, 3, 3, 3, 2),
        expected_num_trainable_weights=2,
    )


def test_each_step_gets_the_layer_with_the_same_weights():
    layer = layers.TimeDistributed(layers.Dense(5, activation="relu"), name="td")
    out = layer(X).numpy()
    inner = layer.layer
    for t in range(X.shape[1]):
        np.testing.assert_allclose(out[:, t], inner(X[:, t]).numpy(), rtol=1e-6)
    assert [w.path for w in layer.weights] == [f"td/{inner.name}/kernel", f"td/{inner.name}/bias"]
    assert layer.compute_output_shape((None, None, 3)) == (None, None, 5)


def test_a_mask_is_passed_on_and_reaches_a_layer_that_takes_one():
    inputs = lamina.Input((4,), dtype="int32")
    embedded = layers.Embedding(10, 3, mask_zero=True)(inputs)
    out = layers.TimeDistributed(layers.Dense(2))(embedded)
    lstm_out = layers.LSTM(2)(out)
    model = lamina.Model(inputs, lstm_out)
    ids = np.array([[1, 2, 0, 0], [3, 4, 5, 6]])
    # The LSTM sees the Embedding's mask through TimeDistributed: padding changes nothing.
    np.testing.assert_allclose(model(ids).numpy()[:1], model(ids[:1, :2]).numpy(), rtol=1e-5)

    class Counts(layers.Layer):
        def call(self, x, mask=None):
            return ops.cast(ops.expand_dims(mask, -1), x.dtype) * x

    ops = lamina.ops
    mask = np.array([[True, False, True, True], [False] * 4])
    wrapped = layers.TimeDistributed(Counts())
    got = wrapped(ops.convert_to_tensor(X), mask=ops.convert_to_tensor(mask))
    np.testing.assert_array_equal(got.numpy(), X * mask[..., None])
    np.testing.assert_array_equal(np.asarray(got._keras_mask), mask)


def test_bad_inputs_name_the_layer_and_the_value():
    with pytest.raises(ValueError, match=r"at least 3 dimensions.*input_shape=\(2, 3\)"):
        layers.TimeDistributed(layers.Dense(2), name="td")(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="wraps a lamina Layer. Received: layer=3"):
        layers.TimeDistributed(3)
    with pytest.raises(ValueError, match=r"mask must start with.*mask.shape=\(2, 3\)"):
        layers.TimeDistributed(layers.Masking())(X, mask=np.ones((2, 3), bool))


def _model():
    model = lamina.Sequential([lamina.Input((4, 3))])
    model.add(layers.TimeDistributed(layers.Dense(5)))
    model.add(layers.TimeDistributed(layers.Dense(1)))
    return model


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_save_and_load_give_the_same_outputs(tmp_path, suffix):
    model = _model()
    expected = model.predict(X, verbose=0)
    path = tmp_path / f"m{suffix}"
    if suffix == ".keras":
        model.save(path)
        loaded = lamina.saving.load_model(path)
        assert [type(layer).__name__ for layer in loaded.layers] == ["TimeDistributed"] * 2
    else:
        model.save_weights(path)
        loaded = _model()
        loaded.load_weights(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), expected, rtol=1e-6)
    paths = [s.path for s in keras_slots(model) if s.variables]
    assert paths == ["layers/time_distributed/layer", "layers/time_distributed_1/layer"]
