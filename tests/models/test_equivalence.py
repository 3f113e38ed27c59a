"""The same network as Sequential, functional and subclassed: equal outputs and gradients."""

import numpy as np

import lamina
from lamina import layers, ops


def sequential():
    return lamina.Sequential(
        [
            layers.Dense(16, activation="relu", input_shape=(8,)),
            layers.Dense(4, activation="softmax"),
        ]
    )


def functional():
    x = lamina.Input((8,))
    h = layers.Dense(16, activation="relu")(x)
    return lamina.Model(x, layers.Dense(4, activation="softmax")(h))


class Subclassed(lamina.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(16, activation="relu")
        self.out = layers.Dense(4, activation="softmax")

    def call(self, x):
        return self.out(self.hidden(x))


def loss_and_grads(model, x, y):
    with lamina.GradientTape() as tape:
        probs = model(x, training=True)
        loss = ops.mean(lamina.losses.categorical_crossentropy(y, probs))
    return float(loss), [g.numpy() for g in tape.gradient(loss, model.trainable_weights)]


def test_outputs_and_gradients_agree():
    lamina.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 8)).astype("float32")
    y = lamina.utils.to_categorical(rng.integers(0, 4, 10), 4)
    reference = sequential()
    others = [functional(), Subclassed()]
    others[1](x)
    weights = reference.get_weights()
    ref_out = reference.predict(x, verbose=0)
    ref_loss, ref_grads = loss_and_grads(reference, x, y)
    for model in others:
        model.set_weights(weights)
        np.testing.assert_array_equal(model.predict(x, verbose=0), ref_out)
        loss, grads = loss_and_grads(model, x, y)
        assert loss == ref_loss
        for g, ref in zip(grads, ref_grads, strict=True):
            np.testing.assert_array_equal(g, ref)


def test_training_steps_agree():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 8)).astype("float32")
    y = lamina.utils.to_categorical(rng.integers(0, 4, 32), 4)
    seq, fun = sequential(), functional()
    fun.set_weights(seq.get_weights())
    for model in (seq, fun):
        model.compile(optimizer=lamina.optimizers.SGD(0.1), loss="categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(seq.get_weights(), fun.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
