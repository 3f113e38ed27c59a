"""VGG16 (Simonyan and Zisserman, 2014), as `keras.applications.vgg16`."""

from typing import Any

from lamina.applications import imagenet_utils
from lamina.applications.vgg import build_vgg, vgg_doc
from lamina.models import Model

_FILES = imagenet_utils.keras_weight_files(
    "vgg16", "vgg16", "64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"
)


def VGG16(  # noqa: N802 - Keras's name
    include_top: bool = True,
    weights: Any = "imagenet",
    input_tensor: Any = None,
    input_shape: Any = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "vgg16",
) -> Model:
    return build_vgg(
        name,
        (2, 2, 3, 3, 3),
        _FILES,
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
    )


VGG16.__doc__ = vgg_doc("VGG16", "138,357,544")


def preprocess_input(x: Any, data_format: str | None = None) -> Any:
    """Caffe-style: RGB to BGR, minus ImageNet's channel means (see `imagenet_utils`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
