"""The error raised for a Keras file that lamina refuses or cannot translate."""

from lamina.serialization.errors import ModelFileError


class KerasFileError(ModelFileError):
    """A Keras file (`.h5`, `.weights.h5`, `.keras`) that lamina will not or cannot load.

    Raised for files that are damaged, that use a feature lamina refuses for safety (HDF5
    external links, virtual datasets, code in a config) or that describe something lamina has
    no translation for (an unknown layer class, a weight of the wrong shape). The message
    names the file, the layer or weight, and what to do. It is a `ModelFileError` (and so a
    `ValueError`), like every failed load in lamina.
    """
