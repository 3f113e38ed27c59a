"""Freezing layers: `trainable = False` takes effect at the next `compile`, as in Keras."""

import numpy as np

import lamina
from lamina import layers


def make_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64")


def base_and_model():
    lamina.utils.set_random_seed(0)
    base = lamina.Sequential(
        [
            lamina.Input((6,)),
            layers.Dense(8, activation="relu", name="low"),
            layers.Dense(8, activation="relu", name="high"),
        ],
        name="base",
    )
    inputs = lamina.Input((6,))
    outputs = layers.Dense(2, activation="softmax", name="head")(base(inputs))
    model = lamina.Model(inputs, outputs)
    return base, model


def changed_layers(model, fn):
    """The names of the layers whose weights `fn()` changes."""
    base = model.layers[1]
    found = {"low": base.get_layer("low"), "high": base.get_layer("high")}
    found["head"] = model.get_layer("head")
    before = {n: [w.copy() for w in layer.get_weights()] for n, layer in found.items()}
    fn()
    return {
        n
        for n, layer in found.items()
        if any(
            not np.array_equal(a, b) for a, b in zip(before[n], layer.get_weights(), strict=True)
        )
    }


def fit(model):
    x, y = make_data()
    return lambda: model.fit(x, y, batch_size=16, epochs=1, verbose=0)


def test_freezing_takes_effect_at_the_next_compile():
    base, model = base_and_model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    assert changed_layers(model, fit(model)) == {"low", "high", "head"}

    base.trainable = False
    assert changed_layers(model, fit(model)) == {"low", "high", "head"}  # not compiled yet
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    assert changed_layers(model, fit(model)) == {"head"}
    assert len(model.trainable_weights) == 2


def test_fine_tuning_unfreezes_the_top_of_the_base():
    base, model = base_and_model()
    base.trainable = False
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    assert changed_layers(model, fit(model)) == {"head"}

    base.trainable = True
    base.get_layer("low").trainable = False
    model.compile(optimizer=lamina.optimizers.RMSprop(1e-5), loss="sparse_categorical_crossentropy")
    assert changed_layers(model, fit(model)) == {"high", "head"}
    assert model.optimizer.learning_rate == 1e-5


def test_a_frozen_model_saves_and_loads_frozen(tmp_path):
    base, model = base_and_model()
    base.trainable = False
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    fit(model)()
    model.save(tmp_path / "m.keras")
    loaded = lamina.models.load_model(tmp_path / "m.keras")
    assert len(loaded.trainable_weights) == 2
    assert changed_layers(loaded, fit(loaded)) == {"head"}


def weights_changed(model, fn):
    before = model.get_weights()
    fn()
    return [not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True)]


def books_gan(discriminator_layers=()):
    """The book's GAN recipe (8.5) with tiny nets: the discriminator is compiled, then frozen,
    then put into the GAN, which is compiled next."""
    lamina.utils.set_random_seed(0)
    generator = lamina.Sequential(
        [lamina.Input((2,)), layers.Dense(4), layers.BatchNormalization()], name="g"
    )
    discriminator = lamina.Sequential(
        [lamina.Input((4,)), *discriminator_layers, layers.Dense(1, activation="sigmoid")],
        name="d",
    )
    discriminator.compile(
        optimizer=lamina.optimizers.RMSprop(lr=0.01, clipvalue=1.0, decay=1e-8),
        loss="binary_crossentropy",
    )
    discriminator.trainable = False
    gan_input = lamina.Input((2,))
    gan = lamina.Model(gan_input, discriminator(generator(gan_input)))
    gan.compile(optimizer=lamina.optimizers.RMSprop(lr=0.01), loss="binary_crossentropy")
    return generator, discriminator, gan


def test_the_books_gan_trains_the_discriminator_alone_then_the_generator_alone():
    generator, discriminator, gan = books_gan()
    rng = np.random.default_rng(0)
    images, labels = rng.normal(size=(8, 4)), rng.random((8, 1))
    # Compiled while trainable: its own train_on_batch still trains it.
    assert all(weights_changed(discriminator, lambda: discriminator.train_on_batch(images, labels)))
    assert not any(weights_changed(generator, lambda: discriminator.train_on_batch(images, labels)))

    noise, misleading = rng.normal(size=(8, 2)), np.zeros((8, 1))

    def step():
        gan.train_on_batch(noise, misleading)

    assert not any(weights_changed(discriminator, step))
    assert weights_changed(generator, step) == [True] * 6  # kernel, bias, BN's four


def test_the_trainable_set_changes_only_when_compiled_again():
    _, discriminator, _ = books_gan()
    x, y = np.ones((4, 4)), np.ones((4, 1))
    discriminator.compile(optimizer="rmsprop", loss="binary_crossentropy")  # now frozen
    assert not any(weights_changed(discriminator, lambda: discriminator.train_on_batch(x, y)))
    discriminator.trainable = True
    assert not any(weights_changed(discriminator, lambda: discriminator.train_on_batch(x, y)))
    discriminator.compile(optimizer="rmsprop", loss="binary_crossentropy")
    assert all(weights_changed(discriminator, lambda: discriminator.train_on_batch(x, y)))


def test_a_model_built_at_its_first_call_takes_its_trainable_set_at_the_first_step():
    model = lamina.Sequential([layers.Dense(3, name="low"), layers.Dense(1, name="head")])
    model.compile(optimizer="sgd", loss="mse")
    model.build((None, 2))
    model.get_layer("low").trainable = False
    changed = weights_changed(model, lambda: model.train_on_batch(np.ones((4, 2)), np.ones((4, 1))))
    assert changed == [False, False, True, True]


def test_a_frozen_batch_normalization_keeps_its_moving_statistics():
    # As in Keras 3, a frozen BatchNormalization runs in inference mode: training the GAN (or
    # the discriminator through its own train_on_batch while frozen) leaves its statistics.
    generator, discriminator, gan = books_gan([layers.BatchNormalization(name="d_bn")])
    rng = np.random.default_rng(1)
    bn = discriminator.get_layer("d_bn")
    moving = (bn.moving_mean, bn.moving_variance)
    stats = [v.numpy().copy() for v in moving]
    g_bn_mean = generator.layers[1].moving_mean.numpy().copy()

    gan.train_on_batch(rng.normal(size=(8, 2)), np.zeros((8, 1)))
    discriminator.train_on_batch(rng.normal(size=(8, 4)) + 3.0, np.ones((8, 1)))
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(stats, moving, strict=True))
    assert not np.array_equal(g_bn_mean, generator.layers[1].moving_mean.numpy())
    # Its gamma and beta were compiled trainable into the discriminator, so they still train.
    assert not np.array_equal(bn.gamma.numpy(), np.ones(4, dtype="float32"))


def test_a_frozen_conv_base_runs_no_backward(monkeypatch):
    """The book's 5.3: training a classifier on a frozen VGG16 must not differentiate the base."""
    from lamina import tensor
    from lamina.applications import VGG16
    from lamina.ops.conv import ConvOp

    calls, recorded = [], []
    original = ConvOp.backward
    monkeypatch.setattr(ConvOp, "backward", lambda op, grad: calls.append(1) or original(op, grad))
    order = tensor._topological_order

    def spy(targets):
        nodes = order(targets)
        recorded.append(sum(isinstance(node, ConvOp) for node in nodes))
        return nodes

    monkeypatch.setattr(tensor, "_topological_order", spy)
    lamina.utils.set_random_seed(0)
    conv_base = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    model = lamina.Sequential(
        [conv_base, layers.Flatten(), layers.Dense(8, activation="relu"), layers.Dense(1)]
    )
    x = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    y = np.array([0, 1, 0, 1], "float32")

    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert len(calls) == 13  # unfrozen: one backward per conv layer
    assert recorded == [13]

    conv_base.trainable = False
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    calls.clear()
    before = conv_base.get_weights()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert calls == []
    # The frozen convolutions are not even recorded, so they keep no activations for a
    # backward pass: compile fixed which weights are trained (the model was built).
    assert recorded[1:] == [0, 0]
    for a, b in zip(before, conv_base.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
