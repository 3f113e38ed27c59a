"""The Keras 2 backend API (`from keras import backend as K`), reached as `lamina.backend.<name>`.

Symbolic tensors are the functional API's; `K.function` runs the graph behind its outputs
eagerly on each call. `docs/keras2_backend.md` lists what Keras 2.0.8 had and what is here.
"""

from lamina.legacy_backend import numeric
from lamina.legacy_backend.graph import (
    Function,
    clear_session,
    function,
    gradients,
    in_test_phase,
    in_train_phase,
    is_placeholder,
    learning_phase,
    placeholder,
    set_learning_phase,
)
from lamina.legacy_backend.nn import (
    batch_normalization,
    bias_add,
    binary_crossentropy,
    categorical_crossentropy,
    conv1d,
    conv2d,
    conv2d_transpose,
    conv3d,
    depthwise_conv2d,
    in_top_k,
    pool2d,
    pool3d,
    resize_images,
    resize_volumes,
    separable_conv2d,
    sparse_categorical_crossentropy,
    spatial_2d_padding,
    spatial_3d_padding,
    temporal_padding,
)
from lamina.legacy_backend.numeric import *  # noqa: F403 - the numeric functions, listed below


def image_data_format() -> str:
    """`"channels_last"`: lamina's image layers default to `(batch, height, width, channels)`."""
    return "channels_last"


def backend() -> str:
    """The backend's name, `"lamina"`."""
    return "lamina"


__all__ = [
    "Function",
    "backend",
    "clear_session",
    "function",
    "gradients",
    "image_data_format",
    "in_test_phase",
    "in_train_phase",
    "is_placeholder",
    "learning_phase",
    "placeholder",
    "set_learning_phase",
    *numeric.__all__,
    "batch_normalization",
    "bias_add",
    "binary_crossentropy",
    "categorical_crossentropy",
    "conv1d",
    "conv2d",
    "conv2d_transpose",
    "conv3d",
    "depthwise_conv2d",
    "in_top_k",
    "pool2d",
    "pool3d",
    "resize_images",
    "resize_volumes",
    "separable_conv2d",
    "sparse_categorical_crossentropy",
    "spatial_2d_padding",
    "spatial_3d_padding",
    "temporal_padding",
]
