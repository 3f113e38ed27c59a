"""Model files (`.keras`): round trips, resumed training, custom objects, safety, the format."""

import hashlib
import io
import json
import os
import stat
import zipfile

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import ModelCheckpoint
from lamina.saving import ModelFileError, model_file, register_serializable


def mlp(seed=0, optimizer="adam"):
    lamina.utils.set_random_seed(seed)
    model = lamina.Sequential(
        [lamina.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(3)]
    )
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def data(seed=0, n=32):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, rng.normal(size=(n, 3)).astype("float32")


def two_in_two_out():
    lamina.utils.set_random_seed(3)
    a, b = lamina.Input((4,), name="a"), lamina.Input((4,), name="b")
    h = layers.Add()([layers.Dense(6, activation="tanh")(a), layers.Dense(6)(b)])
    inner = lamina.Sequential([layers.Dense(5), layers.ELU()])
    out1 = layers.Softmax(name="probs")(inner(h))
    out2 = layers.Concatenate(name="mix")([h[:, 1:4] * 2.0, -h[:, :1]])
    return lamina.Model({"a": a, "b": b}, [out1, out2])


def assert_same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, list | tuple):
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    else:
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


# ----- round trips --------------------------------------------------------------------------


def test_sequential_round_trip_is_bit_identical(tmp_path):
    model = mlp()
    x, y = data()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = lamina.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is lamina.Sequential
    assert [w.name for w in loaded.weights] == [w.name for w in model.weights]
    assert_same(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_functional_with_dict_inputs_nested_model_and_op_layers(tmp_path):
    model = two_in_two_out()
    x = {"a": data(1)[0], "b": data(2)[0]}
    model.save(tmp_path / "m.keras")
    loaded = lamina.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is lamina.models.Functional
    assert loaded.input_names == model.input_names
    assert loaded.output_names == model.output_names
    assert_same(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_shared_layer_called_twice(tmp_path):
    lamina.utils.set_random_seed(0)
    a, b = lamina.Input((3,)), lamina.Input((3,))
    shared = layers.Dense(4)
    out = layers.Subtract()([shared(a), shared(b)])
    model = lamina.Model([a, b], out)
    model.save(tmp_path / "m.keras")
    loaded = lamina.models.load_model(tmp_path / "m.keras")
    assert len(loaded.weights) == 2
    x = [data(1)[0][:, :3], data(2)[0][:, :3]]
    assert_same(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_uncompiled_and_unbuilt_models(tmp_path):
    lamina.utils.set_random_seed(0)
    plain = lamina.Sequential([layers.Dense(2, input_shape=(3,))])
    plain.save(tmp_path / "p.keras")
    loaded = lamina.models.load_model(tmp_path / "p.keras")
    assert not loaded.compiled
    assert_same(loaded.get_weights(), plain.get_weights())
    unbuilt = lamina.Sequential([layers.Dense(2), layers.Dropout(0.5)])
    unbuilt.save(tmp_path / "u.keras")
    again = lamina.models.load_model(tmp_path / "u.keras")
    assert not again.built and [type(la) for la in again.layers] == [layers.Dense, layers.Dropout]


def test_compile_settings_come_back(tmp_path):
    model = two_in_two_out()
    model.compile(
        optimizer=lamina.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
        loss=["categorical_crossentropy", lamina.losses.Huber(delta=0.5)],
        loss_weights=[1.0, 0.25],
        metrics=[["accuracy"], [lamina.metrics.MeanAbsoluteError(name="err")]],
    )
    model.save(tmp_path / "m.keras")
    loaded = lamina.models.load_model(tmp_path / "m.keras")
    assert loaded.compiled
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    loss, weights, metrics, _ = loaded._compile_spec
    assert loss[0] == "categorical_crossentropy"
    assert loss[1].get_config() == model._compile_spec[0][1].get_config()
    assert weights == [1.0, 0.25]
    assert metrics[0] == ["accuracy"] and metrics[1][0].name == "err"
    assert not lamina.models.load_model(tmp_path / "m.keras", compile=False).compiled


@pytest.mark.parametrize(
    "optimizer",
    [
        lambda: lamina.optimizers.Adam(learning_rate=0.01, amsgrad=True),
        lambda: lamina.optimizers.Nadam(learning_rate=0.01),
        lambda: lamina.optimizers.SGD(learning_rate=0.01, momentum=0.9),
        lambda: lamina.optimizers.RMSprop(
            learning_rate=lamina.optimizers.schedules.ExponentialDecay(0.01, 3, 0.5)
        ),
        lambda: lamina.optimizers.AdamW(learning_rate=0.01, use_ema=True),
    ],
    ids=["adam", "nadam", "sgd", "rmsprop-schedule", "adamw-ema"],
)
def test_fit_continues_bit_identically_after_load(tmp_path, optimizer):
    x, y = data(0, 48)
    x2, y2 = data(1, 48)
    straight = mlp(optimizer=optimizer())
    straight.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    straight.save(tmp_path / "ckpt.keras")
    straight.fit(x2, y2, batch_size=8, epochs=4, initial_epoch=2, shuffle=False, verbose=0)

    resumed = lamina.models.load_model(tmp_path / "ckpt.keras")
    assert resumed.optimizer.iterations_int == 12
    history = resumed.fit(x2, y2, batch_size=8, epochs=4, initial_epoch=2, shuffle=False, verbose=0)
    assert list(history.epoch) == [2, 3]
    assert resumed.optimizer.iterations_int == straight.optimizer.iterations_int == 24
    assert_same(resumed.get_weights(), straight.get_weights())
    for a, b in zip(resumed.optimizer.variables, straight.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_include_optimizer_false_leaves_compile_settings_out(tmp_path):
    model = mlp()
    model.fit(*data(), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras", include_optimizer=False)
    loaded = lamina.models.load_model(tmp_path / "m.keras")
    assert not loaded.compiled
    assert_same(loaded.get_weights(), model.get_weights())
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        assert json.loads(z.read("config.json"))["compile_config"] is None


def test_model_checkpoint_saves_whole_models(tmp_path):
    model = mlp()
    x, y = data()
    path = tmp_path / "ck" / "e{epoch}.keras"
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[ModelCheckpoint(str(path))])
    loaded = lamina.models.load_model(tmp_path / "ck" / "e2.keras")
    assert_same(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.iterations_int == model.optimizer.iterations_int == 8
    fresh = mlp(seed=5)
    fresh.load_weights(tmp_path / "ck" / "e2.keras")  # the weights of a model file
    assert_same(fresh.get_weights(), model.get_weights())


def test_overwrite_false_and_file_name(tmp_path):
    path = tmp_path / "m.keras"
    path.write_bytes(b"keep")
    with pytest.raises(FileExistsError, match="overwrite=False"):
        mlp().save(path, overwrite=False)
    assert path.read_bytes() == b"keep"
    with pytest.raises(ValueError, match=r"must end in '\.keras'.*Received: filepath="):
        mlp().save(tmp_path / "m.h5")
    (tmp_path / "m.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(ModelFileError, match="not an HDF5 file"):
        lamina.models.load_model(tmp_path / "m.h5")
    with pytest.raises(FileNotFoundError):
        lamina.models.load_model(tmp_path / "none.keras")


def test_to_json_and_model_from_json():
    model = two_in_two_out()
    text = model.to_json(indent=1)
    clone = lamina.models.model_from_json(text)
    assert json.loads(clone.to_json()) == json.loads(text)
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    with pytest.raises(ModelFileError, match="not valid JSON"):
        lamina.models.model_from_json("{")
    with pytest.raises(ModelFileError, match="not a model"):
        lamina.models.model_from_json(json.dumps(json.loads(text)["config"]["layers"][2]))


# ----- users' classes -----------------------------------------------------------------------


class Scale(layers.Layer):
    """Not registered: needs custom_objects."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="random_normal", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@register_serializable(package="tests")
def cube(x):
    return x * x * x


@register_serializable(package="tests")
class Tower(lamina.Model):
    """A registered subclassed model with an argument of its own."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(units, activation=cube)
        self.out = layers.Dense(2)

    def call(self, x):
        return self.out(self.hidden(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_custom_layer_needs_custom_objects(tmp_path):
    lamina.utils.set_random_seed(0)
    inputs = lamina.Input((4,))
    model = lamina.Model(inputs, Scale(3.0)(layers.Dense(4)(inputs)))
    model.save(tmp_path / "m.keras")
    with pytest.raises(ModelFileError, match=r"unknown layer class 'Scale'.*register_serializable"):
        lamina.models.load_model(tmp_path / "m.keras")
    loaded = lamina.models.load_model(tmp_path / "m.keras", custom_objects={"Scale": Scale})
    x = data()[0]
    assert_same(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.layers[-1].factor == 3.0


def test_registered_subclassed_model_and_function(tmp_path):
    lamina.utils.set_random_seed(0)
    model = Tower(units=5)
    model.compile(optimizer="sgd", loss="mse")
    x, y = data()
    model.fit(x, y[:, :2], epochs=1, verbose=0)
    model.save(tmp_path / "t.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "t.keras").read("config.json"))
    assert config["registered_name"] == "tests>Tower" and config["module"] is None
    loaded = lamina.models.load_model(tmp_path / "t.keras")
    assert type(loaded) is Tower and loaded.units == 5
    assert loaded.hidden.activation is cube
    assert_same(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_subclassed_model_without_get_config_is_refused_before_writing(tmp_path):
    class Bare(lamina.Model):
        def __init__(self, units):
            super().__init__()
            self.d = layers.Dense(units)

        def call(self, x):
            return self.d(x)

    model = Bare(2)
    model(np.zeros((1, 3), "float32"))
    with pytest.raises(NotImplementedError, match=r"takes \['units'\].*get_config"):
        model.save(tmp_path / "b.keras")
    assert os.listdir(tmp_path) == []


def test_lambda_is_refused_before_any_file_exists(tmp_path):
    inputs = lamina.Input((3,))
    model = lamina.Model(inputs, layers.Lambda(lambda t: t * 2)(inputs))
    with pytest.raises(ValueError, match="register_serializable"):
        model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="register_serializable"):
        model.to_json()
    assert os.listdir(tmp_path) == []
    (tmp_path / "old.keras").write_bytes(b"old")
    with pytest.raises(ValueError, match="Lambda"):
        model.save(tmp_path / "old.keras")
    assert (tmp_path / "old.keras").read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["old.keras"]


def test_a_lambda_in_a_config_is_never_loaded():
    text = mlp().to_json().replace('"Dense"', '"Lambda"', 1)
    with pytest.raises(ModelFileError, match="Lambda layer holds Python code"):
        lamina.models.model_from_json(text)


# ----- the format ---------------------------------------------------------------------------


def test_members_metadata_and_reproducible_bytes(tmp_path):
    model = mlp()
    model.save(tmp_path / "a.keras")
    model.save(tmp_path / "b.keras")
    assert (tmp_path / "a.keras").read_bytes() == (tmp_path / "b.keras").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.keras") as z:
        assert z.namelist() == ["config.json", "model.weights.safetensors", "metadata.json"]
        assert z.getinfo("model.weights.safetensors").compress_type == zipfile.ZIP_STORED
        meta = json.loads(z.read("metadata.json"))
        assert meta["format"] == "lamina.model" and meta["format_version"] == 1
        assert meta["lamina_version"] == lamina.__version__
        for name in ("config.json", "model.weights.safetensors"):
            blob = z.read(name)
            assert meta["members"][name] == {
                "sha256": hashlib.sha256(blob).hexdigest(),
                "size": len(blob),
            }


def test_weights_member_is_standard_safetensors(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    model = mlp()
    model.fit(*data(), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    blob = zipfile.ZipFile(tmp_path / "m.keras").read("model.weights.safetensors")
    arrays = st.load(blob)
    kernel = arrays[f"layers/{model.layers[0].name}/vars/0"]
    np.testing.assert_array_equal(kernel, model.layers[0].kernel.numpy())
    assert int(arrays["optimizer/vars/0"]) == model.optimizer.iterations_int


def rewrite(path, out, change=None, extra=(), drop=()):
    """Copy a model file member by member, optionally changing members or adding entries."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            blob = src.read(info.filename)
            if change and info.filename in change:
                blob = change[info.filename](blob)
            dst.writestr(info, blob)
        for info, blob in extra:
            dst.writestr(info, blob)


@pytest.fixture
def saved(tmp_path):
    mlp().save(tmp_path / "m.keras")
    return tmp_path / "m.keras"


def test_tampered_member_fails_its_checksum(saved, tmp_path):
    def swap(blob):
        return blob.replace(b'"units": 8', b'"units": 9')

    rewrite(saved, tmp_path / "t.keras", {"config.json": swap})
    with pytest.raises(ModelFileError, match="config.json.*does not match the sha256"):
        lamina.models.load_model(tmp_path / "t.keras")


def test_newer_format_is_refused(saved, tmp_path):
    def bump(blob):
        meta = json.loads(blob)
        meta["format_version"] = 2
        return json.dumps(meta).encode()

    rewrite(saved, tmp_path / "n.keras", {"metadata.json": bump})
    with pytest.raises(ModelFileError, match="newer lamina.*version 2"):
        lamina.models.load_model(tmp_path / "n.keras")


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("../evil.json", "unsafe name"),
        ("/etc/passwd", "unsafe name"),
        ("C:config.json", "unsafe name"),
        ("sub/config.json", "unsafe name"),
        ("model.weights.h5", "unexpected member.*Keras file"),
    ],
)
def test_odd_member_names_are_refused(saved, tmp_path, name, match):
    rewrite(
        saved, tmp_path / "o.keras", extra=[(zipfile.ZipInfo(name), b"{}")], drop=["config.json"]
    )
    with pytest.raises(ModelFileError, match=match):
        lamina.models.load_model(tmp_path / "o.keras")


def test_extra_or_missing_members_are_refused_from_the_end_record(saved, tmp_path):
    rewrite(saved, tmp_path / "x.keras", extra=[(zipfile.ZipInfo("notes.txt"), b"hi")])
    with pytest.raises(ModelFileError, match="holds 4 zip members.*exactly 3"):
        lamina.models.load_model(tmp_path / "x.keras")
    rewrite(saved, tmp_path / "y.keras", drop=["config.json"])
    with pytest.raises(ModelFileError, match="holds 2 zip members"):
        lamina.models.load_model(tmp_path / "y.keras")


def test_symlink_duplicate_and_compressed_members_are_refused(saved, tmp_path):
    link = zipfile.ZipInfo("config.json")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    link.create_system = 3
    rewrite(saved, tmp_path / "l.keras", extra=[(link, b"/etc/passwd")], drop=["config.json"])
    with pytest.raises(ModelFileError, match="symbolic link"):
        lamina.models.load_model(tmp_path / "l.keras")
    with pytest.warns(UserWarning, match="Duplicate name"):
        rewrite(
            saved,
            tmp_path / "d.keras",
            extra=[(zipfile.ZipInfo("config.json"), b"{}")],
            drop=["metadata.json"],
        )
    with pytest.raises(ModelFileError, match="appears twice"):
        lamina.models.load_model(tmp_path / "d.keras")
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(tmp_path / "c.keras", "w") as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, blob)
    with pytest.raises(ModelFileError, match="compression method.*stored uncompressed"):
        lamina.models.load_model(tmp_path / "c.keras")


def test_zip_bomb_member_is_refused_before_reading(saved, tmp_path, monkeypatch):
    monkeypatch.setattr(model_file, "MAX_CONFIG_BYTES", 100)
    with pytest.raises(ModelFileError, match="'config.json' claims .* bytes, more than its cap"):
        lamina.models.load_model(saved)


def test_garbage_truncation_and_trailing_data(saved, tmp_path):
    blob = saved.read_bytes()
    cases = {
        "garbage": (b"not a zip file at all, just text" * 3, "does not start with a zip member"),
        "truncated": (blob[: len(blob) // 2], "end record"),
        "trailing": (blob + b"junk", "end record"),
        "prefixed": (b"MZ" + blob, "does not start"),
        "tiny": (b"PK", "only 2 bytes"),
    }
    for name, (content, match) in cases.items():
        path = tmp_path / f"{name}.keras"
        path.write_bytes(content)
        with pytest.raises(ModelFileError, match=match):
            lamina.models.load_model(path)


def test_weights_that_do_not_fit_the_config(saved, tmp_path):
    def grow(blob):
        config = json.loads(blob)
        config["config"]["layers"][1]["config"]["units"] = 9
        return json.dumps(config).encode()

    def fix_hash(blob):
        meta = json.loads(blob)
        with zipfile.ZipFile(tmp_path / "g0.keras") as z:
            grown = z.read("config.json")
        meta["members"]["config.json"] = {
            "sha256": hashlib.sha256(grown).hexdigest(),
            "size": len(grown),
        }
        return json.dumps(meta).encode()

    rewrite(saved, tmp_path / "g0.keras", {"config.json": grow})
    rewrite(tmp_path / "g0.keras", tmp_path / "g.keras", {"metadata.json": fix_hash})
    with pytest.raises(
        ModelFileError, match=r"Layer 'dense.*': weight 'kernel' has shape \(4, 9\)"
    ):
        lamina.models.load_model(tmp_path / "g.keras")


def test_config_never_names_modules_to_import(saved, tmp_path):
    config = json.loads(zipfile.ZipFile(saved).read("config.json"))
    config["config"]["layers"][1]["module"] = "os"
    with pytest.raises(ModelFileError, match="never imports modules"):
        lamina.models.model_from_json(json.dumps(config))
    config["config"]["layers"][1]["module"] = None  # a user class name that is not registered
    with pytest.raises(ModelFileError, match="unknown layer class 'Dense'"):
        lamina.models.model_from_json(json.dumps(config))


def test_no_pickle_in_the_saving_code():
    folder = os.path.dirname(model_file.__file__)
    for name in os.listdir(folder):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                text = f.read()
            assert "import pickle" not in text and "allow_pickle=True" not in text, name


def test_model_file_error_is_a_value_error():
    assert issubclass(ModelFileError, ValueError)
    with pytest.raises(ValueError):
        lamina.models.model_from_json(io.StringIO("x").read())


def forge(saved, out, config=None, weights=None):
    """A model file with replaced members and matching checksums (a careful attacker's)."""
    with zipfile.ZipFile(saved) as z:
        config = z.read("config.json") if config is None else config
        weights = z.read("model.weights.safetensors") if weights is None else weights
    members = {
        name: {"sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob)}
        for name, blob in (("config.json", config), ("model.weights.safetensors", weights))
    }
    meta = {"format": "lamina.model", "format_version": 1, "lamina_version": "x"}
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("config.json", config)
        z.writestr("model.weights.safetensors", weights)
        z.writestr("metadata.json", json.dumps({**meta, "members": members}))
    return out


def test_forged_configs_fail_with_the_file_named(saved, tmp_path):
    config = json.loads(zipfile.ZipFile(saved).read("config.json"))
    dense = config["config"]["layers"][1]["config"]
    cases = [
        (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
        (b'{"class_name": "Sequential", "class_name": "x"}', "appears twice"),
    ]
    for key, value, match in [
        ("units", "8", "Expected units to be a positive integer"),
        ("kernel_initializer", {"class_name": "os.system", "config": {}}, "Unknown initializer"),
        ("activation", "__import__", "Unknown activation"),
    ]:
        forged = json.loads(json.dumps(config))
        forged["config"]["layers"][1]["config"] = {**dense, key: value}
        cases.append((json.dumps(forged).encode(), match))
    for i, (blob, match) in enumerate(cases):
        path = forge(saved, tmp_path / f"f{i}.keras", config=blob)
        with pytest.raises(ModelFileError, match=match) as info:
            lamina.models.load_model(path)
        assert str(info.value).startswith(repr(str(path)))
    assert lamina.models.load_model(forge(saved, tmp_path / "ok.keras")).built


def test_forged_weights_fail_cleanly(saved, tmp_path):
    blob = zipfile.ZipFile(saved).read("model.weights.safetensors")
    for i, (weights, match) in enumerate(
        [
            (blob[:-4], "offsets must cover"),
            (b"\0" * 64, "not a JSON object"),
            (b"", "only 0 bytes"),
        ]
    ):
        with pytest.raises(ModelFileError, match=match):
            lamina.models.load_model(forge(saved, tmp_path / f"w{i}.keras", weights=weights))
