"""BatchNormalization, LayerNormalization and GroupNormalization against NumPy formulas."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.gradient_tape import GradientTape
from lamina.testing import run_layer_test
from lamina.testing.gradcheck import check_gradients

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 4, 3)).astype("float32") * 2 + 1


def _normalize(x, axes, eps=1e-3):
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


@pytest.mark.parametrize("kwargs", [{}, {"axis": 1}, {"center": False, "scale": False}])
def test_batch_normalization_layer_contract(kwargs):
    n = 2 * kwargs.get("center", True)
    run_layer_test(
        layers.BatchNormalization,
        kwargs,
        input_shape=(4, 3, 5),
        expected_output_shape=(4, 3, 5),
        expected_num_trainable_weights=n,
        expected_num_non_trainable_weights=2,
    )


def test_batch_normalization_weights_in_keras_order():
    layer = layers.BatchNormalization()
    layer.build((None, 3))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.trainable for w in layer.weights] == [True, True, False, False]


def test_batch_normalization_training_uses_batch_statistics_and_moves_the_averages():
    layer = layers.BatchNormalization(momentum=0.9)
    out = layer(X, training=True).numpy()
    np.testing.assert_allclose(out, _normalize(X, (0, 1)), rtol=1e-4, atol=1e-5)
    moving_mean = 0.1 * X.mean(axis=(0, 1))
    np.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-5)
    np.testing.assert_allclose(
        layer.moving_variance.numpy(), 0.9 + 0.1 * X.var(axis=(0, 1)), rtol=1e-5
    )
    inference = layer(X, training=False).numpy()
    expected = (X - moving_mean) / np.sqrt(layer.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(inference, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-5)


def test_frozen_batch_normalization_runs_in_inference_mode():
    layer = layers.BatchNormalization(trainable=False)
    out = layer(X, training=True).numpy()
    np.testing.assert_allclose(out, X / np.sqrt(1 + 1e-3), rtol=1e-6)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), 0)


def test_batch_normalization_training_gradient():
    x = RNG.standard_normal((5, 3))
    layer = layers.BatchNormalization(dtype="float64", gamma_initializer="random_normal")
    check_gradients(lambda t: layer(t, training=True), [x], atol=1e-5, rtol=1e-4)
    with GradientTape() as tape:
        loss = lamina.ops.sum(layer(x, training=True) * np.arange(15.0).reshape(5, 3))
    grads = tape.gradient(loss, layer.trainable_weights)
    assert all(g is not None for g in grads)


def test_batch_normalization_moving_statistics_move_inside_fit():
    x = RNG.standard_normal((32, 3)).astype("float32") * 3 + 5
    inputs = lamina.Input((3,))
    h = layers.Dense(3)(inputs)
    h = layers.BatchNormalization()(h)
    h = layers.Add()([h, inputs])  # a residual connection
    outputs = layers.Dense(1)(layers.BatchNormalization()(h))
    model = lamina.Model(inputs, outputs)
    model.compile("adam", "mse")
    bn = model.layers[2]
    model.fit(x, x[:, :1], epochs=2, batch_size=8, verbose=0)
    assert not np.allclose(bn.moving_mean.numpy(), 0)
    before = bn.moving_mean.numpy().copy()
    model.predict(x, verbose=0)
    model.evaluate(x, x[:, :1], verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)


def test_batch_normalization_saves_and_loads(save_round_trip):
    model = lamina.Sequential([lamina.Input((4, 3)), layers.BatchNormalization(axis=[1, 2])])
    model.layers[0](X, training=True)
    loaded = save_round_trip(model, X)
    np.testing.assert_array_equal(
        loaded.layers[0].moving_mean.numpy(), model.layers[0].moving_mean.numpy()
    )


@pytest.mark.parametrize("name", ["fused", "renorm"])
def test_batch_normalization_refuses_keras2_arguments(name):
    with pytest.raises(TypeError, match=f"Keras 3 has no {name}.*Received: {name}=True"):
        layers.BatchNormalization(**{name: True})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"momentum": 2.0}, "momentum"), ({"epsilon": 0}, "epsilon"), ({"axis": "x"}, "axis")],
)
def test_batch_normalization_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=f"Received: {match}="):
        layers.BatchNormalization(**kwargs)


def test_normalization_errors_name_the_layer():
    layer = layers.BatchNormalization(axis=3, name="bn")
    with pytest.raises(ValueError, match="BatchNormalization 'bn'.*out of range"):
        layer(X)
    layer = layers.LayerNormalization(name="ln")
    layer(X)
    with pytest.raises(ValueError, match="LayerNormalization 'ln' was built for \\(3,\\)"):
        layer(np.zeros((2, 5), "float32"))


@pytest.mark.parametrize("kwargs", [{}, {"axis": [1, 2]}, {"rms_scaling": True}, {"center": False}])
def test_layer_normalization_layer_contract(kwargs):
    n = 1 if kwargs.get("rms_scaling") or kwargs.get("center") is False else 2
    run_layer_test(
        layers.LayerNormalization,
        kwargs,
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=n,
    )


def test_layer_normalization_values():
    np.testing.assert_allclose(
        layers.LayerNormalization()(X).numpy(), _normalize(X, -1), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(
        layers.LayerNormalization(axis=[1, 2])(X).numpy(),
        _normalize(X, (1, 2)),
        rtol=1e-4,
        atol=1e-5,
    )
    rms = X / np.sqrt((X**2).mean(axis=-1, keepdims=True) + 1e-3)
    out = layers.LayerNormalization(rms_scaling=True)(X).numpy()
    np.testing.assert_allclose(out, rms, rtol=1e-5)


@pytest.mark.parametrize("kwargs", [{"groups": 2}, {"groups": -1}, {"groups": 1, "axis": 1}])
def test_group_normalization_layer_contract(kwargs):
    run_layer_test(
        layers.GroupNormalization,
        kwargs,
        input_shape=(2, 4, 6),
        expected_output_shape=(2, 4, 6),
        expected_num_trainable_weights=2,
    )


def test_group_normalization_values():
    x = RNG.standard_normal((2, 3, 6)).astype("float32")
    out = layers.GroupNormalization(groups=2)(x).numpy()
    grouped = x.reshape(2, 3, 2, 3)
    expected = _normalize(grouped, (1, 3)).reshape(2, 3, 6)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    first = layers.GroupNormalization(groups=3, axis=1)(x).numpy()
    np.testing.assert_allclose(first, _normalize(x, 2), rtol=1e-4, atol=1e-5)


def test_group_normalization_groups_must_divide_the_channels():
    with pytest.raises(ValueError, match="divide the 6 channels.*Received: groups=4"):
        layers.GroupNormalization(groups=4)(np.zeros((1, 6), "float32"))
    with pytest.raises(ValueError, match="Received: groups=0"):
        layers.GroupNormalization(groups=0)


def test_layer_and_group_normalization_save_and_load(save_round_trip):
    inputs = lamina.Input((4, 3))
    h = layers.LayerNormalization(gamma_initializer="random_normal")(inputs)
    outputs = layers.GroupNormalization(groups=3, beta_initializer="random_normal")(h)
    save_round_trip(lamina.Model(inputs, outputs), X)


def test_gamma_beta_helpers_make_only_the_asked_weights_and_apply_them():
    from lamina.layers.normalization.gamma_beta import add_gamma_beta, scale_and_shift
    from lamina.layers.weight_arguments import set_weight_arguments

    layer = lamina.layers.Layer()
    set_weight_arguments(layer, "gamma", "ones", None, None)
    set_weight_arguments(layer, "beta", "zeros", None, None)
    add_gamma_beta(layer, (3,), scale=True, center=False)
    assert layer.beta is None and [w.name for w in layer.weights] == ["gamma"]
    layer.gamma.assign(np.array([1.0, 2.0, 3.0], "float32"))
    out = scale_and_shift(layer, np.ones((2, 3), "float32"), (1, 3))
    np.testing.assert_allclose(out.numpy(), [[1, 2, 3], [1, 2, 3]])


def test_batch_normalization_inference_makes_two_passes_over_the_inputs(monkeypatch):
    """The moving statistics are folded into one scale and one shift (MobileNetV2's hot path)."""
    from lamina.function import Function

    x = np.random.default_rng(0).normal(size=(4, 5, 5, 3)).astype("float32")
    layer = layers.BatchNormalization()
    layer.build(x.shape)
    rng = np.random.default_rng(1)
    for w in layer.weights:
        w.assign(rng.uniform(0.5, 2.0, size=w.shape))
    gamma, beta, mean, variance = (w.numpy() for w in layer.weights)
    full_size = []
    apply = Function.apply.__func__
    monkeypatch.setattr(
        Function,
        "apply",
        classmethod(
            lambda cls, *inputs, **attrs: (
                full_size.append(any(t.shape == x.shape for t in inputs))
                or apply(cls, *inputs, **attrs)
            )
        ),
    )
    out = layer(x, training=False).numpy()
    assert sum(full_size) == 2
    expected = (x - mean) / np.sqrt(variance + 1e-3) * gamma + beta
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
