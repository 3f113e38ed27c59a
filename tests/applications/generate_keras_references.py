"""Writes the Keras reference files the applications tests compare lamina against.

Not run by the tests: run it where Keras 3 is installed, from the repository root:

    KERAS_BACKEND=torch python tests/applications/generate_keras_references.py

It writes, under `tests/applications/data/`:
- `<config>.json` for each architecture: Keras's layer names, classes, output shapes and
  parameter counts (the weight files of VGG and ResNet are tens of MB, so only their
  structure is kept);
- `mobilenet_v2_0.35_32.h5`: a MobileNetV2 (alpha 0.35, 32x32 input, 3 classes) with random
  weights, every batch-normalization statistic included, in the HDF5 layout of Keras's
  published ImageNet files (`layer_names`, one group per layer);
- `mobilenet_v2_0.35_32.npz`: two random uint8 images and Keras's predictions for them
  after `mobilenet_v2.preprocess_input`, with the top and without it (average pooling);
- `seeded_predictions.npz`: Keras's outputs for every architecture at a small input size,
  with the top (5 classes, logits) and without it (average pooling), filled with
  `seeded_weights` (no weight file needed).

Layer names are generated after `keras.backend.clear_session()`, so that automatic names
carry no counter suffix.
"""

import json
import pathlib
import sys

import h5py
import keras
import numpy as np
from keras.src.legacy.saving import legacy_h5_format

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE / "data"
sys.path.insert(0, str(HERE))
from seeded_weights import seeded_images, seeded_weights  # noqa: E402

# name -> (builder, keyword arguments) for `seeded_predictions.npz`.
SEEDED = {
    "vgg16": (keras.applications.VGG16, {"input_shape": (32, 32, 3)}),
    "vgg19": (keras.applications.VGG19, {"input_shape": (32, 32, 3)}),
    "resnet50": (keras.applications.ResNet50, {"input_shape": (32, 32, 3)}),
    "mobilenet_v2": (keras.applications.MobileNetV2, {"input_shape": (32, 32, 3)}),
    "xception": (keras.applications.Xception, {"input_shape": (71, 71, 3)}),
    "inception_v3": (keras.applications.InceptionV3, {"input_shape": (75, 75, 3)}),
}

# name -> (builder, keyword arguments)
CONFIGS = {
    "vgg16": (keras.applications.VGG16, {"weights": None}),
    "vgg16_notop": (keras.applications.VGG16, {"weights": None, "include_top": False}),
    "vgg19": (keras.applications.VGG19, {"weights": None}),
    "resnet50": (keras.applications.ResNet50, {"weights": None}),
    "resnet50_notop_avg": (
        keras.applications.ResNet50,
        {"weights": None, "include_top": False, "pooling": "avg", "input_shape": (64, 64, 3)},
    ),
    "mobilenet_v2": (keras.applications.MobileNetV2, {"weights": None}),
    "xception": (keras.applications.Xception, {"weights": None}),
    "xception_notop": (
        keras.applications.Xception,
        {"weights": None, "include_top": False, "input_shape": (71, 71, 3)},
    ),
    "inception_v3": (keras.applications.InceptionV3, {"weights": None}),
    "inception_v3_notop_max": (
        keras.applications.InceptionV3,
        {"weights": None, "include_top": False, "pooling": "max", "input_shape": (75, 75, 3)},
    ),
    "mobilenet_v2_0.35_32": (
        keras.applications.MobileNetV2,
        {"weights": None, "alpha": 0.35, "input_shape": (32, 32, 3), "classes": 3},
    ),
}


def structure(model: keras.Model) -> dict:
    layers = []
    for layer in model.layers:
        shape = layer.output.shape
        layers.append(
            {
                "name": layer.name,
                "class_name": type(layer).__name__,
                "output_shape": list(shape),
                "params": int(layer.count_params()),
            }
        )
    return {
        "name": model.name,
        "params": int(model.count_params()),
        "trainable_params": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
        "layers": layers,
    }


def to_json(summary: dict) -> str:
    """JSON with one line per layer."""
    layers = ",\n  ".join(json.dumps(layer) for layer in summary["layers"])
    head = json.dumps({k: v for k, v in summary.items() if k != "layers"})[:-1]
    return f'{head}, "layers": [\n  {layers}\n]}}\n'


def randomize(model: keras.Model, rng: np.random.Generator) -> None:
    """Random values for every weight, statistics included, so that each one matters. The
    kernels have He's scale, so that the outputs still depend on the images."""
    for layer in model.layers:
        for weight in layer.weights:
            name = weight.path.split("/")[-1]
            shape = tuple(weight.shape)
            if name in ("gamma", "moving_variance"):
                value = rng.uniform(0.5, 1.5, shape)
            elif name in ("beta", "moving_mean", "bias"):
                value = rng.normal(0.0, 0.1, shape)
            else:
                depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
                fan_in = np.prod(shape[:2] if depthwise else shape[:-1])
                value = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
            weight.assign(value.astype("float32"))


def main() -> None:
    DATA.mkdir(exist_ok=True)
    for name, (builder, kwargs) in CONFIGS.items():
        keras.backend.clear_session()
        model = builder(**kwargs)
        (DATA / f"{name}.json").write_text(to_json(structure(model)))
        print(name, model.count_params())

    rng = np.random.default_rng(16)
    kwargs = {"weights": None, "alpha": 0.35, "input_shape": (32, 32, 3)}
    keras.backend.clear_session()
    top = keras.applications.MobileNetV2(classes=3, **kwargs)
    randomize(top, rng)
    with h5py.File(DATA / "mobilenet_v2_0.35_32.h5", "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, top)
    notop = keras.applications.MobileNetV2(include_top=False, pooling="avg", **kwargs)
    for layer in (layer for layer in notop.layers if layer.weights):
        layer.set_weights(top.get_layer(layer.name).get_weights())
    images = rng.integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    x = keras.applications.mobilenet_v2.preprocess_input(images.astype("float32"))
    np.savez_compressed(
        DATA / "mobilenet_v2_0.35_32.npz",
        images=images,
        top=np.asarray(top.predict(x, verbose=0)),
        notop_avg=np.asarray(notop.predict(x, verbose=0)),
    )

    outputs = {}
    for name, (builder, kwargs) in SEEDED.items():
        images = seeded_images(kwargs["input_shape"][0])
        for top in (True, False):
            model = builder(
                weights=None,
                include_top=top,
                pooling=None if top else "avg",
                classes=5,
                classifier_activation=None,
                **kwargs,
            )
            for layer, values in zip(model.layers, seeded_weights(model.layers), strict=True):
                layer.set_weights(values)
            key = f"{name}_{'top' if top else 'notop'}"
            outputs[key] = np.asarray(model.predict(images, verbose=0))
            print(key, outputs[key].shape, float(np.abs(outputs[key]).max()))
    np.savez_compressed(DATA / "seeded_predictions.npz", **outputs)


if __name__ == "__main__":
    main()
