"""Conv1D/2DTranspose, DepthwiseConv1D/2D, SeparableConv1D/2D: harness, Keras layouts and
parameter counts, output sizes, bad input."""

import numpy as np
import pytest

import lamina
from lamina import layers, ops
from lamina.testing import run_layer_test

VARIANTS_2D = [
    {"kernel_size": 3},
    {"kernel_size": (2, 3), "strides": 2, "padding": "same"},
    {"kernel_size": 2, "dilation_rate": 2, "activation": "tanh"},
    {"kernel_size": 3, "strides": (2, 1), "padding": "same", "use_bias": False},
    {"kernel_size": 2, "data_format": "channels_first"},
]


@pytest.mark.parametrize("kwargs", VARIANTS_2D)
def test_conv2d_transpose_layer(kwargs):
    weights = 1 if kwargs.get("use_bias") is False else 2
    run_layer_test(
        layers.Conv2DTranspose,
        init_kwargs={"filters": 3, **kwargs},
        input_shape=(2, 4, 5, 2),
        expected_num_trainable_weights=weights,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel_size": 3, "strides": 2, "output_padding": 1},
        {"kernel_size": 3, "strides": 3, "padding": "same", "output_padding": 2},
        {"kernel_size": 2, "dilation_rate": 2},
    ],
)
def test_conv1d_transpose_layer(kwargs):
    run_layer_test(
        layers.Conv1DTranspose,
        init_kwargs={"filters": 2, **kwargs},
        input_shape=(2, 5, 3),
        expected_num_trainable_weights=2,
    )


@pytest.mark.parametrize("kwargs", VARIANTS_2D)
def test_depthwise_conv2d_layer(kwargs):
    run_layer_test(
        layers.DepthwiseConv2D,
        init_kwargs={"depth_multiplier": 2, **kwargs},
        input_shape=(2, 5, 6, 3),
        expected_num_trainable_weights=1 if kwargs.get("use_bias") is False else 2,
    )


@pytest.mark.parametrize("kwargs", VARIANTS_2D)
def test_separable_conv2d_layer(kwargs):
    run_layer_test(
        layers.SeparableConv2D,
        init_kwargs={"filters": 4, "depth_multiplier": 2, **kwargs},
        input_shape=(2, 5, 6, 3),
        expected_num_trainable_weights=2 if kwargs.get("use_bias") is False else 3,
    )


@pytest.mark.parametrize("cls", [layers.DepthwiseConv1D, layers.SeparableConv1D])
@pytest.mark.parametrize(
    "kwargs", [{}, {"strides": 2, "padding": "same"}, {"dilation_rate": 2, "padding": "same"}]
)
def test_depthwise_and_separable_1d_layers(cls, kwargs):
    extra = {"filters": 3} if cls is layers.SeparableConv1D else {}
    run_layer_test(
        cls,
        init_kwargs={"kernel_size": 3, **extra, **kwargs},
        input_shape=(2, 7, 2),
        expected_num_trainable_weights=3 if extra else 2,
    )


def test_keras_weight_layouts_and_parameter_counts():
    x = np.zeros((1, 8, 8, 3), "float32")
    transpose = layers.Conv2DTranspose(16, (3, 2))
    depthwise = layers.DepthwiseConv2D(3, depth_multiplier=2)
    separable = layers.SeparableConv2D(16, 3, depth_multiplier=2)
    for layer in (transpose, depthwise, separable):
        layer(x)
    assert transpose.kernel.shape == (3, 2, 16, 3) and transpose.count_params() == 304
    assert depthwise.kernel.shape == (3, 3, 3, 2) and depthwise.count_params() == 60
    assert [w.name for w in separable.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert separable.pointwise_kernel.shape == (1, 1, 6, 16)
    assert separable.count_params() == 3 * 3 * 3 * 2 + 6 * 16 + 16


@pytest.mark.parametrize(
    "kwargs,size",
    [
        ({"strides": 2}, 11),  # 5 * 2 + max(3 - 2, 0)
        ({"strides": 2, "padding": "same"}, 10),
        ({"strides": 3, "output_padding": 1}, 16),  # (5 - 1) * 3 + 3 + 1
        ({"strides": 2, "padding": "same", "output_padding": 0}, 9),  # 4 * 2 + 3 - 2 * 1
        ({"dilation_rate": 2}, 9),
    ],
)
def test_transpose_output_sizes_are_keras(kwargs, size):
    layer = layers.Conv2DTranspose(2, 3, **kwargs)
    assert layer(np.zeros((1, 5, 5, 1), "float32")).shape == (1, size, size, 2)
    assert layer.compute_output_shape((None, 5, None, 1)) == (None, size, None, 2)


def test_transpose_is_the_adjoint_of_the_convolution():
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 3, 2, 4))
    x, y = rng.normal(size=(1, 7, 7, 2)), rng.normal(size=(1, 3, 3, 4))
    layer = layers.Conv2DTranspose(2, 3, strides=2, use_bias=False, dtype="float64")
    layer(y)
    layer.kernel.assign(kernel)
    # <conv(x), y> == <x, conv^T(y)>
    left = np.sum(ops.conv(x, kernel, 2).numpy() * y)
    np.testing.assert_allclose(left, np.sum(x * layer(y).numpy()))


def test_depthwise_output_channel_order_is_keras():
    x = np.ones((1, 3, 3, 2), "float32")
    x[..., 1] = 10.0
    layer = layers.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False)
    layer(x)
    layer.kernel.assign(np.stack([np.ones((3, 3, 2)), 2 * np.ones((3, 3, 2))], -1))
    # output channel c * depth_multiplier + j: input c, filter j
    np.testing.assert_allclose(layer(x).numpy().ravel(), [9, 18, 90, 180])


def test_separable_equals_depthwise_then_1x1_conv():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 6, 3)).astype("float32")
    separable = layers.SeparableConv2D(4, 3, depth_multiplier=2, padding="same")
    depthwise = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", use_bias=False)
    pointwise = layers.Conv2D(4, 1)
    separable(x), pointwise(depthwise(x))
    depthwise.set_weights([separable.get_weights()[0]])
    pointwise.set_weights(separable.get_weights()[1:])
    np.testing.assert_allclose(
        separable(x).numpy(), pointwise(depthwise(x)).numpy(), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: layers.Conv2DTranspose(0, 3), r"filters to be a positive integer"),
        (lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=2), "output_padding"),
        (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
        (lambda: layers.SeparableConv1D(2, 3, padding="causal"), "padding"),
        (lambda: layers.SeparableConv2D(2, 3, data_format="NHWC"), "data_format"),
    ],
)
def test_bad_config(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    "layer",
    [layers.Conv2DTranspose(2, 3), layers.DepthwiseConv2D(3), layers.SeparableConv2D(2, 3)],
    ids=["transpose", "depthwise", "separable"],
)
def test_bad_input_names_the_layer(layer):
    name = type(layer).__name__
    with pytest.raises(ValueError, match=rf"{name} .*lack the channel axis"):
        layer(np.zeros((2, 28, 28), "float32"))
    layer(np.zeros((1, 5, 5, 2), "float32"))
    with pytest.raises(ValueError, match=rf"{name} .*built for inputs with 2 channels"):
        layer(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=rf"{name} .*lack the channel axis"):
        layer(lamina.Input((5, 5)))


@pytest.mark.parametrize("cls", [layers.DepthwiseConv2D, layers.SeparableConv2D])
def test_kernel_larger_than_a_valid_input(cls):
    args = (5,) if cls is layers.DepthwiseConv2D else (2, 5)
    with pytest.raises(ValueError, match=rf"{cls.__name__} .*larger than the input"):
        cls(*args)(np.zeros((1, 3, 3, 1), "float32"))


def test_keras_aliases():
    assert layers.Convolution2DTranspose is layers.Conv2DTranspose
    assert layers.SeparableConvolution2D is layers.SeparableConv2D


@pytest.mark.parametrize(
    "layer",
    [
        layers.Conv2D(2, 3),
        layers.Conv2DTranspose(2, 3),
        layers.DepthwiseConv2D(3),
        layers.SeparableConv2D(2, 3),
        layers.MaxPooling2D(),
        layers.AveragePooling2D(),
        layers.GlobalMaxPooling2D(),
    ],
    ids=lambda layer: type(layer).__name__,
)
def test_errors_from_the_ops_name_the_layer(layer):
    text = np.full((1, 4, 4, 2), "a")
    with pytest.raises(TypeError, match=rf"^{type(layer).__name__} '{layer.name}': \w+: "):
        layer(text)
