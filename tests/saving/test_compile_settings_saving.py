"""Compile settings that cannot be loaded back are refused when saving, as Lambda layers are."""

import pytest

import lamina
from lamina.saving import ModelFileError


def _model():
    return lamina.Sequential([lamina.Input((2,)), lamina.layers.Dense(1, name="out")])


def my_loss(y_true, y_pred):
    return lamina.ops.mean((y_true - y_pred) ** 2)


@pytest.mark.parametrize(
    "settings",
    [
        {"loss": lambda y, p: lamina.ops.mean((y - p) ** 2)},
        {"loss": "mse", "metrics": [lambda y, p: lamina.ops.mean(p)]},
        {"loss": {"out": lambda y, p: lamina.ops.mean(p)}},
    ],
)
def test_a_lambda_loss_or_metric_is_refused_at_save(tmp_path, settings):
    model = _model()
    model.compile("sgd", **settings)
    with pytest.raises(ValueError, match="is a lambda.*register_keras_serializable.*include_opt"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()
    model.save(tmp_path / "m.keras", include_optimizer=False)
    assert not lamina.models.load_model(tmp_path / "m.keras").compiled


def test_an_unregistered_loss_is_saved_by_name_and_the_load_error_says_what_to_do(tmp_path):
    model = _model()
    model.compile("sgd", loss=my_loss)
    model.save(tmp_path / "m.keras")
    with pytest.raises(ModelFileError, match="custom_objects.*compile=False"):
        lamina.models.load_model(tmp_path / "m.keras")
    loaded = lamina.models.load_model(tmp_path / "m.keras", custom_objects={"my_loss": my_loss})
    assert loaded.compiled
