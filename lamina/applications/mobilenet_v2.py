"""MobileNetV2 (Sandler et al., 2018), as `keras.applications.mobilenet_v2`."""

import warnings
from typing import Any

from lamina.applications import imagenet_utils
from lamina.layers import (
    Add,
    BatchNormalization,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    GlobalAveragePooling2D,
    ReLU,
    ZeroPadding2D,
)
from lamina.models import Model

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
_SIZES = (96, 128, 160, 192, 224)
# (filters, stride, expansion) of the inverted residual blocks 0 to 16.
_BLOCKS = (
    [(16, 1, 1), (24, 2, 6), (24, 1, 6)]
    + [(32, 2, 6)] + [(32, 1, 6)] * 2
    + [(64, 2, 6)] + [(64, 1, 6)] * 3
    + [(96, 1, 6)] * 3
    + [(160, 2, 6)] + [(160, 1, 6)] * 2
    + [(320, 1, 6)]
)  # fmt: skip


def MobileNetV2(  # noqa: N802 - Keras's name
    input_shape: Any = None,
    alpha: float = 1.0,
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str | None = None,
) -> Model:
    """Instantiates MobileNetV2, with Keras's layer names (3,538,984 parameters at alpha 1).

    Args:
        input_shape: `(height, width, channels)`, at least 32x32; Keras publishes ImageNet
            weights for square inputs of 96, 128, 160, 192 and 224.
        alpha: the width multiplier of every layer (0.35, 0.5, 0.75, 1.0, 1.3 or 1.4 for
            ImageNet weights).
        include_top: whether to include the classifier (global average pooling and Dense).
        weights: `None` (seeded random initialization), `"imagenet"` (Keras's published file,
            fetched as `imagenet_utils.get_keras_file` says), or the path of a Keras
            `.h5` / `.weights.h5` file.
        input_tensor: a symbolic tensor (e.g. `keras.Input`) to use as the image input.
        pooling: without the top, `None` (4-D output), `"avg"` or `"max"` (global pooling).
        classes: the number of classes, with the top (1000 for ImageNet weights).
        classifier_activation: the top layer's activation (`"softmax"` or None with weights).
        name: the model's name; None for Keras's `mobilenetv2_<alpha>_<rows>`.

    Returns:
        A functional `Model`. Its input expects `mobilenet_v2.preprocess_input`'s output.

    Example:
    >>> model = MobileNetV2(weights=None, alpha=0.35, input_shape=(96, 96, 3), classes=10)
    >>> model.output.shape
    (None, 10)
    """
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    if input_shape is None and input_tensor is not None:
        input_shape = tuple(input_tensor.shape[1:])
    default_size = 224
    if input_shape is not None and input_shape[0] == input_shape[1] in _SIZES:
        default_size = input_shape[0]
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, min_size=32, require_flatten=include_top, weights=weights
    )
    rows = input_shape[0]
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise ValueError(
                f"With ImageNet weights, `alpha` must be one of {_ALPHAS}. Received: {alpha=}"
            )
        if rows != input_shape[1] or rows not in _SIZES:
            rows = 224
            warnings.warn(
                f"`input_shape` is undefined or non-square, or `rows` is not in {_SIZES}. "
                "Weights for input shape (224, 224) will be loaded as the default.",
                stacklevel=2,
            )
    img_input = imagenet_utils.image_input(input_tensor, input_shape)

    x = Conv2D(
        _make_divisible(32 * alpha, 8), 3, strides=2, padding="same", use_bias=False, name="Conv1"
    )(img_input)
    x = BatchNormalization(epsilon=1e-3, momentum=0.999, name="bn_Conv1")(x)
    x = ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    last_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = Conv2D(last_filters, 1, use_bias=False, name="Conv_1")(x)
    x = BatchNormalization(epsilon=1e-3, momentum=0.999, name="Conv_1_bn")(x)
    x = ReLU(6.0, name="out_relu")(x)
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = GlobalAveragePooling2D()(x)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pool(x, pooling)
    inputs = img_input if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    model = Model(inputs, x, name=name or f"mobilenetv2_{alpha:0.2f}_{rows}")
    suffix = "" if include_top else "_no_top"
    file = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{suffix}.h5"
    # Keras publishes no hash for these files.
    imagenet_utils.load_weights(model, weights, (file, _BASE + file, None))
    return model


def _inverted_res_block(
    inputs: Any, expansion: int, stride: int, alpha: float, filters: int, block_id: int
) -> Any:
    """Expand (1x1), depthwise 3x3, project (1x1); a residual sum when the shapes agree."""
    in_channels = inputs.shape[-1]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = Conv2D(
            expansion * in_channels, 1, padding="same", use_bias=False, name=prefix + "expand"
        )(x)
        x = BatchNormalization(epsilon=1e-3, momentum=0.999, name=prefix + "expand_BN")(x)
        x = ReLU(6.0, name=prefix + "expand_relu")(x)
    if stride == 2:
        x = ZeroPadding2D(_correct_pad(x.shape[1:3]), name=prefix + "pad")(x)
    x = DepthwiseConv2D(
        3,
        strides=stride,
        use_bias=False,
        padding="same" if stride == 1 else "valid",
        name=prefix + "depthwise",
    )(x)
    x = BatchNormalization(epsilon=1e-3, momentum=0.999, name=prefix + "depthwise_BN")(x)
    x = ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = Conv2D(pointwise_filters, 1, padding="same", use_bias=False, name=prefix + "project")(x)
    x = BatchNormalization(epsilon=1e-3, momentum=0.999, name=prefix + "project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return Add(name=prefix + "add")([inputs, x])
    return x


def _make_divisible(v: float, divisor: int) -> int:
    """`v` rounded to a multiple of `divisor`, at least `divisor`, and not below 0.9 * v."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _correct_pad(size: tuple) -> tuple:
    """The padding before a stride-2 3x3 convolution that makes it match "same" padding."""
    adjust = [1 if s is None else 1 - s % 2 for s in size]
    return ((1 - adjust[0], 1), (1 - adjust[1], 1))


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Scales pixels from [0, 255] to [-1, 1] (`"tf"` mode of `imagenet_utils`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


decode_predictions = imagenet_utils.decode_predictions
