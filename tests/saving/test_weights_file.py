"""Weights files: save/load by topology, clear errors, never unpickling."""

import zipfile

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.saving import load_weights, save_weights, weights_file


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


def make_model(units=8, seed=0):
    lamina.utils.set_random_seed(seed)
    model = lamina.Sequential(
        [lamina.Input((4,)), layers.Dense(units, activation="relu"), Scale(), layers.Dense(2)]
    )
    model.layers[1].count.assign(np.array(seed))
    return model


def inputs():
    return np.random.default_rng(1).normal(size=(10, 4)).astype("float32")


def test_round_trip_through_the_model_methods(tmp_path):
    path = tmp_path / "m.weights.npz"
    model = make_model(seed=0)
    model.save_weights(path)
    other = make_model(seed=1)  # other names (dense_2, ...) and other values
    assert not np.allclose(other.predict(inputs(), verbose=0), model.predict(inputs(), verbose=0))
    other.load_weights(path)
    for a, b in zip(other.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    np.testing.assert_array_equal(
        other.predict(inputs(), verbose=0), model.predict(inputs(), verbose=0)
    )


def test_file_is_a_plain_npz_archive(tmp_path):
    path = tmp_path / "m.weights.npz"
    model = make_model()
    save_weights(model, path)
    with np.load(path, allow_pickle=False) as data:
        assert str(data["__format__"]) == "lamina.weights"
        assert list(data["__names__"]) == [w.name for w in model.weights]
        np.testing.assert_array_equal(data["w00000"], model.weights[0].numpy())


def test_file_name_must_say_weights_npz(tmp_path):
    with pytest.raises(ValueError, match=r"end in '\.weights\.npz'.*Received: filepath="):
        make_model().save_weights(tmp_path / "m.npz")
    with pytest.raises(ValueError, match="not HDF5"):
        make_model().save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match="cannot read HDF5"):
        make_model().load_weights(tmp_path / "m.weights.h5")


def test_overwrite_false(tmp_path):
    path = tmp_path / "m.weights.npz"
    path.write_bytes(b"keep")
    with pytest.raises(FileExistsError, match="Received: overwrite=False"):
        make_model().save_weights(path, overwrite=False)
    assert path.read_bytes() == b"keep"


def test_count_mismatch_names_both_counts(tmp_path):
    path = tmp_path / "m.weights.npz"
    make_model().save_weights(path)
    small = lamina.Sequential([lamina.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="holds 6 weights but model .* has 2"):
        small.load_weights(path)


def test_shape_mismatch_names_the_weight_and_changes_nothing(tmp_path):
    path = tmp_path / "m.weights.npz"
    make_model(units=8).save_weights(path)
    wider = make_model(units=16)
    before = wider.get_weights()
    name = wider.weights[0].name
    with pytest.raises(ValueError, match=rf"Weight 0 .*'{name}', has shape \(4, 16\).*\(4, 8\)"):
        wider.load_weights(path)
    for a, b in zip(wider.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_unbuilt_models(tmp_path):
    path = tmp_path / "m.weights.npz"
    make_model().save_weights(path)
    unbuilt = lamina.Sequential([layers.Dense(8), layers.Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        unbuilt.save_weights(tmp_path / "u.weights.npz")
    with pytest.raises(ValueError, match="not built"):
        unbuilt.load_weights(path)


def test_not_a_weights_file(tmp_path):
    garbage = tmp_path / "g.weights.npz"
    garbage.write_bytes(b"not an archive at all")
    with pytest.raises(ValueError, match="not a lamina weights file"):
        make_model().load_weights(garbage)
    other = tmp_path / "o.weights.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(ValueError, match="not a lamina weights file"):
        make_model().load_weights(other)
    single = tmp_path / "s.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match="single .npy array"):
        make_model().load_weights(single)


def test_pickled_content_is_never_loaded(tmp_path):
    path = tmp_path / "evil.weights.npz"
    np.savez(
        path,
        __format__=np.array("lamina.weights"),
        __version__=np.array(1),
        __names__=np.array(["a"]),
        w00000=np.array([object()], dtype=object),
    )
    with pytest.raises(ValueError, match="not a lamina weights file.*allow_pickle"):
        make_model().load_weights(path)


def test_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "m.weights.npz"
    model = make_model()
    model.save_weights(path)
    with np.load(path) as data:
        arrays = dict(data)
    arrays["__version__"] = np.array(99)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="newer lamina"):
        model.load_weights(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        make_model().load_weights(tmp_path / "none.weights.npz")


def test_writer_is_one_swappable_function(tmp_path, monkeypatch):
    calls = []

    def writer(f, arrays):
        calls.append(sorted(arrays))
        np.savez(f, **arrays)

    monkeypatch.setattr(weights_file, "write_array_file", writer)
    model = make_model()
    save_weights(model, tmp_path / "m.weights.npz")
    assert calls and "__names__" in calls[0]
    load_weights(model, tmp_path / "m.weights.npz")
    assert zipfile.is_zipfile(tmp_path / "m.weights.npz")
