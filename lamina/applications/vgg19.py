"""VGG19 (Simonyan and Zisserman, 2014), as `keras.applications.vgg19`."""

from typing import Any

from lamina.applications import imagenet_utils
from lamina.applications.vgg import build_vgg
from lamina.models import Model

_FILES = imagenet_utils.keras_weight_files(
    "vgg19", "vgg19", "cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6"
)


def VGG19(  # noqa: N802 - Keras's name
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "vgg19",
) -> Model:
    """Instantiates the VGG19 model, with Keras's layer names (143,667,240 parameters).

    Args:
        include_top: whether to include the 3 fully-connected layers at the top.
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
        A functional `Model`. Its input expects `vgg19.preprocess_input`'s output.

    Example:
    >>> conv_base = VGG19(weights=None, include_top=False, input_shape=(180, 180, 3))
    >>> conv_base.output.shape
    (None, 5, 5, 512)
    """
    return build_vgg(
        name,
        (2, 2, 4, 4, 4),
        _FILES,
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
    )


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Caffe-style: RGB to BGR, minus ImageNet's channel means (see `imagenet_utils`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
