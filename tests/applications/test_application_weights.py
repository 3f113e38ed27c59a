"""Loading Keras's weight files: a file written by Keras 3 gives Keras's predictions, and
`weights="imagenet"` finds the published file or says where to put it."""

import hashlib
import pathlib
import re
import shutil

import numpy as np
import pytest

from lamina import applications
from lamina.applications import imagenet_utils, mobilenet_v2, vgg16
from lamina.saving.keras_import import KerasFileError

DATA = pathlib.Path(__file__).resolve().parent / "data"
H5 = DATA / "mobilenet_v2_0.35_32.h5"
KWARGS = {"alpha": 0.35, "input_shape": (32, 32, 3)}


@pytest.fixture
def reference():
    pytest.importorskip("h5py")
    return np.load(DATA / "mobilenet_v2_0.35_32.npz")


def test_keras_h5_file_gives_keras_predictions(reference):
    model = applications.MobileNetV2(weights=str(H5), classes=3, **KWARGS)
    x = mobilenet_v2.preprocess_input(reference["images"])
    np.testing.assert_allclose(model.predict(x, verbose=0), reference["top"], atol=1e-5)


def test_keras_h5_file_without_top(reference):
    model = applications.MobileNetV2(weights=None, include_top=False, pooling="avg", **KWARGS)
    model.load_weights(H5, by_name=True)
    x = mobilenet_v2.preprocess_input(reference["images"])
    np.testing.assert_allclose(
        model.predict(x, verbose=0), reference["notop_avg"], rtol=1e-4, atol=1e-4
    )


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No LAMINA_DATA, an empty cache, and origins that cannot be reached."""
    monkeypatch.delenv("LAMINA_DATA", raising=False)
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    return f"file://{tmp_path}/unreachable/"


def test_offline_imagenet_error_says_where_to_put_the_file(offline, monkeypatch):
    name = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    monkeypatch.setitem(vgg16._FILES, False, (name, offline + name, "0" * 32))
    with pytest.raises(FileNotFoundError) as info:
        applications.VGG16(include_top=False, input_shape=(32, 32, 3))
    message = str(info.value)
    cache = imagenet_utils.models_cache_dir()
    for part in (name, offline + name, "LAMINA_DATA is not set", f"{cache / name} (cache)"):
        assert part in message
    assert "set LAMINA_DATA to a folder holding models/" in message


def test_imagenet_file_found_in_lamina_data(tmp_path, monkeypatch, offline):
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path))
    name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    (tmp_path / "models").mkdir()
    shutil.copy(H5, tmp_path / "models" / name)
    # The file has a top, the model none: reaching the loader shows the file was found.
    with pytest.raises(KerasFileError, match=f"{name}.*holds weights for 105 layers"):
        applications.MobileNetV2(alpha=0.35, input_shape=(96, 96, 3), include_top=False)


def test_imagenet_file_with_wrong_hash_in_lamina_data(tmp_path, monkeypatch):
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.h5").write_bytes(b"not it")
    with pytest.raises(ValueError, match="is not Keras's a.h5"):
        imagenet_utils.get_keras_file("a.h5", "https://example.org/a.h5", "0" * 32)


def test_imagenet_file_found_in_cache(offline):
    cache = imagenet_utils.models_cache_dir()
    cache.mkdir(parents=True)
    (cache / "a.json").write_bytes(b"{}")
    md5 = hashlib.md5(b"{}").hexdigest()
    assert imagenet_utils.get_keras_file("a.json", offline + "a.json", md5) == str(cache / "a.json")


def test_decode_predictions(tmp_path, monkeypatch, offline):
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path))
    index = "{" + ", ".join(f'"{i}": ["n{i:08d}", "class_{i}"]' for i in range(1000)) + "}"
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "imagenet_class_index.json").write_text(index)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH", hashlib.md5(index.encode()).hexdigest())
    preds = np.zeros((2, 1000), dtype="float32")
    preds[0, [7, 3, 999]] = [0.5, 0.3, 0.2]
    preds[1, 42] = 1.0
    decoded = vgg16.decode_predictions(preds, top=3)
    assert decoded[0] == [
        ("n00000007", "class_7", 0.5),
        ("n00000003", "class_3", pytest.approx(0.3)),
        ("n00000999", "class_999", pytest.approx(0.2)),
    ]
    assert decoded[1][0] == ("n00000042", "class_42", 1.0)


def test_decode_predictions_offline_and_bad_shape(offline, monkeypatch):
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_URL", offline + "imagenet_class_index.json")
    with pytest.raises(FileNotFoundError, match="imagenet_class_index.json"):
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))
    with pytest.raises(ValueError, match=re.escape("Received: preds.shape=(1, 10)")):
        imagenet_utils.decode_predictions(np.zeros((1, 10)))


@pytest.mark.parametrize(
    ("builder", "kwargs", "url"),
    [
        (
            applications.VGG16,
            {"input_shape": (32, 32, 3)},
            "keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ),
        (
            applications.VGG19,
            {"input_shape": (32, 32, 3)},
            "keras-applications/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ),
        (
            applications.ResNet50,
            {"input_shape": (32, 32, 3)},
            "keras-applications/resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ),
        (
            applications.MobileNetV2,
            {"input_shape": (96, 96, 3), "alpha": 0.35},
            "keras-applications/mobilenet_v2/"
            "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5",
        ),
        (
            applications.Xception,
            {"input_shape": (71, 71, 3)},
            "keras-applications/xception/xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ),
        (
            applications.InceptionV3,
            {"input_shape": (75, 75, 3)},
            "keras-applications/inception_v3/"
            "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ),
    ],
)
def test_each_architecture_asks_for_keras_file(builder, kwargs, url, offline, monkeypatch):
    def no_network(fname, origin, **kwargs):
        raise OSError(f"Could not download {origin}: no network.")

    monkeypatch.setattr(imagenet_utils, "get_file", no_network)
    with pytest.raises(FileNotFoundError) as info:
        builder(include_top=False, **kwargs)
    message = str(info.value)
    assert "https://storage.googleapis.com/tensorflow/" + url in message
    assert f"Could not find Keras's weight file {url.rsplit('/', 1)[1]}" in message
