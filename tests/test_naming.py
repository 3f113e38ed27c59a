"""Default names: one counter for layers and variables, one snake_case rule."""

import numpy as np

from lamina import Variable, losses
from lamina.naming import reset_names


def test_reset_names_resets_variable_names_too():
    reset_names()
    first = [Variable(np.zeros(2)).name for _ in range(2)]
    reset_names()
    assert first == ["variable", "variable_1"]
    assert Variable(np.zeros(2)).name == "variable"


def test_loss_default_name_follows_to_snake_case():
    class Focal2D(losses.Loss):
        def call(self, y_true, y_pred):
            return y_pred

    assert Focal2D().name == "focal2d"  # as layers.Conv2D -> "conv2d"
    assert losses.KLDivergence().name == "kl_divergence"
    assert losses.CategoricalCrossentropy().name == "categorical_crossentropy"
