import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.visualization import filter_patterns


def small_convnet(shape=(16, 16, 1)) -> lamina.Sequential:
    lamina.utils.set_random_seed(0)
    return lamina.Sequential(
        [
            layers.Input(shape),
            layers.Conv2D(6, 3, activation="relu", name="conv_a"),
            layers.MaxPooling2D(2),
            # Linear, as the book's Xception layers before their activation: a filter that a
            # ReLU silences on grey noise would get no gradient to climb.
            layers.Conv2D(8, 3, name="conv_b"),
        ]
    )


def filter_means(model, patterns, layer_name, filters):
    """Each pattern's loss: its filter's mean activation away from 2-pixel borders."""
    maps = lamina.Model(model.input, model.get_layer(layer_name).output).predict(
        patterns, verbose=0
    )
    return np.array([maps[k, 2:-2, 2:-2, f].mean() for k, f in enumerate(filters)])


def test_shape_one_pattern_per_filter():
    patterns = filter_patterns(small_convnet(), "conv_b", filters=[1, 3, 4], steps=2)
    assert patterns.shape == (3, 16, 16, 1) and patterns.dtype == np.float32
    assert filter_patterns(small_convnet(), "conv_a", steps=0).shape == (6, 16, 16, 1)


def test_gradient_ascent_increases_each_filters_activation():
    model = small_convnet()
    filters = [0, 2, 5, 7]
    losses = []
    for steps in (0, 5, 40):
        lamina.utils.set_random_seed(3)  # the same starting noise each time
        patterns = filter_patterns(model, "conv_b", filters=filters, steps=steps)
        losses.append(filter_means(model, patterns, "conv_b", filters))
    assert (losses[1] > losses[0]).all() and (losses[2] > losses[1]).all()
    assert (losses[2] > 3 * losses[0] + 0.1).all()


def test_zero_steps_return_the_grey_starting_noise():
    patterns = filter_patterns(small_convnet(), "conv_a", filters=0, steps=0)
    assert patterns.shape == (1, 16, 16, 1)
    assert 0.4 <= patterns.min() and patterns.max() <= 0.6


def test_size_for_a_model_of_any_input_size():
    model = small_convnet(shape=(None, None, 1))
    assert filter_patterns(model, "conv_a", filters=[0], size=(10, 12), steps=1).shape == (
        1,
        10,
        12,
        1,
    )
    assert filter_patterns(model, "conv_a", filters=[0], size=9, steps=1).shape == (1, 9, 9, 1)
    with pytest.raises(ValueError, match=r"Received: size=\(None, None\)"):
        filter_patterns(model, "conv_a", steps=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layer_name": "missing"}, r"Received: layer_name='missing'"),
        ({"filters": [8]}, r"in \[0, 8\).*Received: filters=\[8\]"),
        ({"filters": []}, r"Received: filters=\[\]"),
        ({"steps": -1}, r"Received: steps=-1"),
        ({"size": (20, 20)}, r"Received: size=\(20, 20\)"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    kwargs = {"layer_name": "conv_b", **kwargs}
    with pytest.raises(ValueError, match=message):
        filter_patterns(small_convnet(), **kwargs)


def test_writes_a_png_grid(tmp_path):
    pytest.importorskip("matplotlib", reason="the PNG needs the viz extra")
    image_module = pytest.importorskip("PIL.Image")
    path = tmp_path / "filters.png"
    filter_patterns(small_convnet(), "conv_b", steps=3, to_file=str(path))
    with image_module.open(path) as img:
        assert img.format == "PNG" and min(img.size) > 50
        img.load()
