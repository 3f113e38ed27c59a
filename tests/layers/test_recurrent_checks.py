"""The recurrent layers' remaining Keras behaviours (issue 13): stateful resets, unroll,
initial states, user cells under a mask, and the errors for bad input."""

import numpy as np
import pytest

import lamina
from lamina import layers, ops


def _x(batch=2, steps=4, features=3, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, steps, features)).astype("float32")


@pytest.mark.parametrize("reset", ["reset_state", "reset_states"])
def test_stateful_layers_start_over_after_either_reset(reset):
    x = _x()
    layer = layers.LSTM(2, stateful=True)
    first = layer(x).numpy()
    assert not np.allclose(layer(x).numpy(), first)
    getattr(layer, reset)()
    np.testing.assert_allclose(layer(x).numpy(), first, rtol=1e-6)


def test_stateful_continues_a_sequence_cut_in_two():
    x = _x(steps=6)
    whole = layers.GRU(3, return_sequences=True)
    stateful = layers.GRU(3, return_sequences=True, stateful=True, name="gru_state")
    stateful.build((2, 6, 3))
    whole.build((2, 6, 3))
    stateful.set_weights(whole.get_weights())
    halves = np.concatenate([stateful(x[:, :3]).numpy(), stateful(x[:, 3:]).numpy()], 1)
    np.testing.assert_allclose(halves, whole(x).numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(
        ValueError, match="'gru_state' is stateful and carries states for batches of 2"
    ):
        stateful(_x(batch=3))


def test_unroll_is_accepted_and_changes_nothing():
    x = _x()
    rolled = layers.SimpleRNN(3, return_sequences=True)
    unrolled = layers.SimpleRNN(3, return_sequences=True, unroll=True)
    rolled.build(x.shape), unrolled.build(x.shape)
    unrolled.set_weights(rolled.get_weights())
    assert unrolled.get_config()["unroll"] is True
    np.testing.assert_array_equal(unrolled(x).numpy(), rolled(x).numpy())


def test_initial_state_starts_the_sequence_there():
    x = _x(steps=5)
    layer = layers.LSTM(2, return_state=True, name="lstm_init")
    _, h, c = layer(x[:, :2])
    continued, *_ = layer(x[:, 2:], initial_state=[h, c])
    whole, *_ = layer(x)
    np.testing.assert_allclose(continued.numpy(), whole.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"'lstm_init': initial_state must be 2 tensor\(s\)"):
        layer(x, initial_state=[h])
    with pytest.raises(ValueError, match=r"shapes \[\(2, 2\), \(2, 2\)\].*Received: shapes"):
        layer(x, initial_state=[h[:1], c[:1]])


def test_initial_state_in_an_encoder_decoder_model():
    # The sequence-to-sequence pattern of Keras's examples: the decoder starts from the
    # encoder's final states.
    enc_in, dec_in = lamina.Input((None, 3)), lamina.Input((None, 3))
    _, h, c = layers.LSTM(4, return_state=True)(enc_in)
    decoder = layers.LSTM(4, return_sequences=True)
    model = lamina.Model([enc_in, dec_in], decoder(dec_in, initial_state=[h, c]))
    a, b = _x(seed=1), _x(steps=2, seed=2)
    out = model([a, b]).numpy()
    assert out.shape == (2, 2, 4)
    states = lamina.Model(enc_in, [h, c])(a)
    np.testing.assert_allclose(out, decoder(b, initial_state=states).numpy(), rtol=1e-6)


class _UserCell(layers.Layer):
    """A cell written by a user, Keras's contract: `state_size`, `call(inputs, states)`."""

    state_size = 2

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(2, 2), name="recurrent_kernel")

    def call(self, inputs, states):
        h = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel))
        return h, [h]


@pytest.mark.parametrize("go_backwards", [False, True])
def test_a_user_cell_under_a_mask_equals_the_unpadded_run(go_backwards):
    x = np.abs(_x(batch=1, steps=3)) + 0.5
    padded = np.concatenate([x, np.zeros((1, 2, 3), "float32")], 1)
    rnn = layers.RNN(_UserCell(), go_backwards=go_backwards)
    masked = lamina.Sequential([lamina.Input((None, 3)), layers.Masking(), rnn])
    np.testing.assert_allclose(masked(padded).numpy(), rnn(x).numpy(), rtol=1e-6)


def test_bad_inputs_name_the_layer_and_say_what_to_do():
    with pytest.raises(IndexError, match=r"Embedding 'words'.*Received: ids\[1, 0\]=9"):
        layers.Embedding(5, 2, name="words")(np.array([[1, 2], [9, 0]]))
    with pytest.raises(TypeError, match=r"Embedding 'words_2'.*whole numbers.*ids\[1\]=1\.5"):
        layers.Embedding(5, 2, name="words_2")(np.array([1.0, 1.5]))
    np.testing.assert_array_equal(
        layers.Embedding(5, 2)(np.array([[1.0, 4.0]])).shape, (1, 2, 2)
    )  # whole floats are ids, as Keras casts them
    built = layers.GRU(2, name="gru_2d")
    built(_x())
    with pytest.raises(ValueError, match=r"'gru_2d' expects inputs \(batch, timesteps, features"):
        built(np.zeros((2, 3), "float32"))
