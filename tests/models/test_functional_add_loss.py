"""Keras 2's `model.add_loss(symbolic_tensor)` on functional models."""

import numpy as np
import pytest

import lamina
from lamina import backend as K
from lamina.utils import set_random_seed

X = np.random.default_rng(0).uniform(size=(16, 6)).astype("float32")


def autoencoder():
    inputs = lamina.Input((6,))
    hidden = lamina.layers.Dense(3, activation="relu", name="hidden")(inputs)
    outputs = lamina.layers.Dense(6, name="out")(hidden)
    return inputs, hidden, outputs, lamina.Model(inputs, outputs)


def test_a_symbolic_loss_is_computed_on_each_call_and_trained():
    set_random_seed(0)
    inputs, hidden, outputs, model = autoencoder()
    layers_before = model.layers
    model.add_loss(K.mean(K.square(outputs - inputs)) + 0.1 * K.mean(hidden))
    model.compile(optimizer=lamina.optimizers.Adam(0.02))
    assert model.layers == layers_before  # the loss's nodes are not layers of the model

    out = model(X)
    h = lamina.Model(inputs, hidden)(X).numpy()
    expected = np.mean((out.numpy() - X) ** 2) + 0.1 * np.mean(h)
    (loss,) = model.losses
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-6)
    assert model.evaluate(X, None, verbose=0) == pytest.approx(expected, rel=1e-6)

    history = model.fit(X, None, epochs=20, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < 0.8 * history[0]


def test_keras_2_vae_pattern_with_tensors_of_an_inner_encoder_model():
    # keras/examples/variational_autoencoder.py (Keras 2.2): the loss reads z_mean and
    # z_log_var from the encoder's own graph, while the model calls the encoder as a layer.
    set_random_seed(1)
    inputs = lamina.Input((6,))
    x = lamina.layers.Dense(8, activation="relu")(inputs)
    z_mean = lamina.layers.Dense(2)(x)
    z_log_var = lamina.layers.Dense(2)(x)
    encoder = lamina.Model(inputs, [z_mean, z_log_var])
    latent = lamina.Input((2,))
    decoder = lamina.Model(latent, lamina.layers.Dense(6, activation="sigmoid")(latent))
    outputs = decoder(encoder(inputs)[0])
    vae = lamina.Model(inputs, outputs)
    # The example's own spelling: a loss function of keras.losses on the symbolic tensors.
    reconstruction = lamina.losses.binary_crossentropy(inputs, outputs) * 6
    kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
    vae.add_loss(K.mean(reconstruction + kl))
    vae.compile(optimizer="rmsprop")

    m, lv = (t.numpy() for t in encoder(X))
    p = np.clip(vae.predict(X, verbose=0), 1e-7, 1 - 1e-7)
    bce = -(X * np.log(p) + (1 - X) * np.log(1 - p)).sum(-1)
    expected = np.mean(bce - 0.5 * (1 + lv - m**2 - np.exp(lv)).sum(-1))
    assert vae.evaluate(X, None, verbose=0) == pytest.approx(expected, rel=1e-5)
    history = vae.fit(X, None, epochs=10, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < history[0]


def test_a_loss_on_inputs_the_model_does_not_have_is_refused():
    _, _, outputs, model = autoencoder()
    other = lamina.Input((6,))
    with pytest.raises(ValueError, match=r"inputs that are not the model's.*Model\(inputs="):
        model.add_loss(K.mean(outputs - other))


def test_symbolic_and_computed_losses_in_one_call_are_refused():
    _, _, outputs, model = autoencoder()
    with pytest.raises(TypeError, match="separate calls"):
        model.add_loss([K.mean(outputs), 1.0])


def test_a_symbolic_loss_on_a_plain_layer_says_where_it_goes():
    _, _, outputs, _ = autoencoder()
    layer = lamina.layers.Dense(2)
    with pytest.raises(TypeError, match=r"symbolic tensor.*model.add_loss\(tensor\)"):
        layer.add_loss(K.mean(outputs))
