"""Small seeded models and data shared by the training tests."""

import numpy as np
import pytest

import lamina
from lamina import layers


@pytest.fixture(autouse=True)
def seeded():
    lamina.utils.set_random_seed(1234)


@pytest.fixture
def data():
    """40 samples of 4 features; 3 classes decided by the first two features."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0).astype("int64")
    return x, y


def classifier(n_in=4, n_out=3, activation="softmax"):
    return lamina.Sequential(
        [
            layers.Dense(8, activation="relu", input_shape=(n_in,)),
            layers.Dense(n_out, activation=activation),
        ]
    )


def regressor(n_in=4):
    return lamina.Sequential([layers.Dense(1, input_shape=(n_in,))])


@pytest.fixture
def make_classifier():
    return classifier


@pytest.fixture
def make_regressor():
    return regressor
