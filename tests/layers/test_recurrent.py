"""SimpleRNN, LSTM and GRU: the layer contract, Keras's weight layouts and counts, masks."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.testing import run_layer_test

CASES = [
    (layers.SimpleRNN, {}, 3),
    (layers.LSTM, {}, 3),
    (layers.GRU, {}, 3),
    (layers.GRU, {"reset_after": False}, 3),
]


@pytest.mark.parametrize("cls, kwargs, n", CASES)
@pytest.mark.parametrize("sequences", [False, True])
def test_recurrent_layers_pass_the_layer_contract(cls, kwargs, n, sequences):
    shape = (2, 5, 3) if sequences else (2, 3)
    run_layer_test(
        cls,
        {"units": 3, "return_sequences": sequences, **kwargs},
        input_shape=(2, 5, 4),
        expected_output_shape=shape,
        expected_num_trainable_weights=n,
    )


@pytest.mark.parametrize(
    "layer, count",
    [
        (layers.LSTM(32), 8_320),
        (layers.GRU(32), 6_336),
        (layers.GRU(32, reset_after=False), 6_240),
        (layers.SimpleRNN(32), 2_080),
    ],
)
def test_parameter_counts_equal_keras(layer, count):
    layer.build((None, 10, 32))
    assert layer.count_params() == count


def test_lstm_starts_the_forget_bias_at_one():
    layer = layers.LSTM(2)
    layer.build((None, 3, 4))
    np.testing.assert_array_equal(layer.bias.numpy(), [0, 0, 1, 1, 0, 0, 0, 0])


def test_padded_steps_keep_the_state_from_a_masking_layer():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    padded = x.copy()
    padded[0, 2:] = 0.0
    inputs = lamina.Input(shape=(4, 3))
    lstm = layers.LSTM(5)
    model = lamina.Model(inputs, lstm(layers.Masking()(inputs)))
    got = model(padded).numpy()
    np.testing.assert_allclose(got[0], lstm(x[:1, :2]).numpy()[0], rtol=1e-5, atol=1e-6)


def test_return_state_and_go_backwards():
    x = np.random.default_rng(1).standard_normal((2, 4, 3)).astype("float32")
    layer = layers.LSTM(2, return_sequences=True, return_state=True, go_backwards=True)
    seq, h, c = layer(x)
    assert seq.shape == (2, 4, 2) and h.shape == c.shape == (2, 2)
    np.testing.assert_array_equal(seq.numpy()[:, -1], h.numpy())
    forward = layers.LSTM(2)
    forward.build((None, 4, 3))
    forward.set_weights(layer.get_weights())
    np.testing.assert_allclose(forward(x[:, ::-1]).numpy(), h.numpy(), rtol=1e-6)


def test_dropout_masks_are_fixed_over_time_and_off_in_inference():
    x = np.ones((2, 6, 3), "float32")
    layer = layers.SimpleRNN(3, dropout=0.5, recurrent_dropout=0.5, seed=0)
    a = layer(x, training=False).numpy()
    np.testing.assert_array_equal(a, layer(x).numpy())
    assert not np.allclose(layer(x, training=True).numpy(), a)


def test_stateful_layers_carry_the_state_until_reset():
    x = np.ones((1, 2, 3), "float32")
    layer = layers.GRU(2, stateful=True)
    first = layer(x).numpy()
    assert not np.allclose(layer(x).numpy(), first)
    layer.reset_states()
    np.testing.assert_allclose(layer(x).numpy(), first)


def test_an_activation_the_fused_op_lacks_is_refused():
    with pytest.raises(ValueError, match="activation must be one of.*Received: activation"):
        layers.LSTM(2, activation="selu")


def test_imdb_style_model_saves_and_loads(tmp_path):
    model = lamina.Sequential(
        [
            lamina.Input((7,), dtype="int64"),
            layers.Embedding(50, 4, mask_zero=True),
            layers.LSTM(3),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    x = np.random.default_rng(2).integers(0, 50, (4, 7))
    x[:, 5:] = 0
    model.compile("rmsprop", "binary_crossentropy")
    model.fit(x, np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = lamina.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    weights = tmp_path / "m.weights.h5"
    model.save_weights(weights)
    loaded.load_weights(weights)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_keras_import_table_knows_the_sequence_layers():
    from lamina.saving.keras_import.config_translation import LAYERS

    for name in ("Embedding", "Masking", "SimpleRNN", "LSTM", "GRU"):
        assert LAYERS[name].cls is getattr(layers, name)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_zero_output_for_mask_zeroes_the_masked_steps(go_backwards):
    x = np.random.default_rng(1).standard_normal((2, 4, 3)).astype("float32")
    mask = lamina.ops.convert_to_tensor(np.array([[True] * 4, [True, False, False, True]]))
    kwargs = {"return_sequences": True, "go_backwards": go_backwards}
    plain = layers.GRU(2, **kwargs)
    zeroed = layers.GRU(2, zero_output_for_mask=True, **kwargs)
    kept = plain(x, mask=mask).numpy()
    zeroed.build(x.shape)
    zeroed.set_weights(plain.get_weights())
    out = zeroed(x, mask=mask).numpy()
    steps = [1, 2]  # in processing order, which reverses both the steps and the mask
    np.testing.assert_array_equal(out[1, steps], 0.0)
    assert np.all(kept[1, steps] != 0.0)
    np.testing.assert_allclose(np.delete(out[1], steps, 0), np.delete(kept[1], steps, 0))
    np.testing.assert_allclose(out[0], kept[0])
