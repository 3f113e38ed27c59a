"""Hostile Keras files: HDF5 links out of the file, code in configs, unsafe `.keras` archives.

The files are laid out as Keras writes them (h5py and zipfile, no Keras install), then changed.
Every one must be refused with a KerasFileError (a ModelFileError) naming the problem, within
a second, with no code run and no file opened from Python outside the test's folder (see
hostile_sandbox.py; HDF5 opens files from C, so links out of the file are refused before any read).
"""

import json
import os
import pickle
import stat
import warnings
import zipfile

import numpy as np
import pytest
from hostile_builders import (
    CONFIG,
    k_dense,
    k_input,
    k_obj,
    keras2_h5,
    keras2_model_config,
    keras3_weights_h5,
    keras_archive,
    keras_config,
    keras_target_model,
    keras_weights,
    member_info,
    patch_central,
    write,
)
from hostile_sandbox import assert_refused

import lamina
from lamina.saving import KerasFileError

h5py = pytest.importorskip("h5py")


class _Payload:
    """Pickles to a call of os.system; only ever pickled here, never unpickled."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


PICKLE = pickle.dumps(_Payload(), protocol=4)


# ----- HDF5 tricks ------------------------------------------------------------------------------


def external_link(f):
    f["evil"] = h5py.ExternalLink("/etc/passwd", "/")


def external_link_in_layer(f):
    group = f["model_weights/dense"] if "model_weights" in f else f["layers/dense/vars"]
    group["2"] = h5py.ExternalLink("other.h5", "/x")


def soft_link(f):
    f["alias"] = h5py.SoftLink("/does/not/exist")


def virtual_dataset(f):
    layout = h5py.VirtualLayout(shape=(3,), dtype="f4")
    layout[:] = h5py.VirtualSource("/etc/other.h5", "x", shape=(3,))
    f.create_virtual_dataset("sneaky", layout)


def external_storage(f):
    f.create_dataset("raw", shape=(4,), dtype="f4", external=[("/etc/passwd", 0, 16)])


def text_weights(f):
    group = f["model_weights/dense/dense"]
    del group["bias:0"]
    group.create_dataset("bias:0", data=np.array([b"os.system"] * 8))


def absolute_weight_name(f):
    f["model_weights/dense"].attrs["weight_names"] = [b"/etc/passwd", b"dense/bias:0"]


def missing_layer_group(f):
    f["model_weights"].attrs["layer_names"] = [b"dense", b"dense_1", b"ghost"]


def fill_value_kernel(f):
    """A kernel declared (10**6, 10**6) that occupies no bytes (HDF5 fills it on read)."""
    group = f["model_weights/dense/dense"]
    del group["kernel:0"]
    group.create_dataset("kernel:0", shape=(10**6, 10**6), dtype="f4", chunks=(1, 1024))


def with_attr(name, value):
    def extra(f):
        f.attrs[name] = value

    return extra


def h5_model(extra=None, config=None):
    return lambda: keras2_h5(model_config=config, extra=extra)


def h5_config(change):
    """A whole-model .h5 whose model_config (a dict) is changed in place."""
    config = keras2_model_config()
    change(config)
    return lambda: keras2_h5(model_config=config)


def h5_layer(record):
    """A whole-model .h5 with `record` inserted between its two Dense layers."""
    return lambda: keras2_h5(model_config=keras2_model_config(record))


def training_config(**values):
    config = {"loss": "mse", "metrics": [], "optimizer_config": None} | values
    return h5_model(extra=with_attr("training_config", json.dumps(config)))


def keras2_record(class_name, **config):
    return {"class_name": class_name, "config": {"name": "hostile", "trainable": True} | config}


KERAS2_LAMBDA = keras2_record(
    "Lambda", function=["4wEAAAAAAAAA", None, None], function_type="lambda", module="__main__"
)


H5_MODEL_CASES = [
    ("h5_not_hdf5", lambda: b"this is not an HDF5 file" * 10, "not an HDF5 file"),
    ("h5_pickle", lambda: PICKLE, "not an HDF5 file"),
    ("h5_truncated", lambda: keras2_h5()[:2000], "not an HDF5 file"),
    ("h5_external_link", h5_model(external_link), "external link at '/evil'"),
    ("h5_external_link_in_layer", h5_model(external_link_in_layer), "external link"),
    ("h5_soft_link", h5_model(soft_link), "soft link at '/alias'"),
    ("h5_virtual_dataset", h5_model(virtual_dataset), "virtual dataset at '/sneaky'"),
    ("h5_external_storage", h5_model(external_storage), "external files"),
    ("h5_weights_only", lambda: keras2_h5(full_model=False), "holds weights only"),
    ("h5_text_weights", h5_model(text_weights), "not numbers"),
    ("h5_absolute_weight_name", h5_model(absolute_weight_name), "plain relative names"),
    ("h5_missing_layer_group", h5_model(missing_layer_group), "has no group for it"),
    ("h5_fill_value_kernel", h5_model(fill_value_kernel), r"holds shape \(1000000, 1000000\)"),
    ("h5_config_not_json", h5_model(config="{not json"), "model_config is not valid JSON"),
    ("h5_config_nesting", h5_model(config="[" * 100 + "]" * 100), "nests deeper"),
    ("h5_config_lambda", h5_layer(KERAS2_LAMBDA), "Keras 2 Lambda function"),
    (
        "h5_config_tf_op_lambda",
        h5_layer(keras2_record("TFOpLambda", function="os.system")),
        "TensorFlow op",
    ),
    (
        "h5_config_code_marker",
        h5_layer(keras2_record("Activation", activation={"class_name": "__lambda__"})),
        "a Python lambda",
    ),
    ("h5_config_os_system", h5_layer(keras2_record("os.system")), "unknown layer class"),
    (
        "h5_config_module_os",
        h5_layer({"module": "os", "class_name": "system", "config": {}}),
        "never imports modules",
    ),
    (
        "h5_config_subclassed_model",
        h5_config(lambda c: c.update(class_name="MyModel", module="__main__")),
        "Sequential and functional models only",
    ),
    (
        "h5_config_units_1e7",
        h5_config(lambda c: c["config"]["layers"][1]["config"].update(units=10**7)),
        "asks for weight 'kernel'",
    ),
    (
        "h5_config_giant_input",
        h5_config(
            lambda c: c["config"]["layers"][0]["config"].update(batch_input_shape=[None, 10**9])
        ),
        "would be probed on a tensor of shape",
    ),
    ("h5_training_loss_os", training_config(loss="os.system"), "could not be translated"),
    (
        "h5_training_metric_huge",
        training_config(metrics=[{"class_name": "AUC", "config": {"num_thresholds": 10**9}}]),
        "a loss or metric setting is 1000000000",
    ),
    (
        "h5_training_optimizer_module",
        training_config(optimizer_config={"class_name": "Popen", "module": "subprocess"}),
        "could not be translated",
    ),
]


@pytest.mark.parametrize(
    ("make", "match"), [c[1:] for c in H5_MODEL_CASES], ids=[c[0] for c in H5_MODEL_CASES]
)
def test_hostile_keras_h5_model_is_refused(tmp_path, make, match):
    path = write(tmp_path, "hostile.h5", make())
    assert_refused(lambda: lamina.models.load_model(path), tmp_path, match, KerasFileError)


# ----- Keras 3 .weights.h5 into a lamina model ---------------------------------------------------


H5_WEIGHTS_CASES = [
    ("weights_external_link", lambda: keras3_weights_h5(external_link), "external link"),
    ("weights_link_in_layer", lambda: keras3_weights_h5(external_link_in_layer), "external link"),
    ("weights_soft_link", lambda: keras3_weights_h5(soft_link), "soft link"),
    ("weights_virtual", lambda: keras3_weights_h5(virtual_dataset), "virtual dataset"),
    ("weights_external_storage", lambda: keras3_weights_h5(external_storage), "external files"),
    ("weights_not_hdf5", lambda: PICKLE, "not an HDF5 file"),
    (
        "weights_wrong_shape",
        lambda: keras3_weights_h5(weights={**keras_weights(), "dense": [np.zeros((9, 9), "f4")]}),
        "holds 1 for it",
    ),
]


@pytest.mark.parametrize(
    ("make", "match"), [c[1:] for c in H5_WEIGHTS_CASES], ids=[c[0] for c in H5_WEIGHTS_CASES]
)
def test_hostile_keras_weights_are_refused(tmp_path, make, match):
    path = write(tmp_path, "hostile.weights.h5", make())
    model = keras_target_model()
    assert_refused(lambda: model.load_weights(path), tmp_path, match, KerasFileError)


# ----- Keras 3 .keras archives -------------------------------------------------------------------


def archive_config(change):
    config = keras_config()
    change(config)
    return lambda: keras_archive(config=config)


def archive_layer(record):
    """A Keras archive with `record` inserted after the input layer."""
    return archive_config(lambda c: c["config"]["layers"].insert(1, record))


def with_member(name, data=b"x", info=None):
    return lambda: keras_archive(members={name if info is None else info: data})


def symlink_member():
    info = member_info("assets/link")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return keras_archive(members={info: b"/etc/passwd"})


def duplicate_config():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        return keras_archive(members={CONFIG: b"{}"})


def npz_weights():
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(CONFIG, json.dumps(keras_config()))
        zf.writestr("model.weights.npz", PICKLE)
    return buffer.getvalue()


def zip_bomb():
    """config.json followed by 16 MiB of spaces: valid JSON, deflated about 1000 times."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(CONFIG, json.dumps(keras_config()) + " " * (16 << 20))
        zf.writestr("model.weights.h5", keras3_weights_h5())
    return buffer.getvalue()


def lying_size():
    blob = keras_archive()
    return patch_central(blob, CONFIG, size=len(json.dumps(keras_config())) - 3)


def activation(value):
    return archive_layer(k_obj("Activation", {"name": "act", "activation": value}))


ARCHIVE_CASES = [
    ("keras_lambda", archive_layer(k_obj("Lambda", {"name": "l", "function": "x"})), "Lambda"),
    (
        "keras_lambda_marker",
        activation({"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}),
        "a Python lambda",
    ),
    (
        "keras_activation_os_function",
        activation({"module": "os", "class_name": "function", "config": "system"}),
        "from module 'os'",
    ),
    (
        "keras_activation_builtin_eval",
        activation({"module": "builtins", "class_name": "function", "config": "eval"}),
        "Unknown activation 'eval'",
    ),
    ("keras_layer_module_os", archive_layer(k_obj("system", {}, module="os")), "never imports"),
    ("keras_layer_builtins_eval", archive_layer(k_obj("builtins.eval", {})), "unknown layer class"),
    (
        "keras_initializer_popen",
        archive_layer(k_dense("d", 2, kernel_initializer=k_obj("Popen", {}, module="subprocess"))),
        "from module 'subprocess'",
    ),
    (
        "keras_model_from_main",
        archive_config(lambda c: c.update(module="__main__", class_name="Evil")),
        "Sequential and functional models only",
    ),
    (
        "keras_units_1e9",
        archive_config(lambda c: c["config"]["layers"][1]["config"].update(units=10**9)),
        "would return a tensor of shape",
    ),
    (
        "keras_units_1e7",
        archive_config(lambda c: c["config"]["layers"][1]["config"].update(units=10**7)),
        "asks for weight 'kernel'",
    ),
    (
        "keras_giant_input",
        archive_config(lambda c: c["config"]["layers"].__setitem__(0, k_input("i", (10**9,)))),
        "would be probed on a tensor",
    ),
    ("keras_config_not_json", lambda: keras_archive(config=b"{"), "not valid JSON"),
    ("keras_config_duplicate_key", lambda: keras_archive(config=b'{"a": 1, "a": 2}'), "repeats"),
    ("keras_config_nesting", lambda: keras_archive(config=b"[" * 200 + b"]" * 200), "nests"),
    ("keras_npz_weights", npz_weights, "Keras reads with pickle"),
    ("keras_no_weights", lambda: keras_archive(weights_h5=b""), "not an HDF5 file"),
    ("keras_dotdot_member", with_member("../../evil.txt"), "climbs out"),
    ("keras_absolute_member", with_member("/etc/passwd"), "absolute path"),
    ("keras_drive_member", with_member("C:/Windows/x"), "absolute path"),
    ("keras_backslash_member", with_member("assets\\..\\x"), "backslash"),
    ("keras_symlink_member", symlink_member, "symbolic link"),
    ("keras_duplicate_member", duplicate_config, "two members named 'config.json'"),
    ("keras_zip_bomb", zip_bomb, "zip bomb"),
    ("keras_size_lies", lying_size, "config.json.*Bad CRC-32"),
    (
        "keras_external_link_in_weights",
        lambda: keras_archive(weights_h5=keras3_weights_h5(external_link)),
        "model.weights.h5.*external link",
    ),
    (
        "keras_virtual_in_weights",
        lambda: keras_archive(weights_h5=keras3_weights_h5(virtual_dataset)),
        "virtual dataset",
    ),
    ("keras_pickle_metadata", lambda: keras_archive(metadata=PICKLE), "metadata.json is not UTF-8"),
    (
        "keras_compile_loss_module",
        archive_config(
            lambda c: c.update(compile_config={"loss": {"class_name": "system", "module": "os"}})
        ),
        "comes from module 'os'",
    ),
]


def test_keras_cases_are_distinct():
    ids = [c[0] for c in H5_MODEL_CASES + H5_WEIGHTS_CASES + ARCHIVE_CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("make", "match"), [c[1:] for c in ARCHIVE_CASES], ids=[c[0] for c in ARCHIVE_CASES]
)
def test_hostile_keras_archive_is_refused(tmp_path, make, match):
    path = write(tmp_path, "hostile.keras", make())
    assert_refused(
        lambda: lamina.models.load_model(path, compile=True), tmp_path, match, KerasFileError
    )


def test_valid_keras_files_load_armed(valid, tmp_path):
    from hostile_sandbox import run_armed

    for name, blob in (("ok.keras", valid.keras_archive), ("ok.h5", valid.keras_h5)):
        path = write(tmp_path, name, blob)
        model, error, _ = run_armed(lambda p=path: lamina.models.load_model(p), tmp_path)
        assert error is None, error
        w = keras_weights()
        x = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
        expected = np.maximum(x @ w["dense"][0] + w["dense"][1], 0) @ w["dense_1"][0]
        np.testing.assert_allclose(
            model.predict(x, verbose=0), expected + w["dense_1"][1], atol=1e-5
        )
