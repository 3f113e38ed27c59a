import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.visualization import layer_activations
from lamina.visualization.images import for_display


def small_convnet() -> lamina.Sequential:
    lamina.utils.set_random_seed(0)
    return lamina.Sequential(
        [
            layers.Input((12, 12, 1)),
            layers.Conv2D(4, 3, activation="relu", name="conv_a"),
            layers.MaxPooling2D(2, name="pool"),
            layers.Conv2D(20, 3, activation="relu", name="conv_b"),
            layers.Flatten(name="flat"),
            layers.Dense(3, name="dense"),
        ]
    )


def functional_twin(model: lamina.Sequential) -> lamina.Model:
    """The same network as a functional model, with the same weights."""
    inputs = lamina.Input((12, 12, 1))
    x = layers.Conv2D(4, 3, activation="relu", name="conv_a")(inputs)
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.Conv2D(20, 3, activation="relu", name="conv_b")(x)
    x = layers.Dense(3, name="dense")(layers.Flatten(name="flat")(x))
    twin = lamina.Model(inputs, x)
    twin.set_weights(model.get_weights())
    return twin


IMAGE = np.random.default_rng(1).random((12, 12, 1)).astype("float32")
# 4 channels of 10x10 in one row, 4 of 5x5, 20 of 3x3 in two rows of 16; one pixel apart.
EXPECTED = {"conv_a": (10, 43), "pool": (5, 23), "conv_b": (7, 63)}


def test_every_feature_map_layer_of_a_sequential_model_gets_a_grid():
    grids = layer_activations(small_convnet(), IMAGE)
    assert {name: grid.shape for name, grid in grids.items()} == EXPECTED
    assert list(grids) == ["conv_a", "pool", "conv_b"]
    assert all(grid.dtype == np.uint8 for grid in grids.values())


def test_functional_model_gives_the_same_grids_as_the_sequential_one():
    model = small_convnet()
    sequential = layer_activations(model, IMAGE)
    functional = layer_activations(functional_twin(model), IMAGE[None])
    assert list(functional) == list(sequential)
    for name in sequential:
        np.testing.assert_array_equal(functional[name], sequential[name])


def test_each_tile_is_its_channel_contrast_stretched():
    model = small_convnet()
    grid = layer_activations(model, IMAGE, layer_names=["conv_b"])["conv_b"]
    maps = lamina.Model(model.input, model.get_layer("conv_b").output).predict(
        IMAGE[None], verbose=0
    )[0]
    for channel, (top, left) in [(0, (0, 0)), (5, (0, 20)), (17, (4, 4))]:
        tile = grid[top : top + 3, left : left + 3]
        np.testing.assert_array_equal(tile, for_display(maps[..., channel]))
    assert (grid[3, :] == 0).all() and (grid[:, 3] == 0).all()  # the margins


def test_named_layers_only_and_in_the_given_order():
    grids = layer_activations(small_convnet(), IMAGE, layer_names=["conv_b", "conv_a"])
    assert list(grids) == ["conv_b", "conv_a"]


def test_a_dead_channel_is_black():
    model = small_convnet()
    conv = model.get_layer("conv_a")
    kernel, bias = conv.get_weights()
    kernel[..., 0], bias[0] = 0.0, -1.0  # channel 0 is relu(-1) = 0 everywhere
    conv.set_weights([kernel, bias])
    grid = layer_activations(model, IMAGE, layer_names=["conv_a"])["conv_a"]
    assert (grid[:, :10] == 0).all() and grid[:, 11:].any()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image": np.zeros((10, 10, 1))}, r"Received: image with shape \(10, 10, 1\)"),
        ({"image": np.zeros((2, 12, 12, 1))}, r"Received: image with shape \(2, 12, 12, 1\)"),
        ({"layer_names": ["nope"]}, r"Received: layer_name='nope'"),
        ({"layer_names": ["dense"]}, r"Received: layer_names containing 'dense'"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    kwargs = {"image": IMAGE, **kwargs}
    with pytest.raises(ValueError, match=message):
        layer_activations(small_convnet(), **kwargs)


def test_writes_a_png_of_the_grids(tmp_path):
    pytest.importorskip("matplotlib", reason="the PNG needs the viz extra")
    image_module = pytest.importorskip("PIL.Image")
    path = tmp_path / "activations.png"
    layer_activations(small_convnet(), IMAGE, to_file=path)
    with image_module.open(path) as img:
        assert img.format == "PNG" and min(img.size) > 50
        img.load()
    assert [p.name for p in tmp_path.iterdir()] == ["activations.png"]


def test_a_layer_shared_by_two_models_shows_its_output_in_the_model_asked_about():
    conv = layers.Conv2D(2, 3, name="shared")
    first = lamina.Input((8, 8, 1))
    lamina.Model(first, layers.Flatten()(conv(first)))
    second = lamina.Input((8, 8, 1))
    model = lamina.Model(second, layers.Flatten()(conv(layers.MaxPooling2D(2)(second))))
    grids = layer_activations(model, IMAGE[:8, :8], layer_names=["shared"])
    assert grids["shared"].shape == (2, 5)  # 2x2 maps here; 6x6 in the first model
