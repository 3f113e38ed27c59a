"""compile and fit: the argument forms Keras users write."""

import numpy as np
import pytest

import lamina
from lamina import layers


@pytest.mark.parametrize(
    ("optimizer", "loss", "metrics"),
    [
        ("rmsprop", "sparse_categorical_crossentropy", ["accuracy"]),
        ("adam", "SparseCategoricalCrossentropy", ["acc"]),
        (
            lambda: lamina.optimizers.SGD(learning_rate=0.1),
            lambda: lamina.losses.SparseCategoricalCrossentropy(),
            lambda: [lamina.metrics.SparseCategoricalAccuracy()],
        ),
    ],
    ids=["strings", "class-names", "objects"],
)
def test_compile_with_strings_and_objects(data, make_classifier, optimizer, loss, metrics):
    x, y = data
    model = make_classifier()
    model.compile(
        optimizer=optimizer() if callable(optimizer) else optimizer,
        loss=loss() if callable(loss) else loss,
        metrics=metrics() if callable(metrics) else metrics,
    )
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert len(history.history) == 2  # the loss and one metric


def test_compile_with_a_plain_function_loss(data, make_regressor):
    x, _ = data

    def half_squared(y_true, y_pred):
        return 0.5 * lamina.ops.mean(lamina.ops.square(y_true - y_pred), axis=-1)

    model = make_regressor()
    model.compile(optimizer="sgd", loss=half_squared)
    history = model.fit(x, x[:, :1], epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_unknown_compile_argument():
    with pytest.raises(TypeError, match=r"unknown argument\(s\) \['metric'\]"):
        lamina.Sequential([layers.Dense(1)]).compile("sgd", "mse", metric=["mae"])


def test_fit_updates_weights_and_returns_history(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    before = model.get_weights()
    history = model.fit(x, y, epochs=2, verbose=0)
    assert history is model.history and history.epoch == [0, 1]
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    assert history.params["epochs"] == 2 and history.params["steps"] == 2  # 40 samples / 32


def test_fit_is_deterministic_under_a_seed(data, make_classifier):
    x, y = data
    runs = []
    for _ in range(2):
        lamina.utils.set_random_seed(7)
        model = make_classifier()
        model.compile("adam", "sparse_categorical_crossentropy")
        runs.append(model.fit(x, y, epochs=2, batch_size=8, verbose=0).history["loss"])
    assert runs[0] == runs[1]


def test_multi_input_from_list_and_dict():
    a, b = lamina.Input((3,), name="a"), lamina.Input((2,), name="b")
    out = layers.Dense(1)(layers.concatenate([a, b]))
    model = lamina.Model([a, b], out)
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    xa, xb = rng.standard_normal((20, 3)), rng.standard_normal((20, 2))
    y = xa.sum(1, keepdims=True) - xb[:, :1]
    h1 = model.fit([xa, xb], y, epochs=2, batch_size=5, verbose=0)
    h2 = model.fit({"b": xb, "a": xa}, y, epochs=2, batch_size=5, verbose=0)
    assert h2.history["loss"][-1] < h1.history["loss"][0]
    assert np.isfinite(model.evaluate({"a": xa, "b": xb}, y, verbose=0))


def _batches(x, y, size, weights=None, forever=True):
    while True:
        for i in range(0, len(x), size):
            if weights is None:
                yield x[i : i + size], y[i : i + size]
            else:
                yield x[i : i + size], y[i : i + size], weights[i : i + size]
        if not forever:
            return


def test_fit_on_a_generator_with_steps_per_epoch(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    seen = []

    class Count(lamina.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    history = model.fit(
        _batches(x, y, 10), steps_per_epoch=3, epochs=2, verbose=0, callbacks=[Count()]
    )
    assert seen == [0, 1, 2, 0, 1, 2]
    assert set(history.history) == {"loss", "accuracy"}


def test_generator_with_sample_weights(data, make_classifier):
    x, y = data
    weights = np.where(y == 0, 0.0, 1.0)
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(_batches(x, y, 10, weights), steps_per_epoch=4, epochs=1, verbose=0)
    # with the weights, the loss is the weighted per-sample loss averaged over the batch
    with lamina.no_grad():
        probs = model(x[:10]).numpy()
    manual = -np.log(probs[np.arange(10), y[:10]]) * weights[:10]
    evaluated = model.evaluate(x[:10], y[:10], sample_weight=weights[:10], verbose=0)
    assert evaluated == pytest.approx(manual.mean(), rel=1e-5)
    assert np.isfinite(history.history["loss"][0])


def test_finite_generator_without_steps_runs_to_its_end(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(_batches(x, y, 10, forever=False), epochs=1, verbose=0)
    assert history.params["steps"] is None and len(history.history["loss"]) == 1


def test_reiterable_list_of_batches_serves_every_epoch(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    batches = [(x[i : i + 10], y[i : i + 10]) for i in range(0, 40, 10)]
    history = model.fit(iter(batches), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1


def test_keras2_generator_aliases(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit_generator(_batches(x, y, 10), steps_per_epoch=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    loss, acc = model.evaluate_generator(_batches(x, y, 10), steps=4, verbose=0)
    assert (loss, acc) == pytest.approx(tuple(model.evaluate(x, y, batch_size=10, verbose=0)))
    probs = model.predict_generator((b[0] for b in _batches(x, y, 10)), steps=4, verbose=0)
    np.testing.assert_allclose(probs, model.predict(x, verbose=0), rtol=1e-6)


def test_steps_per_epoch_with_arrays_limits_the_batches(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=4, steps_per_epoch=3, epochs=1, verbose=0)
    assert history.params["steps"] == 3


def test_validation_split_holds_out_the_last_samples(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, validation_split=0.25, batch_size=10, verbose=0)
    assert history.params["steps"] == 3  # 30 training samples
    loss, acc = model.evaluate(x[30:], y[30:], verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(loss, rel=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(acc)


def test_validation_data_and_freq(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        x, y, epochs=4, validation_data=(x[:8], y[:8]), validation_freq=2, verbose=0
    )
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2
    history = model.fit(
        x, y, epochs=3, validation_data=(x[:8], y[:8]), validation_freq=[1, 3], verbose=0
    )
    assert len(history.history["val_accuracy"]) == 2


def test_validation_data_from_a_generator(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(
        x, y, epochs=2, validation_data=_batches(x, y, 10), validation_steps=2, verbose=0
    )
    assert len(history.history["val_loss"]) == 2


def test_initial_epoch(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4] and len(history.history["loss"]) == 2


def test_class_weight_scales_the_loss(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    plain = model.test_on_batch(x, y)
    weights = {0: 2.0, 1: 2.0, 2: 2.0}
    doubled = model.evaluate(x, y, sample_weight=np.full(40, 2.0), batch_size=40, verbose=0)
    assert doubled[0] == pytest.approx(2 * plain[0], rel=1e-6)
    assert doubled[1] == pytest.approx(plain[1])  # metrics ignore weights, as in Keras 3
    lamina.utils.set_random_seed(0)
    model_a = make_classifier()
    lamina.utils.set_random_seed(0)
    model_b = make_classifier()
    for m in (model_a, model_b):
        m.compile(lamina.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    model_a.fit(x, y, epochs=1, batch_size=40, class_weight=weights, verbose=0)
    model_b.fit(x, y, epochs=1, batch_size=40, sample_weight=np.full(40, 2.0), verbose=0)
    for a, b in zip(model_a.get_weights(), model_b.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_class_weight_zero_ignores_a_class(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile(lamina.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    keep = y != 2
    lamina.utils.set_random_seed(0)
    twin = make_classifier()
    twin.set_weights(model.get_weights())
    twin.compile(lamina.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=40, epochs=1, class_weight={2: 0.0}, verbose=0)
    twin.fit(x, y, batch_size=40, epochs=1, sample_weight=keep.astype("float32"), verbose=0)
    for a, b in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_weighted_metrics_use_the_weights(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile(
        "sgd",
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
        weighted_metrics=["accuracy"],
    )
    weights = (y == 0).astype("float32")
    logs = model.evaluate(x, y, sample_weight=weights, return_dict=True, verbose=0)
    assert set(logs) == {"loss", "accuracy", "weighted_accuracy"}
    pred = model.predict(x, verbose=0).argmax(1)
    assert logs["accuracy"] == pytest.approx((pred == y).mean())
    assert logs["weighted_accuracy"] == pytest.approx((pred == y)[y == 0].mean())


def test_overridden_train_step(data, make_classifier):
    x, y = data
    calls = []

    class Custom(lamina.Sequential):
        def train_step(self, batch):
            calls.append(len(batch[0]))
            logs = super().train_step(batch)
            return {**logs, "extra": 1.0}

    model = Custom(make_classifier().layers)
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert calls == [16, 16, 8]
    assert history.history["extra"] == [1.0]


def test_train_step_written_from_scratch(data):
    x, y = data

    class Manual(lamina.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, batch):
            bx, by = batch
            with lamina.GradientTape() as tape:
                pred = self(bx, training=True)
                loss = lamina.ops.mean(lamina.ops.square(pred - by.reshape(-1, 1)))
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply(grads, self.trainable_weights)
            return {"my_loss": float(loss)}

    model = Manual()
    model.compile(optimizer=lamina.optimizers.SGD(0.05), loss="mse")
    target = x @ np.array([1.0, -2.0, 0.5, 0.0], "float32")
    history = model.fit(x, target, epochs=5, batch_size=8, verbose=0)
    assert history.history["my_loss"][-1] < history.history["my_loss"][0]
