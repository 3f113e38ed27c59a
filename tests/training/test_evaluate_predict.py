"""evaluate, predict and the one-batch methods."""

import numpy as np
import pytest

import lamina
from lamina import layers


def test_evaluate_returns_the_loss_alone_or_with_metrics(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    model.compile(
        "sgd",
        "sparse_categorical_crossentropy",
        metrics=["accuracy", "sparse_categorical_crossentropy"],
    )
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 3 and result[0] == pytest.approx(loss)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    names = ["loss", "accuracy", "sparse_categorical_crossentropy"]
    assert list(logs) == names and model.metrics_names == names
    assert logs["sparse_categorical_crossentropy"] == pytest.approx(loss, rel=1e-6)


def test_evaluate_matches_a_hand_computed_loss(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    probs = model.predict(x, verbose=0)
    expected_loss = -np.log(probs[np.arange(40), y]).mean()
    expected_acc = (probs.argmax(1) == y).mean()
    loss, acc = model.evaluate(x, y, batch_size=7, verbose=0)  # uneven batches weigh by size
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert acc == pytest.approx(expected_acc)


def test_evaluate_leaves_weights_alone(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    before = model.get_weights()
    model.evaluate(x, y, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_predict_returns_numpy_in_batches(data, make_classifier):
    x, _ = data
    model = make_classifier()
    batches = []

    class Sizes(lamina.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            batches.append(logs["outputs"].shape[0])

    out = model.predict(x, batch_size=16, verbose=0, callbacks=[Sizes()])
    assert isinstance(out, np.ndarray) and out.shape == (40, 3) and out.dtype == np.float32
    assert batches == [16, 16, 8]
    np.testing.assert_allclose(out, model(x).numpy(), rtol=1e-6)


def test_predict_needs_no_compile_and_returns_a_list_for_several_outputs():
    x = lamina.Input((2,))
    model = lamina.Model(x, [layers.Dense(1)(x), layers.Dense(3)(x)])
    out = model.predict(np.ones((5, 2)), verbose=0)
    assert isinstance(out, list) and [o.shape for o in out] == [(5, 1), (5, 3)]


def test_one_batch_methods(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.get_weights()
    test_loss, test_acc = model.test_on_batch(x[:8], y[:8])
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    train_loss, _ = model.train_on_batch(x[:8], y[:8])
    assert train_loss == pytest.approx(test_loss, rel=1e-6)  # the loss before the update
    assert not np.array_equal(before[0], model.get_weights()[0])
    logs = model.train_on_batch(x[:8], y[:8], return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    probs = model.predict_on_batch(x[:5])
    assert isinstance(probs, np.ndarray) and probs.shape == (5, 3)
    model.compile("sgd", "sparse_categorical_crossentropy")
    assert isinstance(model.train_on_batch(x[:8], y[:8]), float)


def test_one_batch_methods_reset_or_accumulate_the_metrics(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    a_loss, a_acc = model.test_on_batch(x[:8], y[:8])
    b_loss, b_acc = model.test_on_batch(x[8:24], y[8:24])
    # reset_metrics=False: the mean over both batches, weighted by their sizes (8 and 16)
    model.test_on_batch(x[:8], y[:8])
    both = model.test_on_batch(x[8:24], y[8:24], reset_metrics=False, return_dict=True)
    assert both["loss"] == pytest.approx((8 * a_loss + 16 * b_loss) / 24, rel=1e-5)
    assert both["accuracy"] == pytest.approx((8 * a_acc + 16 * b_acc) / 24, rel=1e-6)
    first = model.train_on_batch(x[:8], y[:8], return_dict=True)
    second = model.train_on_batch(x[8:24], y[8:24], reset_metrics=False, return_dict=True)
    single = model.test_on_batch(x[:8], y[:8], return_dict=True)  # the updated weights
    assert model.test_on_batch(x[:8], y[:8], return_dict=True) == single  # reset: same again
    assert second["loss"] != pytest.approx(first["loss"])
    with pytest.raises(TypeError, match="Received: reset_metrics='no'"):
        model.train_on_batch(x[:8], y[:8], reset_metrics="no")


def test_one_batch_methods_with_class_and_sample_weights(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    plain = model.test_on_batch(x[:8], y[:8])
    halved = model.test_on_batch(x[:8], y[:8], sample_weight=np.full(8, 0.5, "float32"))
    assert halved == pytest.approx(plain / 2, rel=1e-5)
    lamina.utils.set_random_seed(1)
    weighted = make_classifier()
    weighted.compile("sgd", "sparse_categorical_crossentropy")
    weighted.set_weights(model.get_weights())
    loss = weighted.train_on_batch(x[:8], y[:8], class_weight={0: 0.5, 1: 0.5, 2: 0.5})
    assert loss == pytest.approx(plain / 2, rel=1e-5)  # the loss before the update


def test_one_batch_methods_on_a_model_trained_by_add_loss():
    class Penalty(layers.Layer):
        def call(self, x):
            self.add_loss(lamina.ops.mean(lamina.ops.square(x)))
            return x

    inputs = lamina.Input((4,))
    model = lamina.Model(inputs, Penalty()(layers.Dense(2)(inputs)))
    model.compile(optimizer="sgd", loss=None)
    x = np.random.default_rng(0).standard_normal((8, 4)).astype("float32")
    expected = float(np.mean(np.square(model.predict(x, verbose=0))))
    assert model.test_on_batch(x) == pytest.approx(expected, rel=1e-5)
    assert model.train_on_batch(x, None) == pytest.approx(expected, rel=1e-5)
    assert model.test_on_batch(x, return_dict=True)["loss"] < expected


def test_uncompiled_model_refuses_to_train(data, make_classifier):
    x, y = data
    model = make_classifier()
    for method in ("fit", "evaluate", "train_on_batch", "test_on_batch"):
        with pytest.raises(RuntimeError, match=rf"{method}: the model must be compiled first"):
            getattr(model, method)(x, y)
