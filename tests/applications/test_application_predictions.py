"""Every architecture computes what Keras computes: the same seeded weights (see
`seeded_weights.py`) give Keras's outputs, with the top and without it."""

import pathlib

import numpy as np
import pytest
from seeded_weights import seeded_images, seeded_weights

from lamina import applications
from lamina.saving.keras_layout import keras_layer_order

REFERENCE = pathlib.Path(__file__).resolve().parent / "data" / "seeded_predictions.npz"

BUILDERS = {
    "vgg16": (applications.VGG16, 32),
    "vgg19": (applications.VGG19, 32),
    "resnet50": (applications.ResNet50, 32),
    "mobilenet_v2": (applications.MobileNetV2, 32),
    "xception": (applications.Xception, 71),
    "inception_v3": (applications.InceptionV3, 75),
}


@pytest.mark.parametrize("top", [True, False], ids=["top", "notop"])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_predictions_equal_keras(name, top):
    builder, size = BUILDERS[name]
    model = builder(
        weights=None,
        include_top=top,
        pooling=None if top else "avg",
        classes=5,
        classifier_activation=None,
        input_shape=(size, size, 3),
    )
    layers = keras_layer_order(model)
    for layer, values in zip(layers, seeded_weights(layers), strict=True):
        layer.set_weights(values)
    expected = np.load(REFERENCE)[f"{name}_{'top' if top else 'notop'}"]
    received = model.predict(seeded_images(size), verbose=0)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(received / scale, expected / scale, atol=2e-5)
