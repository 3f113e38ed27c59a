"""Input/InputLayer, Dense, Activation, Dropout and Lambda."""

import json

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.layers.symbolic import KerasTensor


def test_input_makes_a_symbolic_tensor():
    x = lamina.Input(shape=(784,), name="pixels")
    assert isinstance(x, KerasTensor)
    assert x.shape == (None, 784) and x.dtype == np.float32
    assert isinstance(x.node.layer, layers.InputLayer) and x.node.layer.name == "pixels"
    assert lamina.Input(shape=5).shape == (None, 5)
    assert lamina.Input(shape=(3,), batch_size=8, dtype="int32").shape == (8, 3)
    assert lamina.Input(batch_shape=(None, None, 4)).shape == (None, None, 4)
    assert lamina.layers.Input is lamina.Input


def test_input_errors():
    with pytest.raises(ValueError, match="Input needs a `shape`"):
        lamina.Input()
    with pytest.raises(ValueError, match="non-negative"):
        lamina.Input(shape=(-3,))


def test_input_layer_config():
    layer = layers.InputLayer(shape=(3, 4), name="inp")
    assert layer.batch_shape == (None, 3, 4) and layer.built
    config = layer.get_config()
    json.dumps(config)
    clone = layers.InputLayer.from_config({**config, "name": "inp_copy"})
    assert clone.batch_shape == (None, 3, 4) and clone.dtype == "float32"


def test_dense_computes_x_kernel_plus_bias():
    layer = layers.Dense(2, activation="relu")
    x = np.array([[1.0, -2.0, 3.0]], "float32")
    kernel = np.array([[1.0, 0.5], [0.0, 1.0], [1.0, -1.0]], "float32")
    bias = np.array([0.5, 0.0], "float32")
    layer(x)
    layer.set_weights([kernel, bias])
    np.testing.assert_allclose(layer(x).numpy(), np.maximum(x @ kernel + bias, 0))


def test_dense_on_3d_inputs_acts_on_the_last_axis():
    layer = layers.Dense(4)
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype("float32")
    out = layer(x)
    assert out.shape == (2, 5, 4) and layer.kernel.shape == (3, 4)
    expected = x @ layer.kernel.numpy() + layer.bias.numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert layer(lamina.Input((7, 3))).shape == (None, 7, 4)


def test_dense_argument_errors():
    with pytest.raises(ValueError, match=r"positive integer. Received: units=-3"):
        layers.Dense(-3)
    with pytest.raises(ValueError, match=r"positive integer. Received: units=np.int64\(0\)"):
        layers.Dense(np.int64(0))
    # NumPy integers are accepted: the book's VAE writes Dense(np.prod(shape[1:])).
    dense = layers.Dense(np.prod((2, 3)))
    assert type(dense.units) is int and dense.get_config()["units"] == 6
    with pytest.raises(ValueError, match="Unknown activation|unknown activation"):
        layers.Dense(3, activation="relux")
    layer = layers.Dense(2)
    layer(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"built for inputs with last axis 3.*\(1, 4\)"):
        layer(np.ones((1, 4), "float32"))


def test_dense_config_round_trip_keeps_arguments():
    layer = layers.Dense(
        3, activation="tanh", use_bias=False, kernel_initializer="he_normal", name="head"
    )
    config = layer.get_config()
    json.dumps(config)
    assert config["units"] == 3 and config["activation"] == "tanh" and not config["use_bias"]
    clone = layers.Dense.from_config(config)
    assert clone.get_config() == config


def test_activation_layer():
    x = np.array([[-1.0, 0.5, 2.0]], "float32")
    np.testing.assert_allclose(layers.Activation("relu")(x).numpy(), [[0.0, 0.5, 2.0]])
    np.testing.assert_allclose(
        layers.Activation("sigmoid")(x).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-6
    )
    soft = layers.Activation("softmax")(x).numpy()
    np.testing.assert_allclose(soft, np.exp(x) / np.exp(x).sum(), rtol=1e-6)
    assert layers.Activation(np.tanh).activation is np.tanh


class TestDropout:
    x = np.ones((200, 50), "float32")

    def test_inference_passes_inputs_through(self):
        layer = layers.Dropout(0.5)
        np.testing.assert_array_equal(layer(self.x).numpy(), self.x)
        np.testing.assert_array_equal(layer(self.x, training=False).numpy(), self.x)

    def test_training_drops_about_rate_and_scales_the_rest(self):
        out = layers.Dropout(0.3, seed=1)(self.x, training=True).numpy()
        kept = out != 0
        assert abs(1 - kept.mean() - 0.3) < 0.02
        np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)
        assert abs(out.mean() - 1.0) < 0.05  # the expected value is preserved

    def test_seeded_layers_repeat_their_masks(self):
        a = layers.Dropout(0.5, seed=7)
        b = layers.Dropout(0.5, seed=7)
        first = a(self.x, training=True).numpy()
        np.testing.assert_array_equal(first, b(self.x, training=True).numpy())
        assert not np.array_equal(first, a(self.x, training=True).numpy())  # the stream moves on

    def test_global_seed_makes_unseeded_dropout_repeatable(self):
        lamina.utils.set_random_seed(3)
        first = layers.Dropout(0.5)(self.x, training=True).numpy()
        lamina.utils.set_random_seed(3)
        np.testing.assert_array_equal(first, layers.Dropout(0.5)(self.x, training=True).numpy())

    def test_noise_shape_drops_whole_columns(self):
        out = layers.Dropout(0.5, noise_shape=(1, 50), seed=0)(self.x, training=True).numpy()
        assert all(len(set(col)) == 1 for col in out.T)

    def test_gradient_follows_the_mask(self):
        layer = layers.Dropout(0.5, seed=0)
        x = lamina.Variable(self.x)
        with lamina.GradientTape() as tape:
            y = layer(x, training=True)
            total = lamina.ops.sum(y)
        np.testing.assert_array_equal(tape.gradient(total, x).numpy(), y.numpy())

    def test_predict_does_not_drop(self):
        model = lamina.Sequential([layers.Input((50,)), layers.Dropout(0.9, seed=0)])
        np.testing.assert_array_equal(model.predict(self.x, verbose=0), self.x)

    @pytest.mark.parametrize("rate", [-0.1, 1.0, "half"])
    def test_rate_is_checked(self, rate):
        with pytest.raises(ValueError, match=r"rate to be in \[0, 1\)"):
            layers.Dropout(rate)


class TestLambda:
    def test_works_in_memory_eager_and_symbolic(self):
        layer = layers.Lambda(lambda x, factor: x * factor, arguments={"factor": 3.0})
        np.testing.assert_allclose(layer(np.ones((1, 2), "float32")).numpy(), [[3.0, 3.0]])
        inputs = lamina.Input((4,))
        outputs = layers.Lambda(lambda x: x[:, :2] * 2)(inputs)
        assert outputs.shape == (None, 2)
        model = lamina.Model(inputs, outputs)
        np.testing.assert_allclose(model.predict(np.ones((3, 4)), verbose=0), np.full((3, 2), 2))

    def test_trains_inside_a_model(self):
        lamina.utils.set_random_seed(0)
        model = lamina.Sequential(
            [layers.Input((3,)), layers.Dense(2), layers.Lambda(lambda x: x * x)]
        )
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.ones((4, 3)), np.zeros((4, 2)), epochs=1, verbose=0)

    def test_get_config_refuses_with_a_reason(self):
        layer = layers.Lambda(lambda x: x, name="square")
        with pytest.raises(
            ValueError, match="Lambda layer 'square' holds Python code.*Layer subclass"
        ):
            layer.get_config()

    def test_non_callable_is_refused(self):
        with pytest.raises(TypeError, match="expects a callable"):
            layers.Lambda(3)


def test_op_layer_from_config_refuses_sizing_ops_asked_for_too_much():
    small = layers.OpLayer.from_config({"op": "zeros", "args": [[2, 3]], "name": "z_small"})
    assert small.op_args == [[2, 3]]
    with pytest.raises(ValueError, match="OpLayer 'zeros' is given sizes .2199023255552 among"):
        layers.OpLayer.from_config({"op": "zeros", "args": [[2**41]], "name": "z_huge"})
    # an op that does not size an allocation takes any integer
    layers.OpLayer.from_config({"op": "add", "args": [None, 2**41], "name": "add_big"})
