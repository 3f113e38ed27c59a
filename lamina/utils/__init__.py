"""Utilities with Keras's names: data sets from folders and arrays, images, to_categorical."""

from lamina.backend.random import set_random_seed
from lamina.preprocessing.sequence import pad_sequences
from lamina.training.py_dataset import PyDataset, Sequence
from lamina.utils.file_utils import get_file
from lamina.utils.image_dataset import image_dataset_from_directory
from lamina.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from lamina.utils.numerical import normalize, to_categorical
from lamina.utils.text_dataset import text_dataset_from_directory
from lamina.utils.timeseries_dataset import timeseries_dataset_from_array

__all__ = [
    "PyDataset",
    "Sequence",
    "array_to_img",
    "get_file",
    "image_dataset_from_directory",
    "img_to_array",
    "load_img",
    "normalize",
    "pad_sequences",
    "save_img",
    "set_random_seed",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
]
