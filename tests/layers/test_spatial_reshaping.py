"""UpSampling1D/2D, ZeroPadding1D/2D and Cropping1D/2D against NumPy."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.testing import run_layer_test

RNG = np.random.default_rng(0)
IMAGES = RNG.standard_normal((2, 3, 4, 2)).astype("float32")
SEQ = RNG.standard_normal((2, 5, 3)).astype("float32")

CASES = [
    (layers.UpSampling1D, {"size": 3}, (2, 4, 3), (2, 12, 3)),
    (layers.UpSampling2D, {"size": (2, 3)}, (2, 3, 2, 2), (2, 6, 6, 2)),
    (layers.UpSampling2D, {"size": 2, "interpolation": "bilinear"}, (1, 3, 2, 2), (1, 6, 4, 2)),
    (
        layers.UpSampling2D,
        {"size": 2, "interpolation": "bilinear", "data_format": "channels_first"},
        (1, 2, 3, 2),
        (1, 2, 6, 4),
    ),
    (layers.ZeroPadding1D, {"padding": (1, 2)}, (2, 4, 3), (2, 7, 3)),
    (layers.ZeroPadding1D, {"data_format": "channels_first"}, (2, 4, 3), (2, 4, 5)),
    (layers.ZeroPadding2D, {"padding": ((1, 0), (2, 3))}, (2, 3, 2, 2), (2, 4, 7, 2)),
    (
        layers.ZeroPadding2D,
        {"padding": 1, "data_format": "channels_first"},
        (2, 2, 3, 3),
        (2, 2, 5, 5),
    ),
    (layers.Cropping1D, {"cropping": (1, 2)}, (2, 5, 3), (2, 2, 3)),
    (layers.Cropping2D, {"cropping": ((1, 0), (1, 2))}, (2, 3, 4, 2), (2, 2, 1, 2)),
    (
        layers.Cropping2D,
        {"cropping": 1, "data_format": "channels_first"},
        (2, 2, 3, 4),
        (2, 2, 1, 2),
    ),
]


@pytest.mark.parametrize(("cls", "kwargs", "shape", "out_shape"), CASES)
def test_spatial_layer_contract(cls, kwargs, shape, out_shape):
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        expected_output_shape=out_shape,
        expected_num_trainable_weights=0,
    )


def test_up_sampling_values():
    np.testing.assert_array_equal(layers.UpSampling1D(2)(SEQ).numpy(), np.repeat(SEQ, 2, axis=1))
    out = layers.UpSampling2D((2, 3))(IMAGES).numpy()
    np.testing.assert_array_equal(out, np.repeat(np.repeat(IMAGES, 2, axis=1), 3, axis=2))
    row = np.arange(4, dtype="float32").reshape(1, 1, 4, 1)
    bilinear = layers.UpSampling2D((1, 2), interpolation="bilinear")(row).numpy().ravel()
    # half-pixel centres, edges clamped: Keras's image.resize (TensorFlow's) values
    np.testing.assert_allclose(bilinear, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])
    first = layers.UpSampling2D(2, data_format="channels_first", interpolation="bilinear")
    last = layers.UpSampling2D(2, interpolation="bilinear")
    np.testing.assert_allclose(
        first(IMAGES.transpose(0, 3, 1, 2)).numpy(),
        last(IMAGES).numpy().transpose(0, 3, 1, 2),
        rtol=1e-6,
    )


def test_zero_padding_and_cropping_values():
    out = layers.ZeroPadding2D(((1, 0), (2, 3)))(IMAGES).numpy()
    np.testing.assert_array_equal(out, np.pad(IMAGES, ((0, 0), (1, 0), (2, 3), (0, 0))))
    out = layers.ZeroPadding1D(2)(SEQ).numpy()
    np.testing.assert_array_equal(out, np.pad(SEQ, ((0, 0), (2, 2), (0, 0))))
    np.testing.assert_array_equal(layers.Cropping1D((1, 2))(SEQ).numpy(), SEQ[:, 1:3])
    out = layers.Cropping2D(((1, 0), (1, 2)))(IMAGES).numpy()
    np.testing.assert_array_equal(out, IMAGES[:, 1:, 1:2])
    channels_first = IMAGES.transpose(0, 3, 1, 2)
    first = layers.Cropping2D((1, 1), data_format="channels_first")(channels_first).numpy()
    np.testing.assert_array_equal(first, channels_first[:, :, 1:2, 1:3])


def test_symbolic_shapes_with_unknown_sizes():
    x = lamina.Input((None, 4, 2))
    assert layers.ZeroPadding2D(1)(x).shape == (None, None, 6, 2)
    assert layers.Cropping2D((0, 1))(x).shape == (None, None, 2, 2)
    assert layers.UpSampling2D(2)(x).shape == (None, None, 8, 2)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: layers.ZeroPadding2D(-1), r"padding to be .*Received: padding=-1"),
        (lambda: layers.ZeroPadding2D((1, 2, 3)), r"Received: padding=\(1, 2, 3\)"),
        (lambda: layers.Cropping1D("a"), "Received: cropping='a'"),
        (lambda: layers.UpSampling2D(0), "Received: size=0"),
        (lambda: layers.UpSampling1D((2, 2)), r"Received: size=\(2, 2\)"),
        (lambda: layers.UpSampling2D(interpolation="cubic"), "Received: interpolation='cubic'"),
        (lambda: layers.Cropping2D(data_format="NHWC"), "Received: data_format='NHWC'"),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_name_the_layer():
    image = np.zeros((2, 28, 28), "float32")
    with pytest.raises(ValueError, match="ZeroPadding2D 'pad' expects 4D inputs.*expand_dims"):
        layers.ZeroPadding2D(name="pad")(image)
    with pytest.raises(ValueError, match="UpSampling1D 'up' expects 3D inputs"):
        layers.UpSampling1D(name="up")(IMAGES)
    with pytest.raises(ValueError, match=r"Cropping2D 'crop': cropping \(2, 2\) leaves nothing"):
        layers.Cropping2D(2, name="crop")(IMAGES)
    with pytest.raises(ValueError, match="Cropping1D 'c1': cropping"):
        layers.Cropping1D((3, 2), name="c1")(lamina.Input((5, 3)))


def test_spatial_layers_save_and_load(save_round_trip):
    inputs = lamina.Input((3, 4, 2))
    h = layers.ZeroPadding2D(((1, 0), (0, 1)))(inputs)
    h = layers.UpSampling2D(2, interpolation="bilinear")(h)
    h = layers.Cropping2D(((1, 1), (2, 0)))(h)
    h = layers.Reshape((6 * 8, 2))(h)
    h = layers.Cropping1D((2, 2))(layers.UpSampling1D(2)(layers.ZeroPadding1D(1)(h)))
    save_round_trip(lamina.Model(inputs, h), IMAGES)
