"""Keras files into lamina: HDF5 weights (Keras 2 and 3 layouts) and Keras 3 `.keras` archives.

The files are written here with h5py and zipfile in the layouts Keras uses (no Keras install),
then loaded and checked against NumPy; hostile variants must be refused with a KerasFileError.
"""

import io
import json
import sys
import zipfile

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.saving import safe_zip
from lamina.saving.keras_import import (
    KerasFileError,
    config_translation,
    is_keras_archive,
    keras_archive,
    load_keras_archive,
    load_keras_archive_weights,
    load_keras_h5_model,
    load_keras_h5_weights,
)
from lamina.saving.keras_import.config_translation import layer_from_record, layer_spec
from lamina.saving.keras_import.config_values import Ctx, lamina_record, to_int_list

h5py = pytest.importorskip("h5py")

RNG = np.random.default_rng(0)
POLICY = {
    "module": "keras",
    "class_name": "DTypePolicy",
    "config": {"name": "float32"},
    "registered_name": None,
}


# ----- NumPy references --------------------------------------------------------------------


def relu(x):
    return np.maximum(x, 0.0)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def mnist_weights(hidden=512):
    return {
        "dense": [RNG.normal(0, 0.05, (784, hidden)), RNG.normal(0, 0.05, (hidden,))],
        "dense_1": [RNG.normal(0, 0.05, (hidden, 10)), RNG.normal(0, 0.05, (10,))],
    }


def mnist_reference(w, x):
    return softmax(relu(x @ w["dense"][0] + w["dense"][1]) @ w["dense_1"][0] + w["dense_1"][1])


def mnist_model(hidden=512, names=("dense", "dense_1")):
    return lamina.Sequential(
        [
            lamina.Input((784,)),
            layers.Dense(hidden, activation="relu", name=names[0]),
            layers.Dense(10, activation="softmax", name=names[1]),
        ]
    )


def digits(n=6):
    return RNG.random((n, 784)).astype("float32")


# ----- writers in Keras's layouts ----------------------------------------------------------


def write_keras2_h5(
    target, weights, order=None, full_model=False, chunk=None, extra=None, style="tf_keras"
):
    """Keras 2 `save_weights("x.h5")` (or `save("x.h5")` with full_model): `layer_names`, one
    group per layer with `weight_names`, datasets at `<layer>/<weight name>`.

    tf.keras 2 writes fixed-length byte names like `dense/kernel:0`; Keras 3's legacy writer
    (`style="keras3"`) writes variable-length strings like `sequential/dense/kernel`.
    """
    names = list(order or weights)
    keras3 = style == "keras3"
    version = "3.15.1" if keras3 else "2.15.0"

    def text(values):
        return list(values) if keras3 else [v.encode("utf8") for v in values]

    with h5py.File(target, "w") as f:
        if full_model:
            f.attrs["model_config"] = json.dumps({"class_name": "Sequential"})
            f.attrs["keras_version"] = version
            f.attrs["backend"] = "tensorflow"
            root = f.create_group("model_weights")
        else:
            root = f
        if chunk:
            for i in range(0, len(names), chunk):
                root.attrs[f"layer_names{i // chunk}"] = text(names[i : i + chunk])
        else:
            root.attrs["layer_names"] = text(names)
        root.attrs["backend"] = b"tensorflow"
        root.attrs["keras_version"] = version.encode()
        for name in sorted(names):
            g = root.create_group(name)
            values = weights.get(name, [])
            kinds = ["kernel", "bias", "extra"][: len(values)]
            paths = [f"sequential/{name}/{k}" if keras3 else f"{name}/{k}:0" for k in kinds]
            g.attrs["weight_names"] = text(paths) if paths else np.array([])  # Keras writes []
            for path, v in zip(paths, values, strict=True):
                g.create_dataset(path, data=np.asarray(v, "float32"))
        if full_model:
            top = root.create_group("top_level_model_weights")
            top.attrs["weight_names"] = np.array([])
        if extra:
            extra(f)


def write_keras3_weights(target, groups, extra=None, names=None):
    """Keras 3 `save_weights("x.weights.h5")`: `layers/<class_snake>[_n]/vars/<i>`; recent
    versions label each `vars` group with the layer name (`names`: group key -> name)."""
    with h5py.File(target, "w") as f:
        f.create_group("vars").attrs["name"] = "sequential"
        container = f.create_group("layers")
        for key, values in groups.items():
            g = container.create_group(key).create_group("vars")
            if names is not None:
                g.attrs["name"] = names.get(key, key)
            for i, v in enumerate(values):
                g.create_dataset(str(i), data=np.asarray(v, "float32"))
        opt = f.create_group("optimizer").create_group("vars")
        opt.create_dataset("0", data=np.int64(3))
        if extra:
            extra(f)


def h5_bytes(write, *args, **kwargs):
    buffer = io.BytesIO()
    write(buffer, *args, **kwargs)
    return buffer.getvalue()


def obj(class_name, config, module="keras.layers", **more):
    record = {"module": module, "class_name": class_name, "config": config}
    return record | {"registered_name": None} | more


def initializer(class_name, config=None):
    return obj(class_name, config or {}, module="keras.initializers")


def glorot_uniform():
    """As Keras 3.15 writes it: the fan axes are recorded, null by default."""
    return initializer("GlorotUniform", {"seed": None, "input_axes": None, "output_axes": None})


def dense(name, units, activation="linear", **config):
    return obj(
        "Dense",
        {
            "name": name,
            "trainable": True,
            "dtype": POLICY,
            "units": units,
            "activation": activation,
            "use_bias": True,
            "kernel_initializer": glorot_uniform(),
            "bias_initializer": initializer("Zeros"),
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
            "quantization_config": None,
            **config,
        },
    )


def input_layer(name, shape, dtype="float32"):
    config = {"batch_shape": [None, *shape], "dtype": dtype, "sparse": False, "ragged": False}
    return obj("InputLayer", config | {"name": name, "optional": False})


def simple(class_name, name, **config):
    return obj(class_name, {"name": name, "trainable": True, "dtype": POLICY, **config})


def sequential(layer_configs, name="sequential", **record):
    return obj(
        "Sequential",
        {
            "name": name,
            "trainable": True,
            "dtype": POLICY | {"shared_object_id": 140151135932688},
            "layers": layer_configs,
        },
        module="keras",
        **record,
    )


def mnist_config(hidden=512, **record):
    return sequential(
        [
            input_layer("input_layer", (784,)),
            dense("dense", hidden, "relu"),
            dense("dense_1", 10, "softmax"),
        ],
        build_config={"input_shape": [None, 784]},
        **record,
    )


def tensor(layer, node=0, index=0):
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": [None, 4], "dtype": "float32", "keras_history": [layer, node, index]},
    }


def node(inputs, **kwargs):
    return {"args": [inputs], "kwargs": kwargs}


def graph_layer(record, *nodes):
    return record | {"name": record["config"]["name"], "inbound_nodes": list(nodes)}


def functional(layer_records, inputs, outputs, name="functional"):
    return obj(
        "Functional",
        {
            "name": name,
            "trainable": True,
            "layers": layer_records,
            "input_layers": inputs,
            "output_layers": outputs,
        },
        module="keras.src.models.functional",
    )


def write_archive(path, config, weights=None, members=None, version="3.6.0"):
    """A `.keras` zip: metadata.json, config.json, model.weights.h5 (stored, as Keras does)."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": version, "date_saved": "x"}))
        zf.writestr("config.json", json.dumps(config))
        if weights is not None:
            zf.writestr("model.weights.h5", h5_bytes(write_keras3_weights, weights))
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return path


# ----- Keras 2 HDF5 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "full_model, style",
    [(False, "tf_keras"), (True, "tf_keras"), (False, "keras3"), (True, "keras3")],
    ids=["weights_only", "full_model", "keras3_legacy_weights", "keras3_legacy_model"],
)
def test_keras2_h5_mnist_network(tmp_path, full_model, style):
    w = mnist_weights()
    path = tmp_path / "mnist.h5"
    write_keras2_h5(path, w, full_model=full_model, style=style)
    model = mnist_model(names=("hidden", "output"))  # topology: names need not match
    load_keras_h5_weights(model, path)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), w["dense"][0].astype("float32"))
    np.testing.assert_array_equal(model.layers[1].bias.numpy(), w["dense_1"][1].astype("float32"))
    x = digits()
    np.testing.assert_allclose(model.predict(x, verbose=0), mnist_reference(w, x), atol=1e-5)


def test_keras2_functional_layout_with_input_layer_and_chunked_names(tmp_path):
    w = mnist_weights(hidden=16)
    path = tmp_path / "f.h5"
    write_keras2_h5(path, w, order=["input_1", "dense", "dropout", "dense_1"], chunk=2)
    inputs = lamina.Input((784,))
    hidden = layers.Dense(16, activation="relu")(inputs)
    outputs = layers.Dense(10, activation="softmax")(layers.Dropout(0.5)(hidden))
    model = lamina.Model(inputs, outputs)
    load_keras_h5_weights(model, path)
    x = digits()
    np.testing.assert_allclose(model.predict(x, verbose=0), mnist_reference(w, x), atol=1e-5)


def test_keras2_by_name_skips_absent_layers_and_ignores_order(tmp_path):
    w = mnist_weights(hidden=8)
    path = tmp_path / "w.h5"
    write_keras2_h5(path, {"dense_1": w["dense_1"], "dense": w["dense"]})
    model = lamina.Sequential(
        [
            lamina.Input((784,)),
            layers.Dense(8, activation="relu", name="dense"),
            layers.Dense(5, name="extra"),  # not in the file: left alone
            layers.Dense(10, activation="softmax", name="dense_1"),
        ]
    )
    before = model.layers[1].kernel.numpy().copy()
    with pytest.raises(KerasFileError, match="holds weights for 2 layers"):
        load_keras_h5_weights(model, path)
    with pytest.raises(KerasFileError, match="'dense_1'.*shape \\(5, 10\\)"):
        load_keras_h5_weights(model, path, by_name=True)
    with pytest.warns(UserWarning, match="Skipping a weight.*dense_1"):
        load_keras_h5_weights(model, path, by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), w["dense"][0].astype("float32"))
    np.testing.assert_array_equal(model.layers[1].kernel.numpy(), before)
    np.testing.assert_array_equal(model.layers[2].bias.numpy(), w["dense_1"][1].astype("float32"))


def test_keras2_by_name_weight_count_mismatch(tmp_path):
    path = tmp_path / "w.h5"
    write_keras2_h5(path, {"dense": [np.ones((3, 2))]})  # a kernel, no bias
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(2, name="dense")])
    with pytest.raises(KerasFileError, match="'dense'.*2 weight\\(s\\).*holds 1"):
        load_keras_h5_weights(model, path, by_name=True)
    with pytest.warns(UserWarning, match="Skipping layer #0"):
        load_keras_h5_weights(model, path, by_name=True, skip_mismatch=True)


def test_shape_mismatch_names_the_layer_and_changes_nothing(tmp_path):
    w = mnist_weights(hidden=32)
    w["dense_1"][1] = np.zeros(11)  # a bad bias in the second layer
    path = tmp_path / "bad.h5"
    write_keras2_h5(path, w)
    model = mnist_model(hidden=32)
    before = model.get_weights()
    with pytest.raises(KerasFileError, match=r"layer #1 \('dense_1'.*shape \(10,\).*\(11,\)"):
        load_keras_h5_weights(model, path)
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="Skipping a weight"):
        load_keras_h5_weights(model, path, skip_mismatch=True)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), w["dense"][0].astype("float32"))
    np.testing.assert_array_equal(model.layers[1].bias.numpy(), before[3])


def test_layer_count_mismatch_lists_both_sides(tmp_path):
    path = tmp_path / "w.h5"
    write_keras2_h5(path, mnist_weights(hidden=4))
    model = lamina.Sequential([lamina.Input((784,)), layers.Dense(4, name="only")])
    with pytest.raises(KerasFileError, match=r"\['dense', 'dense_1'\].*1 layers.*\['only'\]"):
        load_keras_h5_weights(model, path)


def keras2_layer(class_name, name, inbound=(), **config):
    """A layer as tf.keras 2 writes it in `model_config`: no module, string dtype, and
    `inbound_nodes` as one list of `[layer, node, tensor, kwargs]` per call."""
    record = {
        "class_name": class_name,
        "config": {"name": name, "trainable": True, "dtype": "float32", **config},
    }
    nodes = [[[ref, 0, 0, {}] for ref in inbound]] if inbound else []
    return record | {"name": name, "inbound_nodes": nodes}


def keras2_dense(name, units, activation, inbound):
    glorot = {"class_name": "GlorotUniform", "config": {"seed": None}}
    return keras2_layer(
        "Dense",
        name,
        inbound,
        units=units,
        activation=activation,
        use_bias=True,
        kernel_initializer=glorot,
        bias_initializer={"class_name": "Zeros", "config": {}},
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
    )


def test_keras2_h5_whole_functional_model(tmp_path):
    rng = np.random.default_rng(5)
    w = {
        "dense": [rng.normal(size=(6, 4)), rng.normal(size=4)],
        "dense_1": [rng.normal(size=(5, 4)), rng.normal(size=4)],
        "out": [rng.normal(size=(4, 2)), rng.normal(size=2)],
    }
    inputs = [
        {
            "class_name": "InputLayer",
            "name": n,
            "inbound_nodes": [],
            "config": {
                "batch_input_shape": [None, d],
                "dtype": "float32",
                "sparse": False,
                "ragged": False,
                "name": n,
            },
        }
        for n, d in (("a", 6), ("b", 5))
    ]
    layers_config = [
        *inputs,
        keras2_dense("dense", 4, "relu", ["a"]),
        keras2_dense("dense_1", 4, "linear", ["b"]),
        keras2_layer("Multiply", "multiply", ["dense", "dense_1"]),
        keras2_layer("LeakyReLU", "leaky_re_lu", ["multiply"], alpha=0.2),
        keras2_layer(
            "Reshape",
            "reshape",
            ["leaky_re_lu"],
            target_shape={"class_name": "__tuple__", "items": [2, 2]},
        ),
        keras2_layer("Flatten", "flatten", ["reshape"], data_format="channels_last"),
        keras2_dense("out", 2, "softmax", ["flatten"]),
    ]
    model_config = {
        "class_name": "Functional",
        "config": {
            "name": "model",
            "trainable": True,
            "layers": layers_config,
            "input_layers": [["a", 0, 0], ["b", 0, 0]],
            "output_layers": [["out", 0, 0]],
        },
        "keras_version": "2.15.0",
        "backend": "tensorflow",
    }
    training_config = {
        "loss": "categorical_crossentropy",
        "metrics": [
            [
                {
                    "class_name": "MeanMetricWrapper",
                    "config": {
                        "name": "accuracy",
                        "dtype": "float32",
                        "fn": "categorical_accuracy",
                    },
                }
            ]
        ],
        "weighted_metrics": None,
        "loss_weights": None,
        "optimizer_config": {
            "class_name": "Custom>Adam",
            "config": {
                "name": "Adam",
                "learning_rate": 0.003,
                "beta_1": 0.9,
                "beta_2": 0.999,
                "epsilon": 1e-07,
                "amsgrad": False,
                "is_legacy_optimizer": False,
                "jit_compile": False,
            },
        },
    }
    path = tmp_path / "model.h5"

    def configs(f):
        f.attrs["model_config"] = json.dumps(model_config)
        f.attrs["training_config"] = json.dumps(training_config)

    order = ["a", "b", "dense", "dense_1", "multiply", "leaky_re_lu", "reshape", "flatten", "out"]
    write_keras2_h5(path, w, order=order, full_model=True, extra=configs)
    model = load_keras_h5_model(path, compile=True)
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.learning_rate == pytest.approx(0.003)
    xa, xb = rng.normal(size=(3, 6)), rng.normal(size=(3, 5))
    h = relu(xa @ w["dense"][0] + w["dense"][1]) * (xb @ w["dense_1"][0] + w["dense_1"][1])
    expected = softmax(np.where(h > 0, h, 0.2 * h) @ w["out"][0] + w["out"][1])
    got = model.predict([xa.astype("float32"), xb.astype("float32")], verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    weights_only = tmp_path / "weights.h5"
    write_keras2_h5(weights_only, w, order=order)
    with pytest.raises(KerasFileError, match="weights only.*load_keras_h5_weights"):
        load_keras_h5_model(weights_only)


# ----- Keras 3 .weights.h5 -----------------------------------------------------------------


def test_keras3_weights_h5_into_sequential(tmp_path):
    w = mnist_weights(hidden=64)
    path = tmp_path / "mnist.weights.h5"
    write_keras3_weights(path, {"dense": w["dense"], "dense_1": w["dense_1"]})
    model = mnist_model(hidden=64, names=("a", "b"))
    load_keras_h5_weights(model, path)
    x = digits()
    np.testing.assert_allclose(model.predict(x, verbose=0), mnist_reference(w, x), atol=1e-5)
    with pytest.raises(KerasFileError, match="by class and position"):
        load_keras_h5_weights(model, path, by_name=True)


def test_keras3_weights_by_name_uses_the_recorded_layer_names(tmp_path):
    w = mnist_weights(hidden=8)
    path = tmp_path / "named.weights.h5"
    write_keras3_weights(
        path, {"dense": w["dense"], "dense_1": w["dense_1"]}, names={"dense": "hidden"}
    )
    model = lamina.Sequential(
        [
            lamina.Input((784,)),
            layers.Dense(8, activation="relu", name="hidden"),
            layers.Dense(8, name="other"),  # not in the file: left alone
            layers.Dense(10, activation="softmax", name="dense_1"),
        ]
    )
    other = model.layers[1].kernel.numpy().copy()
    load_keras_h5_weights(model, path, by_name=True)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), w["dense"][0].astype("float32"))
    np.testing.assert_array_equal(model.layers[1].kernel.numpy(), other)
    np.testing.assert_array_equal(model.layers[2].bias.numpy(), w["dense_1"][1].astype("float32"))
    renamed = mnist_model(hidden=8, names=("a", "b"))
    with pytest.raises(KerasFileError, match=r"matched no layer.*\['dense_1', 'hidden'\]"):
        load_keras_h5_weights(renamed, path, by_name=True)


def test_tf_keras_v3_layout_names_layers(tmp_path):
    """tf.keras 2.13-2.15 wrote `.weights.h5` under `_layer_checkpoint_dependencies/<name>`."""
    w = mnist_weights(hidden=4)
    path = tmp_path / "tf.weights.h5"
    with h5py.File(path, "w") as f:
        for name, values in [("out", w["dense_1"]), ("hidden", w["dense"])]:
            g = f.create_group(f"_layer_checkpoint_dependencies/{name}/vars")
            for i, v in enumerate(values):
                g[str(i)] = v
    model = mnist_model(hidden=4, names=("hidden", "out"))
    load_keras_h5_weights(model, path)
    x = digits()
    np.testing.assert_allclose(model.predict(x, verbose=0), mnist_reference(w, x), atol=1e-5)


def test_a_file_object_and_a_huge_attribute(tmp_path, monkeypatch):
    w = mnist_weights(hidden=4)
    data = h5_bytes(write_keras2_h5, w)
    model = mnist_model(hidden=4)
    load_keras_h5_weights(model, io.BytesIO(data))
    np.testing.assert_array_equal(model.layers[1].bias.numpy(), w["dense_1"][1].astype("float32"))
    monkeypatch.setattr("lamina.saving.keras_import.h5_reader.MAX_ATTR_BYTES", 4)
    with pytest.raises(KerasFileError, match="the attribute '.*' of '/' takes .* refusing"):
        load_keras_h5_weights(model, io.BytesIO(data))


def test_keras3_weights_missing_and_extra_layers(tmp_path):
    w = mnist_weights(hidden=4)
    path = tmp_path / "m.weights.h5"
    write_keras3_weights(
        path, {"dense": w["dense"], "dense_1": w["dense_1"], "dense_2": w["dense"]}
    )
    model = mnist_model(hidden=4)
    with pytest.raises(KerasFileError, match="layers the model lacks.*dense_2"):
        load_keras_h5_weights(model, path)
    with pytest.warns(UserWarning, match="dense_2"):
        load_keras_h5_weights(model, path, skip_mismatch=True)
    np.testing.assert_array_equal(model.layers[1].bias.numpy(), w["dense_1"][1].astype("float32"))
    write_keras3_weights(path, {"dense": w["dense"]})
    with pytest.raises(KerasFileError, match="no weights for layer 'dense_1'"):
        load_keras_h5_weights(model, path)


def test_not_a_keras_file_and_not_hdf5(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=np.ones(3))
    with pytest.raises(KerasFileError, match="not a Keras weights file"):
        load_keras_h5_weights(mnist_model(hidden=4), path)
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(KerasFileError, match="not an HDF5 file"):
        load_keras_h5_weights(mnist_model(hidden=4), tmp_path / "text.h5")
    with pytest.raises(FileNotFoundError):
        load_keras_h5_weights(mnist_model(hidden=4), tmp_path / "missing.h5")


def test_unbuilt_model_is_refused(tmp_path):
    path = tmp_path / "w.h5"
    write_keras2_h5(path, mnist_weights(hidden=4))
    with pytest.raises(ValueError, match="not built"):
        load_keras_h5_weights(lamina.Sequential([layers.Dense(4)]), path)


def test_missing_h5py_explains_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "w.h5"
    write_keras2_h5(path, mnist_weights(hidden=4))
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"lamina\[h5\]"):
        load_keras_h5_weights(mnist_model(hidden=4), path)


# ----- hostile HDF5 ------------------------------------------------------------------------


def _external_link(f):
    f["evil"] = h5py.ExternalLink("/etc/passwd", "/")


def _soft_link(f):
    f["layers/dense/alias"] = h5py.SoftLink("/layers/dense/vars/0")


def _virtual(f):
    layout = h5py.VirtualLayout(shape=(3,), dtype="f4")
    layout[:] = h5py.VirtualSource("/etc/other.h5", "x", shape=(3,))
    f.create_virtual_dataset("layers/dense/sneaky", layout)


def _external_data(f):
    f.create_dataset("raw", shape=(4,), dtype="f4", external=[("/etc/passwd", 0, 16)])


@pytest.mark.parametrize(
    "extra, message",
    [
        (_external_link, "external link at '/evil'"),
        (_soft_link, "soft link"),
        (_virtual, "virtual dataset"),
        (_external_data, "external files"),
    ],
    ids=["external_link", "soft_link", "virtual_dataset", "external_dataset"],
)
@pytest.mark.parametrize("layout", ["keras2", "keras3"])
def test_hdf5_links_out_of_the_file_are_refused(tmp_path, extra, message, layout):
    w = mnist_weights(hidden=4)
    path = tmp_path / "w.h5"
    if layout == "keras2":
        write_keras2_h5(path, w, extra=extra)
    else:
        write_keras3_weights(path, w, extra=extra)
    model = mnist_model(hidden=4)
    before = model.get_weights()
    with pytest.raises(KerasFileError, match=message):
        load_keras_h5_weights(model, path)
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_non_numeric_weights_are_refused(tmp_path):
    path = tmp_path / "w.weights.h5"
    write_keras3_weights(path, {"dense": [np.ones((784, 4)), np.ones(4)]})
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/1"]
        f["layers/dense/vars"].create_dataset("1", data=np.array([b"a", b"b", b"c", b"d"]))
    model = lamina.Sequential([lamina.Input((784,)), layers.Dense(4)])
    with pytest.raises(KerasFileError, match="not numbers"):
        load_keras_h5_weights(model, path)


# ----- Keras 3 .keras archives -------------------------------------------------------------


def test_keras_archive_sequential_mnist(tmp_path):
    w = mnist_weights()
    path = write_archive(
        tmp_path / "mnist.keras", mnist_config(), {"dense": w["dense"], "dense_1": w["dense_1"]}
    )
    model = load_keras_archive(path)
    assert isinstance(model, lamina.Sequential)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    assert model.layers[0].name == "dense" and model.layers[0].units == 512
    x = digits()
    np.testing.assert_allclose(model.predict(x, verbose=0), mnist_reference(w, x), atol=1e-5)


def test_keras_archive_without_input_layer_uses_build_input_shape(tmp_path):
    w = mnist_weights(hidden=8)
    config = sequential(
        [dense("dense", 8, "relu"), dense("dense_1", 10, "softmax")],
        build_config={"input_shape": [None, 784]},
    )
    config["config"]["build_input_shape"] = [None, 784]
    model = load_keras_archive(write_archive(tmp_path / "m.keras", config, w))
    x = digits()
    np.testing.assert_allclose(model.predict(x, verbose=0), mnist_reference(w, x), atol=1e-5)


MERGES = {
    "Add": lambda a, b: a + b,
    "Subtract": lambda a, b: a - b,
    "Multiply": lambda a, b: a * b,
    "Average": lambda a, b: (a + b) / 2,
    "Maximum": np.maximum,
    "Minimum": np.minimum,
    "Concatenate": lambda a, b: np.concatenate([a, b], axis=-1),
    "Dot": lambda a, b: (a * b).sum(axis=-1, keepdims=True),
}


@pytest.mark.parametrize("merge", list(MERGES))
def test_keras_archive_functional_with_a_merge_layer(tmp_path, merge):
    """Two inputs, a Dense on each, a merge, a LeakyReLU, Dropout, and a softmax Dense."""
    rng = np.random.default_rng(1)
    k1, b1, k2, b2 = rng.normal(size=(6, 4)), rng.normal(size=4), rng.normal(size=(5, 4)), [0.0] * 4
    width = {"Concatenate": 8, "Dot": 1}.get(merge, 4)
    k3, b3 = rng.normal(size=(width, 3)), rng.normal(size=3)
    extra = {"axes": -1, "normalize": False} if merge == "Dot" else {}
    extra = {"axis": -1} if merge == "Concatenate" else extra
    records = [
        graph_layer(input_layer("a", (6,))),
        graph_layer(input_layer("b", (5,))),
        graph_layer(dense("d1", 4, "relu"), node(tensor("a"))),
        graph_layer(dense("d2", 4), node(tensor("b"))),
        graph_layer(simple(merge, "merge", **extra), node([tensor("d1"), tensor("d2")])),
        graph_layer(simple("LeakyReLU", "leaky", negative_slope=0.1), node(tensor("merge"))),
        graph_layer(
            simple("Dropout", "drop", rate=0.5, seed=None, noise_shape=None),
            node(tensor("leaky"), training=False),
        ),
        graph_layer(dense("out", 3, "softmax"), node(tensor("drop"))),
    ]
    config = functional(records, [["a", 0, 0], ["b", 0, 0]], [["out", 0, 0]])
    weights = {"dense": [k1, b1], "dense_1": [k2, b2], "dense_2": [k3, b3]}
    model = load_keras_archive(write_archive(tmp_path / "f.keras", config, weights))
    xa, xb = rng.normal(size=(7, 6)), rng.normal(size=(7, 5))
    merged = MERGES[merge](relu(xa @ k1 + b1), xb @ k2 + b2)
    expected = softmax(np.where(merged > 0, merged, 0.1 * merged) @ k3 + b3)
    got = model.predict([xa.astype("float32"), xb.astype("float32")], verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert model.get_layer("merge").__class__.__name__ == merge
    # The call recorded training=False; lamina must still drop units when training.
    training = model([xa.astype("float32"), xb.astype("float32")], training=True).numpy()
    assert not np.allclose(training, expected, atol=1e-3)


def test_keras_archive_reshaping_and_activation_layers(tmp_path):
    rng = np.random.default_rng(2)
    k, b = rng.normal(size=(6, 8)), rng.normal(size=8)
    config = sequential(
        [
            input_layer("input_layer", (2, 3)),
            simple("Flatten", "flatten", data_format="channels_last"),
            dense("dense", 8),
            simple("Reshape", "reshape", target_shape=[2, 4]),
            simple("Permute", "permute", dims=[2, 1]),
            simple("ReLU", "re_lu", max_value=1.5, negative_slope=0.0, threshold=0.0),
            simple("Flatten", "flatten_1", data_format=None),
            simple("RepeatVector", "repeat", n=2),
            simple("ELU", "elu", alpha=1.0),
            simple("Activation", "act", activation="tanh"),
            simple("Softmax", "softmax", axis=-1),
        ]
    )
    model = load_keras_archive(write_archive(tmp_path / "r.keras", config, {"dense": [k, b]}))
    x = rng.normal(size=(3, 2, 3))
    h = np.minimum(relu((x.reshape(3, 6) @ k + b).reshape(3, 2, 4).transpose(0, 2, 1)), 1.5)
    h = np.repeat(h.reshape(3, 1, 8), 2, axis=1)
    expected = softmax(np.tanh(np.where(h > 0, h, np.expm1(h))))
    np.testing.assert_allclose(model.predict(x.astype("float32"), verbose=0), expected, atol=1e-5)


def test_keras_archive_nested_sequential_in_functional(tmp_path):
    rng = np.random.default_rng(3)
    k1, b1, k2, b2 = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(3, 2)), [0.5] * 2
    inner = sequential([input_layer("inner_input", (4,)), dense("i1", 3, "relu")], name="backbone")
    records = [
        graph_layer(input_layer("x", (4,))),
        inner | {"name": "backbone", "inbound_nodes": [node(tensor("x"))]},
        graph_layer(dense("head", 2), node(tensor("backbone"))),
    ]
    config = functional(records, ["x", 0, 0], ["head", 0, 0])
    with zipfile.ZipFile(tmp_path / "n.keras", "w") as zf:
        zf.writestr("config.json", json.dumps(config))
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as f:
            f.create_group("vars")
            f.create_group("layers/input_layer/vars")
            inner_vars = f.create_group("layers/sequential/layers/dense/vars")
            inner_vars["0"], inner_vars["1"] = k1, b1
            f.create_group("layers/sequential/vars")
            head = f.create_group("layers/dense/vars")
            head["0"], head["1"] = k2, b2
        zf.writestr("model.weights.h5", buffer.getvalue())
    model = load_keras_archive(tmp_path / "n.keras")
    x = rng.normal(size=(5, 4)).astype("float32")
    expected = relu(x @ k1 + b1) @ k2 + b2
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)


def test_keras_archive_shared_layer_and_model_called_twice(tmp_path):
    """As Keras 3.15 saves `Add()([shared(backbone(x1)), shared(backbone(x2))])`: node indices
    1 for the second calls, `mask: null` in the nested model's calls, a lone output leaf."""
    rng = np.random.default_rng(4)
    k1, b1, k2, b2 = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(3, 2)), [0.1] * 2
    backbone = sequential(
        [input_layer("input_layer", (4,)), dense("dense", 3, "relu")], name="backbone"
    )
    records = [
        graph_layer(input_layer("input_layer_2", (4,))),
        graph_layer(input_layer("input_layer_3", (4,))),
        backbone
        | {
            "name": "backbone",
            "inbound_nodes": [
                node(tensor("input_layer_2"), mask=None),
                node(tensor("input_layer_3"), mask=None),
            ],
        },
        graph_layer(dense("shared", 2), node(tensor("backbone", 0)), node(tensor("backbone", 1))),
        graph_layer(simple("Add", "add_1"), node([tensor("shared", 0), tensor("shared", 1)])),
    ]
    config = functional(
        records, [["input_layer_2", 0, 0], ["input_layer_3", 0, 0]], ["add_1", 0, 0]
    )
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_group("vars").attrs["name"] = "functional"
        for key in ("input_layer", "input_layer_1", "add"):
            f.create_group(f"layers/{key}/vars")
        f.create_group("layers/sequential/vars").attrs["name"] = "backbone"
        inner = f.create_group("layers/sequential/layers/dense/vars")
        inner["0"], inner["1"] = k1, b1
        head = f.create_group("layers/dense/vars")
        head["0"], head["1"] = k2, b2
    with zipfile.ZipFile(tmp_path / "s.keras", "w") as zf:
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", buffer.getvalue())
    model = load_keras_archive(tmp_path / "s.keras")
    x1, x2 = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    expected = relu(x1 @ k1 + b1) @ k2 + b2 + relu(x2 @ k1 + b1) @ k2 + b2
    got = model.predict([x1.astype("float32"), x2.astype("float32")], verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_keras_archive_regularizers_constraints_and_initializers(tmp_path):
    config = sequential(
        [
            input_layer("input_layer", (3,)),
            dense(
                "dense",
                2,
                kernel_regularizer=obj("L2", {"l2": 0.5}, module="keras.regularizers"),
                bias_constraint=obj("NonNeg", {}, module="keras.constraints"),
                kernel_initializer=initializer(
                    "RandomNormal", {"mean": 0.0, "stddev": 1.0, "seed": 7}
                ),
                activity_regularizer=obj("L1", {"l1": 0.25}, module="keras.regularizers"),
            ),
        ]
    )
    w = {"dense": [np.ones((3, 2)), np.ones(2)]}
    model = load_keras_archive(write_archive(tmp_path / "reg.keras", config, w))
    layer = model.layers[0]
    assert type(layer.kernel_regularizer).__name__ == "L2" and layer.kernel_regularizer.l2 == 0.5
    assert type(layer.bias_constraint).__name__ == "NonNeg"
    assert type(layer.kernel_initializer).__name__ == "RandomNormal"
    assert layer.activity_regularizer.l1 == 0.25


def test_keras_archive_compile(tmp_path):
    compile_config = {
        "optimizer": obj(
            "Adam",
            {
                "name": "adam",
                "learning_rate": 0.0025,
                "beta_1": 0.9,
                "beta_2": 0.999,
                "epsilon": 1e-7,
                "amsgrad": False,
                "weight_decay": None,
                "clipnorm": None,
                "global_clipnorm": None,
                "clipvalue": None,
                "use_ema": False,
                "ema_momentum": 0.99,
                "ema_overwrite_frequency": None,
                "loss_scale_factor": None,
                "gradient_accumulation_steps": None,
            },
            module="keras.src.backend.torch.optimizers.torch_adam",
        ),
        "loss": "categorical_crossentropy",
        "loss_weights": None,
        "metrics": ["accuracy"],
        "weighted_metrics": None,
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }
    path = write_archive(
        tmp_path / "c.keras",
        mnist_config(hidden=4, compile_config=compile_config),
        mnist_weights(hidden=4),
    )
    model = load_keras_archive(path, compile=True)
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.learning_rate == pytest.approx(0.0025)
    x, y = digits(8), np.eye(10, dtype="float32")[np.arange(8) % 10]
    model.fit(x, y, epochs=1, verbose=0)
    assert getattr(load_keras_archive(path), "optimizer", None) is None
    never_compiled = mnist_config(hidden=4, compile_config={})
    path = write_archive(tmp_path / "n.keras", never_compiled, mnist_weights(hidden=4))
    assert getattr(load_keras_archive(path, compile=True), "optimizer", None) is None


def test_keras_archive_custom_objects(tmp_path):
    class Scale(layers.Layer):
        def __init__(self, factor=1.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

    config = mnist_config(hidden=4)
    config["config"]["layers"].append(
        obj(
            "Scale",
            {"name": "scale", "dtype": POLICY, "factor": 3.0},
            module="my_package",
            registered_name="my_package>Scale",
        )
    )
    w = mnist_weights(hidden=4)
    path = write_archive(tmp_path / "c.keras", config, w)
    with pytest.raises(
        KerasFileError, match="'Scale' is given module 'my_package'.*custom_objects"
    ):
        load_keras_archive(path)
    model = load_keras_archive(path, custom_objects={"my_package>Scale": Scale})
    x = digits()
    np.testing.assert_allclose(model.predict(x, verbose=0), 3 * mnist_reference(w, x), atol=1e-5)
    with lamina.saving.custom_object_scope({"Scale": Scale}):
        model = load_keras_archive(path)
    assert type(model.layers[-1]) is Scale and model.layers[-1].factor == 3.0


@pytest.mark.parametrize(
    "change, message",
    [
        ({"kernel_size": [3, 3]}, r"has no setting \['kernel_size'\]"),
        ({"dtype": POLICY | {"config": {"name": "mixed_float16"}}}, "mixed-precision"),
        ({"units": -3}, "units to be an integer >= 1"),
        ({"activation": "no_such_activation"}, "Unknown activation 'no_such_activation'"),
    ],
)
def test_untranslatable_layer_settings_are_refused(tmp_path, change, message):
    config = mnist_config(hidden=4)
    config["config"]["layers"][1]["config"].update(change)
    path = write_archive(tmp_path / "m.keras", config, mnist_weights(hidden=4))
    with pytest.raises(KerasFileError, match=message) as info:
        load_keras_archive(path)
    assert "layer 'dense' (Dense)" in str(info.value)


def test_keras_archive_weights_that_do_not_fit(tmp_path):
    w = mnist_weights(hidden=4)
    path = write_archive(tmp_path / "m.keras", mnist_config(hidden=5), w)
    with pytest.raises(
        KerasFileError, match=r"layer 'dense' \(Dense, stored as 'layers/dense'\).*shape"
    ):
        load_keras_archive(path)


def test_keras_archive_weights_into_a_lamina_model(tmp_path):
    w = mnist_weights(hidden=16)
    path = write_archive(tmp_path / "m.keras", mnist_config(hidden=16), w)
    assert is_keras_archive(path)
    model = mnist_model(hidden=16, names=("x", "y"))
    load_keras_archive_weights(model, path)
    x = digits()
    np.testing.assert_allclose(model.predict(x, verbose=0), mnist_reference(w, x), atol=1e-5)
    (tmp_path / "lamina.keras").write_bytes(b"PK\x05\x06" + b"\x00" * 18)  # an empty zip
    assert not is_keras_archive(tmp_path / "lamina.keras")
    assert not is_keras_archive(tmp_path / "missing.keras")


# ----- hostile archives --------------------------------------------------------------------


LAMBDA = obj(
    "Lambda",
    {
        "name": "lambda",
        "function": {"class_name": "__lambda__", "config": {"value": ["4wEAAAAAAAAA", None, None]}},
        "arguments": {},
    },
)
NAMED_FUNCTION_LAMBDA = obj(
    "Lambda",
    {
        "name": "lambda",
        "function": {
            "module": "os",
            "class_name": "function",
            "config": "system",
            "registered_name": "function",
        },
        "arguments": {},
    },
)


@pytest.mark.parametrize(
    "layer, message",
    [
        (LAMBDA, "Python lambda"),
        (NAMED_FUNCTION_LAMBDA, "Keras Lambda layer.*never loads code"),
        (obj("os.system", {"name": "x"}), "unknown layer class 'os.system'"),
        (obj("eval", {"name": "x"}, module="builtins"), "module 'builtins'.*never imports"),
        (obj("Dense", {"name": "x", "units": 2}, module="os"), "module 'os'.*never imports"),
        (
            simple("Activation", "x", activation=obj("function", "eval", module="builtins")),
            "Unknown activation 'eval'",
        ),
        (
            simple("Activation", "x", activation=obj("function", "system", module="os")),
            "module 'os'",
        ),
        (
            dense("x", 2, kernel_initializer=obj("Popen", {}, module="subprocess")),
            "initializer 'Popen' from module 'subprocess'",
        ),
        (
            dense("x", 2, kernel_initializer=initializer("builtins.exec")),
            "Unknown initializer 'builtins.exec'",
        ),
    ],
    ids=[
        "lambda_code",
        "lambda_named_function",
        "dotted_class_name",
        "builtins_eval",
        "known_class_foreign_module",
        "eval_activation",
        "os_function_activation",
        "foreign_initializer_module",
        "unknown_initializer",
    ],
)
def test_code_in_configs_is_never_run(tmp_path, layer, message, monkeypatch):
    calls = []
    monkeypatch.setattr("os.system", lambda *a: calls.append(a))
    config = mnist_config(hidden=4)
    config["config"]["layers"].insert(1, layer)
    path = write_archive(tmp_path / "evil.keras", config, mnist_weights(hidden=4))
    with pytest.raises(KerasFileError, match=message):
        load_keras_archive(path)
    assert calls == []


def test_a_model_class_from_elsewhere_is_refused(tmp_path):
    config = mnist_config(hidden=4) | {"module": "__main__", "class_name": "MyModel"}
    path = write_archive(tmp_path / "m.keras", config, mnist_weights(hidden=4))
    with pytest.raises(KerasFileError, match="'MyModel'.*Sequential and functional"):
        load_keras_archive(path)


@pytest.mark.parametrize(
    "name, message",
    [
        ("../../evil.txt", "climbs out"),
        ("/etc/passwd", "absolute path"),
        ("assets\\..\\x", "backslash"),
        ("C:/Windows/x", "absolute path"),
    ],
)
def test_unsafe_member_names_are_refused(tmp_path, name, message):
    path = write_archive(
        tmp_path / "m.keras", mnist_config(hidden=4), mnist_weights(hidden=4), members={name: b"x"}
    )
    with pytest.raises(KerasFileError, match=message):
        load_keras_archive(path)


def test_symlink_and_duplicate_members_are_refused(tmp_path):
    path = write_archive(tmp_path / "s.keras", mnist_config(hidden=4), mnist_weights(hidden=4))
    with zipfile.ZipFile(path, "a") as zf:
        info = zipfile.ZipInfo("assets/link")
        info.create_system = 3
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(KerasFileError, match="symbolic link"):
        load_keras_archive(path)
    path = write_archive(tmp_path / "d.keras", mnist_config(hidden=4), mnist_weights(hidden=4))
    with zipfile.ZipFile(path, "a") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("config.json", json.dumps(sequential([])))
    with pytest.raises(KerasFileError, match="two members named 'config.json'"):
        load_keras_archive(path)


def test_oversized_and_zip_bomb_members_are_refused(tmp_path, monkeypatch):
    path = write_archive(tmp_path / "m.keras", mnist_config(hidden=4), mnist_weights(hidden=4))
    monkeypatch.setattr(keras_archive, "MAX_JSON_BYTES", 100)
    with pytest.raises(KerasFileError, match="'config.json' claims .* more than its cap of 100"):
        load_keras_archive(path)
    monkeypatch.undo()
    bomb = json.dumps(mnist_config(hidden=4)) + " " * (4 * 2**20)  # valid JSON, 4 MiB
    with zipfile.ZipFile(tmp_path / "bomb.keras", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", bomb)
        zf.writestr("model.weights.h5", h5_bytes(write_keras3_weights, mnist_weights(hidden=4)))
    with pytest.raises(KerasFileError, match="zip bomb"):
        load_keras_archive(tmp_path / "bomb.keras")
    monkeypatch.setattr(safe_zip, "MAX_MEMBERS", 2)
    with pytest.raises(KerasFileError, match="lists 3 members"):
        load_keras_archive(path)
    monkeypatch.undo()
    monkeypatch.setattr(safe_zip, "MAX_DIRECTORY_BYTES", 50)
    with pytest.raises(KerasFileError, match="lists 3 members in .* bytes"):
        load_keras_archive(path)


def test_declared_size_that_lies_is_refused(tmp_path):
    path = write_archive(tmp_path / "m.keras", mnist_config(hidden=4), mnist_weights(hidden=4))
    data = bytearray(path.read_bytes())
    # Shrink the size that the central directory declares for metadata.json (stored, first).
    central = data.rfind(b"PK\x01\x02", 0, data.find(b"metadata.json", data.find(b"PK\x01\x02")))
    actual = int.from_bytes(data[central + 24 : central + 28], "little")
    data[central + 24 : central + 28] = (actual - 5).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(KerasFileError, match="metadata.json"):
        load_keras_archive(path)


def test_npz_weights_and_missing_members_are_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "npz.keras", "w") as zf:
        zf.writestr("config.json", json.dumps(mnist_config(hidden=4)))
        zf.writestr("model.weights.npz", b"PK")
    with pytest.raises(KerasFileError, match="pickle"):
        load_keras_archive(tmp_path / "npz.keras")
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as zf:
        zf.writestr("metadata.json", "{}")
    with pytest.raises(KerasFileError, match="no config.json"):
        load_keras_archive(tmp_path / "empty.keras")
    (tmp_path / "plain.keras").write_bytes(b"not a zip")
    with pytest.raises(KerasFileError, match="not a zip archive"):
        load_keras_archive(tmp_path / "plain.keras")


def test_hostile_hdf5_inside_an_archive_is_refused(tmp_path):
    buffer = io.BytesIO()
    write_keras3_weights(buffer, mnist_weights(hidden=4), extra=_external_link)
    with zipfile.ZipFile(tmp_path / "x.keras", "w") as zf:
        zf.writestr("config.json", json.dumps(mnist_config(hidden=4)))
        zf.writestr("model.weights.h5", buffer.getvalue())
    with pytest.raises(KerasFileError, match="model.weights.h5.*external link"):
        load_keras_archive(tmp_path / "x.keras")


def test_malformed_json_is_refused(tmp_path):
    for text, message in [
        ("{not json", "not valid JSON"),
        ('{"class_name": "Sequential", "class_name": "Functional"}', "repeats the key"),
        ("[" * 100 + "]" * 100, "nests deeper"),
    ]:
        with zipfile.ZipFile(tmp_path / "j.keras", "w") as zf:
            zf.writestr("config.json", text)
        with pytest.raises(KerasFileError, match=message):
            load_keras_archive(tmp_path / "j.keras")


# ----- the layer table ------------------------------------------------------------------------


class Gate(layers.Layer):
    """A layer whose constructor arguments are all derivable (for the table tests)."""

    def __init__(
        self,
        units: int,
        rate: float = 0.5,
        gated: bool = True,
        mode: str = "sum",
        scale: float | None = None,
        kernel_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.settings = (units, rate, gated, mode, scale, kernel_initializer)


def test_a_new_layer_needs_one_line_in_the_table(monkeypatch):
    monkeypatch.setitem(config_translation.LAYERS, "Gate", layer_spec(Gate))
    ctx = Ctx("config.json", None)

    def make(**config):
        record = {"module": "keras.layers", "class_name": "Gate", "config": config}
        return layer_from_record(record, ctx)[0]

    zeros = {"module": "keras.initializers", "class_name": "Zeros", "config": {}}
    layer = make(name="g", units=3, rate=1, gated=False, kernel_initializer=zeros, dtype="float64")
    assert layer.settings[:5] == (3, 1.0, False, "sum", None) and layer.name == "g"
    assert make(units=2, scale=2, autocast=False).settings[4] == 2.0
    assert isinstance(layer.settings[5], lamina.initializers.Zeros) and layer.dtype == "float64"
    bad = [
        ({"units": 3.0}, "expected units to be an integer. Received: units=3.0"),
        ({"units": 3, "rate": "x"}, "expected rate to be a number"),
        ({"units": 3, "gated": 1}, "expected gated to be true or false"),
        ({"units": 3, "mode": 4}, "expected mode to be a string"),
        ({"units": 3, "scale": [1]}, "expected scale to be a number"),
        ({"units": 3, "kernel_initializer": "os.system"}, "Unknown initializer"),
        ({"units": 3, "kernel_size": 3}, r"Gate has no setting \['kernel_size'\]"),
        ({"units": 3, "activity_regularizer": "l2"}, r"no setting \['activity_regularizer'\]"),
    ]
    for config, match in bad:
        with pytest.raises(KerasFileError, match=match):
            make(**config)


def test_the_table_refuses_what_it_cannot_derive():
    class Odd(layers.Layer):
        def __init__(self, sizes, **kwargs):  # no annotation, no default
            super().__init__(**kwargs)

    with pytest.raises(TypeError, match="Odd's argument 'sizes'.*override"):
        layer_spec(Odd)
    assert layer_spec(Odd, sizes=to_int_list).args["sizes"] is to_int_list
    with pytest.raises(TypeError, match=r"no arguments \['size'\]"):
        layer_spec(Odd, sizes=to_int_list, size=to_int_list)


def test_every_table_entry_takes_its_constructors_arguments():
    import inspect

    for keras_name, spec in config_translation.LAYERS.items():
        parameters = inspect.signature(spec.cls.__init__).parameters
        wanted = {n for n, p in parameters.items() if n != "self" and p.kind != p.VAR_KEYWORD}
        assert wanted | {"name", "trainable", "dtype"} <= set(spec.args), keras_name
    leaky = config_translation.LAYERS["LeakyReLU"]
    assert leaky.rename == {"alpha": "negative_slope"} and "alpha" in leaky.args


def test_a_checked_keras_record_is_read_as_lamina_reads_its_own():
    record = {"class_name": "HeNormal", "config": {"seed": 1}}
    init = lamina_record(record, lamina.initializers, {})
    own = lamina.saving.deserialize_keras_object(
        lamina.saving.serialize_keras_object(lamina.initializers.HeNormal(seed=1))
    )
    assert type(init) is type(own) and init.get_config() == own.get_config()

    class Halve(lamina.constraints.Constraint):
        def __call__(self, w):
            return w * 0.5

    custom = lamina_record(
        {"class_name": "Halve", "config": {}}, lamina.constraints, {"Halve": Halve}
    )
    assert isinstance(custom, Halve)
