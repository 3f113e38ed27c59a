"""ResNet50 (He et al., 2015), as `keras.applications.resnet50`."""

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
    ZeroPadding2D,
)
from lamina.models import Model

_FILES = imagenet_utils.keras_weight_files(
    "resnet", "resnet50", "2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"
)
_EPSILON = 1.001e-5  # Keras's, which its ImageNet statistics were saved with


def ResNet50(  # noqa: N802 - Keras's name
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet50",
) -> Model:
    """Instantiates the ResNet50 model, with Keras's layer names (25,636,712 parameters).

    Args:
        include_top: whether to include the classifier (global average pooling and Dense).
        weights: `None` (seeded random initialization), `"imagenet"` (Keras's published file,
            fetched as `imagenet_utils.get_keras_file` says), or the path of a Keras
            `.h5` / `.weights.h5` file.
        input_tensor: a symbolic tensor (e.g. `keras.Input`) to use as the image input.
        input_shape: `(height, width, channels)`, at least 32x32; only without the top
            (with it and ImageNet weights, `(224, 224, 3)`).
        pooling: without the top, `None` (4-D output), `"avg"` or `"max"` (global pooling).
        classes: the number of classes, with the top (1000 for ImageNet weights).
        classifier_activation: the top layer's activation (`"softmax"` or None with weights).
        name: the model's name.

    Returns:
        A functional `Model`. Its input expects `resnet50.preprocess_input`'s output.

    Example:
    >>> model = ResNet50(weights=None, include_top=False, input_shape=(64, 64, 3))
    >>> model.output.shape
    (None, 2, 2, 2048)
    """
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, require_flatten=include_top, weights=weights
    )
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = ZeroPadding2D(3, name="conv1_pad")(img_input)
    x = Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = BatchNormalization(epsilon=_EPSILON, name="conv1_bn")(x)
    x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(1, name="pool1_pad")(x)
    x = MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, blocks, stride) in enumerate(
        ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)), 2
    ):
        x = _block(x, filters, stride, True, f"conv{stage}_block1")
        for block in range(2, blocks + 1):
            x = _block(x, filters, 1, False, f"conv{stage}_block{block}")
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pool(x, pooling, avg_name="avg_pool", max_name="max_pool")
    inputs = img_input if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    model = Model(inputs, x, name=name)
    imagenet_utils.load_weights(model, weights, _FILES[include_top])
    return model


def _block(x: Any, filters: int, stride: int, conv_shortcut: bool, name: str) -> Any:
    """A bottleneck residual block: 1x1, 3x3 and 1x1 (4 * filters) convolutions."""
    shortcut = x
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = BatchNormalization(epsilon=_EPSILON, name=f"{name}_0_bn")(shortcut)
    x = Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = BatchNormalization(epsilon=_EPSILON, name=f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)
    x = Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = BatchNormalization(epsilon=_EPSILON, name=f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = BatchNormalization(epsilon=_EPSILON, name=f"{name}_3_bn")(x)
    x = Add(name=f"{name}_add")([shortcut, x])
    return Activation("relu", name=f"{name}_out")(x)


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Caffe-style: RGB to BGR, minus ImageNet's channel means (see `imagenet_utils`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
