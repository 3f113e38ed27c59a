"""SpatialDropout1D/2D, GaussianNoise, GaussianDropout and PReLU."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.testing import run_layer_test

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape"),
    [
        (layers.SpatialDropout1D, {"rate": 0.5, "seed": 1}, (2, 5, 3)),
        (layers.SpatialDropout2D, {"rate": 0.5, "seed": 1}, (2, 3, 4, 3)),
        (layers.SpatialDropout2D, {"rate": 0.5, "data_format": "channels_first"}, (2, 3, 4, 3)),
        (layers.GaussianNoise, {"stddev": 0.5, "seed": 1}, (2, 3)),
        (layers.GaussianDropout, {"rate": 0.3, "seed": 1}, (2, 3)),
    ],
)
def test_noise_layer_contract(cls, kwargs, shape):
    run_layer_test(
        cls,
        kwargs,
        input_shape=shape,
        call_kwargs={"training": True},
        expected_output_shape=shape,
        expected_num_trainable_weights=0,
    )


def test_spatial_dropout_drops_whole_channels_in_training_only():
    x = np.ones((4, 6, 8), "float32")
    out = layers.SpatialDropout1D(0.5, seed=3)(x, training=True).numpy()
    assert set(np.unique(out)) == {0.0, 2.0}
    assert (out == out[:, :1, :]).all()  # the same for every step
    np.testing.assert_array_equal(layers.SpatialDropout1D(0.5)(x).numpy(), x)
    images = np.ones((4, 2, 3, 8), "float32")
    last = layers.SpatialDropout2D(0.5, seed=3)(images, training=True).numpy()
    assert (last == last[:, :1, :1, :]).all() and (last == 0).any()
    first = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=3)
    out = first(np.ones((4, 8, 2, 3), "float32"), training=True).numpy()
    assert (out == out[:, :, :1, :1]).all() and (out == 0).any()


def test_spatial_dropout_errors():
    with pytest.raises(ValueError, match=r"SpatialDropout2D 'sd' expects inputs of rank 4"):
        layers.SpatialDropout2D(0.1, name="sd")(np.ones((2, 3, 4), "float32"), training=True)
    with pytest.raises(ValueError, match="Received: data_format='nhwc'"):
        layers.SpatialDropout2D(0.1, data_format="nhwc")
    with pytest.raises(ValueError, match="Received: rate=1"):
        layers.SpatialDropout1D(1)


def test_gaussian_noise_and_dropout_statistics_and_seeds():
    x = np.ones((200, 50), "float32")
    noisy = layers.GaussianNoise(0.5, seed=1)(x, training=True).numpy()
    assert abs((noisy - 1).mean()) < 0.02 and abs((noisy - 1).std() - 0.5) < 0.02
    again = layers.GaussianNoise(0.5, seed=1)(x, training=True).numpy()
    np.testing.assert_array_equal(noisy, again)
    np.testing.assert_array_equal(layers.GaussianNoise(0.5)(x).numpy(), x)
    dropped = layers.GaussianDropout(0.2, seed=1)(x, training=True).numpy()
    assert abs(dropped.mean() - 1) < 0.02 and abs(dropped.std() - 0.5) < 0.02
    np.testing.assert_array_equal(layers.GaussianDropout(0.2)(x, training=False).numpy(), x)
    with pytest.raises(ValueError, match="Received: stddev=-1"):
        layers.GaussianNoise(-1)
    with pytest.raises(ValueError, match="Received: rate=1"):
        layers.GaussianDropout(1.0)


@pytest.mark.parametrize("kwargs", [{}, {"shared_axes": [1, 2]}, {"shared_axes": 1}])
def test_prelu_layer_contract(kwargs):
    run_layer_test(
        layers.PReLU,
        {"alpha_initializer": "random_uniform", **kwargs},
        input_shape=(2, 3, 4, 2),
        expected_output_shape=(2, 3, 4, 2),
        expected_num_trainable_weights=1,
    )


def test_prelu_values_and_shared_axes():
    layer = layers.PReLU(alpha_initializer=lamina.initializers.Constant(0.25), shared_axes=[1])
    x = RNG.standard_normal((2, 3, 4)).astype("float32")
    np.testing.assert_allclose(layer(x).numpy(), np.where(x >= 0, x, 0.25 * x), rtol=1e-6)
    assert layer.alpha.shape == (1, 4)
    with pytest.raises(ValueError, match="shared axis 3 does not exist"):
        layers.PReLU(shared_axes=[3])(x)
    with pytest.raises(ValueError, match=r"Received: shared_axes=\[0\]"):
        layers.PReLU(shared_axes=[0])


def test_noise_layers_and_prelu_save_and_load(save_round_trip):
    x = RNG.standard_normal((3, 4, 5, 2)).astype("float32")
    model = lamina.Sequential(
        [
            lamina.Input((4, 5, 2)),
            layers.SpatialDropout2D(0.3, seed=2),
            layers.GaussianNoise(0.1),
            layers.GaussianDropout(0.1),
            layers.PReLU(alpha_initializer="random_uniform", shared_axes=[1, 2]),
            layers.Reshape((20, 2)),
            layers.SpatialDropout1D(0.2),
        ]
    )
    loaded = save_round_trip(model, x)
    assert loaded.layers[0].data_format == "channels_last" and loaded.layers[0].seed == 2
