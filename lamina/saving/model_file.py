"""Whole-model files (`.keras`): architecture, weights, compile settings and optimizer state.

A model file is a zip archive of exactly three members (see docs/model_format.md):

- `config.json`: the model's config, its build shapes and its compile settings.
- `model.weights.safetensors`: the weights (as in a weights file) plus the optimizer state
  under `optimizer/vars/<i>`; stored uncompressed.
- `metadata.json`: the format name and version, lamina's version, and the size and sha256 of
  the two other members.

Files are written atomically and byte for byte reproducibly (fixed member order and dates).
The reader trusts nothing: before it reads a byte of a member it checks that the archive ends
in a plain end record naming exactly three members, that each member has an expected name, is
a regular file, is not encrypted, uses an allowed compression and stays within its size cap;
then it checks every member against its size and sha256. Configs resolve class names only in
lamina's tables, `custom_objects` and the `register_serializable` registry; no pickle, no
imports, no paths or URLs from the file.
"""

import contextlib
import hashlib
import json
import os
import stat
import struct
import zipfile
from typing import IO, Any

import numpy as np

from lamina.backend import get_xp, to_numpy
from lamina.layers.layer import AllocationBudget, allocation_budget
from lamina.saving import safetensors_io, weights_file
from lamina.saving.atomic import atomic_write
from lamina.saving.errors import ModelFileError

SUFFIX = ".keras"
CONFIG = "config.json"
WEIGHTS = "model.weights.safetensors"
METADATA = "metadata.json"
MEMBERS = (CONFIG, WEIGHTS, METADATA)
FORMAT = "lamina.model"
FORMAT_VERSION = 1
MAX_METADATA_BYTES = 1 << 20
MAX_CONFIG_BYTES = 64 << 20
MAX_CENTRAL_DIRECTORY_BYTES = 64 << 10
_DATE = (1980, 1, 1, 0, 0, 0)
_END_RECORD = struct.Struct("<4s4H2LH")
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_OPTIMIZER_PREFIX = "optimizer/"
_OPTIMIZER_VARS = "optimizer/vars/"
_OPTIMIZER_EMA = "optimizer/ema/"
# A JSON member larger than this may not unpack from more than MAX_RATIO times fewer bytes:
# configs compress about 10 times, zip bombs about 1000 times.
RATIO_CHECK_BYTES = 1 << 20
MAX_RATIO = 200
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
            f"'*{weights_file.WEIGHTS_SUFFIX}'). Received: filepath={path!r}"
        )
    if not overwrite and os.path.exists(path):
        raise FileExistsError(
            f"{path!r} exists; pass overwrite=True to replace it. Received: overwrite=False"
        )
    config_bytes = json.dumps(model_config(model, include_optimizer), allow_nan=False).encode()
    arrays, metadata = weights_file.weight_arrays(model)
    if include_optimizer and getattr(model, "optimizer", None) is not None:
        optimizer_arrays, optimizer_metadata = _optimizer_arrays(model)
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
    from lamina.models.functional import Functional
    from lamina.models.sequential import Sequential
    from lamina.saving.config import check_json_safe, compile_config, serialize_layer

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


def _optimizer_arrays(model: Any) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    optimizer = model.optimizer
    store: dict[str, np.ndarray] = {}
    optimizer.save_own_variables(store)
    arrays = {f"{_OPTIMIZER_VARS}{i}": store[str(i)] for i in range(len(store))}
    metadata = {}
    if optimizer.built:
        positions = {id(w): i for i, w in enumerate(model.weights)}
        built_with = [positions.get(id(v)) for v in optimizer._trainable_variables]
        if None in built_with:
            raise ValueError(
                f"The optimizer of model {model.name!r} updates variables that are not the "
                "model's weights, so its state cannot be saved; pass include_optimizer=False."
            )
        metadata["optimizer_variables"] = json.dumps(built_with)
        for i, average in enumerate(getattr(optimizer, "_ema", None) or []):
            arrays[f"{_OPTIMIZER_EMA}{i}"] = to_numpy(average)
    return arrays, metadata


def _member_info(name: str, compression: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_DATE)
    info.compress_type = compression
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def _write_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> dict:
    archive.writestr(_member_info(name, zipfile.ZIP_DEFLATED), data)
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _metadata_bytes(members: dict) -> bytes:
    from lamina import __version__

    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "lamina_version": __version__,
        "members": members,
    }
    return json.dumps(metadata, indent=2).encode()


# ----- reading the archive --------------------------------------------------------------------


class _Archive:
    """An opened, checked model file: its members are read only through `read_json` and
    `read_weights`, which verify sizes and hashes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.source = repr(path)
        self._file = open(path, "rb")  # closed by close()
        try:
            self._open()
        except BaseException:
            self._file.close()
            raise

    def _open(self) -> None:
        size = os.fstat(self._file.fileno()).st_size
        _check_end_record(self._file, size, self.source)
        try:
            self._zip = zipfile.ZipFile(self._file)
        except MemoryError:
            raise
        except Exception as e:  # zipfile raises many types for damaged archives
            raise ModelFileError(f"{self.source} is not a readable zip archive: {e}") from e
        self.infos = _check_members(self._zip.infolist(), size, self.source)
        for info in self.infos.values():
            _check_local_header(self._file, info, self.source)
        self.metadata = _check_metadata(self._read_member(METADATA), self.infos, self.source)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._zip.close()
        self._file.close()

    def __enter__(self) -> "_Archive":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _read_member(self, name: str) -> bytes:
        info = self.infos[name]
        try:
            with self._zip.open(info) as f:
                data = f.read(info.file_size + 1)
        except MemoryError:
            raise
        except Exception as e:  # BadZipFile, zlib.error, EOFError, ...
            raise ModelFileError(f"{self.source}: member {name!r} is damaged: {e}") from e
        if len(data) != info.file_size:
            raise ModelFileError(
                f"{self.source}: member {name!r} holds {len(data)} bytes, not the "
                f"{info.file_size} its zip entry declares."
            )
        return data

    def read_json(self, name: str) -> Any:
        data = self._read_member(name)
        self._check_hash(name, hashlib.sha256(data).hexdigest())
        return safetensors_io.strict_json_loads(data, f"{self.source}, member {name!r}")

    def read_weights(self) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        info = self.infos[WEIGHTS]
        source = f"{self.source}, member {WEIGHTS!r}"
        try:
            with self._zip.open(info) as raw:
                f = safetensors_io.HashingReader(raw)
                arrays, metadata = safetensors_io.read(f, info.file_size, source)
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


def _check_end_record(f: IO[bytes], size: int, source: str) -> None:
    """Refuse, from the last bytes alone, anything but a plain archive of three members."""
    if size < _END_RECORD.size + 4:
        raise ModelFileError(f"{source} is not a lamina model file: it is only {size} bytes.")
    f.seek(0)
    if f.read(4) != b"PK\x03\x04":
        raise ModelFileError(
            f"{source} is not a lamina model file: it does not start with a zip member."
        )
    f.seek(size - _END_RECORD.size)
    sig, disk, cd_disk, entries_here, entries, cd_size, cd_offset, comment = _END_RECORD.unpack(
        f.read(_END_RECORD.size)
    )
    f.seek(0)
    if sig != b"PK\x05\x06" or comment != 0:
        raise ModelFileError(
            f"{source} is not a lamina model file: it does not end with a plain zip end record "
            "(no archive comment, no trailing data)."
        )
    if disk or cd_disk or entries_here != entries:
        raise ModelFileError(f"{source}: multi-part zip archives are not model files.")
    if entries != len(MEMBERS):
        raise ModelFileError(
            f"{source} holds {entries} zip members; a lamina model file holds exactly "
            f"{len(MEMBERS)}: {', '.join(MEMBERS)}."
        )
    if cd_size > MAX_CENTRAL_DIRECTORY_BYTES:
        raise ModelFileError(
            f"{source}: its zip directory claims {cd_size} bytes, more than the "
            f"{MAX_CENTRAL_DIRECTORY_BYTES} three members need."
        )
    if cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:
        f.seek(max(0, size - _END_RECORD.size - 20))
        locator = f.read(4)
        f.seek(0)
        if locator != b"PK\x06\x07":
            raise ModelFileError(
                f"{source}: its end record points to a zip64 directory, but there is none."
            )
    if cd_offset != 0xFFFFFFFF and cd_offset + cd_size > size - _END_RECORD.size:
        raise ModelFileError(f"{source}: its zip directory lies outside the file.")
    if cd_offset != 0xFFFFFFFF and cd_offset + cd_size != size - _END_RECORD.size:
        # zipfile would read such an archive shifted (it tolerates data put before it), so
        # a second archive appended to a first one would be what gets loaded.
        raise ModelFileError(
            f"{source}: its zip directory does not end where the end record starts; the file "
            "holds data before or between the archive's parts."
        )


def _check_local_header(f: IO[bytes], info: zipfile.ZipInfo, source: str) -> None:
    """Refuse a member whose local header says something else than the zip directory.

    zipfile reads the directory and ignores most of the local header; another tool may read
    the local headers, so a file whose two disagree could show it a different model.
    """
    f.seek(info.header_offset)
    header = f.read(_LOCAL_HEADER.size)
    f.seek(0)
    if len(header) != _LOCAL_HEADER.size:
        raise ModelFileError(f"{source}: the local header of member {info.filename!r} is cut off.")
    sig, _, flags, method, _, _, crc, compressed, size, name_length, _ = _LOCAL_HEADER.unpack(
        header
    )
    sizes = (compressed, size)
    expected = (info.compress_size, info.file_size)
    if 0xFFFFFFFF in sizes:  # zip64: the sizes are in the extra field
        sizes, expected = (), ()
    if (
        sig != b"PK\x03\x04"
        or flags != info.flag_bits
        or method != info.compress_type
        or crc != info.CRC
        or sizes != expected
        or name_length != len(info.orig_filename.encode("utf-8" if flags & 0x800 else "cp437"))
    ):
        raise ModelFileError(
            f"{source}: the local header of member {info.filename!r} disagrees with the zip "
            "directory (signature, flags, compression, crc, sizes or name); refusing the file."
        )


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (
        name.startswith(("/", "\\"))
        or (len(name) > 1 and name[1] == ":")
        or ".." in parts
        or len(parts) > 1
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
    )


def _check_members(infos: list, size: int, source: str) -> dict[str, zipfile.ZipInfo]:
    caps = {METADATA: MAX_METADATA_BYTES, CONFIG: MAX_CONFIG_BYTES, WEIGHTS: size}
    found: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        if _unsafe_name(name) or name != info.orig_filename:
            raise ModelFileError(
                f"{source}: member {name!r:.100} has an unsafe name (a path, '..', an absolute "
                "name or control characters); refusing the file."
            )
        if name not in caps:
            hint = " (this looks like a Keras file)" if name == "model.weights.h5" else ""
            raise ModelFileError(
                f"{source}: unexpected member {name!r:.100}{hint}; a lamina model file holds "
                f"exactly {', '.join(MEMBERS)}."
            )
        if name in found:
            raise ModelFileError(f"{source}: member {name!r} appears twice.")
        # Unix file type bits, when the archive sets them (many writers leave them 0).
        file_type = stat.S_IFMT(info.external_attr >> 16) if info.create_system == 3 else 0
        if file_type and file_type != stat.S_IFREG:
            kind = "a symbolic link" if file_type == stat.S_IFLNK else "not a regular file"
            raise ModelFileError(f"{source}: member {name!r} is {kind}; refusing the file.")
        if info.flag_bits & 0x1:
            raise ModelFileError(f"{source}: member {name!r} is encrypted.")
        allowed = (
            (zipfile.ZIP_STORED,)
            if name == WEIGHTS
            else (
                zipfile.ZIP_STORED,
                zipfile.ZIP_DEFLATED,
            )
        )
        if info.compress_type not in allowed:
            raise ModelFileError(
                f"{source}: member {name!r} uses zip compression method {info.compress_type}; "
                f"allowed: {allowed} (the weights are stored uncompressed)."
            )
        if info.file_size > caps[name]:
            raise ModelFileError(
                f"{source}: member {name!r} claims {info.file_size} bytes, more than its cap "
                f"of {caps[name]}."
            )
        if info.file_size > RATIO_CHECK_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise ModelFileError(
                f"{source}: member {name!r} unpacks from {info.compress_size} to "
                f"{info.file_size} bytes (more than {MAX_RATIO} times), as a zip bomb does; "
                "refusing the file."
            )
        stored = info.compress_type == zipfile.ZIP_STORED
        if (stored and info.compress_size != info.file_size) or (
            info.header_offset + info.compress_size > size
        ):
            raise ModelFileError(f"{source}: the sizes of member {name!r} do not fit the archive.")
        found[name] = info
    missing = [m for m in MEMBERS if m not in found]
    if missing:
        raise ModelFileError(f"{source} lacks the member(s) {missing}.")
    return found


def _check_metadata(data: bytes, infos: dict, source: str) -> dict:
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
        if entry.get("size") != infos[name].file_size:
            raise ModelFileError(
                f"{where}: member {name!r} is recorded as {entry.get('size')!r:.20} bytes but "
                f"the archive holds {infos[name].file_size}."
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
    from lamina.saving import keras_import
    from lamina.saving.object_registry import custom_object_scope

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
    from lamina.models.model import Model
    from lamina.saving.config import compile_arguments, compile_failure, deserialize_layer

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
    store = weights_file.store_from_arrays(arrays, metadata, f"{source}, member {WEIGHTS!r}")
    weights_file.assign_weights(model, store)
    _check_runs(model, source)
    if compile and config.get("compile_config") is not None:
        arguments = compile_arguments(config["compile_config"], f"{source}, {CONFIG!r}")
        try:
            model.compile(**arguments)
        except (TypeError, ValueError) as e:
            raise ModelFileError(f"{source}: {compile_failure(e)}") from e
        _restore_optimizer(model, store.extra, metadata, source)
    return model


def _check_runs(model: Any, source: str) -> None:
    """Refuse a graph that cannot compute: run it once on zeros of batch size 2.

    Building probes each layer on its own, so a config can describe a graph whose layers
    each accept their inputs but that fails as a whole (a slice along the batch axis meeting
    a full batch); such a model is refused here rather than failing in the user's `predict`.
    """
    from lamina.function import no_grad
    from lamina.models.symbolic import KerasTensor, map_structure

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
            model(map_structure(zeros, model.input), training=False)
    except (ModelFileError, MemoryError):
        raise
    except Exception as e:
        raise ModelFileError(
            f"{source}: the model its config describes does not run on a batch of zeros "
            f"({type(e).__name__}: {e}); the config is inconsistent."
        ) from e


def _build(model: Any, build_config: Any, source: str) -> None:
    from lamina.function import no_grad

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


def _restore_optimizer(model: Any, extra: dict, metadata: dict, source: str) -> None:
    optimizer = model.optimizer
    where = f"{source}: the optimizer state"
    saved = _numbered(extra, _OPTIMIZER_VARS, where)
    ema = _numbered(extra, _OPTIMIZER_EMA, where)
    if len(saved) + len(ema) != len(extra):
        raise ModelFileError(f"{where} holds tensors other than {_OPTIMIZER_VARS}<i>.")
    if not saved:
        return
    if "optimizer_variables" in metadata:
        positions = safetensors_io.strict_json_loads(metadata["optimizer_variables"], where)
        weights = model.weights
        if not isinstance(positions, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(weights)
            for i in positions
        ):
            raise ModelFileError(f"{where}: 'optimizer_variables' must list weight positions.")
        if not optimizer.built:
            optimizer.build([weights[i] for i in positions])
    variables = optimizer.variables
    if len(variables) != len(saved):
        raise ModelFileError(
            f"{where} holds {len(saved)} variables but the rebuilt optimizer has {len(variables)}."
        )
    for v, value in zip(variables, saved, strict=True):
        if tuple(v.shape) != tuple(value.shape):
            raise ModelFileError(
                f"{where}: variable {v.path!r} has shape {tuple(v.shape)} but the file holds "
                f"{tuple(value.shape)}."
            )
    averages = getattr(optimizer, "_ema", None) or []
    if ema and (
        len(ema) != len(averages)
        or any(a.shape != e.shape for a, e in zip(averages, ema, strict=True))
    ):
        raise ModelFileError(f"{where}: the moving averages do not fit the optimizer.")
    optimizer.load_own_variables(
        {
            str(i): get_xp(v.data).asarray(value)
            for i, (v, value) in enumerate(zip(variables, saved, strict=True))
        }
    )
    for average, value in zip(averages, ema, strict=False):
        average[...] = get_xp(average).asarray(value)


def _numbered(arrays: dict, prefix: str, where: str) -> list:
    """The arrays named `prefix0`, `prefix1`, ... in order; the numbers must be 0..n-1."""
    found = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
    if sorted(found, key=lambda k: (len(k), k)) != [str(i) for i in range(len(found))]:
        raise ModelFileError(f"{where}: the tensors {prefix}<i> are not numbered 0, 1, 2, ...")
    return [found[str(i)] for i in range(len(found))]


def read_weight_store(path: str | os.PathLike) -> weights_file.WeightStore:
    """The weights of a `.keras` file, for `load_weights` (the optimizer state is ignored)."""
    with _Archive(os.fspath(path)) as archive:
        arrays, metadata = archive.read_weights()
    return weights_file.store_from_arrays(arrays, metadata, f"{archive.source}, member {WEIGHTS!r}")


# ----- JSON architecture ----------------------------------------------------------------------


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Any:
    """Rebuild a model (with fresh weights) from `model.to_json()`.

    Raises:
        ModelFileError: for invalid JSON, unknown classes or a config that cannot be rebuilt.

    Example:
    >>> clone = lamina.models.model_from_json(model.to_json())
    """
    from lamina.models.model import Model
    from lamina.saving.config import deserialize_layer
    from lamina.saving.object_registry import custom_object_scope

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
