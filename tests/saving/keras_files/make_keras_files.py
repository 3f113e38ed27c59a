"""Write the Keras files that `tests/saving/test_real_keras_files.py` loads into lamina.

Needs Keras 3 with the torch backend, installed outside lamina's environment; the tests never
run this script (nor import Keras), they read the files it wrote, which are committed:

    python3 -m venv /tmp/kerasenv
    /tmp/kerasenv/bin/pip install torch==2.13.0 keras h5py
    KERAS_BACKEND=torch /tmp/kerasenv/bin/python tests/saving/keras_files/make_keras_files.py

For each model of `keras_models.MODELS` it writes, beside this script, `<name>.keras`,
`<name>.weights.h5`, `<name>.h5` (Keras 3's legacy HDF5 format) and `<name>.npz` holding a
fixed input `x`, Keras's `model.predict(x)` as `y`, the parameter counts and, as JSON text,
each layer's class name and output shape. Every weight is set from a seeded generator (the
BatchNormalization moving statistics included), so biases and statistics are not trivial.
"""

import json
import os
import sys
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def randomize(model, seed: int) -> None:
    """Give every weight a seeded random value; variances stay positive."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        shape = tuple(w.shape)
        if "variance" in w.path:
            value = rng.uniform(0.5, 2.0, shape)
        else:
            value = rng.normal(0.0, 0.5, shape)
        w.assign(value.astype("float32"))


def sample_input(name: str, shape: tuple, seed: int, vocabulary: int | None) -> np.ndarray:
    rng = np.random.default_rng(1000 + seed)
    if vocabulary is not None:
        return rng.integers(0, vocabulary, (3, *shape)).astype("int32")
    return rng.normal(0.0, 1.0, (3, *shape)).astype("float32")


def main() -> None:
    if os.environ.get("KERAS_BACKEND") != "torch":
        sys.exit("Run with KERAS_BACKEND=torch.")
    import keras
    from keras_models import INT_INPUTS, MODELS

    for seed, (name, build) in enumerate(MODELS.items()):
        keras.utils.set_random_seed(seed)
        model = build(keras)
        randomize(model, seed)
        x = sample_input(name, tuple(model.inputs[0].shape[1:]), seed, INT_INPUTS.get(name))
        y = np.asarray(model.predict(x, verbose=0))
        layers = [
            {"class_name": type(layer).__name__, "output_shape": list(layer.output.shape)}
            for layer in model.layers
        ]
        base = os.path.join(HERE, name)
        model.save(base + ".keras")
        model.save_weights(base + ".weights.h5")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras warns that .h5 is a legacy format
            model.save(base + ".h5")
        np.savez_compressed(
            base + ".npz",
            x=x,
            y=y,
            params=np.array(
                [
                    model.count_params(),
                    sum(int(np.prod(w.shape)) for w in model.trainable_weights),
                ]
            ),
            layers=np.array(json.dumps(layers)),
            keras_version=np.array(keras.__version__),
        )
        print(f"{name}: {model.count_params()} parameters, output {y.shape}")


if __name__ == "__main__":
    main()
