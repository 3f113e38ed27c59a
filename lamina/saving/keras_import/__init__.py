"""Reading Keras's files: HDF5 weights and models (`.h5`, `.weights.h5`) and `.keras` archives.

Loading never runs code from a file: no pickle, class names resolved only in lamina's registries
and the caller's `custom_objects`, no module or function taken from the file, no config value
opened as a path. HDF5 external links, soft links, external and virtual datasets are refused;
zip members are checked for unsafe names, links and zip bombs. h5py is an optional dependency
(`pip install "lamina[h5]"`).

Example:
>>> from lamina.saving.keras_import import load_keras_archive, load_keras_h5_weights
>>> model = load_keras_archive("mnist.keras")
>>> load_keras_h5_weights(other_model, "mnist_keras2.h5", by_name=True)
"""

from lamina.saving.keras_import.errors import KerasFileError
from lamina.saving.keras_import.h5_model import load_keras_h5_model
from lamina.saving.keras_import.h5_weights import load_keras_h5_weights
from lamina.saving.keras_import.keras_archive import (
    is_keras_archive,
    load_keras_archive,
    load_keras_archive_weights,
)

__all__ = [
    "KerasFileError",
    "is_keras_archive",
    "load_keras_archive",
    "load_keras_archive_weights",
    "load_keras_h5_model",
    "load_keras_h5_weights",
]
