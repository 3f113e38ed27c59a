"""Loading a whole model from a Keras 2 HDF5 file (`model.save("m.h5")`).

Such a file holds the model config as JSON text in the root attribute `model_config` (Keras 2's
format: `class_name` and `config`, no `module`; functional `inbound_nodes` as
`[[layer, node, tensor, kwargs], ...]`), the weights under `model_weights/` in the Keras 2
layout, and the compile arguments in the attribute `training_config`. The config goes through
the same whitelist as a `.keras` archive's; the weights through the same checks as
`load_keras_h5_weights`.
"""

import os
from typing import IO, Any

from lamina.saving.keras_import.config_translation import model_from_config
from lamina.saving.keras_import.config_values import parse_json
from lamina.saving.keras_import.errors import KerasFileError
from lamina.saving.keras_import.h5_reader import open_h5, read_text_attr
from lamina.saving.keras_import.h5_weights import assign, match_h5_weights
from lamina.saving.keras_import.keras_archive import compile_from_config

# Keys tf.keras 2.11+ adds to optimizer configs that change nothing for lamina.
_OPTIMIZER_EXTRAS = ("is_legacy_optimizer", "jit_compile")


def load_keras_h5_model(
    path: str | os.PathLike | IO[bytes],
    custom_objects: dict | None = None,
    compile: bool = False,
) -> Any:
    """Load a model saved by Keras as one HDF5 file (`model.save("m.h5")`), without Keras.

    Args:
        path: the `.h5` file (or a seekable binary file object holding one).
        custom_objects: class name -> lamina class (or function) for non-built-in classes.
        compile: also compile the model with the optimizer, loss and metrics the file records
            (the optimizer's state is not restored).

    Returns:
        A lamina `Sequential` or functional `Model` with the file's weights.

    Raises:
        KerasFileError: for a weights-only file, an unsafe file, or a config lamina cannot
            translate; the message names the layer.
        ImportError: when h5py is not installed.

    Example:
    >>> model = load_keras_h5_model("mnist_keras2.h5")
    """
    where = repr(os.fspath(path)) if isinstance(path, str | os.PathLike) else "the HDF5 file"
    with open_h5(path, where) as f:
        text = read_text_attr(f, "model_config", where)
        if text is None:
            raise KerasFileError(
                f"{where} holds weights only (no 'model_config'): build the model in lamina and "
                "load them with load_keras_h5_weights (or model.load_weights)."
            )
        config = parse_json(text.encode("utf-8"), f"{where} model_config")
        # A dataset value takes at least a byte of the file (Keras never compresses them).
        model, _ = model_from_config(
            config, custom_objects, f"{where} model_config", max_weight_values=_file_size(f)
        )
        if "model_weights" not in f:
            raise KerasFileError(f"{where} has a model_config but no 'model_weights' group.")
        assign(match_h5_weights(model, f, where), where)
        training = read_text_attr(f, "training_config", where) if compile else None
    if training is not None:
        training_config = parse_json(training.encode("utf-8"), f"{where} training_config")
        what = f"{where} training_config"
        compile_from_config(model, _compile_config(training_config), custom_objects, what)
    return model


def _compile_config(training: Any) -> Any:
    """Keras 2's `training_config` in the shape of Keras 3's `compile_config`."""
    if not isinstance(training, dict):
        return training
    optimizer = training.get("optimizer_config")
    if isinstance(optimizer, dict) and isinstance(optimizer.get("class_name"), str):
        inner = optimizer.get("config")
        inner = inner if isinstance(inner, dict) else {}
        optimizer = {
            "class_name": optimizer["class_name"].removeprefix("Custom>"),
            "config": {k: v for k, v in inner.items() if k not in _OPTIMIZER_EXTRAS},
        }
    keys = ("loss", "metrics", "loss_weights", "weighted_metrics")
    return {"optimizer": optimizer, **{k: training.get(k) for k in keys}}


def _file_size(f: Any) -> int:
    """The size in bytes of the open HDF5 file."""
    return int(f.id.get_filesize())
