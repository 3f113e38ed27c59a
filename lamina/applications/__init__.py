"""Keras's pretrained image classifiers: builders with Keras's layer names, weights and
preprocessing (`keras.applications`).

Example:
>>> from lamina.applications import VGG16
>>> conv_base = VGG16(weights=None, include_top=False, input_shape=(180, 180, 3))
"""

from lamina.applications import (
    imagenet_utils,
    inception_v3,
    mobilenet_v2,
    resnet50,
    vgg16,
    vgg19,
    xception,
)
from lamina.applications.inception_v3 import InceptionV3
from lamina.applications.mobilenet_v2 import MobileNetV2
from lamina.applications.resnet50 import ResNet50
from lamina.applications.vgg16 import VGG16
from lamina.applications.vgg19 import VGG19
from lamina.applications.xception import Xception

__all__ = [
    "VGG16",
    "VGG19",
    "InceptionV3",
    "MobileNetV2",
    "ResNet50",
    "Xception",
    "imagenet_utils",
    "inception_v3",
    "mobilenet_v2",
    "resnet50",
    "vgg16",
    "vgg19",
    "xception",
]
