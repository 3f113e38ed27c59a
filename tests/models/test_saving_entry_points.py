"""lamina.models reaches lamina.saving (which stands above it) only when asked to."""

import pytest

import lamina


def test_load_model_and_model_from_json_come_from_saving():
    assert lamina.models.load_model is lamina.saving.load_model
    assert lamina.models.model_from_json is lamina.saving.model_from_json
    from lamina.models import load_model

    assert load_model is lamina.saving.model_file.load_model
    with pytest.raises(AttributeError, match="no attribute 'save_everything'"):
        lamina.models.save_everything  # noqa: B018
