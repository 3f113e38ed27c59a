"""Weights files: safetensors by topology or by name, partial loads, legacy npz, clear errors."""

import json

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.io import safetensors_io, weight_store
from lamina.saving import ModelFileError, load_weights, save_weights, weights_file


class Scale(layers.Layer):
    """A layer with non-trainable weights, one of them an integer counter."""

    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(input_shape[-1],), initializer="random_normal", trainable=False, name="scale"
        )
        self.count = self.add_weight(
            shape=(), initializer="zeros", dtype="int64", trainable=False, name="count"
        )

    def call(self, x):
        return x * self.scale


def make_model(units=8, seed=0, names=("d1", "s", "d2"), out=2):
    lamina.utils.set_random_seed(seed)
    model = lamina.Sequential(
        [
            lamina.Input((4,)),
            layers.Dense(units, activation="relu", name=names[0]),
            Scale(name=names[1]),
            layers.Dense(out, name=names[2]),
        ]
    )
    model.layers[1].count.assign(np.array(seed))
    return model


def inputs():
    return np.random.default_rng(1).normal(size=(10, 4)).astype("float32")


def assert_weights_equal(a, b):
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)
        assert x.dtype == y.dtype


def test_round_trip_by_topology_through_the_model_methods(tmp_path):
    path = tmp_path / "m.weights.safetensors"
    model = make_model(seed=0)
    model.save_weights(path)
    other = make_model(seed=1, names=("x", "y", "z"))  # other names and other values
    assert not np.allclose(other.predict(inputs(), verbose=0), model.predict(inputs(), verbose=0))
    other.load_weights(path)
    assert_weights_equal(other, model)
    np.testing.assert_array_equal(
        other.predict(inputs(), verbose=0), model.predict(inputs(), verbose=0)
    )


def test_file_layout_and_metadata(tmp_path):
    path = tmp_path / "m.weights.safetensors"
    model = make_model()
    save_weights(model, path)
    with open(path, "rb") as f:
        arrays, metadata = safetensors_io.read(f, path.stat().st_size)
    assert list(arrays) == [
        "layers/d1/vars/0",
        "layers/d1/vars/1",
        "layers/s/vars/0",
        "layers/s/vars/1",
        "layers/d2/vars/0",
        "layers/d2/vars/1",
    ]
    assert arrays["layers/s/vars/1"].dtype == np.int64
    assert metadata["format"] == "lamina.weights" and metadata["format_version"] == "1"
    assert json.loads(metadata["layers"]) == [["layers/d1", 2], ["layers/s", 2], ["layers/d2", 2]]


def test_readable_by_the_safetensors_package(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "m.weights.safetensors"
    model = make_model()
    model.save_weights(path)
    arrays = st.load_file(str(path))
    np.testing.assert_array_equal(arrays["layers/d1/vars/0"], model.layers[0].kernel.numpy())


def test_files_of_the_safetensors_package_load_by_name(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    model = make_model()
    path = str(tmp_path / "ext.safetensors")
    st.save_file(
        {"layers/d2/vars/0": np.ones((8, 2), "float32"), "layers/d2/vars/1": np.ones(2, "float32")},
        path,
    )
    before = model.get_weights()
    with pytest.raises(ModelFileError, match="does not record the order.*by_name=True"):
        model.load_weights(path)
    model.load_weights(path, by_name=True)
    np.testing.assert_array_equal(model.layers[2].kernel.numpy(), np.ones((8, 2)))
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), before[0])


def test_by_name_loads_into_a_changed_model(tmp_path):
    path = tmp_path / "m.weights.safetensors"
    model = make_model()
    model.save_weights(path)
    lamina.utils.set_random_seed(7)
    changed = lamina.Sequential(
        [lamina.Input((4,)), layers.Dense(8, name="d1"), layers.Dense(3, name="new")]
    )
    new_before = changed.layers[1].get_weights()
    changed.load_weights(path, by_name=True)
    np.testing.assert_array_equal(changed.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())
    for a, b in zip(changed.layers[1].get_weights(), new_before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_skip_mismatch_warns_and_loads_the_rest(tmp_path):
    path = tmp_path / "m.weights.safetensors"
    saved = make_model(seed=0)
    saved.save_weights(path)
    changed = make_model(seed=3, out=3)
    kept = changed.layers[2].get_weights()
    with pytest.raises(
        ModelFileError, match=r"Layer 'd2': weight 'kernel' has shape \(8, 3\).*\(8, 2\)"
    ):
        changed.load_weights(path, by_name=True)
    with pytest.warns(UserWarning, match="Skipping layer 'd2'"):
        changed.load_weights(path, by_name=True, skip_mismatch=True)
    for a, b in zip(changed.layers[2].get_weights(), kept, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(changed.layers[0].kernel.numpy(), saved.layers[0].kernel.numpy())
    assert int(changed.layers[1].count.numpy()) == 0  # the Scale layer was loaded (seed 0)
    fresh = make_model(seed=4, out=3)
    with pytest.warns(UserWarning, match="Skipping layer 'd2'"):
        fresh.load_weights(path, skip_mismatch=True)  # by topology, too
    np.testing.assert_array_equal(fresh.layers[0].kernel.numpy(), saved.layers[0].kernel.numpy())


def test_file_name_rules(tmp_path):
    with pytest.raises(ValueError, match=r"end in '\.weights\.safetensors'.*Received: filepath="):
        make_model().save_weights(tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="still reads .weights.npz"):
        make_model().save_weights(tmp_path / "m.weights.npz")
    with pytest.raises(ValueError, match="not Keras 2's .h5"):
        make_model().save_weights(tmp_path / "m.h5")
    (tmp_path / "m.weights.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(ModelFileError, match="not an HDF5 file"):
        make_model().load_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ModelFileError, match="Received: filepath="):
        make_model().load_weights(tmp_path / "m.bin")


def test_overwrite_false(tmp_path):
    path = tmp_path / "m.weights.safetensors"
    path.write_bytes(b"keep")
    with pytest.raises(FileExistsError, match="Received: overwrite=False"):
        make_model().save_weights(path, overwrite=False)
    assert path.read_bytes() == b"keep"


def test_layer_count_mismatch_names_both_counts(tmp_path):
    path = tmp_path / "m.weights.safetensors"
    make_model().save_weights(path)
    small = lamina.Sequential([lamina.Input((4,)), layers.Dense(2)])
    with pytest.raises(ModelFileError, match="holds weights for 3 layers but model .* has 1"):
        small.load_weights(path)


def test_shape_mismatch_names_the_weight_and_changes_nothing(tmp_path):
    path = tmp_path / "m.weights.safetensors"
    make_model(units=8).save_weights(path)
    wider = make_model(units=16)
    before = wider.get_weights()
    with pytest.raises(
        ModelFileError, match=r"Layer 'd1': weight 'kernel' has shape \(4, 16\).*\(4, 8\)"
    ):
        wider.load_weights(path)
    for a, b in zip(wider.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_unbuilt_models(tmp_path):
    path = tmp_path / "m.weights.safetensors"
    make_model().save_weights(path)
    unbuilt = lamina.Sequential([layers.Dense(8), layers.Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        unbuilt.save_weights(tmp_path / "u.weights.safetensors")
    with pytest.raises(ModelFileError, match="not built"):
        unbuilt.load_weights(path)


def test_duplicate_layer_names_cannot_be_saved(tmp_path):
    model = lamina.Sequential(
        [lamina.Input((2,)), layers.Dense(2, name="d"), layers.Dense(2, name="d")]
    )
    with pytest.raises(ValueError, match="two layers with weights named 'd'"):
        model.save_weights(tmp_path / "m.weights.safetensors")


def test_not_a_weights_file(tmp_path):
    garbage = tmp_path / "g.weights.safetensors"
    garbage.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(ModelFileError, match="not a JSON object"):
        make_model().load_weights(garbage)
    odd = tmp_path / "o.weights.safetensors"
    with open(odd, "wb") as f:
        safetensors_io.write(f, {"kernel": np.zeros(3, "float32")})
    with pytest.raises(ModelFileError, match="'kernel' is not named like a lamina weight"):
        make_model().load_weights(odd)


def test_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "m.weights.safetensors"
    model = make_model()
    arrays, metadata = weight_store.weight_arrays(model)
    metadata["format_version"] = "2"
    with open(path, "wb") as f:
        safetensors_io.write(f, arrays, metadata)
    with pytest.raises(ModelFileError, match="newer lamina"):
        model.load_weights(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        make_model().load_weights(tmp_path / "none.weights.safetensors")


def test_writer_is_one_swappable_function(tmp_path, monkeypatch):
    calls = []
    original = weights_file.write_array_file

    def writer(f, arrays, metadata):
        calls.append(sorted(metadata))
        original(f, arrays, metadata)

    monkeypatch.setattr(weights_file, "write_array_file", writer)
    model = make_model()
    save_weights(model, tmp_path / "m.weights.safetensors")
    assert calls and "layers" in calls[0]
    load_weights(model, tmp_path / "m.weights.safetensors")


# ----- the legacy .weights.npz format (read only) -------------------------------------------


def write_legacy(model, path, version=1):
    arrays = {
        "__format__": np.array("lamina.weights"),
        "__version__": np.array(version),
        "__names__": np.array([w.name for w in model.weights], dtype=str),
    }
    arrays.update({f"w{i:05d}": w.numpy() for i, w in enumerate(model.weights)})
    np.savez(path, **arrays)


def test_legacy_npz_files_still_load(tmp_path):
    path = tmp_path / "m.weights.npz"
    model = make_model(seed=0)
    write_legacy(model, path)
    other = make_model(seed=1)
    other.load_weights(path)
    assert_weights_equal(other, model)
    with pytest.raises(ModelFileError, match="by_name=False"):
        other.load_weights(path, by_name=True)
    small = lamina.Sequential([lamina.Input((4,)), layers.Dense(2)])
    with pytest.raises(ModelFileError, match="holds 6 weights but model .* has 2"):
        small.load_weights(path)
    write_legacy(model, path, version=99)
    with pytest.raises(ModelFileError, match="newer lamina"):
        model.load_weights(path)


def test_legacy_garbage_and_pickles_are_refused(tmp_path):
    garbage = tmp_path / "g.weights.npz"
    garbage.write_bytes(b"not an archive at all")
    with pytest.raises(ModelFileError, match="not a lamina weights file"):
        make_model().load_weights(garbage)
    other = tmp_path / "o.weights.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a lamina weights file"):
        make_model().load_weights(other)
    evil = tmp_path / "evil.weights.npz"
    np.savez(
        evil,
        __format__=np.array("lamina.weights"),
        __version__=np.array(1),
        __names__=np.array(["a"]),
        w00000=np.array([object()], dtype=object),
    )
    with pytest.raises(ModelFileError, match="not a lamina weights file.*allow_pickle"):
        make_model().load_weights(evil)
