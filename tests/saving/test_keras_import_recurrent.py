"""Keras 3 `.keras` files of Embedding, Masking and the recurrent layers, written by hand in
Keras's layout, load into lamina and compute what a NumPy transcription of Keras's equations
computes (gate order i, f, c, o for LSTM and z, r, h for GRU)."""

import io
import json
import zipfile

import h5py
import numpy as np
import pytest

from lamina.saving.keras_import import load_keras_archive

POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}
UNITS, FEATURES, STEPS, VOCAB = 3, 4, 5, 9


def _init(name, **config):
    return {
        "module": "keras.initializers",
        "class_name": name,
        "config": config,
        "registered_name": None,
    }


def _layer(class_name, **config):
    config = {"name": class_name.lower(), "trainable": True, "dtype": POLICY, **config}
    return {
        "module": "keras.layers",
        "class_name": class_name,
        "config": config,
        "registered_name": None,
    }


def _rnn(class_name, return_sequences, **config):
    """A recurrent layer's config as Keras 3 writes it."""
    base = {
        "return_sequences": return_sequences,
        "return_state": False,
        "go_backwards": False,
        "stateful": False,
        "unroll": False,
        "zero_output_for_mask": False,
        "units": UNITS,
        "activation": "tanh",
        "use_bias": True,
        "kernel_initializer": _init("GlorotUniform", seed=None),
        "recurrent_initializer": _init("Orthogonal", gain=1.0, seed=None),
        "bias_initializer": _init("Zeros"),
        "kernel_regularizer": None,
        "recurrent_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "recurrent_constraint": None,
        "bias_constraint": None,
        "dropout": 0.0,
        "recurrent_dropout": 0.0,
        "seed": None,
    }
    if class_name != "SimpleRNN":
        base["recurrent_activation"] = "sigmoid"
    if class_name == "LSTM":
        base["unit_forget_bias"] = True
    return _layer(class_name, **base, **config)


def _archive(path, layers, weights):
    """A `.keras` zip: a Sequential of `layers`, `weights` {group path: [arrays]}."""
    config = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "sequential", "trainable": True, "dtype": POLICY, "layers": layers},
        "registered_name": None,
    }
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_group("vars")
        for key, values in weights.items():
            group = f.create_group(f"layers/{key}/vars")
            for i, v in enumerate(values):
                group.create_dataset(str(i), data=np.asarray(v, "float32"))
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "x"}))
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", buffer.getvalue())
    return load_keras_archive(path)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _step(kind, x, states, w):
    """One step of Keras's cell `kind` on inputs x (batch, features)."""
    kernel, recurrent, bias = w
    if kind == "SimpleRNN":
        h = np.tanh(x @ kernel + states[0] @ recurrent + bias)
        return h, [h]
    if kind == "LSTM":
        h, c = states
        i, f, g, o = np.split(x @ kernel + h @ recurrent + bias, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        return h, [h, c]
    (h,) = states
    kz, kr, kh = np.split(kernel, 3, axis=-1)
    uz, ur, uh = np.split(recurrent, 3, axis=-1)
    if bias.ndim == 2:  # reset_after: input and recurrent biases, reset after the product
        bz, br, bh = np.split(bias[0], 3)
        rz, rr, rh = np.split(bias[1], 3)
        z = _sigmoid(x @ kz + bz + h @ uz + rz)
        r = _sigmoid(x @ kr + br + h @ ur + rr)
        candidate = np.tanh(x @ kh + bh + r * (h @ uh + rh))
    else:
        bz, br, bh = np.split(bias, 3)
        z = _sigmoid(x @ kz + bz + h @ uz)
        r = _sigmoid(x @ kr + br + h @ ur)
        candidate = np.tanh(x @ kh + bh + (r * h) @ uh)
    h = z * h + (1 - z) * candidate
    return h, [h]


def _reference(kind, sequence, w):
    """Keras's outputs for one unpadded sample (time, features): every step's output."""
    states = [np.zeros((1, UNITS))] * (2 if kind == "LSTM" else 1)
    outputs = []
    for x in sequence:
        out, states = _step(kind, x[None], states, w)
        outputs.append(out[0])
    return np.stack(outputs)


CASES = {
    "SimpleRNN": ("SimpleRNN", 1, {}),
    "LSTM": ("LSTM", 4, {}),
    "GRU": ("GRU", 3, {"reset_after": True}),
    "GRU_reset_before": ("GRU", 3, {"reset_after": False}),
}
GROUPS = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}


def _weights(kind, gates, reset_after, rng):
    width = gates * UNITS
    bias_shape = (2, width) if reset_after else (width,)
    return [
        rng.normal(0, 0.5, (FEATURES, width)),
        rng.normal(0, 0.5, (UNITS, width)),
        rng.normal(0, 0.5, bias_shape),
    ]


@pytest.mark.parametrize("case", list(CASES))
def test_embedding_into_a_recurrent_layer_loads_and_equals_keras_equations(tmp_path, case):
    kind, gates, extra = CASES[case]
    rng = np.random.default_rng(len(case))
    table = rng.normal(0, 1, (VOCAB, FEATURES))
    w = _weights(kind, gates, extra.get("reset_after", False), rng)
    group = GROUPS[kind]
    layers = [
        _layer(
            "InputLayer",
            batch_shape=[None, STEPS],
            sparse=False,
            ragged=False,
            optional=False,
            dtype="int32",
        ),
        _layer(
            "Embedding",
            input_dim=VOCAB,
            output_dim=FEATURES,
            embeddings_initializer=_init("RandomUniform", minval=-0.05, maxval=0.05, seed=None),
            embeddings_regularizer=None,
            activity_regularizer=None,
            embeddings_constraint=None,
            mask_zero=True,
        ),
        _rnn(kind, False, name=group, **extra),
    ]
    model = _archive(tmp_path / "m.keras", layers, {"embedding": [table], f"{group}/cell": w})
    ids = rng.integers(1, VOCAB, (3, STEPS))
    lengths = [5, 2, 4]
    for i, n in enumerate(lengths):
        ids[i, n:] = 0
    got = model.predict(ids, verbose=0)
    for i, n in enumerate(lengths):
        want = _reference(kind, table[ids[i, :n]], w)[-1]
        np.testing.assert_allclose(got[i], want, rtol=1e-5, atol=1e-6, err_msg=f"sample {i}")


@pytest.mark.parametrize("case", list(CASES))
def test_masking_into_a_sequence_layer_loads_and_equals_keras_equations(tmp_path, case):
    kind, gates, extra = CASES[case]
    rng = np.random.default_rng(10 + len(case))
    w = _weights(kind, gates, extra.get("reset_after", False), rng)
    group = GROUPS[kind]
    layers = [
        _layer(
            "InputLayer",
            batch_shape=[None, STEPS, FEATURES],
            sparse=False,
            ragged=False,
            optional=False,
        ),
        _layer("Masking", mask_value=0.0),
        _rnn(kind, True, name=group, **extra),
    ]
    model = _archive(tmp_path / "m.keras", layers, {f"{group}/cell": w})
    x = rng.normal(0, 1, (2, STEPS, FEATURES)).astype("float32")
    x[1, :2] = 0.0  # pre-padding
    got = model.predict(x, verbose=0)
    np.testing.assert_allclose(got[0], _reference(kind, x[0], w), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1, 2:], _reference(kind, x[1, 2:], w), rtol=1e-5, atol=1e-6)


def _cell(class_name, **config):
    """A cell's config as Keras 3 writes it, inside an RNN or StackedRNNCells record."""
    record = _rnn(class_name.removesuffix("Cell"), False, **config)
    for key in ("return_sequences", "return_state", "go_backwards", "stateful", "unroll"):
        del record["config"][key]
    del record["config"]["zero_output_for_mask"], record["config"]["activity_regularizer"]
    return record | {"class_name": class_name}


def _generic_rnn(cell):
    config = {
        "return_sequences": True,
        "return_state": False,
        "go_backwards": False,
        "stateful": False,
        "unroll": False,
        "zero_output_for_mask": False,
        "cell": cell,
    }
    return _layer("RNN", **config)


def _sequence_input():
    return _layer(
        "InputLayer",
        batch_shape=[None, STEPS, FEATURES],
        sparse=False,
        ragged=False,
        optional=False,
    )


def test_rnn_of_a_keras_cell_loads_with_the_cells_weights(tmp_path):
    rng = np.random.default_rng(3)
    w = _weights("LSTM", 4, False, rng)
    layers = [_sequence_input(), _generic_rnn(_cell("LSTMCell", name="lstm_cell"))]
    model = _archive(tmp_path / "m.keras", layers, {"rnn/cell": w})
    x = rng.normal(0, 1, (2, STEPS, FEATURES)).astype("float32")
    got = model.predict(x, verbose=0)
    for i in range(2):
        np.testing.assert_allclose(got[i], _reference("LSTM", x[i], w), rtol=1e-5, atol=1e-6)


def test_rnn_of_stacked_cells_loads_each_cells_weights(tmp_path):
    rng = np.random.default_rng(4)
    gru = _weights("GRU", 3, True, rng)
    simple = [rng.normal(0, 0.5, (UNITS, UNITS)), rng.normal(0, 0.5, (UNITS, UNITS))]
    simple.append(rng.normal(0, 0.5, UNITS))
    stacked = _layer(
        "StackedRNNCells",
        cells=[
            _cell("GRUCell", name="gru_cell", reset_after=True),
            _cell("SimpleRNNCell", name="simple_rnn_cell"),
        ],
    )
    weights = {"rnn/cell/cells/gru_cell": gru, "rnn/cell/cells/simple_rnn_cell": simple}
    model = _archive(tmp_path / "m.keras", [_sequence_input(), _generic_rnn(stacked)], weights)
    x = rng.normal(0, 1, (2, STEPS, FEATURES)).astype("float32")
    got = model.predict(x, verbose=0)
    for i in range(2):
        want = _reference("SimpleRNN", _reference("GRU", x[i], gru), simple)
        np.testing.assert_allclose(got[i], want, rtol=1e-5, atol=1e-6)


def test_zero_output_for_mask_is_carried_into_the_layer(tmp_path):
    lstm = _rnn("LSTM", True)
    lstm["config"]["zero_output_for_mask"] = True
    model = _archive(
        tmp_path / "m.keras",
        [_sequence_input(), lstm],
        {"lstm/cell": _weights("LSTM", 4, False, np.random.default_rng(5))},
    )
    assert model.layers[-1].zero_output_for_mask is True
