"""Saving: whole-model files (`.keras`), weights files, configs and the custom-object registry.

Example:
>>> model.save("mnist.keras")
>>> model = lamina.models.load_model("mnist.keras")
>>> model.save_weights("mnist.weights.safetensors")
"""

from lamina.io.atomic import atomic_open, atomic_write
from lamina.layers.serialization import deserialize_keras_object, serialize_keras_object
from lamina.saving.keras_import import (
    KerasFileError,
    load_keras_archive,
    load_keras_archive_weights,
    load_keras_h5_model,
    load_keras_h5_weights,
)
from lamina.saving.model_file import load_model, model_from_json, save_model
from lamina.saving.weights_file import load_weights, save_weights
from lamina.serialization.errors import ModelFileError
from lamina.serialization.object_registry import (
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    register_serializable,
)

__all__ = [
    "KerasFileError",
    "ModelFileError",
    "load_keras_archive",
    "load_keras_archive_weights",
    "load_keras_h5_model",
    "load_keras_h5_weights",
    "atomic_open",
    "atomic_write",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "model_from_json",
    "register_keras_serializable",
    "register_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]
