"""Loading a Keras 3 `.keras` archive as a lamina model.

A `.keras` file is a zip archive holding `config.json` (the model, serialized as Keras objects),
`metadata.json` (the Keras version, the date) and `model.weights.h5` (the weights in the
Keras 3 HDF5 layout). lamina reads those three members through the checks of `SafeZip`,
translates the config through a whitelist (`config_translation`), and fills the weights through
the checks of `h5_reader`. Archives whose weights are stored as `model.weights.npz` are refused:
Keras reads those with pickle.
"""

import io
import os
from types import ModuleType
from typing import IO, Any

from lamina import losses, metrics, optimizers
from lamina.io.weight_store import require_built
from lamina.saving.config import check_metric_sizes
from lamina.saving.keras_import.config_translation import model_from_config
from lamina.saving.keras_import.config_values import (
    custom_name,
    is_keras_module,
    lamina_record,
    parse_json,
)
from lamina.saving.keras_import.errors import KerasFileError
from lamina.saving.keras_import.h5_reader import open_h5, require_h5py
from lamina.saving.keras_import.h5_weights import (
    assign,
    match_h5_weights,
    match_keras3,
)
from lamina.saving.safe_zip import SafeZip, member_names
from lamina.serialization.errors import ModelFileError

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS_H5 = "model.weights.h5"
WEIGHTS_NPZ = "model.weights.npz"
MAX_JSON_BYTES = 64 * 2**20
MAX_METADATA_BYTES = 2**20
# The weights are read into memory: this caps that memory.
MAX_WEIGHTS_BYTES = 8 * 2**30
_COMPILE_KEYS = {
    "optimizer",
    "loss",
    "loss_weights",
    "metrics",
    "weighted_metrics",
    "run_eagerly",
    "steps_per_execution",
    "jit_compile",
    "auto_scale_loss",
}


def load_keras_archive(
    path: str | os.PathLike | IO[bytes],
    custom_objects: dict | None = None,
    compile: bool = False,
) -> Any:
    """Load a Keras 3 `.keras` file as a lamina model, without Keras and without running code.

    The model config is translated layer by layer: Keras classes that lamina has (Dense,
    Dropout, the merge layers, ...) become their lamina counterparts, other classes come only
    from `custom_objects`; a Lambda layer or any serialized code is refused.

    Args:
        path: the `.keras` file (or a binary file object holding it).
        custom_objects: class name -> lamina class (or function), for layers, activations,
            initializers and the like that are not Keras built-ins.
        compile: also compile the model with the optimizer, loss and metrics recorded in the
            archive (its optimizer state is not restored).

    Returns:
        A lamina `Sequential` or functional `Model` with the archive's weights.

    Raises:
        KerasFileError: for an archive that is unsafe (bad member names, zip bombs, HDF5
            links ...) or that lamina cannot translate; the message names the layer.
        ImportError: when h5py is not installed.

    Example:
    >>> model = load_keras_archive("mnist.keras")
    >>> model.predict(x_test[:5])
    """
    require_h5py()  # the weights are HDF5: say so before any work
    where = repr(os.fspath(path)) if isinstance(path, str | os.PathLike) else "the .keras archive"
    with _open(path, where) as archive:
        names = archive.names
        if CONFIG not in names:
            raise KerasFileError(
                f"{where} holds no {CONFIG}, so it is not a Keras 3 .keras file. "
                f"Its members: {sorted(names)[:20]}"
            )
        config = parse_json(archive.read(CONFIG), f"{where} {CONFIG}")
        version = _keras_version(archive, where)
        if WEIGHTS_H5 not in names:
            if WEIGHTS_NPZ in names:
                raise KerasFileError(
                    f"{where} stores its weights as {WEIGHTS_NPZ}, which Keras reads with "
                    "pickle; lamina never unpickles. Save the model again with the default "
                    "weights format (HDF5)."
                )
            raise KerasFileError(f"{where} holds no {WEIGHTS_H5}.")
        # A weight value takes at least a byte of the weights member (Keras never compresses
        # its datasets), which bounds what the config may ask the layers to allocate.
        model, entries = model_from_config(
            config,
            custom_objects,
            f"{where} {CONFIG}",
            max_weight_values=archive.size(WEIGHTS_H5),
        )
        data = archive.read(WEIGHTS_H5)
    weights_where = f"{where} {WEIGHTS_H5}" + (f" (Keras {version})" if version else "")
    with open_h5(io.BytesIO(data), weights_where) as f:
        assign(match_keras3(entries, model, f, weights_where), weights_where)
    if compile:
        what = f"{where} {CONFIG} compile_config"
        compile_from_config(model, config.get("compile_config"), custom_objects, what)
    return model


def load_keras_archive_weights(
    model: Any,
    path: str | os.PathLike | IO[bytes],
    by_name: bool = False,
    skip_mismatch: bool = False,
) -> None:
    """Load only the weights of a Keras 3 `.keras` file into a built lamina model.

    As Keras's `model.load_weights("model.keras")`: the archive's config is not read, the
    layers of `model` are matched in order (or by name, when the file records names).

    Raises:
        KerasFileError: for an unsafe archive or weights that do not fit the model.
        ImportError: when h5py is not installed.

    Example:
    >>> load_keras_archive_weights(model, "mnist.keras")
    """
    require_h5py()
    require_built(model, "loading")
    where = repr(os.fspath(path)) if isinstance(path, str | os.PathLike) else "the .keras archive"
    with _open(path, where) as archive:
        if WEIGHTS_H5 not in archive.names:
            raise KerasFileError(f"{where} holds no {WEIGHTS_H5}.")
        data = archive.read(WEIGHTS_H5)
    weights_where = f"{where} {WEIGHTS_H5}"
    with open_h5(io.BytesIO(data), weights_where) as f:
        matches = match_h5_weights(model, f, weights_where, by_name, skip_mismatch)
        assign(matches, weights_where)


def is_keras_archive(path: str | os.PathLike) -> bool:
    """Whether `path` is a zip archive laid out as Keras 3 writes `.keras` files.

    Looks only at the member names (`config.json` beside `model.weights.h5` or
    `model.weights.npz`), without reading any member; False for anything else.
    """
    names = member_names(path) or set()
    return CONFIG in names and bool(names & {WEIGHTS_H5, WEIGHTS_NPZ})


def _open(path: str | os.PathLike | IO[bytes], where: str) -> SafeZip:
    caps = {CONFIG: MAX_JSON_BYTES, METADATA: MAX_METADATA_BYTES, WEIGHTS_H5: MAX_WEIGHTS_BYTES}
    return SafeZip(path, where, caps, error=KerasFileError)


def _keras_version(archive: SafeZip, where: str) -> str | None:
    if METADATA not in archive.names:
        return None
    metadata = parse_json(archive.read(METADATA), f"{where} {METADATA}")
    if not isinstance(metadata, dict):
        raise KerasFileError(f"{where} {METADATA} should hold a JSON object.")
    version = metadata.get("keras_version")
    return version if isinstance(version, str) else None


def compile_from_config(
    model: Any, config: Any, custom_objects: dict | None, what: str = "compile_config"
) -> None:
    """Compile `model` as Keras's `compile_config` says, through lamina's registries only.

    Raises:
        KerasFileError: when the optimizer, a loss or a metric has no lamina counterpart.
    """
    if not config:  # Keras writes {} (or nothing) for a model that was never compiled
        return
    if not isinstance(config, dict):
        raise KerasFileError(f"{what} should be a dict.")
    extra = sorted(set(config) - _COMPILE_KEYS)
    if extra:
        raise KerasFileError(f"{what} has settings lamina does not know: {extra}.")
    for key in ("loss", "metrics", "weighted_metrics"):
        try:
            check_metric_sizes(config.get(key), f"{what}[{key!r}]")
        except ModelFileError as e:
            raise KerasFileError(str(e)) from None
    custom_objects = dict(custom_objects or {})  # custom_name adds registered objects to it
    try:
        optimizer = _registered(config.get("optimizer"), optimizers, custom_objects)
        loss = _registered(config.get("loss"), losses, custom_objects, names=True)
        metric_list = _registered(config.get("metrics"), metrics, custom_objects, names=True)
        weighted = _registered(config.get("weighted_metrics"), metrics, custom_objects, names=True)
        model.compile(
            optimizer=optimizer if optimizer is not None else "rmsprop",
            loss=loss,
            metrics=metric_list,
            loss_weights=config.get("loss_weights"),
            weighted_metrics=weighted,
        )
    except (ValueError, TypeError) as e:
        raise KerasFileError(
            f"{what} could not be translated: {e}. Load with compile=False and compile the "
            "model yourself."
        ) from None


def _registered(value: Any, family: ModuleType, custom_objects: dict, names: bool = False) -> Any:
    """Resolve names and `{"class_name", "config"}` records (nested in lists and dicts)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if names else family.deserialize(value, custom_objects)
    if isinstance(value, list):
        return [_registered(v, family, custom_objects, names) for v in value]
    if isinstance(value, dict) and "class_name" in value:
        name = custom_name(value, custom_objects)
        if name is None and not is_keras_module(value.get("module")):
            raise ValueError(
                f"{value.get('class_name')!r} comes from module {value.get('module')!r}; lamina "
                "resolves only Keras's own classes and custom_objects"
            )
        record = {"class_name": name or value["class_name"], "config": value.get("config")}
        return lamina_record(record, family, custom_objects)
    if isinstance(value, dict):
        return {k: _registered(v, family, custom_objects, names) for k, v in value.items()}
    raise ValueError(f"cannot interpret {value!r:.100}")
