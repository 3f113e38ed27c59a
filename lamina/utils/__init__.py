"""Utilities with Keras's names: data sets from folders and arrays, images, to_categorical,
plot_model and plot_history.

The custom-object registry and `serialize_keras_object`/`deserialize_keras_object` are
re-exported from `lamina.saving`, as Keras 3 also exposes them under `keras.utils`.
"""

from lamina.backend.random import set_random_seed
from lamina.preprocessing.sequence import pad_sequences
from lamina.saving import (
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from lamina.training.py_dataset import PyDataset, Sequence
from lamina.utils.file_utils import get_file
from lamina.utils.history_plot import plot_history
from lamina.utils.image_dataset import image_dataset_from_directory
from lamina.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from lamina.utils.model_visualization import model_to_dot, plot_model
from lamina.utils.numerical import normalize, to_categorical
from lamina.utils.text_dataset import text_dataset_from_directory
from lamina.utils.timeseries_dataset import timeseries_dataset_from_array

__all__ = [
    "PyDataset",
    "Sequence",
    "array_to_img",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "image_dataset_from_directory",
    "img_to_array",
    "load_img",
    "model_to_dot",
    "normalize",
    "pad_sequences",
    "plot_history",
    "plot_model",
    "register_keras_serializable",
    "save_img",
    "serialize_keras_object",
    "set_random_seed",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
]
