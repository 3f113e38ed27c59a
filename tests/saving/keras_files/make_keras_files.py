"""Write the Keras files that `tests/saving/test_real_keras_files.py` loads into lamina.

Needs Keras 3 with the torch backend, installed outside lamina's environment; the tests never
run this script (nor import Keras), they read the files it wrote, which are committed:

    python3 -m venv /tmp/kerasenv
    /tmp/kerasenv/bin/pip install torch==2.13.0 keras h5py
    KERAS_BACKEND=torch /tmp/kerasenv/bin/python tests/saving/keras_files/make_keras_files.py

For each model named on the command line (by default each model of `keras_models.MODELS`
but those needing layers lamina lacks, listed in `keras_models.NEEDS`) it writes, beside this
script, `<name>.keras`, `<name>.weights.h5`, `<name>.h5` (Keras 3's legacy HDF5 format) and
`<name>.npz`: a fixed batch per model input (`x0`, `x1`, ...; ending in zero padding for the
models of `keras_models.PADDED`), Keras's `model.predict` of it
(`y0`, `y1`, ... per output), the parameter counts (`params`: all, trainable) and, as JSON
text, each layer's class name and output shape(s) in Keras's order (`layers`). Every weight is
set from a seeded generator (the BatchNormalization moving statistics included), so biases
and statistics are not trivial; the models of `keras_models.COMPILE` are then compiled and
trained two epochs, and their targets and `model.evaluate` results are saved too (`targets`,
`evaluate`).
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


def sample_inputs(model, seed: int, vocabulary: int | None, padded: bool) -> list[np.ndarray]:
    """A batch of 3 for each input: token ids below `vocabulary` for the int inputs, else
    normal floats; when `padded`, the i-th sample's last 2 * i steps are zeros."""
    rng = np.random.default_rng(1000 + seed)
    xs = []
    for tensor in model.inputs:
        shape = (3, *tensor.shape[1:])
        if vocabulary is not None and "int" in str(tensor.dtype):
            x = rng.integers(0, vocabulary, shape).astype("int32")
        else:
            x = rng.normal(0.0, 1.0, shape).astype("float32")
        if padded:
            for i in range(1, len(x)):
                x[i, -2 * i :] = 0
        xs.append(x)
    return xs


def output_shape(output) -> list:
    """A layer output's shape, or a list of them for a layer with several outputs."""
    if isinstance(output, list | tuple):
        return [list(t.shape) for t in output]
    return list(output.shape)


def main(names: list[str]) -> None:
    if os.environ.get("KERAS_BACKEND") != "torch":
        sys.exit("Run with KERAS_BACKEND=torch.")
    import keras
    from keras_models import COMPILE, INT_INPUTS, MODELS, NEEDS, PADDED

    unknown = sorted(set(names) - set(MODELS))
    if unknown:
        sys.exit(f"Unknown models {unknown}; choose among {list(MODELS)}.")
    # The models needing layers lamina lacks are written only when named.
    names = names or [name for name in MODELS if name not in NEEDS]
    for seed, (name, build) in enumerate(MODELS.items()):
        if name not in names:
            continue
        keras.utils.set_random_seed(seed)
        model = build(keras)
        randomize(model, seed)
        xs = sample_inputs(model, seed, INT_INPUTS.get(name), name in PADDED)
        inputs = xs if len(xs) > 1 else xs[0]
        extra = {}
        if name in COMPILE:
            model.compile(**COMPILE[name])
            units = model.outputs[0].shape[-1]
            targets = np.eye(units, dtype="float32")[np.arange(len(xs[0])) % units]
            model.fit(inputs, targets, batch_size=2, epochs=2, verbose=0)  # moves the statistics
            scores = model.evaluate(inputs, targets, verbose=0)
            extra = {"targets": targets, "evaluate": np.array(scores)}
        ys = model.predict(inputs, verbose=0)
        ys = [np.asarray(y) for y in (ys if isinstance(ys, list) else [ys])]
        layers = [
            {"class_name": type(layer).__name__, "output_shape": output_shape(layer.output)}
            for layer in model.layers
        ]
        base = os.path.join(HERE, name)
        model.save(base + ".keras")
        model.save_weights(base + ".weights.h5")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras warns that .h5 is a legacy format
            model.save(base + ".h5")
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        np.savez_compressed(
            base + ".npz",
            **{f"x{i}": x for i, x in enumerate(xs)},
            **{f"y{i}": y for i, y in enumerate(ys)},
            params=np.array([model.count_params(), trainable]),
            layers=np.array(json.dumps(layers)),
            keras_version=np.array(keras.__version__),
            **extra,
        )
        print(f"{name}: {model.count_params()} parameters, outputs {[y.shape for y in ys]}")


if __name__ == "__main__":
    main(sys.argv[1:])
