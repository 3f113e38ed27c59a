import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.visualization import grad_cam


def two_region_model() -> lamina.Sequential:
    """Class c's score is the mean of input channel c, seen by conv channel c alone: Grad-CAM
    for class c must light up exactly where channel c of the image is bright."""
    model = lamina.Sequential(
        [
            layers.Input((16, 16, 2)),
            layers.Conv2D(2, 2, strides=2, activation="relu", use_bias=False, name="conv"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(2, use_bias=False, name="scores"),
        ]
    )
    kernel = np.zeros((2, 2, 2, 2), dtype="float32")
    kernel[:, :, 0, 0] = kernel[:, :, 1, 1] = 0.25  # each 2x2 patch's mean, per channel
    model.get_layer("conv").set_weights([kernel])
    model.get_layer("scores").set_weights([np.eye(2, dtype="float32")])
    return model


IMAGE = np.zeros((16, 16, 2), dtype="float32")
IMAGE[0:6, 0:6, 0] = 1.0  # class 0's evidence, top left
IMAGE[10:16, 10:16, 1] = 2.0  # class 1's, bottom right, scoring higher


def test_the_heatmap_peaks_on_the_top_class_by_default():
    heatmap = grad_cam(two_region_model(), IMAGE, "conv")
    assert heatmap.shape == (16, 16) and heatmap.dtype == np.float32
    assert heatmap.min() >= 0 and heatmap.max() <= 1
    # The 8x8 map is 1 on cells 5..7, resized bilinearly (half-pixel centres) to 16x16.
    np.testing.assert_allclose(heatmap[11:, 11:], 1.0, atol=1e-6)
    assert (heatmap[:8, :] == 0).all() and (heatmap[:, :8] == 0).all()
    assert np.unravel_index(np.argmax(heatmap), heatmap.shape) >= (10, 10)


def test_the_heatmap_of_another_class_moves_to_its_evidence():
    heatmap = grad_cam(two_region_model(), IMAGE, "conv", class_index=0)
    np.testing.assert_allclose(heatmap[1:5, 1:5], 1.0, atol=1e-6)
    assert heatmap[5, 3] == pytest.approx(0.75)
    assert (heatmap[8:, :] == 0).all() and (heatmap[:, 8:] == 0).all()


def test_functional_model_gives_the_same_heatmap():
    model = two_region_model()
    inputs = lamina.Input((16, 16, 2))
    x = layers.Conv2D(2, 2, strides=2, activation="relu", use_bias=False, name="conv")(inputs)
    x = layers.Dense(2, use_bias=False)(layers.GlobalAveragePooling2D()(x))
    functional = lamina.Model(inputs, x)
    functional.set_weights(model.get_weights())
    np.testing.assert_array_equal(
        grad_cam(functional, IMAGE[None], "conv"), grad_cam(model, IMAGE, "conv")
    )


def test_no_evidence_gives_zeros():
    heatmap = grad_cam(two_region_model(), np.zeros_like(IMAGE), "conv", class_index=1)
    assert heatmap.shape == (16, 16) and not heatmap.any()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layer_name": "scores"}, r"Received: layer_name='scores' with output shape \(None, 2\)"),
        ({"layer_name": "conv_9"}, r"Received: layer_name='conv_9'"),
        ({"class_index": 2}, r"in \[0, 2\).*Received: class_index=2"),
        ({"image": np.zeros((16, 16))}, r"Received: image with shape \(16, 16\)"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    kwargs = {"image": IMAGE, "layer_name": "conv", **kwargs}
    with pytest.raises(ValueError, match=message):
        grad_cam(two_region_model(), **kwargs)


def test_writes_the_overlay_png(tmp_path):
    pytest.importorskip("matplotlib", reason="the PNG needs the viz extra")
    image_module = pytest.importorskip("PIL.Image")
    path = tmp_path / "cam.png"
    grad_cam(two_region_model(), IMAGE, "conv", to_file=path)
    with image_module.open(path) as img:
        assert img.format == "PNG" and min(img.size) > 50
        pixels = np.asarray(img.convert("RGB"), dtype="float32")
    assert pixels.std() > 10  # not a blank picture
