"""The book's chapter 8 programs (examples/generative/) on tiny inputs with an untrained convnet:
DeepDream raises its loss at every octave, style transfer lowers its loss."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from lamina.utils import save_img, set_random_seed

pytest.importorskip("scipy")

FOLDER = Path(__file__).parents[2] / "examples" / "generative"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", FOLDER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def feature_net():
    set_random_seed(0)
    return load("feature_net")


def test_deep_dream_raises_the_loss_at_every_octave(feature_net, capsys):
    deep_dream = load("deep_dream")
    model = feature_net.build_convnet(include_top=False)
    fetch = deep_dream.loss_and_gradients(model, deep_dream.CONVNET_CONTRIBUTIONS)
    img = np.random.default_rng(0).uniform(-1, 1, size=(1, 32, 32, 3)).astype("float32")
    dreamed, octaves = deep_dream.dream(fetch, img.copy(), num_octave=2, iterations=3)
    assert [shape for shape, _ in octaves] == [(22, 22), (32, 32)]
    for _, losses in octaves:
        assert len(losses) == 3 and losses[-1] > losses[0]
    assert dreamed.shape == img.shape and not np.allclose(dreamed, img)
    assert capsys.readouterr().out.count("octave (") == 2
    assert deep_dream.deprocess_image(dreamed.copy()).dtype == np.uint8


def test_resize_with_pillow_matches_the_shape_of_scipy(feature_net, monkeypatch):
    img = np.random.default_rng(0).uniform(size=(1, 10, 12, 3)).astype("float32")
    scipy_result = feature_net.resize(img, (7, 9))
    monkeypatch.setitem(sys.modules, "scipy.ndimage", None)
    pillow_result = feature_net.resize(img, (7, 9))
    assert scipy_result.shape == pillow_result.shape == (1, 7, 9, 3)
    np.testing.assert_allclose(pillow_result.mean(), img.mean(), atol=0.05)


def test_style_transfer_lowers_the_loss(feature_net, tmp_path, monkeypatch):
    nst = load("neural_style_transfer")
    rng = np.random.default_rng(0)
    paths = []
    for name in ("content.png", "style.png"):
        save_img(tmp_path / name, rng.uniform(0, 255, size=(40, 32, 3)), scale=False)
        paths.append(str(tmp_path / name))

    def tiny_network(out_dir, epochs=3, limit=None):
        def build(input_tensor):
            return feature_net.build_convnet(input_tensor=input_tensor, include_top=False)

        return (build, *nst.CONVNET_SETTINGS, lambda x: x / 127.5 - 1, nst.convnet_deprocess_image)

    monkeypatch.setattr(nst, "load_network", tiny_network)
    losses, img = nst.transfer(*paths, tmp_path, img_height=20, iterations=1, maxfun=5)
    assert len(losses) == 2 and losses[1] < losses[0] / 2
    assert img.shape == (20, 16, 3) and img.dtype == np.uint8
    evaluator = nst.Evaluator(lambda x: [np.float32(1.0), np.ones((1, 2))], (1, 2))
    with pytest.raises(RuntimeError, match="before Evaluator.loss"):
        evaluator.grads(np.zeros(2))
