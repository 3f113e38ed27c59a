"""Merge layers and their functional spellings, eager and in functional models."""

import numpy as np
import pytest

import lamina
from lamina import layers

rng = np.random.default_rng(0)
A, B, C = (rng.standard_normal((2, 3)).astype("float32") for _ in range(3))

ELEMENTWISE = [
    (layers.Add, layers.add, lambda xs: sum(xs)),
    (layers.Subtract, layers.subtract, lambda xs: xs[0] - xs[1]),
    (layers.Multiply, layers.multiply, lambda xs: xs[0] * xs[1]),
    (layers.Average, layers.average, lambda xs: sum(xs) / len(xs)),
    (layers.Maximum, layers.maximum, lambda xs: np.maximum(xs[0], xs[1])),
    (layers.Minimum, layers.minimum, lambda xs: np.minimum(xs[0], xs[1])),
]


@pytest.mark.parametrize(
    ("cls", "fn", "ref"), ELEMENTWISE, ids=[c[0].__name__ for c in ELEMENTWISE]
)
def test_elementwise_merge_eager_and_functional(cls, fn, ref):
    np.testing.assert_allclose(cls()([A, B]).numpy(), ref([A, B]), rtol=1e-6)
    a, b = lamina.Input((3,)), lamina.Input((3,))
    merged = fn([a, b])
    assert merged.shape == (None, 3)
    assert isinstance(merged.node.layer, cls)
    model = lamina.Model([a, b], merged)
    np.testing.assert_allclose(model.predict([A, B], verbose=0), ref([A, B]), rtol=1e-6)


def test_add_and_average_take_more_than_two_inputs():
    np.testing.assert_allclose(layers.Add()([A, B, C]).numpy(), A + B + C, rtol=1e-6)
    np.testing.assert_allclose(layers.Average()([A, B, C]).numpy(), (A + B + C) / 3, rtol=1e-6)


def test_merge_input_errors():
    with pytest.raises(ValueError, match="list of at least 2 inputs"):
        layers.Add()([A])
    with pytest.raises(ValueError, match="compatible shapes"):
        layers.Add()([A, np.ones((2, 4), "float32")])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([A, B, C])
    with pytest.raises(ValueError, match="compatible shapes"):
        layers.add([lamina.Input((3,)), lamina.Input((4,))])


def test_concatenate():
    d = np.ones((2, 4), "float32")
    np.testing.assert_array_equal(layers.Concatenate()([A, d]).numpy(), np.concatenate([A, d], 1))
    x = lamina.layers.concatenate([lamina.Input((3, 4)), lamina.Input((2, 4))], axis=1)
    assert x.shape == (None, 5, 4)
    with pytest.raises(ValueError, match="other axes match"):
        layers.Concatenate()([np.ones((2, 3, 4)), np.ones((2, 2, 4))])


def test_dot_per_sample():
    np.testing.assert_allclose(
        layers.Dot(axes=1)([A, B]).numpy(), (A * B).sum(1, keepdims=True), rtol=1e-5
    )
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    y = rng.standard_normal((2, 5, 3)).astype("float32")
    np.testing.assert_allclose(
        layers.Dot(axes=(1, 2))([x, y]).numpy(), np.einsum("bki,bjk->bij", x, y), rtol=1e-5
    )
    cos = layers.dot([lamina.Input((3,)), lamina.Input((3,))], axes=1, normalize=True)
    assert cos.shape == (None, 1)
    unit = layers.Dot(axes=1, normalize=True)([A, 2 * A]).numpy()
    np.testing.assert_allclose(unit, np.ones((2, 1)), rtol=1e-5)


def test_dot_errors():
    with pytest.raises(ValueError, match="batch axis"):
        layers.Dot(axes=0)([A, B])
    with pytest.raises(ValueError, match="same length"):
        layers.Dot(axes=1)([A, np.ones((2, 4), "float32")])
