"""save_weights to Keras 3's `.weights.h5` layout, read back by lamina's Keras importer."""

import sys

import h5py
import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import ModelCheckpoint
from lamina.saving import KerasFileError


def _functional():
    inputs = lamina.Input((4,))
    x = layers.Dense(3, name="hidden")(inputs)
    x = layers.Dropout(0.1)(x)
    return lamina.Model(inputs, layers.Dense(2, name="head")(x))


def _assert_same_weights(a, b):
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


def test_the_file_has_keras_3_layout(tmp_path):
    model = _functional()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        datasets = []
        f.visititems(lambda name, obj: datasets.append(name) if hasattr(obj, "shape") else None)
        assert sorted(datasets) == [
            "layers/dense/vars/0",
            "layers/dense/vars/1",
            "layers/dense_1/vars/0",
            "layers/dense_1/vars/1",
        ]
        assert f["layers/dense/vars"].attrs["name"] == "hidden"
        np.testing.assert_array_equal(f["layers/dense_1/vars/0"][()], model.layers[-1].kernel)
    assert [p.name for p in tmp_path.iterdir()] == ["m.weights.h5"]  # no temporary file left


def test_round_trip_in_order_and_by_name(tmp_path):
    model = _functional()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    fresh = lamina.models.clone_model(model)
    fresh.load_weights(path)
    _assert_same_weights(model, fresh)
    by_name = lamina.models.clone_model(model)
    by_name.load_weights(path, by_name=True)
    _assert_same_weights(model, by_name)


def test_nested_models_and_non_trainable_weights(tmp_path):
    inner = lamina.Sequential([layers.Dense(2)])
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(4), inner])
    model.layers[0].kernel.trainable = False
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        assert "layers/sequential/layers/dense/vars/0" in f
        # Keras lists trainable variables first: the bias, then the frozen kernel.
        assert f["layers/dense/vars/0"].shape == (4,) and f["layers/dense/vars/1"].shape == (3, 4)
    fresh = lamina.models.clone_model(model)
    fresh.layers[0].kernel.trainable = False
    fresh.load_weights(path)
    _assert_same_weights(model, fresh)


class Block(layers.Layer):
    def __init__(self, inner=None, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner or layers.Dense(2)

    def call(self, x):
        return self.inner(x)


def _with_block():
    inputs = lamina.Input((3,))
    x = Block(name="block")(inputs)
    return lamina.Model(inputs, layers.Dense(1, name="head")(x))


def test_a_layer_holding_sublayers_round_trips_in_order_and_by_name(tmp_path):
    model = _with_block()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        assert f["layers/block/inner/vars/0"].shape == (3, 2)
        assert f["layers/block/inner/vars"].attrs["name"] == model.layers[1].inner.name
    fresh = _with_block()
    fresh.load_weights(path)
    _assert_same_weights(model, fresh)
    by_name = _with_block()
    by_name.load_weights(path, by_name=True)
    _assert_same_weights(model, by_name)


def test_a_missing_sublayer_group_is_named_and_nothing_changes(tmp_path):
    model = _with_block()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "r+") as f:
        del f["layers/block/inner"]
    fresh = _with_block()
    before = fresh.get_weights()
    with pytest.raises(
        KerasFileError, match=r"no weights for layer .*stored as 'layers/block/inner'"
    ):
        fresh.load_weights(path)
    for x, y in zip(before, fresh.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


def test_a_layer_in_an_attribute_named_vars_is_refused_and_nothing_written(tmp_path):
    class Clash(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.vars = layers.Dense(2)

        def call(self, x):
            return self.vars(x)

    model = lamina.Sequential([lamina.Input((3,)), Clash()])
    path = tmp_path / "m.weights.h5"
    path.write_bytes(b"previous")
    with pytest.raises(ValueError, match=r"attribute named 'vars'.*'layers/clash/vars'"):
        model.save_weights(path)
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["m.weights.h5"]


def test_missing_h5py_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"Writing \.weights\.h5 files needs h5py: pip install"):
        _functional().save_weights(tmp_path / "m.weights.h5")
    assert not list(tmp_path.iterdir())


def test_model_checkpoint_writes_weights_h5(tmp_path):
    model = _functional()
    model.compile("sgd", "mse")
    path = tmp_path / "ckpt.weights.h5"
    x, y = np.ones((4, 4), np.float32), np.zeros((4, 2), np.float32)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(path, save_weights_only=True)])
    fresh = lamina.models.clone_model(model)
    fresh.load_weights(path)
    _assert_same_weights(model, fresh)
