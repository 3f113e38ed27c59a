"""Xception (Chollet, 2017), as `keras.applications.xception`."""

from typing import Any

from lamina.applications import imagenet_utils
from lamina.layers import (
    Activation,
    Add,
    BatchNormalization,
    Conv2D,
    Dense,
    GlobalAveragePooling2D,
    MaxPooling2D,
    SeparableConv2D,
)
from lamina.models import Model

_FILES = imagenet_utils.keras_weight_files(
    "xception", "xception", "0a58e3b7378bc2990ea3b43d5981f1f6", "b0042744bf5b25fce3cb969f33bebb97"
)


def Xception(  # noqa: N802 - Keras's name
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "xception",
) -> Model:
    """Instantiates the Xception model, with Keras's layer names (22,910,480 parameters).

    Args:
        include_top: whether to include the classifier (global average pooling and Dense).
        weights: `None` (seeded random initialization), `"imagenet"` (Keras's published file,
            fetched as `imagenet_utils.get_keras_file` says), or the path of a Keras
            `.h5` / `.weights.h5` file.
        input_tensor: a symbolic tensor (e.g. `keras.Input`) to use as the image input.
        input_shape: `(height, width, channels)`, at least 71x71; only without the top
            (with it and ImageNet weights, `(299, 299, 3)`).
        pooling: without the top, `None` (4-D output), `"avg"` or `"max"` (global pooling).
        classes: the number of classes, with the top (1000 for ImageNet weights).
        classifier_activation: the top layer's activation (`"softmax"` or None with weights).
        name: the model's name.

    Returns:
        A functional `Model`. Its input expects `xception.preprocess_input`'s output.

    Example:
    >>> model = Xception(weights=None, include_top=False, input_shape=(71, 71, 3))
    >>> model.output.shape
    (None, 3, 3, 2048)
    """
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=71, require_flatten=include_top, weights=weights
    )
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = Conv2D(32, 3, strides=2, use_bias=False, name="block1_conv1")(img_input)
    x = BatchNormalization(name="block1_conv1_bn")(x)
    x = Activation("relu", name="block1_conv1_act")(x)
    x = Conv2D(64, 3, use_bias=False, name="block1_conv2")(x)
    x = BatchNormalization(name="block1_conv2_bn")(x)
    x = Activation("relu", name="block1_conv2_act")(x)
    # Entry flow and block 13: two separable convolutions, then a strided residual sum.
    for block, filters in ((2, (128, 128)), (3, (256, 256)), (4, (728, 728))):
        x = _downsampling_block(x, block, filters, first_activation=block != 2)
    for block in range(5, 13):  # middle flow
        residual = x
        for conv in (1, 2, 3):
            x = _separable(x, 728, f"block{block}_sepconv{conv}", act_first=True)
        x = Add()([x, residual])
    x = _downsampling_block(x, 13, (728, 1024), first_activation=True)
    x = _separable(x, 1536, "block14_sepconv1", act_first=False)
    x = _separable(x, 2048, "block14_sepconv2", act_first=False)
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pool(x, pooling)
    inputs = img_input if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    model = Model(inputs, x, name=name)
    imagenet_utils.load_weights(model, weights, _FILES[include_top])
    return model


def _separable(x: Any, filters: int, name: str, act_first: bool) -> Any:
    """ReLU, separable 3x3 convolution and batch norm (the ReLU last when `act_first` is off)."""
    if act_first:
        x = Activation("relu", name=f"{name}_act")(x)
    x = SeparableConv2D(filters, 3, padding="same", use_bias=False, name=name)(x)
    x = BatchNormalization(name=f"{name}_bn")(x)
    if not act_first:
        x = Activation("relu", name=f"{name}_act")(x)
    return x


def _downsampling_block(
    x: Any, block: int, filters: tuple[int, int], first_activation: bool
) -> Any:
    """Two separable convolutions and a strided max pooling, plus a 1x1 strided shortcut."""
    residual = Conv2D(filters[1], 1, strides=2, padding="same", use_bias=False)(x)
    residual = BatchNormalization()(residual)
    prefix = f"block{block}"
    if first_activation:
        x = Activation("relu", name=f"{prefix}_sepconv1_act")(x)
    x = SeparableConv2D(filters[0], 3, padding="same", use_bias=False, name=f"{prefix}_sepconv1")(x)
    x = BatchNormalization(name=f"{prefix}_sepconv1_bn")(x)
    x = _separable(x, filters[1], f"{prefix}_sepconv2", act_first=True)
    x = MaxPooling2D(3, strides=2, padding="same", name=f"{prefix}_pool")(x)
    return Add()([x, residual])


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales pixels from [0, 255] to [-1, 1] (`"tf"` mode of `imagenet_utils`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
