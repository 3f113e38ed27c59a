"""`preprocess_input` in Keras's three modes, on arrays, tensors and symbolic tensors."""

import numpy as np
import pytest

import lamina
from lamina.applications import (
    imagenet_utils,
    inception_v3,
    mobilenet_v2,
    resnet50,
    vgg16,
    vgg19,
    xception,
)

PIXEL = np.array([[[[10, 20, 30]]]], dtype="uint8")  # one RGB pixel


def test_caffe_mode_swaps_to_bgr_and_subtracts_means():
    expected = [[[[30 - 103.939, 20 - 116.779, 10 - 123.68]]]]
    for module in (vgg16, vgg19, resnet50):
        out = module.preprocess_input(PIXEL)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_tf_mode_scales_to_minus_one_one():
    for module in (mobilenet_v2, xception, inception_v3):
        out = module.preprocess_input(np.array([0.0, 127.5, 255.0]))
        np.testing.assert_allclose(out, [-1.0, 0.0, 1.0])


def test_torch_mode():
    out = imagenet_utils.preprocess_input(PIXEL, mode="torch")
    expected = (np.array([10, 20, 30]) / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    np.testing.assert_allclose(out.reshape(3), expected, rtol=1e-5)


def test_channels_first():
    x = PIXEL.transpose(0, 3, 1, 2)
    out = vgg16.preprocess_input(x, data_format="channels_first")
    np.testing.assert_allclose(out.transpose(0, 2, 3, 1), vgg16.preprocess_input(PIXEL))


def test_numpy_input_is_not_modified():
    x = np.full((1, 2, 2, 3), 255.0, dtype="float32")
    vgg16.preprocess_input(x)
    mobilenet_v2.preprocess_input(x)
    assert (x == 255.0).all()


def test_symbolic_input_in_a_model():
    inputs = lamina.Input((1, 1, 3))
    model = lamina.Model(inputs, vgg16.preprocess_input(inputs))
    out = model.predict(PIXEL.astype("float32"), verbose=0)
    np.testing.assert_allclose(out, vgg16.preprocess_input(PIXEL), rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"mode": "keras"}, "mode='keras'"), ({"data_format": "nhwc"}, "data_format='nhwc'")],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        imagenet_utils.preprocess_input(PIXEL, **kwargs)
