"""Conv1D/Conv2D and the pooling layers: harness, Keras's parameter counts, bad input."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.testing import run_layer_test


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filters": 3, "kernel_size": 3},
        {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"},
        {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "activation": "tanh"},
        {"filters": 4, "kernel_size": 3, "groups": 2, "padding": "same"},
    ],
)
def test_conv2d_layer(kwargs):
    run_layer_test(
        layers.Conv2D,
        init_kwargs=kwargs,
        input_shape=(2, 6, 5, 2),
        expected_num_trainable_weights=2,
    )


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_conv1d_layer(padding):
    run_layer_test(
        layers.Conv1D,
        init_kwargs={"filters": 3, "kernel_size": 3, "padding": padding, "dilation_rate": 2},
        input_shape=(2, 7, 2),
        expected_num_trainable_weights=2,
    )


def test_conv1d_causal_sees_only_the_past():
    layer = layers.Conv1D(1, 3, padding="causal", kernel_initializer="ones", use_bias=False)
    x = np.zeros((1, 5, 1), "float32")
    x[0, 3, 0] = 1.0
    np.testing.assert_array_equal(layer(x).numpy()[0, :, 0], [0, 0, 0, 1, 1])


@pytest.mark.parametrize(
    "cls,kwargs,shape",
    [
        (layers.MaxPooling2D, {}, (2, 4, 5, 2)),
        (layers.MaxPooling2D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 5, 5, 2)),
        (layers.AveragePooling2D, {"padding": "same"}, (2, 5, 5, 2)),
        (layers.MaxPooling1D, {"pool_size": 3, "strides": 1}, (2, 6, 2)),
        (layers.AveragePooling1D, {}, (2, 6, 2)),
        (layers.GlobalMaxPooling2D, {}, (2, 3, 4, 2)),
        (layers.GlobalAveragePooling2D, {"keepdims": True}, (2, 3, 4, 2)),
        (layers.GlobalMaxPooling1D, {"data_format": "channels_first"}, (2, 3, 4)),
        (layers.GlobalAveragePooling1D, {}, (2, 3, 4)),
    ],
)
def test_pooling_layers(cls, kwargs, shape):
    run_layer_test(cls, init_kwargs=kwargs, input_shape=shape, expected_num_trainable_weights=0)


def test_keras_aliases():
    assert layers.Convolution2D is layers.Conv2D and layers.MaxPool2D is layers.MaxPooling2D


def _book_convnet():
    inputs = lamina.Input((28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    base = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.Flatten()(base)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return lamina.Model(inputs, base), lamina.Model(inputs, outputs)


def test_book_mnist_convnet_has_keras_parameter_counts():
    base, model = _book_convnet()
    assert base.output.shape == (None, 3, 3, 64)
    assert base.count_params() == 55_744
    assert model.count_params() == 93_322


def test_28x28_image_without_channel_axis_says_so():
    with pytest.raises(ValueError, match=r"Conv2D .*lack the channel axis.*expand_dims"):
        layers.Conv2D(4, 3)(np.zeros((2, 28, 28), "float32"))


def test_channels_that_do_not_match_the_built_weights():
    layer = layers.Conv2D(4, 3)
    layer(np.zeros((1, 5, 5, 2), "float32"))
    with pytest.raises(ValueError, match=r"Conv2D .*built for inputs with 2 channels"):
        layer(np.zeros((1, 5, 5, 3), "float32"))


def test_kernel_larger_than_a_valid_input():
    with pytest.raises(ValueError, match=r"Conv2D .*larger than the input"):
        layers.Conv2D(4, 5)(np.zeros((1, 3, 3, 1), "float32"))
    with pytest.raises(ValueError, match=r"MaxPooling2D .*larger than the input"):
        layers.MaxPooling2D(3)(lamina.Input((2, 2, 1)))


def test_channels_first_data_into_a_channels_last_layer():
    with pytest.raises(ValueError, match=r"Conv2D .*look channels_first"):
        layers.Conv2D(4, 3)(np.zeros((1, 3, 32, 32), "float32"))
