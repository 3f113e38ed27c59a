"""Symbolic calls: outputs come from compute_output_spec; only layers without one are probed."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.layers.layer import Layer


@pytest.fixture
def call_count(monkeypatch):
    """How many times any layer's `call` ran, by layer class name."""
    counts: dict[str, int] = {}
    run_call = Layer._run_call

    def counting(self, *args, **kwargs):
        counts[type(self).__name__] = counts.get(type(self).__name__, 0) + 1
        return run_call(self, *args, **kwargs)

    monkeypatch.setattr(Layer, "_run_call", counting)
    return counts


def built_in_graph() -> lamina.Model:
    a = lamina.Input((12,), name="a")
    b = lamina.Input((3, 4), name="b")
    x = layers.Dense(12, activation="relu")(a)
    x = layers.Dropout(0.5)(x)
    x = layers.Reshape((4, -1))(x)
    x = layers.Permute((2, 1))(x)
    y = layers.Flatten()(layers.ReLU()(b))
    y = layers.RepeatVector(2)(layers.LeakyReLU()(y))
    y = layers.Reshape((3, 8))(y)
    z = layers.Concatenate(axis=2)([layers.ELU()(x), layers.Softmax()(y)])
    s = layers.Add()([z, layers.Activation("tanh")(z)])
    s = layers.Average()([s, layers.Subtract()([s, z]), layers.Multiply()([s, z])])
    d = layers.Dot(axes=(1, 1), normalize=True)([s, z])
    d = layers.Lambda(lambda t: t * 2, output_shape=(12, 12))(d)
    out = layers.Dense(1)(layers.Flatten()(layers.Maximum()([d, layers.Minimum()([d, d])])))
    return lamina.Model([a, b], out)


def test_building_a_graph_of_built_in_layers_calls_no_layer(call_count):
    model = built_in_graph()
    assert call_count == {}
    assert model.output.shape == (None, 1)
    model.predict([np.ones((2, 12)), np.ones((2, 3, 4))], verbose=0)
    assert call_count["Dense"] == 2  # the counter sees calls on real arrays


def test_a_user_layer_without_compute_output_shape_is_probed(call_count):
    class Pairs(Layer):
        def call(self, x):
            return lamina.ops.reshape(x, (x.shape[0], -1, 2))

    x = lamina.Input((6,))
    out = Pairs()(layers.Dense(6)(x))
    assert out.shape == (None, 3, 2) and out.dtype == np.float32
    assert call_count == {"Pairs": 2}  # the probe: batch sizes 2 and 3 find the unknown axis
    model = lamina.Model(x, out)
    assert model.predict(np.ones((5, 6)), verbose=0).shape == (5, 3, 2)


def test_a_user_layer_declaring_its_output_shape_is_trusted(call_count):
    class Declared(Layer):
        def call(self, x):
            return x[:, :2]

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 2)

    out = Declared()(lamina.Input((5,), dtype="int32"))
    assert out.shape == (None, 2) and out.dtype == np.float32  # the layer's dtype
    assert call_count == {}


def test_a_user_compute_output_spec_is_used_and_its_tensors_copied(call_count):
    class Identity(Layer):
        def compute_output_spec(self, inputs):
            return inputs

    x = lamina.Input((3,))
    y = Identity()(x)
    assert y is not x and y.shape == (None, 3) and x.node.layer.name != y.node.layer.name
    assert call_count == {}


def test_a_wrong_output_spec_is_named():
    class Bad(Layer):
        def compute_output_shape(self, input_shape):
            return "(None, 3)"

    with pytest.raises(TypeError, match=r"'bad.*compute_output_shape must return a shape"):
        Bad(name="bad")(lamina.Input((3,)))

    class NotATensor(Layer):
        def compute_output_spec(self, inputs):
            return (None, 3)

    with pytest.raises(TypeError, match="compute_output_spec must return KerasTensors"):
        NotATensor()(lamina.Input((3,)))


def test_nested_models_are_walked_not_run(call_count):
    inner = lamina.Sequential([layers.Input((4,)), layers.Dense(3), layers.Reshape((3, 1))])
    x = lamina.Input((2,))
    graph = lamina.Model(x, layers.Concatenate()([x, -x]))
    y = lamina.Input((2,))
    out = inner(graph(y))
    assert out.shape == (None, 3, 1)
    lazy = lamina.Sequential([layers.Dense(5)])  # built by its first symbolic call
    assert lazy(out).shape == (None, 3, 5)
    assert set(call_count) <= {"OpLayer"}  # only `-x`, an op without a declared shape, ran
    model = lamina.Model(y, lazy(out))
    assert model.predict(np.ones((2, 2)), verbose=0).shape == (2, 3, 5)


def test_a_model_subclass_with_its_own_call_is_probed(call_count):
    class Twice(lamina.Sequential):
        def call(self, inputs, training=None, mask=None):
            return lamina.ops.concatenate([super().call(inputs)] * 2, axis=-1)

    out = Twice([layers.Input((2,)), layers.Dense(3)])(lamina.Input((2,)))
    assert out.shape == (None, 6)
    assert call_count["Twice"] == 2


def test_training_reaches_compute_output_spec_only_if_call_takes_it():
    class Spec(Layer):
        def call(self, x):
            return x

        def compute_output_spec(self, inputs):
            return inputs

    class SpecTraining(Spec):
        def call(self, x, training=None):
            return x

        def compute_output_spec(self, inputs, training=None):
            assert training is True
            return inputs

    x = lamina.Input((3,))
    assert Spec()(x, training=True).shape == (None, 3)
    assert SpecTraining()(x, training=True).shape == (None, 3)
