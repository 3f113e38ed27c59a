"""examples/pretrained_convnet_cats_vs_dogs.py (book 5.3) runs its three parts: offline, as a
smoke test on random weights that says so."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lamina.applications import imagenet_utils

EXAMPLE = Path(__file__).parents[2] / "examples" / "pretrained_convnet_cats_vs_dogs.py"


def load_example():
    spec = importlib.util.spec_from_file_location("pretrained_convnet_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tiny_dataset(tmp_path):
    """`train/` and `validation/` with 24 and 20 random 40x40 JPEGs of cats and dogs."""
    rng = np.random.default_rng(0)
    for split, count in (("train", 12), ("validation", 10)):
        for label in ("cats", "dogs"):
            folder = tmp_path / "data" / split / label
            folder.mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{label}.{i}.jpg")
    return tmp_path / "data"


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No weight file in LAMINA_DATA or the cache, and no network."""
    monkeypatch.setenv("LAMINA_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))

    def no_network(fname, origin, **kwargs):
        raise OSError(f"Could not download {origin}: no network")

    monkeypatch.setattr(imagenet_utils, "get_file", no_network)


def test_without_imagenet_weights_it_runs_a_smoke_test_and_says_so(tiny_dataset, offline, capsys):
    result = load_example().main(base_dir=tiny_dataset, image_size=32, verbose=0)
    out = capsys.readouterr().out
    assert "not available offline" in out and "SMOKE TEST" in out
    assert "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5" in out  # the file to provide
    assert not result["pretrained"]
    assert set(result["val_acc"]) == {"extract", "augment", "finetune"}
    assert all(0 <= acc <= 1 for acc in result["val_acc"].values())
    last = out.strip().splitlines()[-1]
    assert last.startswith("val_acc (SMOKE TEST, random weights: meaningless): extract ")

    model = result["models"]["finetune"]
    conv_base = model.layers[0]
    trainable = {layer.name for layer in conv_base.layers if layer.trainable_weights}
    assert trainable == {"block5_conv1", "block5_conv2", "block5_conv3"}
    assert len(model.trainable_weights) == 3 * 2 + 2 * 2  # block 5 and the classifier


def test_parts_are_checked(tiny_dataset, offline):
    with pytest.raises(ValueError, match=r"Received: parts=\['extract', 'finetuning'\]"):
        load_example().main(parts=["extract", "finetuning"], base_dir=tiny_dataset)
