"""lamina.layers.serialization: the class table, and what a layer declares for its loader."""

import pytest

import lamina
from lamina import layers
from lamina.layers.serialization import (
    builtin_layer_classes,
    deserialize_layer,
    serialize_layer,
)
from lamina.saving import ModelFileError, register_serializable


@register_serializable(package="test_layers_serialization")
class Lines(layers.Layer):
    """A layer that would read `source` from a file when given a path."""

    path_arguments = ("source",)

    def __init__(self, source=None, **kwargs):
        super().__init__(**kwargs)
        self.source = source

    def call(self, x):
        return x

    def get_config(self):
        return {**super().get_config(), "source": self.source}


def test_the_loader_refuses_a_path_where_a_layer_declares_one():
    entry = serialize_layer(Lines(source=["a", "b"], name="lines"))
    assert deserialize_layer(entry).source == ["a", "b"]
    entry["config"]["source"] = "/etc/passwd"
    with pytest.raises(ModelFileError, match="'source' is a string, which Lines would open"):
        deserialize_layer(entry)


def test_a_subclass_inherits_the_declared_path_arguments():
    @register_serializable(package="test_layers_serialization")
    class MoreLines(Lines):
        pass

    entry = serialize_layer(MoreLines(source="notes.txt", name="more"))
    with pytest.raises(ModelFileError, match="lamina never opens a path"):
        deserialize_layer(entry)


def test_models_register_their_classes_under_lamina_models():
    table = builtin_layer_classes()
    assert table["Sequential"] is lamina.Sequential and table["Dense"] is layers.Dense
    assert "Lambda" not in table
    model = lamina.Sequential([layers.Dense(2)], name="seq")
    entry = serialize_layer(model)
    assert entry["module"] == "lamina.models"
    assert serialize_layer(layers.Dense(2))["module"] == "lamina.layers"
    assert isinstance(deserialize_layer(entry), lamina.Sequential)
    with pytest.raises(ModelFileError, match="never imports modules"):
        deserialize_layer({**entry, "module": "lamina.saving"})
