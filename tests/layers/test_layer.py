"""The Layer base: names, weight tracking, freezing, weights I/O, losses, shapes, graph access."""

import numpy as np
import pytest

import lamina
from lamina import layers, ops
from lamina.naming import reset_names


class Block(layers.Layer):
    """Two Dense sublayers set as attributes, plus one weight of its own."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = layers.Dense(4, activation="relu")
        self.second = layers.Dense(2)

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

    def call(self, x):
        return self.second(self.first(x)) * self.scale


class ActivityPenalty(layers.Layer):
    def call(self, x):
        self.add_loss(ops.sum(x * x) * 0.5)
        return x


def test_default_names_are_unique_snake_case():
    reset_names()
    assert [layers.Dense(2).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert layers.LeakyReLU().name == "leaky_re_lu"
    assert layers.Dense(2, name="head").name == "head"
    assert lamina.Sequential().name == "sequential"


def test_unknown_keyword_is_refused():
    with pytest.raises(TypeError, match=r"unknown keyword argument\(s\) \['unit'\]"):
        layers.Dense(2, unit=3)


def test_build_on_first_call_and_call_on_arrays():
    layer = layers.Dense(3)
    assert not layer.built and layer.weights == []
    out = layer(np.ones((2, 5)))
    assert layer.built
    assert [w.shape for w in layer.weights] == [(5, 3), (3,)]
    assert isinstance(out, lamina.Tensor) and out.shape == (2, 3)


def test_sublayers_set_as_attributes_are_tracked():
    block = Block()
    block(np.ones((2, 3), "float32"))
    shapes = [w.shape for w in block.weights]
    assert shapes == [(), (3, 4), (4,), (4, 2), (2,)]
    assert len(block.trainable_weights) == 5
    assert block.count_params() == 1 + 12 + 4 + 8 + 2


def test_sublayers_in_a_list_attribute_are_tracked():
    class Stack(layers.Layer):
        def __init__(self):
            super().__init__()
            self.parts = [layers.Dense(2), layers.Dense(2)]

        def call(self, x):
            for part in self.parts:
                x = part(x)
            return x

    stack = Stack()
    stack(np.ones((1, 3), "float32"))
    assert len(stack.weights) == 4


def test_sublayers_in_a_dict_attribute_are_tracked():
    class Heads(layers.Layer):
        def __init__(self):
            super().__init__()
            self.heads = {"b": layers.Dense(2), "a": layers.Dense(3)}

        def call(self, x):
            return ops.concatenate([self.heads["b"](x), self.heads["a"](x)], axis=-1)

    heads = Heads()
    heads(np.ones((1, 3), "float32"))
    assert [w.shape for w in heads.trainable_weights] == [(3, 2), (2,), (3, 3), (3,)]


def test_setting_layers_before_super_init_is_explained():
    class Broken(layers.Layer):
        def __init__(self):
            self.dense = layers.Dense(2)
            super().__init__()

    with pytest.raises(RuntimeError, match=r"call super\(\).__init__\(\) before"):
        Broken()


def test_trainable_false_freezes_all_weights():
    block = Block()
    block(np.ones((2, 3), "float32"))
    block.trainable = False
    assert block.trainable_weights == []
    assert len(block.non_trainable_weights) == 5
    assert not block.first.trainable
    block.trainable = True
    assert len(block.trainable_weights) == 5 and block.non_trainable_weights == []


def test_trainable_false_in_constructor_and_training_leaves_weights_alone():
    lamina.utils.set_random_seed(0)
    frozen = layers.Dense(2, trainable=False)
    model = lamina.Sequential([layers.Input((3,)), frozen, layers.Dense(1)])
    before = frozen.get_weights()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((8, 3)), np.zeros((8, 1)), epochs=1, verbose=0)
    for a, b in zip(before, frozen.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2


def test_non_trainable_weight_of_a_layer():
    class Counter(layers.Layer):
        def build(self, input_shape):
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False)
            self.w = self.add_weight(shape=(input_shape[-1],))

        def call(self, x):
            return x * self.w

    layer = Counter()
    layer(np.ones((1, 2), "float32"))
    assert [w.shape for w in layer.trainable_weights] == [(2,)]
    assert [w.shape for w in layer.non_trainable_weights] == [()]


def test_get_and_set_weights():
    layer = layers.Dense(2)
    layer(np.ones((1, 3), "float32"))
    kernel, bias = np.full((3, 2), 0.5, "float32"), np.array([1.0, -1.0], "float32")
    layer.set_weights([kernel, bias])
    got = layer.get_weights()
    np.testing.assert_array_equal(got[0], kernel)
    np.testing.assert_array_equal(got[1], bias)
    got[0][:] = 9  # copies: changing them leaves the layer alone
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel)
    np.testing.assert_allclose(layer(np.ones((1, 3))).numpy(), [[2.5, 0.5]])


def test_set_weights_errors_name_layer_count_and_shape():
    layer = layers.Dense(2, name="d")
    layer(np.ones((1, 3), "float32"))
    with pytest.raises(
        ValueError, match=r"Layer 'd' expects 2 weight arrays. Received: a list of 1"
    ):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(
        ValueError, match=r"Layer 'd': weight 'kernel' has shape \(3, 2\).*\(2, 3\)"
    ):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])


def test_count_params_before_build_is_explained():
    with pytest.raises(ValueError, match="is not built yet"):
        layers.Dense(2).count_params()
    layer = layers.Dense(10, input_shape=(784,))
    layer.build((None, 784))
    assert layer.count_params() == 7850


def test_add_loss_and_losses():
    layer = ActivityPenalty()
    layer(np.ones((2, 2), "float32"))
    assert len(layer.losses) == 1 and float(layer.losses[0]) == 2.0
    layer(np.full((1, 1), 2.0, "float32"))  # losses from the previous call are cleared
    assert len(layer.losses) == 1 and float(layer.losses[0]) == 2.0


def test_add_loss_takes_keras2_inputs_argument_and_lists():
    class Keras2Penalty(layers.Layer):
        def call(self, inputs):
            self.add_loss(ops.sum(inputs), inputs=inputs)  # Keras 2's signature
            self.add_loss([ops.sum(inputs * 2), 1.0])
            return inputs

    layer = Keras2Penalty()
    layer(np.ones((2, 2), "float32"))
    assert [float(loss) for loss in layer.losses] == [4.0, 8.0, 1.0]


def test_weight_regularizers_join_losses():
    layer = layers.Dense(
        2, kernel_initializer="ones", kernel_regularizer=lamina.regularizers.L2(0.1)
    )
    layer(np.ones((1, 3), "float32"))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 0.1 * 6, rtol=1e-6)


def test_add_loss_of_a_layer_reaches_the_training_loss():
    model = lamina.Sequential([layers.Input((2,)), ActivityPenalty()])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 2), "float32")
    # mse is 0 (the model is the identity); the penalty 0.5 * sum(x^2) = 4 is the whole loss
    assert model.evaluate(x, x, verbose=0, batch_size=4) == pytest.approx(4.0)


def test_compute_output_shape_with_unknown_batch():
    assert layers.Dense(5).compute_output_shape((None, 3)) == (None, 5)
    assert layers.Flatten().compute_output_shape((None, 3, 4)) == (None, 12)
    assert Block().compute_output_shape((None, 3)) == (None, 2)  # worked out by a probe call


def test_input_and_output_of_a_layer_in_a_graph():
    inputs = lamina.Input((3,))
    dense = layers.Dense(2)
    outputs = dense(inputs)
    assert dense.input is inputs and dense.output is outputs
    assert outputs.shape == (None, 2)
    with pytest.raises(AttributeError, match="never been called on a symbolic input"):
        _ = layers.Dense(2).output


def test_dtype_argument_sets_weights_and_outputs():
    layer = layers.Dense(2, dtype="float64")
    out = layer(np.ones((1, 3), "float32"))
    assert layer.kernel.dtype == np.float64 and out.dtype == np.float64
    assert layer.get_config()["dtype"] == "float64"


def test_training_flag_reaches_nested_layers():
    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.drop = layers.Dropout(0.5, seed=0)

        def call(self, x):
            return self.drop(x)

    outer = Outer()
    x = np.ones((50, 50), "float32")
    np.testing.assert_array_equal(outer(x).numpy(), x)
    assert (outer(x, training=True).numpy() == 0).any()


class Difference(layers.Layer):
    def call(self, logits, targets):
        return logits - targets


def test_first_input_by_keyword_eagerly():
    a = np.ones((2, 3), "float32")
    b = np.full((2, 3), 0.25, "float32")
    np.testing.assert_allclose(Difference()(logits=a, targets=b).numpy(), a - b)
    np.testing.assert_allclose(Difference()(a, targets=b).numpy(), a - b)
    dense = layers.Dense(2)
    np.testing.assert_allclose(dense(inputs=a).numpy(), dense(a).numpy())


def test_first_input_by_keyword_on_symbolic_tensors():
    a = lamina.Input((3,), name="a")
    b = lamina.Input((3,), name="b")
    out = layers.Dense(2)(inputs=Difference()(logits=a, targets=b))
    assert out.shape == (None, 2)
    model = lamina.Model([a, b], out)
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 3), "float32")
    expected = model.layers[-1](x - y).numpy()
    np.testing.assert_allclose(model.predict([x, y], verbose=0), expected, rtol=1e-6)


def test_call_without_inputs_names_the_argument():
    with pytest.raises(TypeError, match=r"without inputs.*'logits'.*Received: keyword arguments"):
        Difference()(targets=np.ones((2, 3), "float32"))
