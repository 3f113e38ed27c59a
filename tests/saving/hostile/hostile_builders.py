"""Valid lamina and Keras files, and the tools that turn them into hostile ones.

Every hostile file starts from a valid one written by lamina (or laid out as Keras writes
it, with h5py and zipfile), then changes one thing: a zip field, a member, a JSON value, a
safetensors header entry, an HDF5 link. `forge` re-zips a model file with correct sizes and
sha256s, so a change reaches the parser behind the checksums, as a careful attacker's would.
"""

import dataclasses
import hashlib
import io
import json
import os
import struct
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np

import lamina
from lamina import layers

CONFIG = "config.json"
WEIGHTS = "model.weights.safetensors"
METADATA = "metadata.json"
DATE = (1980, 1, 1, 0, 0, 0)


# ----- valid lamina models --------------------------------------------------------------------


def sequential_model() -> Any:
    """A compiled 4 -> 8 -> 3 MLP with Adam's state after one epoch (so optimizer tensors)."""
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [
            lamina.Input((4,)),
            layers.Dense(8, activation="relu", name="hidden"),
            layers.Dense(3, name="out"),
        ],
        name="mlp",
    )
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 3)).astype("float32")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    return model


def functional_model() -> Any:
    """Two inputs, a merge, slicing and arithmetic (OpLayers); not compiled."""
    lamina.utils.set_random_seed(1)
    a, b = lamina.Input((4,), name="a"), lamina.Input((4,), name="b")
    h = layers.Add(name="add")([layers.Dense(6, name="da")(a), layers.Dense(6, name="db")(b)])
    out = layers.Concatenate(name="mix")([h[:, 1:4] * 2.0, -h[:, :1]])
    return lamina.Model({"a": a, "b": b}, out, name="func")


def sample_inputs(model: Any) -> Any:
    """Inputs of batch 2 for either model above (or one rebuilt from a mutated file)."""
    x = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
    if isinstance(model.inputs, dict) or len(getattr(model, "inputs", [])) == 2:
        return {"a": x, "b": x[::-1].copy()}
    return x


# ----- Keras layouts (written with h5py and zipfile, no Keras install) --------------------------


def k_obj(class_name: str, config: dict, module: str | None = "keras.layers") -> dict:
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def k_dense(name: str, units: int, activation: str = "linear", **config: Any) -> dict:
    init = {"module": "keras.initializers", "registered_name": None}
    return k_obj(
        "Dense",
        {
            "name": name,
            "trainable": True,
            "dtype": "float32",
            "units": units,
            "activation": activation,
            "use_bias": True,
            "kernel_initializer": init | {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": init | {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
            **config,
        },
    )


def k_input(name: str, shape: tuple) -> dict:
    config = {"batch_shape": [None, *shape], "dtype": "float32", "sparse": False, "name": name}
    return k_obj("InputLayer", config)


def keras_sequential(*layer_records: dict) -> dict:
    """A Keras 3 Sequential config: an input of 4 features, then the given layers."""
    return k_obj(
        "Sequential",
        {
            "name": "sequential",
            "trainable": True,
            "dtype": "float32",
            "layers": [k_input("input_layer", (4,)), *layer_records],
        },
        module="keras",
    )


def keras_config() -> dict:
    return keras_sequential(k_dense("dense", 8, "relu"), k_dense("dense_1", 3))


def keras_weights() -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(2)
    return {
        "dense": [rng.normal(size=(4, 8)).astype("f4"), rng.normal(size=8).astype("f4")],
        "dense_1": [rng.normal(size=(8, 3)).astype("f4"), rng.normal(size=3).astype("f4")],
    }


def keras3_weights_h5(extra: Callable | None = None, weights: dict | None = None) -> bytes:
    """Keras 3's `model.weights.h5`: `layers/<name>/vars/<i>`, plus `vars` and `optimizer`."""
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_group("vars")
        container = f.create_group("layers")
        for key, values in (keras_weights() if weights is None else weights).items():
            group = container.create_group(key).create_group("vars")
            for i, v in enumerate(values):
                group.create_dataset(str(i), data=v)
        if extra is not None:
            extra(f)
    return buffer.getvalue()


def keras_archive(
    config: Any = None,
    weights_h5: bytes | None = None,
    members: dict | None = None,
    metadata: bytes | None = None,
) -> bytes:
    """A Keras 3 `.keras` zip: metadata.json, config.json, model.weights.h5."""
    config = keras_config() if config is None else config
    text = config if isinstance(config, bytes) else json.dumps(config).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(METADATA, metadata or b'{"keras_version": "3.6.0", "date_saved": "x"}')
        zf.writestr(CONFIG, text)
        zf.writestr("model.weights.h5", keras3_weights_h5() if weights_h5 is None else weights_h5)
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def keras2_model_config(*extra_layers: dict) -> dict:
    """tf.keras 2's `model_config` of a Sequential 4 -> 8 -> 3 (no module, string dtypes)."""

    def layer(class_name: str, **config: Any) -> dict:
        return {
            "class_name": class_name,
            "config": {"trainable": True, "dtype": "float32"} | config,
        }

    glorot = {"class_name": "GlorotUniform", "config": {"seed": None}}
    dense = {
        "use_bias": True,
        "kernel_initializer": glorot,
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "bias_constraint": None,
    }
    records = [
        {
            "class_name": "InputLayer",
            "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "input_1"},
        },
        layer("Dense", name="dense", units=8, activation="relu", **dense),
        *extra_layers,
        layer("Dense", name="dense_1", units=3, activation="linear", **dense),
    ]
    return {
        "class_name": "Sequential",
        "config": {"name": "sequential", "layers": records},
        "keras_version": "2.15.0",
        "backend": "tensorflow",
    }


def keras2_h5(
    model_config: Any = None, extra: Callable | None = None, full_model: bool = True
) -> bytes:
    """tf.keras 2's `model.save("m.h5")` (or `save_weights` when not full_model)."""
    import h5py

    weights = keras_weights()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        if full_model:
            config = keras2_model_config() if model_config is None else model_config
            f.attrs["model_config"] = config if isinstance(config, str) else json.dumps(config)
            f.attrs["keras_version"] = "2.15.0"
            root = f.create_group("model_weights")
        else:
            root = f
        root.attrs["layer_names"] = [n.encode() for n in weights]
        root.attrs["keras_version"] = b"2.15.0"
        for name, values in weights.items():
            group = root.create_group(name)
            paths = [f"{name}/{kind}:0" for kind in ("kernel", "bias")]
            group.attrs["weight_names"] = [p.encode() for p in paths]
            for path, value in zip(paths, values, strict=True):
                group.create_dataset(path, data=value)
        if extra is not None:
            extra(f)
    return buffer.getvalue()


def keras_target_model() -> Any:
    """A built lamina model with the layers of the Keras files above."""
    return lamina.Sequential(
        [lamina.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(3)]
    )


# ----- the valid files of a session -----------------------------------------------------------


@dataclasses.dataclass
class ValidFiles:
    """The bytes of one valid file of each kind."""

    sequential: bytes  # lamina .keras of sequential_model(), with optimizer state
    functional: bytes  # lamina .keras of functional_model()
    weights: bytes  # .weights.safetensors of sequential_model()
    keras_archive: bytes  # Keras 3 .keras
    keras_h5: bytes  # tf.keras 2 whole-model .h5
    keras_weights_h5: bytes  # Keras 3 .weights.h5
    legacy_npz: bytes  # the earlier .weights.npz format of sequential_model()

    @classmethod
    def build(cls, folder: Any) -> "ValidFiles":
        model, func = sequential_model(), functional_model()
        model.save(os.path.join(folder, "seq.keras"))
        func.save(os.path.join(folder, "func.keras"))
        model.save_weights(os.path.join(folder, "seq.weights.safetensors"))

        def read(name: str) -> bytes:
            with open(os.path.join(folder, name), "rb") as f:
                return f.read()

        return cls(
            sequential=read("seq.keras"),
            functional=read("func.keras"),
            weights=read("seq.weights.safetensors"),
            keras_archive=keras_archive(),
            keras_h5=keras2_h5(),
            keras_weights_h5=keras3_weights_h5(),
            legacy_npz=legacy_npz(model),
        )

    def warm_up(self, folder: Any) -> None:
        """Load every valid file and a few broken ones, so lazy imports happen unarmed."""
        from lamina.saving import ModelFileError

        for name, blob in [
            ("w0.keras", self.sequential),
            ("w1.keras", self.functional),
            ("w2.keras", self.keras_archive),
            ("w3.h5", self.keras_h5),
        ]:
            path = write(folder, name, blob)
            model = lamina.models.load_model(path)
            model.predict(sample_inputs(model), verbose=0)
        sequential_model().load_weights(write(folder, "w4.weights.safetensors", self.weights))
        keras_target_model().load_weights(write(folder, "w5.weights.h5", self.keras_weights_h5))
        keras_target_model().load_weights(write(folder, "w6.weights.npz", self.legacy_npz))
        broken = [
            ("b0.keras", b"PK\x03\x04" + b"\0" * 40),
            ("b1.keras", forge(self.sequential, config=b"[" * 5000 + b"]" * 5000)),
            ("b2.keras", forge(self.sequential, config=b'{"a": 1e999}')),
            ("b3.keras", keras_archive(config=b"{")),
            ("b4.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 100),
            ("b5.weights.safetensors", self.weights[:-1]),
            ("b6.weights.npz", b"PK\x03\x04" + b"\0" * 40),
        ]
        for name, blob in broken:
            path = write(folder, name, blob)
            try:
                if ".weights." in name:
                    sequential_model().load_weights(path)
                else:
                    lamina.models.load_model(path)
            except ModelFileError:
                pass


def legacy_npz(model: Any, **changes: Any) -> bytes:
    """The weights of `model` as the earlier `.weights.npz` format held them (np.savez)."""
    arrays = {
        "__format__": np.array("lamina.weights"),
        "__version__": np.array(1),
        "__names__": np.array([w.name for w in model.weights]),
    }
    arrays.update({f"w{i:05d}": w.numpy() for i, w in enumerate(model.weights)})
    arrays.update(changes)
    buffer = io.BytesIO()
    np.savez(buffer, **{k: v for k, v in arrays.items() if v is not None})
    return buffer.getvalue()


def write(folder: Any, name: str, blob: bytes) -> str:
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(blob)
    return path


# ----- zip archives ---------------------------------------------------------------------------


def member_info(name: str, compression: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=DATE)
    info.compress_type = compression
    info.external_attr = 0o100644 << 16
    return info


def members(blob: bytes) -> dict[str, bytes]:
    """The members of a (valid) zip archive by name."""
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def zip_of(entries: list[tuple[Any, bytes]], comment: bytes = b"") -> bytes:
    """A zip of `(name or ZipInfo, data)` entries, in order (duplicates allowed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for entry, data in entries:
            if isinstance(entry, str):
                stored = entry == WEIGHTS
                entry = member_info(entry, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
            zf.writestr(entry, data)
        zf.comment = comment
    return buffer.getvalue()


def metadata_for(config: bytes, weights: bytes, **changes: Any) -> bytes:
    record = {
        "format": "lamina.model",
        "format_version": 1,
        "lamina_version": lamina.__version__,
        "members": {
            name: {"sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob)}
            for name, blob in ((CONFIG, config), (WEIGHTS, weights))
        },
    }
    record.update(changes)
    return json.dumps(record, indent=2).encode()


def forge(
    valid: bytes,
    config: Any = None,
    weights: bytes | None = None,
    metadata: bytes | None = None,
) -> bytes:
    """The model file `valid` with members replaced and sizes and sha256s that match them.

    `config` may be bytes or a callable changing the parsed config (a dict) in place.
    """
    old = members(valid)
    if callable(config):
        parsed = json.loads(old[CONFIG])
        config(parsed)
        config = json.dumps(parsed).encode()
    config = old[CONFIG] if config is None else config
    weights = old[WEIGHTS] if weights is None else weights
    metadata = metadata_for(config, weights) if metadata is None else metadata
    return zip_of([(CONFIG, config), (WEIGHTS, weights), (METADATA, metadata)])


def config_of(blob: bytes) -> dict:
    return json.loads(members(blob)[CONFIG])


# Field offsets (and struct codes) inside zip records.
CENTRAL_FIELDS = {
    "version_made": (4, "H"),
    "version_needed": (6, "H"),
    "flags": (8, "H"),
    "method": (10, "H"),
    "crc": (16, "L"),
    "compressed_size": (20, "L"),
    "size": (24, "L"),
    "name_length": (28, "H"),
    "extra_length": (30, "H"),
    "comment_length": (32, "H"),
    "disk": (34, "H"),
    "external_attr": (38, "L"),
    "offset": (42, "L"),
}
LOCAL_FIELDS = {
    "version_needed": (4, "H"),
    "flags": (6, "H"),
    "method": (8, "H"),
    "crc": (14, "L"),
    "compressed_size": (18, "L"),
    "size": (22, "L"),
    "name_length": (26, "H"),
    "extra_length": (28, "H"),
}
END_FIELDS = {
    "disk": (4, "H"),
    "directory_disk": (6, "H"),
    "entries_here": (8, "H"),
    "entries": (10, "H"),
    "directory_size": (12, "L"),
    "directory_offset": (16, "L"),
    "comment_length": (20, "H"),
}


def central_entries(blob: bytes) -> list[tuple[int, str]]:
    """(offset, name) of each central directory entry."""
    end = len(blob) - 22
    count = struct.unpack_from("<H", blob, end + 10)[0]
    at = struct.unpack_from("<L", blob, end + 16)[0]
    out = []
    for _ in range(count):
        n, m, k = struct.unpack_from("<3H", blob, at + 28)
        out.append((at, blob[at + 46 : at + 46 + n].decode("utf-8", "replace")))
        at += 46 + n + m + k
    return out


def _patch(blob: bytes, at: int, fields: dict, table: dict) -> bytes:
    data = bytearray(blob)
    for field, value in fields.items():
        offset, code = table[field]
        struct.pack_into("<" + code, data, at + offset, value)
    return bytes(data)


def patch_central(blob: bytes, name: str, **fields: int) -> bytes:
    """Change fields of the central directory entry of member `name`."""
    at = next(a for a, n in central_entries(blob) if n == name)
    return _patch(blob, at, fields, CENTRAL_FIELDS)


def patch_local(blob: bytes, name: str, **fields: int) -> bytes:
    """Change fields of the local header of member `name`."""
    at = next(a for a, n in central_entries(blob) if n == name)
    local = struct.unpack_from("<L", blob, at + 42)[0]
    return _patch(blob, local, fields, LOCAL_FIELDS)


def patch_end(blob: bytes, **fields: int) -> bytes:
    """Change fields of the end-of-central-directory record (the last 22 bytes)."""
    return _patch(blob, len(blob) - 22, fields, END_FIELDS)


def rename_member(blob: bytes, old: str, new: str) -> bytes:
    """Rename a member in both headers, keeping the name's length (so offsets stay)."""
    assert len(old.encode()) == len(new.encode())
    data = bytearray(blob)
    for at, name in central_entries(blob):
        if name == old:
            data[at + 46 : at + 46 + len(new.encode())] = new.encode()
            local = struct.unpack_from("<L", blob, at + 42)[0]
            data[local + 30 : local + 30 + len(new.encode())] = new.encode()
    return bytes(data)


# ----- safetensors ----------------------------------------------------------------------------


def st_split(blob: bytes) -> tuple[dict, bytes]:
    """The parsed header and the data section of a safetensors blob."""
    n = int.from_bytes(blob[:8], "little")
    return json.loads(blob[8 : 8 + n]), blob[8 + n :]


def st_join(header: Any, data: bytes, length: int | None = None) -> bytes:
    """A safetensors blob from a header (dict, or raw bytes) and data; `length` may lie."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    text += b" " * (-(8 + len(text)) % 8)
    return (len(text) if length is None else length).to_bytes(8, "little") + text + data


def st_change(blob: bytes, change: Callable[[dict], Any]) -> bytes:
    """The safetensors blob with `change` applied to its parsed header in place."""
    header, data = st_split(blob)
    change(header)
    return st_join(header, data)


def weight_names(header: dict) -> list[str]:
    """Tensor names of a header in the order of their offsets."""
    names = [k for k in header if k != "__metadata__"]
    return sorted(names, key=lambda k: header[k]["data_offsets"][0])
