"""Inception V3 (Szegedy et al., 2015), as `keras.applications.inception_v3`."""

from typing import Any

from lamina.applications import imagenet_utils
from lamina.layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Concatenate,
    Conv2D,
    Dense,
    GlobalAveragePooling2D,
    MaxPooling2D,
)
from lamina.models import Model

_FILES = imagenet_utils.keras_weight_files(
    "inception_v3",
    "inception_v3",
    "9a0d58056eeedaa3f26cb7ebd46da564",
    "bcbd6486424b2319ff4ef7d526e38f63",
)


def InceptionV3(  # noqa: N802 - Keras's name
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "inception_v3",
) -> Model:
    """Instantiates Inception V3, with Keras's layers (23,851,784 parameters).

    Like Keras, only the modules (`mixed0` to `mixed10`) and the top are named; the other
    layers take automatic names, and Keras's weight files load by topology.

    Args:
        include_top: whether to include the classifier (global average pooling and Dense).
        weights: `None` (seeded random initialization), `"imagenet"` (Keras's published file,
            fetched as `imagenet_utils.get_keras_file` says), or the path of a Keras
            `.h5` / `.weights.h5` file.
        input_tensor: a symbolic tensor (e.g. `keras.Input`) to use as the image input.
        input_shape: `(height, width, channels)`, at least 75x75; only without the top
            (with it and ImageNet weights, `(299, 299, 3)`).
        pooling: without the top, `None` (4-D output), `"avg"` or `"max"` (global pooling).
        classes: the number of classes, with the top (1000 for ImageNet weights).
        classifier_activation: the top layer's activation (`"softmax"` or None with weights).
        name: the model's name.

    Returns:
        A functional `Model`. Its input expects `inception_v3.preprocess_input`'s output.

    Example:
    >>> model = InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))
    >>> model.output.shape
    (None, 1, 1, 2048)
    """
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=75, require_flatten=include_top, weights=weights
    )
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = _conv_bn(img_input, 32, 3, 3, strides=2, padding="valid")
    x = _conv_bn(x, 32, 3, 3, padding="valid")
    x = _conv_bn(x, 64, 3, 3)
    x = MaxPooling2D(3, strides=2)(x)
    x = _conv_bn(x, 80, 1, 1, padding="valid")
    x = _conv_bn(x, 192, 3, 3, padding="valid")
    x = MaxPooling2D(3, strides=2)(x)
    for index, pool_filters in enumerate((32, 64, 64)):
        x = _module_a(x, pool_filters, f"mixed{index}")
    x = _reduction_a(x)
    for index, filters in enumerate((128, 160, 160, 192), 4):
        x = _module_b(x, filters, f"mixed{index}")
    x = _reduction_b(x)
    for index in range(2):
        x = _module_c(x, index)
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


def _conv_bn(
    x: Any, filters: int, rows: int, cols: int, strides: int = 1, padding: str = "same"
) -> Any:
    """Convolution without bias, batch norm without scale, ReLU: Keras's `conv2d_bn`."""
    x = Conv2D(filters, (rows, cols), strides=strides, padding=padding, use_bias=False)(x)
    x = BatchNormalization(scale=False)(x)
    return Activation("relu")(x)


def _pool_branch(x: Any, filters: int) -> Any:
    x = AveragePooling2D(3, strides=1, padding="same")(x)
    return _conv_bn(x, filters, 1, 1)


def _module_a(x: Any, pool_filters: int, name: str) -> Any:
    branch1x1 = _conv_bn(x, 64, 1, 1)
    branch5x5 = _conv_bn(_conv_bn(x, 48, 1, 1), 64, 5, 5)
    branch3x3dbl = _conv_bn(_conv_bn(_conv_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    branch_pool = _pool_branch(x, pool_filters)
    return Concatenate(name=name)([branch1x1, branch5x5, branch3x3dbl, branch_pool])


def _reduction_a(x: Any) -> Any:
    branch3x3 = _conv_bn(x, 384, 3, 3, strides=2, padding="valid")
    branch3x3dbl = _conv_bn(_conv_bn(x, 64, 1, 1), 96, 3, 3)
    branch3x3dbl = _conv_bn(branch3x3dbl, 96, 3, 3, strides=2, padding="valid")
    branch_pool = MaxPooling2D(3, strides=2)(x)
    return Concatenate(name="mixed3")([branch3x3, branch3x3dbl, branch_pool])


def _module_b(x: Any, filters: int, name: str) -> Any:
    """Factorized 7x7 convolutions (1x7 then 7x1) with `filters` inner channels."""
    branch1x1 = _conv_bn(x, 192, 1, 1)
    branch7x7 = _conv_bn(_conv_bn(x, filters, 1, 1), filters, 1, 7)
    branch7x7 = _conv_bn(branch7x7, 192, 7, 1)
    branch7x7dbl = _conv_bn(x, filters, 1, 1)
    for rows, cols in ((7, 1), (1, 7), (7, 1)):
        branch7x7dbl = _conv_bn(branch7x7dbl, filters, rows, cols)
    branch7x7dbl = _conv_bn(branch7x7dbl, 192, 1, 7)
    branch_pool = _pool_branch(x, 192)
    return Concatenate(name=name)([branch1x1, branch7x7, branch7x7dbl, branch_pool])


def _reduction_b(x: Any) -> Any:
    branch3x3 = _conv_bn(_conv_bn(x, 192, 1, 1), 320, 3, 3, strides=2, padding="valid")
    branch7x7x3 = _conv_bn(_conv_bn(_conv_bn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1)
    branch7x7x3 = _conv_bn(branch7x7x3, 192, 3, 3, strides=2, padding="valid")
    branch_pool = MaxPooling2D(3, strides=2)(x)
    return Concatenate(name="mixed8")([branch3x3, branch7x7x3, branch_pool])


def _module_c(x: Any, index: int) -> Any:
    """Expanded filter banks: 1x3 and 3x1 convolutions side by side."""
    branch1x1 = _conv_bn(x, 320, 1, 1)
    branch3x3 = _conv_bn(x, 384, 1, 1)
    branch3x3 = Concatenate(name=f"mixed9_{index}")(
        [_conv_bn(branch3x3, 384, 1, 3), _conv_bn(branch3x3, 384, 3, 1)]
    )
    branch3x3dbl = _conv_bn(_conv_bn(x, 448, 1, 1), 384, 3, 3)
    branch3x3dbl = Concatenate()(
        [_conv_bn(branch3x3dbl, 384, 1, 3), _conv_bn(branch3x3dbl, 384, 3, 1)]
    )
    branch_pool = _pool_branch(x, 192)
    return Concatenate(name=f"mixed{9 + index}")([branch1x1, branch3x3, branch3x3dbl, branch_pool])


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales pixels from [0, 255] to [-1, 1] (`"tf"` mode of `imagenet_utils`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
