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
    is_placeholder,
    learning_phase,
    placeholder,
    set_learning_phase,
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
    "is_placeholder",
    "learning_phase",
    "placeholder",
    "set_learning_phase",
    *numeric.__all__,
]
