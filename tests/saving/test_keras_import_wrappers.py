"""Keras files holding Bidirectional and TimeDistributed layers load into lamina."""

import json
import zipfile

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.saving.keras_import import KerasFileError, load_keras_archive, load_keras_h5_weights
from lamina.saving.keras_import.config_translation import layer_from_record
from lamina.saving.keras_import.config_values import Ctx

h5py = pytest.importorskip("h5py")

POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}
RNG = np.random.default_rng(0)
UNITS, FEATURES = 3, 2


def _init(name):
    return {
        "module": "keras.initializers",
        "class_name": name,
        "config": {},
        "registered_name": None,
    }


def _record(class_name, name, **config):
    config = {"name": name, "trainable": True, "dtype": POLICY, **config}
    return {"module": "keras.layers", "class_name": class_name, "config": config}


def _lstm(name, go_backwards):
    """An LSTM config with every key Keras 3.x writes (as Bidirectional sets them)."""
    return _record(
        "LSTM",
        name,
        return_sequences=True,
        return_state=False,
        go_backwards=go_backwards,
        stateful=False,
        unroll=False,
        zero_output_for_mask=True,
        units=UNITS,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer=_init("GlorotUniform"),
        recurrent_initializer=_init("Orthogonal"),
        bias_initializer=_init("Zeros"),
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        use_cudnn="auto",
    )


def _config(merge_mode="concat"):
    dense = _record(
        "Dense",
        "dense",
        units=1,
        activation="linear",
        use_bias=True,
        kernel_initializer=_init("GlorotUniform"),
        bias_initializer=_init("Zeros"),
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
    )
    bidir = _record(
        "Bidirectional",
        "bidirectional",
        merge_mode=merge_mode,
        layer=_lstm("forward_lstm", False),
        backward_layer=_lstm("backward_lstm", True),
    )
    inputs = _record("InputLayer", "input_layer", batch_shape=[None, 4, FEATURES])
    inputs["config"].update(sparse=False, ragged=False, dtype="float32")
    layer_list = [inputs, bidir, _record("TimeDistributed", "time_distributed", layer=dense)]
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "sequential", "trainable": True, "dtype": POLICY, "layers": layer_list},
    }


def _weights(width):
    lstm = [(FEATURES, 4 * UNITS), (UNITS, 4 * UNITS), (4 * UNITS,)]
    return {
        "layers/bidirectional/forward_layer/cell": lstm,
        "layers/bidirectional/backward_layer/cell": lstm,
        "layers/time_distributed/layer": [(width, 1), (1,)],
    }


def _write_weights(target, layout):
    values = {}
    with h5py.File(target, "w") as f:
        f.create_group("vars")
        for key, shapes in layout.items():
            group = f.create_group(f"{key}/vars")
            for i, shape in enumerate(shapes):
                values[f"{key}/{i}"] = RNG.normal(size=shape).astype("float32")
                group.create_dataset(str(i), data=values[f"{key}/{i}"])
    return values


@pytest.mark.parametrize("merge_mode, width", [("concat", 2 * UNITS), ("sum", UNITS)])
def test_a_keras_3_archive_with_bidirectional_and_time_distributed(tmp_path, merge_mode, width):
    _write_weights(tmp_path / "w.h5", _weights(width))
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        zf.writestr("config.json", json.dumps(_config(merge_mode)))
        zf.write(tmp_path / "w.h5", "model.weights.h5")
    model = load_keras_archive(path)
    bidir, td = model.layers
    assert isinstance(bidir, layers.Bidirectional) and bidir.merge_mode == merge_mode
    assert bidir.forward_layer.name == "forward_lstm" and bidir.backward_layer.go_backwards
    assert isinstance(td, layers.TimeDistributed) and isinstance(td.layer, layers.Dense)
    with h5py.File(tmp_path / "w.h5", "r") as f:
        kernel = f["layers/bidirectional/backward_layer/cell/vars/0"][()]
        np.testing.assert_array_equal(bidir.backward_layer.cell.kernel.numpy(), kernel)
        np.testing.assert_array_equal(
            td.layer.bias.numpy(), f["layers/time_distributed/layer/vars/1"][()]
        )
    assert model.predict(np.ones((2, 4, FEATURES), "float32"), verbose=0).shape == (2, 4, 1)


def test_a_wrapped_layer_lamina_cannot_translate_is_named(tmp_path):
    record = _record("TimeDistributed", "td", layer=_record("Mystery", "m"))
    with pytest.raises(KerasFileError, match="its layer.*unknown layer class 'Mystery'"):
        layer_from_record(record, Ctx("config.json", {}))


def test_a_keras_2_h5_file_of_a_bidirectional_lstm(tmp_path):
    """Keras 2 lists a Bidirectional layer's weights forward then backward, by full name."""
    model = lamina.Sequential([lamina.Input((4, FEATURES)), layers.Bidirectional(layers.LSTM(3))])
    names = [
        f"bidirectional/{d}_lstm/lstm_cell/{w}:0"
        for d in ("forward", "backward")
        for w in ("kernel", "recurrent_kernel", "bias")
    ]
    values = [RNG.normal(size=w.shape).astype("float32") for w in model.weights]
    path = tmp_path / "m.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [b"bidirectional"]
        f.attrs["keras_version"] = b"2.15.0"
        group = f.create_group("bidirectional")
        group.attrs["weight_names"] = [n.encode() for n in names]
        for name, value in zip(names, values, strict=True):
            group.create_dataset(name, data=value)
    load_keras_h5_weights(model, path)
    for w, value in zip(model.weights, values, strict=True):
        np.testing.assert_array_equal(w.numpy(), value)
