"""Fixtures shared by the layer tests."""

import numpy as np
import pytest

import lamina


@pytest.fixture
def save_round_trip(tmp_path):
    """Check that `model` gives the same predictions on `x` after `model.save`/`load_model`
    and after `save_weights`/`load_weights` through a `.weights.h5` file into a fresh clone."""

    def check(model, x):
        expected = model.predict(x, verbose=0)
        path = tmp_path / "model.keras"
        model.save(path)
        loaded = lamina.models.load_model(path)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)
        weights = tmp_path / "model.weights.h5"
        model.save_weights(weights)
        clone = lamina.models.clone_model(model)
        clone.load_weights(weights)
        np.testing.assert_allclose(clone.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)
        return loaded

    return check
