"""A convnet holding every convolution and pooling layer survives `model.save`/`load_model`,
`.weights.safetensors` and Keras 3's `.weights.h5` with identical predictions."""

import h5py
import numpy as np
import pytest

import lamina
from lamina import layers


def _convnet():
    inputs = lamina.Input((12, 12, 3))
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(x)
    x = layers.SeparableConv2D(5, 3, strides=2, activation="relu")(x)
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="same")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.AveragePooling2D(2, padding="same")(x)
    image = [layers.GlobalMaxPooling2D()(x), layers.GlobalAveragePooling2D()(x)]
    s = layers.Reshape((-1, 4))(x)
    s = layers.Conv1D(3, 2, padding="causal")(s)
    s = layers.DepthwiseConv1D(2, padding="same")(s)
    s = layers.SeparableConv1D(4, 2, depth_multiplier=2, padding="same")(s)
    s = layers.Conv1DTranspose(3, 2, strides=2)(s)
    s = layers.MaxPooling1D(2)(s)
    s = layers.AveragePooling1D(2, strides=1)(s)
    steps = [layers.GlobalMaxPooling1D()(s), layers.GlobalAveragePooling1D()(s)]
    outputs = layers.Dense(2)(layers.Concatenate()(image + steps))
    return lamina.Model(inputs, outputs)


def _data():
    return np.random.default_rng(0).normal(size=(3, 12, 12, 3)).astype("float32")


@pytest.fixture
def model():
    lamina.utils.set_random_seed(0)
    return _convnet()


def test_model_file_round_trip(model, tmp_path):
    model.save(tmp_path / "m.keras")
    loaded = lamina.models.load_model(tmp_path / "m.keras")
    assert [type(a) for a in loaded.layers] == [type(b) for b in model.layers]
    np.testing.assert_array_equal(loaded.predict(_data()), model.predict(_data()))


@pytest.mark.parametrize("suffix", [".weights.safetensors", ".weights.h5"])
def test_weights_file_round_trip(model, tmp_path, suffix):
    path = tmp_path / f"m{suffix}"
    model.save_weights(path)
    lamina.utils.set_random_seed(1)
    fresh = _convnet()
    assert not np.array_equal(fresh.predict(_data()), model.predict(_data()))
    fresh.load_weights(path)
    np.testing.assert_array_equal(fresh.predict(_data()), model.predict(_data()))


def test_weights_h5_has_keras_groups_and_layouts(model, tmp_path):
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        group = f["layers"]
        assert group["conv2d_transpose/vars/0"].shape == (3, 3, 4, 5)  # (kh, kw, out, in)
        assert group["depthwise_conv2d/vars/0"].shape == (3, 3, 4, 2)  # (kh, kw, in, mult)
        separable = [group[f"separable_conv2d/vars/{i}"].shape for i in range(3)]
        assert separable == [(3, 3, 8, 1), (1, 1, 8, 5), (5,)]
        assert group["conv1d_transpose/vars/0"].shape == (2, 3, 4)
        assert group["separable_conv1d/vars/1"].shape == (1, 6, 4)
        assert list(group["max_pooling2d/vars"]) == []  # a group with no variables, as Keras
