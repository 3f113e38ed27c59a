"""The builders against Keras 3: layer names, classes, output shapes, parameter counts, order.

The references under `data/` were written by `generate_keras_references.py` with Keras 3.
"""

import json
import pathlib
import re

import numpy as np
import pytest

import lamina
from lamina import applications
from lamina.saving.keras_layout import keras_layer_order

DATA = pathlib.Path(__file__).resolve().parent / "data"

CONFIGS = {
    "vgg16_notop": (applications.VGG16, {"include_top": False}),
    "resnet50": (applications.ResNet50, {}),
    "resnet50_notop_avg": (
        applications.ResNet50,
        {"include_top": False, "pooling": "avg", "input_shape": (64, 64, 3)},
    ),
    "mobilenet_v2": (applications.MobileNetV2, {}),
    "xception": (applications.Xception, {}),
    "xception_notop": (
        applications.Xception,
        {"include_top": False, "input_shape": (71, 71, 3)},
    ),
    "inception_v3": (applications.InceptionV3, {}),
    "inception_v3_notop_max": (
        applications.InceptionV3,
        {"include_top": False, "pooling": "max", "input_shape": (75, 75, 3)},
    ),
    "mobilenet_v2_0.35_32": (
        applications.MobileNetV2,
        {"alpha": 0.35, "input_shape": (32, 32, 3), "classes": 3},
    ),
}
# 138 and 144 million parameters: half a gigabyte each.
SLOW_CONFIGS = {
    "vgg16": (applications.VGG16, {}),
    "vgg19": (applications.VGG19, {}),
}


def _snake(class_name: str) -> str:
    return re.sub(r"(?<=[a-z])([A-Z])", r"_\1", class_name).lower()


def _auto_name(name: str, class_name: str) -> str:
    """An automatic name (`conv2d_3`) without its counter, which depends on what was built
    before; other names are kept."""
    base = _snake(class_name)
    return base if re.fullmatch(rf"{base}(_\d+)?", name) else name


def _check_against_keras(name: str, builder, kwargs: dict) -> None:
    expected = json.loads((DATA / f"{name}.json").read_text())
    model = builder(weights=None, **kwargs)
    assert model.name == expected["name"]
    assert model.count_params() == expected["params"]
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    assert trainable == expected["trainable_params"]
    received = [
        {
            "name": _auto_name(layer.name, type(layer).__name__),
            "class_name": type(layer).__name__,
            "output_shape": list(layer.output.shape),
            "params": layer.count_params(),
        }
        for layer in keras_layer_order(model)
    ]
    for layer in expected["layers"]:
        layer["name"] = _auto_name(layer["name"], layer["class_name"])
    assert received == expected["layers"]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_layers_match_keras(name):
    _check_against_keras(name, *CONFIGS[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_CONFIGS))
def test_layers_match_keras_with_large_top(name):
    _check_against_keras(name, *SLOW_CONFIGS[name])


def test_vgg_pooling_and_input_tensor():
    inputs = lamina.Input((32, 32, 3))
    x = lamina.layers.Activation("linear")(inputs)  # a predecessor of `input_tensor`
    model = applications.VGG19(weights=None, include_top=False, input_tensor=x, pooling="max")
    assert model.output.shape == (None, 512)
    assert model.inputs[0] is inputs


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": "nowhere.h5"}, "Received: weights='nowhere.h5'"),
        ({"weights": "imagenet", "classes": 10}, "Received: classes=10"),
        ({"include_top": False, "pooling": "mean"}, "Received: pooling='mean'"),
        ({"input_shape": (16, 16, 3), "include_top": False}, "at least 32x32"),
        ({"input_shape": (64, 64)}, "three integers"),
        ({"include_top": True, "input_shape": (None, None, 3)}, "static `input_shape`"),
        ({"classifier_activation": "relu", "weights": "imagenet"}, "classifier_activation='relu'"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    kwargs = {"weights": None, **kwargs}
    with pytest.raises(ValueError, match=re.escape(match)):
        applications.ResNet50(**kwargs)


def test_input_tensor_must_be_symbolic():
    with pytest.raises(TypeError, match="input_tensor"):
        applications.MobileNetV2(weights=None, input_tensor=np.zeros((1, 32, 32, 3)))


def test_random_weights_follow_the_seed():
    def build():
        lamina.utils.set_random_seed(7)
        model = applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3))
        return [w.numpy() for w in model.weights]

    first, second = build(), build()
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
