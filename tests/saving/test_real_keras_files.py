"""Files written by a real Keras 3 load into lamina and predict what Keras predicted.

`keras_files/make_keras_files.py` (Keras 3.15.1, torch 2.13.0 CPU backend; not run here) built
the models of `keras_files/keras_models.py`, set every weight from a seeded generator and wrote
each as `.keras`, `.weights.h5` and legacy `.h5`, with Keras's `predict` on a fixed input,
the parameter counts and each layer's output shape in `<name>.npz`. The tests only read those
files: `.keras` and `.h5` through `load_model`, `.weights.h5` into a twin lamina builds from
the same `keras_models` code.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from keras_files.keras_models import COMPILE, MODELS, NEEDS, PADDED

import lamina
from lamina.saving.keras_import import KerasFileError
from lamina.saving.keras_import.config_translation import layer_from_record
from lamina.saving.keras_import.config_values import Ctx
from lamina.saving.keras_layout import keras_layer_order

pytest.importorskip("h5py")

FILES = Path(__file__).parent / "keras_files"
KINDS = (".keras", ".h5", ".weights.h5")


def _case(name: str) -> object:
    missing = [c for c in NEEDS.get(name, ()) if not hasattr(lamina.layers, c)]
    reason = f"lamina has no {', '.join(missing)} yet"
    return pytest.param(name, marks=pytest.mark.skipif(bool(missing), reason=reason))


CASES = [_case(name) for name in MODELS]


def _path(name: str, suffix: str) -> Path:
    path = FILES / f"{name}{suffix}"
    if not path.exists():
        pytest.fail(
            f"{path} is missing: write it with Keras 3 (see its docstring), "
            f"`KERAS_BACKEND=torch python keras_files/make_keras_files.py {name}`."
        )
    return path


def _load(name: str, kind: str, compile: bool = False) -> lamina.Model:
    path = _path(name, kind)
    if kind == ".weights.h5":
        model = MODELS[name](lamina)
        model.load_weights(path)
        return model
    return lamina.models.load_model(path, compile=compile)


def _reference(name: str) -> tuple[list[np.ndarray], dict]:
    """The model's inputs and what Keras recorded for them."""
    with np.load(_path(name, ".npz")) as data:
        ref = {key: data[key] for key in data.files}
    xs = [ref.pop(f"x{i}") for i in range(sum(key.startswith("x") for key in ref))]
    ref["y"] = [ref.pop(f"y{i}") for i in range(sum(key.startswith("y") for key in ref))]
    return xs, ref


def _predict(model: lamina.Model, xs: list[np.ndarray]) -> list[np.ndarray]:
    ys = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    return [np.asarray(y) for y in (ys if isinstance(ys, list) else [ys])]


def _output_shape(output: object) -> list:
    if isinstance(output, list | tuple):
        return [list(t.shape) for t in output]
    return list(output.shape)


def _inputs_last(layers: list[dict]) -> list[dict]:
    return sorted(layers, key=lambda layer: layer["class_name"] == "InputLayer")


def _close(got: np.ndarray, expected: np.ndarray) -> None:
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-6 * scale)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", CASES)
def test_predictions_equal_keras(name, kind):
    xs, ref = _reference(name)
    ys = _predict(_load(name, kind), xs)
    assert len(ys) == len(ref["y"])
    for y, expected in zip(ys, ref["y"], strict=True):
        assert y.dtype == np.float32 and y.shape == expected.shape
        _close(y, expected)


@pytest.mark.parametrize("kind", [".keras", ".h5"])
@pytest.mark.parametrize("name", list(COMPILE))
def test_compiled_models_evaluate_as_keras(name, kind):
    xs, ref = _reference(name)
    model = _load(name, kind, compile=True)
    assert type(model.optimizer).__name__.lower() == COMPILE[name]["optimizer"]
    got = model.evaluate(xs if len(xs) > 1 else xs[0], ref["targets"], verbose=0)
    _close(np.array(got), ref["evaluate"])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", CASES)
def test_parameter_counts_and_layer_shapes_equal_keras(name, kind):
    _, ref = _reference(name)
    model = _load(name, kind)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert [model.count_params(), trainable] == ref["params"].tolist()
    expected = json.loads(str(ref["layers"]))
    got = [
        {"class_name": type(layer).__name__, "output_shape": _output_shape(layer.output)}
        for layer in keras_layer_order(model)
    ]
    if kind == ".weights.h5" and name in PADDED:
        # Keras records the masks of padded inputs as op nodes, which deepen the inputs they
        # start from; lamina's own twin carries its masks on the tensors, so only its
        # (weightless) InputLayers may sit elsewhere in the order.
        got, expected = _inputs_last(got), _inputs_last(expected)
    assert got == expected


@pytest.mark.parametrize(
    ("class_name", "base", "key", "changes_results", "neutral"),
    [
        ("BatchNormalization", {}, "renorm", True, False),
        ("Embedding", {"input_dim": 5, "output_dim": 2}, "quantization_config", {}, None),
    ],
)
def test_settings_keras_writes_are_ignored_only_at_their_neutral_values(
    class_name, base, key, changes_results, neutral
):
    ctx = Ctx("config.json", None)

    def record(value):
        return {"module": "keras.layers", "class_name": class_name, "config": {**base, key: value}}

    with pytest.raises(KerasFileError, match=f"has no setting \\['{key}'\\]"):
        layer_from_record(record(changes_results), ctx)
    layer, _ = layer_from_record(record(neutral), ctx)
    assert type(layer).__name__ == class_name
