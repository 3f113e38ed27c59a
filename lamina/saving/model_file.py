"""Whole-model files (`.keras`): architecture, weights, compile settings and optimizer state.

A model file is a zip archive of exactly three members (see docs/model_format.md):

- `config.json`: the model's config, its build shapes and its compile settings.
- `model.weights.safetensors`: the weights (as in a weights file) plus the optimizer state
  under `optimizer/vars/<i>`; stored uncompressed.
- `metadata.json`: the format name and version, lamina's version, and the size and sha256 of
  the two other members.

Files are written atomically and byte for byte reproducibly (fixed member order and dates).
The reader trusts nothing: through `safe_zip.SafeZip`, before it reads a byte of a member it
checks that the archive ends in a plain end record naming exactly three members, that each
member has an expected name, is a regular file, is not encrypted, uses an allowed compression
and stays within its size cap; then it checks every member against its size and sha256.
Configs resolve class names only in lamina's tables, `custom_objects` and the
`register_serializable` registry; no pickle, no imports, no paths or URLs from the file.
"""

import hashlib
import json
import os
import stat
import zipfile
from typing import IO, Any

import numpy as np

from lamina import tree
from lamina.function import no_grad
from lamina.io import safetensors_io, weight_store
from lamina.io.atomic import atomic_write
from lamina.layers.serialization import deserialize_layer, serialize_layer
from lamina.layers.symbolic import KerasTensor
from lamina.models.functional import Functional
from lamina.models.model import Model
from lamina.models.sequential import Sequential
from lamina.saving import keras_import
from lamina.saving.allocation_budget import AllocationBudget, allocation_budget
from lamina.saving.config import compile_arguments, compile_config, compile_failure
from lamina.saving.safe_zip import SafeZip
from lamina.serialization.errors import ModelFileError
from lamina.serialization.object_registry import custom_object_scope
from lamina.serialization.values import check_json_safe

SUFFIX = ".keras"
CONFIG = "config.json"
WEIGHTS = "model.weights.safetensors"
METADATA = "metadata.json"
MEMBERS = (CONFIG, WEIGHTS, METADATA)
FORMAT = "lamina.model"
FORMAT_VERSION = 1
MAX_METADATA_BYTES = 1 << 20
MAX_CONFIG_BYTES = 64 << 20
_DATE = (1980, 1, 1, 0, 0, 0)
_OPTIMIZER_PREFIX = "optimizer/"
# Weight values a config may ask for beyond twice those the file holds.
_BUDGET_SLACK = 1 << 20


# ----- saving ---------------------------------------------------------------------------------


def save_model(
    model: Any, filepath: str | os.PathLike, overwrite: bool = True, include_optimizer: bool = True
) -> None:
    """Save a model to one `.keras` file: architecture, weights, compile settings, optimizer.

    Everything that can fail (a Lambda layer, a config JSON cannot hold) fails before the file
    is opened, and the file is replaced atomically, so an error leaves no file or the old one.

    Args:
        model: a functional, Sequential or registered subclassed model.
        filepath: the file; its name must end in `.keras`.
        overwrite: if False, refuse to replace an existing file.
        include_optimizer: save the compile settings and the optimizer's state, so `fit` can
            go on where it stopped; without them the loaded model is not compiled (as in
            Keras 2).

    Raises:
        ValueError: for another file name, or a model that cannot be saved (the message says
            why and what to do).
        FileExistsError: when the file exists and `overwrite` is False.

    Example:
    >>> model.save("mnist.keras")
    >>> restored = lamina.models.load_model("mnist.keras")
    """
    path = os.fspath(filepath)
    if not path.endswith(SUFFIX):
        raise ValueError(
            f"The model file name must end in {SUFFIX!r} (use save_weights for "
            f"'*{weight_store.WEIGHTS_SUFFIX}'). Received: filepath={path!r}"
        )
    if not overwrite and os.path.exists(path):
        raise FileExistsError(
            f"{path!r} exists; pass overwrite=True to replace it. Received: overwrite=False"
        )
    config_bytes = json.dumps(model_config(model, include_optimizer), allow_nan=False).encode()
    arrays, metadata = weight_store.weight_arrays(model)
    if include_optimizer and getattr(model, "optimizer", None) is not None:
        optimizer_arrays, optimizer_metadata = model.optimizer.state_arrays(model.weights)
        arrays.update(optimizer_arrays)
        metadata.update(optimizer_metadata)
    header = safetensors_io.encode_header(arrays, metadata)
    weights_size = len(header) + safetensors_io.data_size(arrays)

    def write(f: IO[bytes]) -> None:
        with zipfile.ZipFile(f, "w", allowZip64=True) as archive:
            members = {CONFIG: _write_bytes(archive, CONFIG, config_bytes)}
            info = _member_info(WEIGHTS, zipfile.ZIP_STORED)
            info.file_size = weights_size
            with archive.open(info, "w", force_zip64=weights_size > zipfile.ZIP64_LIMIT) as out:
                hashing = safetensors_io.HashingWriter(out)
                hashing.write(header)
                safetensors_io.write_data(hashing, arrays)
            members[WEIGHTS] = {"sha256": hashing.sha256.hexdigest(), "size": hashing.size}
            _write_bytes(archive, METADATA, _metadata_bytes(members))

    atomic_write(path, write)


def model_config(model: Any, include_compile: bool = True) -> dict:
    """The content of `config.json`: the model, its build shapes and compile settings."""
    _check_unshared(model)
    config = serialize_layer(model)
    build = None
    if not isinstance(model, Functional | Sequential) and model.weights:
        shapes = getattr(model, "_build_shapes", None)
        if shapes is None:
            raise ValueError(
                f"Model {model.name!r} has weights but lamina does not know the input shape "
                "that built them; call the model on data once before saving it."
            )
        build = {"input_shape": _shape_json(shapes)}
        check_json_safe(build, f"the build shapes of model {model.name!r}")
    config["build_config"] = build
    config["compile_config"] = compile_config(model) if include_compile else None
    return config


def _check_unshared(model: Any) -> None:
    owners: dict[int, str] = {}
    for layer in model._sublayers:
        for w in layer.weights:
            first = owners.setdefault(id(w), layer.name)
            if first != layer.name:
                raise ValueError(
                    f"Layers {first!r} and {layer.name!r} of model {model.name!r} share the "
                    f"weight {w.path!r}; a model file rebuilds each layer on its own, so it "
                    "cannot hold shared weights. Save the weights with save_weights instead."
                )


def _shape_json(shapes: Any) -> Any:
    if isinstance(shapes, dict):
        return {k: _shape_json(v) for k, v in shapes.items()}
    if isinstance(shapes, list | tuple):
        if all(n is None or isinstance(n, int | np.integer) for n in shapes):
            return [None if n is None else int(n) for n in shapes]
        return [_shape_json(s) for s in shapes]
    return shapes


def _member_info(name: str, compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_DATE)
    info.compress_type = compression
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def _write_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> dict:
    archive.writestr(_member_info(name, zipfile.ZIP_DEFLATED), data)
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _metadata_bytes(members: dict) -> bytes:
    # The root package holds the version, and it imports saving.
    from lamina import __version__

    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "lamina_version": __version__,
        "members": members,
    }
    return json.dumps(metadata, indent=2).encode()


# ----- reading the archive --------------------------------------------------------------------


class _Archive(SafeZip):
    """An opened, checked model file: its members are read only through `read_json` and
    `read_weights`, which verify sizes and hashes."""

    def __init__(self, path: str) -> None:
        caps = {CONFIG: MAX_CONFIG_BYTES, WEIGHTS: os.path.getsize(path)}
        caps[METADATA] = MAX_METADATA_BYTES
        super().__init__(
            path, repr(path), caps, kind="a lamina model file", exact=True, stored=(WEIGHTS,)
        )
        self.source = self.where
        try:
            self.metadata = _check_metadata(self.read(METADATA), self, self.source)
        except BaseException:
            self.close()
            raise

    def read_json(self, name: str) -> Any:
        data = self.read(name)
        self._check_hash(name, hashlib.sha256(data).hexdigest())
        return safetensors_io.strict_json_loads(data, f"{self.source}, member {name!r}")

    def read_weights(self) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        source = f"{self.source}, member {WEIGHTS!r}"
        try:
            with self.open(WEIGHTS) as raw:
                f = safetensors_io.HashingReader(raw)
                arrays, metadata = safetensors_io.read(f, self.size(WEIGHTS), source)
                if raw.read(1):
                    raise ModelFileError(f"{source} holds data past its declared size.")
        except (ModelFileError, MemoryError):
            raise
        except Exception as e:  # BadZipFile (CRC), EOFError, ...
            raise ModelFileError(f"{source} is damaged: {e}") from e
        self._check_hash(WEIGHTS, f.sha256.hexdigest())
        return arrays, metadata

    def _check_hash(self, name: str, digest: str) -> None:
        if digest != self.metadata["members"][name]["sha256"]:
            raise ModelFileError(
                f"{self.source}: member {name!r} does not match the sha256 recorded in "
                f"{METADATA!r}; the file is damaged or was altered."
            )


def _check_metadata(data: bytes, archive: SafeZip, source: str) -> dict:
    where = f"{source}, member {METADATA!r}"
    metadata = safetensors_io.strict_json_loads(data, where)
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModelFileError(f"{where}: 'format' is not {FORMAT!r}; not a lamina model file.")
    version = metadata.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{where}: 'format_version' must be a positive integer.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{source} was written by a newer lamina (model format version {version}, lamina "
            f"{metadata.get('lamina_version')!r:.40}); this lamina reads up to version "
            f"{FORMAT_VERSION}. Upgrade lamina to load it."
        )
    members = metadata.get("members")
    if not isinstance(members, dict) or set(members) != {CONFIG, WEIGHTS}:
        raise ModelFileError(f"{where}: 'members' must describe {CONFIG!r} and {WEIGHTS!r}.")
    for name, entry in members.items():
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if (
            not isinstance(digest, str)
            or len(digest) != 64
            or any(c not in "0123456789abcdef" for c in digest)
        ):
            raise ModelFileError(f"{where}: member {name!r} needs a sha256 of 64 hex digits.")
        if entry.get("size") != archive.size(name):
            raise ModelFileError(
                f"{where}: member {name!r} is recorded as {entry.get('size')!r:.20} bytes but "
                f"the archive holds {archive.size(name)}."
            )
    return metadata


# ----- loading --------------------------------------------------------------------------------


def load_model(
    filepath: str | os.PathLike, custom_objects: dict | None = None, compile: bool = True
) -> Any:
    """Load a model saved by `model.save`: `predict` gives the same outputs bit for bit.

    Args:
        filepath: a `.keras` file written by lamina.
        custom_objects: name -> class or function, for users' classes that are not
            registered with `register_serializable`.
        compile: compile the model as it was saved and restore the optimizer's state, so
            `fit` continues where it stopped.

    Returns:
        The model.

    Raises:
        ModelFileError: for anything wrong with the file or its content (the message names the
            problem); nothing in the file is ever executed.
        OSError: when the file cannot be opened.

    Example:
    >>> model = lamina.models.load_model("mnist.keras")
    """
    path = os.fspath(filepath)
    if path.endswith((".h5", ".hdf5")):
        return keras_import.load_keras_h5_model(path, custom_objects, compile=compile)
    if keras_import.is_keras_archive(path):
        return keras_import.load_keras_archive(path, custom_objects, compile=compile)
    with custom_object_scope(custom_objects), _Archive(path) as archive:
        config = archive.read_json(CONFIG)
        arrays, metadata = archive.read_weights()
        return _guard(archive.source, lambda: _restore(config, arrays, metadata, compile, archive))


def _guard(source: str, fn: Any) -> Any:
    """Run `fn`, turning any failure of a user's class or a strange config into ModelFileError."""
    try:
        return fn()
    except ModelFileError as e:
        if str(e).startswith(source):
            raise
        raise ModelFileError(f"{source}: {e}") from e
    except MemoryError as e:  # sizes in the config too large for this machine
        raise ModelFileError(
            f"{source}: rebuilding the model needs more memory than is available (MemoryError: "
            f"{e}); its config asks for very large layers."
        ) from None
    except Exception as e:
        raise ModelFileError(
            f"{source}: the model cannot be restored: {type(e).__name__}: {e}"
        ) from e


def _restore(config: Any, arrays: dict, metadata: dict, compile: bool, archive: _Archive) -> Any:
    source = archive.source
    if not isinstance(config, dict):
        raise ModelFileError(f"{source}: {CONFIG!r} is not a JSON object.")
    unknown = sorted(
        set(config)
        - {"module", "class_name", "config", "registered_name"}
        - {
            "build_config",
            "compile_config",
        }
    )
    if unknown:
        raise ModelFileError(f"{source}: {CONFIG!r} has unknown keys {unknown}.")
    # Every weight the config asks for must be filled from the file, so the layers may not
    # allocate much more than the file holds: a config asking for `units: 10**9` fails here,
    # before anything is allocated. (The slack lets a small mismatch reach the clearer
    # shape comparison below.)
    held = sum(int(a.size) for k, a in arrays.items() if not k.startswith(_OPTIMIZER_PREFIX))
    with allocation_budget(AllocationBudget(2 * held + _BUDGET_SLACK, ModelFileError)):
        model = deserialize_layer(config, f"{source}, {CONFIG!r}")
        if not isinstance(model, Model):
            raise ModelFileError(
                f"{source}: {CONFIG!r} describes a {type(model).__name__}, not a model."
            )
        if config.get("build_config") is not None:
            _build(model, config["build_config"], source)
    store = weight_store.store_from_arrays(arrays, metadata, f"{source}, member {WEIGHTS!r}")
    weight_store.assign_weights(model, store)
    _check_runs(model, source)
    if compile and config.get("compile_config") is not None:
        arguments = compile_arguments(config["compile_config"], f"{source}, {CONFIG!r}")
        try:
            model.compile(**arguments)
        except (TypeError, ValueError) as e:
            raise ModelFileError(f"{source}: {compile_failure(e)}") from e
        try:
            model.optimizer.load_state_arrays(store.extra, metadata, model.weights)
        except ValueError as e:
            raise ModelFileError(f"{source}: the optimizer state does not fit: {e}") from None
    return model


def _check_runs(model: Any, source: str) -> None:
    """Refuse a graph that cannot compute: run it once on zeros of batch size 2.

    Building works out each layer's output shape on its own (most without running it), so a
    config can describe a graph whose layers each accept their inputs but that fails as a
    whole (a slice along the batch axis meeting a full batch); such a model is refused here
    rather than failing in the user's `predict`.
    """
    if not getattr(model, "inputs", None):
        return  # a subclassed model (already run by _build) or one without inputs

    def zeros(t: Any) -> Any:
        if not isinstance(t, KerasTensor):
            return t
        shape = tuple(
            2 if i == 0 and n is None else 1 if n is None else n for i, n in enumerate(t.shape)
        )
        if t.dtype.kind in "USO":
            return np.full(shape, "", dtype=object)
        return np.zeros(shape, dtype=t.dtype)

    try:
        with no_grad():
            model(tree.map_structure(zeros, model.input), training=False)
    except (ModelFileError, MemoryError):
        raise
    except Exception as e:
        raise ModelFileError(
            f"{source}: the model its config describes does not run on a batch of zeros "
            f"({type(e).__name__}: {e}); the config is inconsistent."
        ) from e


def _build(model: Any, build_config: Any, source: str) -> None:
    shapes = build_config.get("input_shape") if isinstance(build_config, dict) else None

    def zeros(shape: Any) -> Any:
        if isinstance(shape, dict):
            return {k: zeros(v) for k, v in shape.items()}
        if not isinstance(shape, list):
            raise ModelFileError(f"{source}: 'build_config' holds a malformed shape.")
        if all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape[1:]):
            if len(shape) > safetensors_io.MAX_RANK or np.prod(shape[1:]) > 1 << 24:
                raise ModelFileError(f"{source}: 'build_config' holds a too large shape.")
            return np.zeros((1, *shape[1:]), dtype=model.dtype)
        return [zeros(s) for s in shape]

    inputs = zeros(shapes)
    with no_grad():
        model(inputs, training=False)


def read_weight_store(path: str | os.PathLike) -> weight_store.WeightStore:
    """The weights of a `.keras` file, for `load_weights` (the optimizer state is ignored)."""
    with _Archive(os.fspath(path)) as archive:
        arrays, metadata = archive.read_weights()
    return weight_store.store_from_arrays(arrays, metadata, f"{archive.source}, member {WEIGHTS!r}")


# ----- JSON architecture ----------------------------------------------------------------------


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Any:
    """Rebuild a model (with fresh weights) from `model.to_json()`.

    Raises:
        ModelFileError: for invalid JSON, unknown classes or a config that cannot be rebuilt.

    Example:
    >>> clone = lamina.models.model_from_json(model.to_json())
    """
    if not isinstance(json_string, str | bytes):
        raise ModelFileError(
            f"model_from_json expects a JSON string. Received: {type(json_string).__name__}"
        )
    if len(json_string) > MAX_CONFIG_BYTES:
        raise ModelFileError(f"The JSON config is longer than {MAX_CONFIG_BYTES} bytes.")
    config = safetensors_io.strict_json_loads(json_string, "the JSON config")
    with custom_object_scope(custom_objects):
        model = _guard("the JSON config", lambda: deserialize_layer(config, "the JSON config"))
    if not isinstance(model, Model):
        raise ModelFileError(f"The JSON config describes a {type(model).__name__}, not a model.")
    return model
