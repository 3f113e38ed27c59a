"""VGG19 (Simonyan and Zisserman, 2014), as `keras.applications.vgg19`."""

from typing import Any

from lamina.applications import imagenet_utils
from lamina.applications.vgg import build_vgg, vgg_doc
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


VGG19.__doc__ = vgg_doc("VGG19", "143,667,240")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Caffe-style: RGB to BGR, minus ImageNet's channel means (see `imagenet_utils`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
