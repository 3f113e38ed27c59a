"""Subclassed models with their own call."""

import numpy as np
import pytest

import lamina
from lamina import layers


class MLP(lamina.Model):
    def __init__(self, hidden=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(hidden, activation="relu")
        self.drop = layers.Dropout(0.5, seed=0)
        self.out = layers.Dense(3, activation="softmax")

    def call(self, x, training=None):
        return self.out(self.drop(self.hidden(x), training=training))


def test_layers_and_weights_are_tracked_and_built_on_first_call():
    model = MLP()
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dropout", "Dense"]
    assert model.weights == []
    out = model(np.ones((2, 4), "float32"))
    assert out.shape == (2, 3) and len(model.weights) == 4
    assert model.count_params() == 4 * 8 + 8 + 8 * 3 + 3


def test_fit_evaluate_predict():
    lamina.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0)
    model = MLP(hidden=16)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x, y, verbose=0)
    assert 0 <= acc <= 1 and np.isfinite(loss)
    probs = model.predict(x, verbose=0)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(probs, model.predict(x, verbose=0))  # no dropout in predict


def test_a_subclassed_model_given_inputs_without_outputs_says_what_it_takes():
    with pytest.raises(TypeError, match=r"both the symbolic inputs and outputs of a graph"):
        MLP(inputs=lamina.Input((2,)))


def test_subclassed_model_inside_a_functional_model():
    x = lamina.Input((4,))
    mlp = MLP()
    model = lamina.Model(x, mlp(x))
    assert model.output.shape == (None, 3)
    assert model.predict(np.ones((2, 4)), verbose=0).shape == (2, 3)
