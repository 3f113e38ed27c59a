"""Keras guide programs: losses from add_loss, overridden train_step, metrics held by models.

Written as the Keras guides "Customizing what happens in fit()", "Making new layers and models
via subclassing" and "Writing your own metrics" write them, with `import lamina as keras`.
"""

import numpy as np
import pytest

import lamina as keras
from lamina import layers, ops

rng = np.random.default_rng(0)
X = rng.random((64, 8)).astype("float32")
Y = (X @ rng.standard_normal((8, 1))).astype("float32")


class ActivityRegularization(layers.Layer):
    """The guide's layer that adds a loss from its inputs."""

    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.square(inputs)))
        return inputs


def add_loss_model():
    inputs = keras.Input(shape=(8,))
    outputs = ActivityRegularization()(layers.Dense(4)(inputs))
    return keras.Model(inputs, outputs)


# ----- 1. compile() without a loss ---------------------------------------------------------


def test_compile_without_loss_trains_on_the_added_losses():
    model = add_loss_model()
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    history = model.fit(X, epochs=3, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert list(history.history) == ["loss"] and losses[-1] < losses[0]
    again = model.fit(X, None, epochs=1, batch_size=16, verbose=0).history["loss"][0]
    assert again < losses[-1]
    # evaluate reports the added loss: the layer's penalty on the model's own outputs
    expected = 1e-2 * float(np.mean(np.square(model.predict(X, verbose=0))))
    assert model.evaluate(X, verbose=0, batch_size=64) == pytest.approx(expected, rel=1e-5)


def test_add_loss_in_the_model_call():
    class Autoencoder(keras.Model):
        def __init__(self):
            super().__init__()
            self.encode = layers.Dense(3)
            self.decode = layers.Dense(8)

        def call(self, x):
            out = self.decode(self.encode(x))
            self.add_loss(ops.mean(ops.square(out - x)))
            return out

    model = Autoencoder()
    model.compile(optimizer="adam")
    history = model.fit(X, epochs=5, batch_size=16, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]


def test_fit_without_any_loss_says_how_to_give_one():
    inputs = keras.Input(shape=(8,))
    model = keras.Model(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="adam")
    weights = model.get_weights()
    with pytest.raises(ValueError, match=r"no loss.*add_loss\(.*train_step\(\)"):
        model.fit(X, Y, verbose=0)
    with pytest.raises(ValueError, match=r"add_loss"):
        model.evaluate(X, Y, verbose=0)
    model.compile(optimizer="adam", loss=None)  # Keras 2's spelling of no compiled loss
    for method in ("train_on_batch", "test_on_batch"):
        with pytest.raises(ValueError, match=r"No loss to compute.*Received: loss=None"):
            getattr(model, method)(X, Y)
    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_compiled_loss_without_targets_is_a_clear_error():
    inputs = keras.Input(shape=(8,))
    model = keras.Model(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=r"y is missing.*model.fit\(x, y\).*Received: y=None"):
        model.fit(X, verbose=0)


class GAN(keras.Model):
    """The guide's GAN: its own compile(), metrics and train_step, no call()."""

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real):
        if isinstance(real, tuple):
            real = real[0]
        batch = real.shape[0]
        noise = keras.random.normal((batch, self.latent_dim), seed=1)
        fake = self.generator(noise)
        images = ops.concatenate([fake, ops.convert_to_tensor(real)], axis=0)
        labels = np.concatenate([np.ones((batch, 1)), np.zeros((batch, 1))]).astype("float32")
        with keras.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(images))
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply(tape.gradient(d_loss, weights), weights)
        with keras.GradientTape() as tape:
            preds = self.discriminator(self.generator(noise))
            g_loss = self.loss_fn(np.zeros((batch, 1), "float32"), preds)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply(tape.gradient(g_loss, weights), weights)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def test_gan_compiles_with_its_own_arguments_and_trains():
    discriminator = keras.Sequential([keras.Input((8,)), layers.Dense(1, activation="sigmoid")])
    generator = keras.Sequential([keras.Input((2,)), layers.Dense(8)])
    gan = GAN(discriminator, generator, latent_dim=2)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(1e-3),
        g_optimizer=keras.optimizers.Adam(1e-3),
        loss_fn=keras.losses.BinaryCrossentropy(),
    )
    before = generator.get_weights()[0].copy()
    history = gan.fit(X, epochs=2, batch_size=32, verbose=0).history
    assert list(history) == ["d_loss", "g_loss"]
    assert all(isinstance(v, float) for v in history["d_loss"] + history["g_loss"])
    # reset_metrics at each epoch start: epoch 2's mean is not epoch 1's running mean
    assert gan.d_loss_tracker.count == 2
    assert not np.array_equal(before, generator.get_weights()[0])


# ----- 2. a Model subclass built from inputs and outputs -----------------------------------


class CustomModel(keras.Model):
    """The guide's first example: fit() with its own train_step, metrics from compile()."""

    def train_step(self, data):
        x, y = data
        with keras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.compute_loss(y=y, y_pred=y_pred)
        self.test_calls = getattr(self, "test_calls", 0) + 1
        for metric in self.metrics:
            if metric.name != "loss":
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics if m.name != "loss"}


def test_subclass_built_from_inputs_and_outputs(tmp_path):
    inputs = keras.Input(shape=(8,))
    outputs = layers.Dense(1, name="out")(layers.Dense(4, name="hidden")(inputs))
    model = CustomModel(inputs, outputs)
    assert isinstance(model, CustomModel) and type(model).__name__ == "CustomModel"
    assert [layer.name for layer in model.layers][1:] == ["hidden", "out"]
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(X, Y, epochs=3, batch_size=16, verbose=0).history
    assert list(history) == ["loss", "mae"]
    assert history["loss"][-1] < history["loss"][0]
    assert all(isinstance(v, float) for v in history["mae"])
    logs = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert list(logs) == ["mae"] and model.test_calls == 2
    lines = []
    model.summary(print_fn=lines.append)
    assert "hidden (Dense)" in "\n".join(lines) and "Total params: 41" in "\n".join(lines)
    path = tmp_path / "custom.keras"
    model.save(path)
    restored = keras.models.load_model(path, custom_objects={"CustomModel": CustomModel})
    assert isinstance(restored, CustomModel)
    np.testing.assert_allclose(restored.predict(X, verbose=0), model.predict(X, verbose=0))


def test_subclass_built_with_keywords_shares_the_graph():
    inputs = keras.Input(shape=(8,))
    outputs = layers.Dense(1)(inputs)
    model = CustomModel(inputs=inputs, outputs=outputs, name="kw")
    assert model.name == "kw" and model.output is outputs
    np.testing.assert_allclose(
        model.predict(X, verbose=0), keras.Model(inputs, outputs).predict(X, verbose=0)
    )


# ----- 3. metrics held by layers and models ------------------------------------------------


class BinaryTruePositives(keras.metrics.Metric):
    """The guide's metric: state made with add_variable after super().__init__()."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="tp")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "bool")
        y_pred = ops.cast(ops.greater(y_pred, 0.5), "bool")
        values = ops.cast(ops.logical_and(y_true, y_pred), self.dtype)
        if sample_weight is not None:
            values = ops.multiply(values, ops.cast(sample_weight, self.dtype))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0)


def test_metric_made_with_add_variable_in_compile():
    labels = (Y > 0).astype("float32")
    inputs = keras.Input(shape=(8,))
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(inputs))
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=[BinaryTruePositives()])
    logs = model.evaluate(X, labels, verbose=0, return_dict=True)
    preds = model.predict(X, verbose=0) > 0.5
    assert logs["binary_true_positives"] == float(np.sum(preds & (labels > 0)))


class LogisticEndpoint(layers.Layer):
    """The guide's endpoint layer: a loss and a metric computed in call()."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.accuracy_fn = keras.metrics.BinaryAccuracy()

    def call(self, logits, targets=None, sample_weights=None):
        if targets is not None:
            self.add_loss(self.loss_fn(targets, logits, sample_weights))
            self.accuracy_fn.update_state(targets, ops.sigmoid(logits), sample_weights)
        return ops.softmax(logits)


def test_layer_metric_updated_in_call_shows_in_the_logs():
    inputs = keras.Input(shape=(8,), name="inputs")
    targets = keras.Input(shape=(1,), name="targets")
    logits = layers.Dense(1)(inputs)
    predictions = LogisticEndpoint(name="predictions")(logits=logits, targets=targets)
    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")
    labels = (Y > 0).astype("float32")
    history = model.fit({"inputs": X, "targets": labels}, epochs=2, batch_size=16, verbose=0)
    assert list(history.history) == ["loss", "binary_accuracy"]
    assert all(0 <= v <= 1 for v in history.history["binary_accuracy"])
    metric = model.metrics[-1]
    assert metric.name == "binary_accuracy"
    assert metric.count == 64  # reset at the start of the epoch: one epoch's samples
    model.reset_metrics()
    assert metric.count == 0


def test_metric_attributes_are_tracked_once_and_replaced():
    class Tracked(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.seen = keras.metrics.Mean(name="seen")

        def call(self, x):
            out = self.dense(x)
            self.seen.update_state(ops.mean(out))
            return out

    model = Tracked()
    model.compile(optimizer="sgd", loss="mse")
    model.seen = keras.metrics.Mean(name="seen2")
    assert [m.name for m in model.metrics] == ["loss", "seen2"]
    history = model.fit(X, Y, epochs=1, batch_size=32, verbose=0).history
    assert list(history) == ["loss", "seen2"]


def test_keras2_add_metric_in_call_is_logged():
    class Logged(layers.Layer):
        def call(self, x):
            self.add_metric(ops.mean(x), name="mean_activation")
            return x

    inputs = keras.Input(shape=(8,))
    model = keras.Model(inputs, layers.Dense(1)(Logged()(layers.Dense(4)(inputs))))
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(X, Y, epochs=2, batch_size=16, verbose=0).history
    assert list(history) == ["loss", "mean_activation"]
    hidden = keras.Model(inputs, model.layers[1].output)
    logs = model.evaluate(X, Y, batch_size=64, verbose=0, return_dict=True)
    expected = float(np.mean(hidden.predict(X, verbose=0)))
    assert logs["mean_activation"] == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="Received: name=None"):
        Logged().add_metric(1.0)


def test_metrics_updated_in_call_show_in_train_on_batch_and_history():
    class Keras3Tracked(layers.Layer):
        def __init__(self):
            super().__init__()
            self.activation_mean = keras.metrics.Mean(name="activation_mean")

        def call(self, x):
            self.activation_mean.update_state(ops.mean(x))
            return x

    class Keras2Logged(layers.Layer):
        def call(self, x):
            self.add_metric(ops.max(x), name="activation_max")
            return x

    inputs = keras.Input(shape=(8,))
    hidden = Keras2Logged()(Keras3Tracked()(layers.Dense(4)(inputs)))
    model = keras.Model(inputs, layers.Dense(1)(hidden))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    names = ["loss", "mae", "activation_mean", "activation_max"]
    history = model.fit(X, Y, epochs=2, batch_size=16, verbose=0).history
    assert list(history) == names
    inner = keras.Model(inputs, model.layers[1].output).predict(X[:16], verbose=0)
    logs = model.test_on_batch(X[:16], Y[:16], return_dict=True)
    assert list(logs) == names and model.metrics_names == names
    # This batch alone: the metrics were reset first, and the check's forward pass is not counted.
    assert logs["activation_mean"] == pytest.approx(float(inner.mean()), rel=1e-5)
    assert logs["activation_max"] == pytest.approx(float(inner.max()), rel=1e-5)
    values = model.train_on_batch(X[:16], Y[:16])
    assert len(values) == 4 and values[2] == pytest.approx(float(inner.mean()), rel=1e-5)
    # Nothing counted before the first batch: neither the calls on zeros that work out the
    # layers' output shapes when the model is built, nor the check of the first batch.
    for loss in ("mse", None):
        inputs = keras.Input(shape=(8,))
        hidden = Keras2Logged()(Keras3Tracked()(layers.Dense(4)(inputs)))
        model = keras.Model(inputs, ActivityRegularization()(layers.Dense(1)(hidden)))
        model.compile(optimizer="sgd", loss=loss)
        inner = keras.Model(inputs, model.layers[1].output).predict(X[:16], verbose=0)
        logs = model.train_on_batch(X[:16], Y[:16], reset_metrics=False, return_dict=True)
        assert logs["activation_mean"] == pytest.approx(float(inner.mean()), rel=1e-5)
        assert logs["activation_max"] == pytest.approx(float(inner.max()), rel=1e-5)
