"""The generic RNN: Keras's cell contract, built-in cells, StackedRNNCells, weight layouts."""

import h5py
import numpy as np
import pytest

import lamina
from lamina import layers, ops


class MinimalRNNCell(layers.Layer):
    """The cell of Keras's guide "Working with RNNs"."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), name="recurrent_kernel"
        )

    def call(self, inputs, states):
        prev_output = states[0]
        h = ops.matmul(inputs, self.kernel)
        output = h + ops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((4, 5, 3)).astype("float32")


def test_a_user_cell_trains():
    x = _data()
    y = x.sum(axis=(1, 2))[:, None] * 0.1
    rnn = layers.RNN(MinimalRNNCell(4))
    model = lamina.Sequential([lamina.Input((5, 3)), rnn, layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    history = model.fit(x, y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not np.allclose(before[0], model.get_weights()[0])


def test_rnn_of_lstm_cell_equals_lstm_in_both_paths():
    x = _data()
    mask = np.ones((4, 5), bool)
    mask[0, 3:] = False
    reference = layers.LSTM(6, return_sequences=True)
    expected = reference(x, mask=mask).numpy()
    fused = layers.RNN(layers.LSTMCell(6), return_sequences=True)
    looped = layers.RNN(layers.StackedRNNCells([layers.LSTMCell(6)]), return_sequences=True)
    for layer in (fused, looped):
        layer.build((None, 5, 3))
        layer.set_weights(reference.get_weights())
        np.testing.assert_allclose(layer(x, mask=mask).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_stacked_cells_equal_two_layers():
    x = _data()
    first, second = layers.GRU(4, return_sequences=True), layers.GRU(2)
    expected = second(first(x)).numpy()
    stacked = layers.RNN([layers.GRUCell(4), layers.GRUCell(2)])
    stacked.build((None, 5, 3))
    stacked.set_weights(first.get_weights() + second.get_weights())
    np.testing.assert_allclose(stacked(x).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_weight_paths_and_h5_layout_as_keras(tmp_path):
    lstm = layers.LSTM(2, name="lstm")
    lstm.build((None, 5, 3))
    assert [w.path for w in lstm.weights] == [
        "lstm/lstm_cell/kernel",
        "lstm/lstm_cell/recurrent_kernel",
        "lstm/lstm_cell/bias",
    ]
    model = lamina.Sequential([lamina.Input((5, 3)), layers.LSTM(2, name="lstm")])
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path) as f:
        assert sorted(f["layers/lstm/cell/vars"]) == ["0", "1", "2"]
        assert "vars" not in f["layers/lstm"] or len(f["layers/lstm/vars"]) == 0


def test_rnn_config_round_trip_with_a_cell():
    layer = layers.RNN(layers.GRUCell(3, reset_after=False), return_sequences=True)
    clone = layers.RNN.from_config(layer.get_config())
    assert isinstance(clone.cell, layers.GRUCell) and not clone.cell.reset_after
    assert clone.return_sequences


def test_rnn_refuses_a_non_cell():
    with pytest.raises(TypeError, match="state_size"):
        layers.RNN(layers.Dense(3))


def test_bad_inputs_raise_errors_naming_the_layer():
    with pytest.raises(ValueError, match=r"'lstm_a' expects inputs \(batch, timesteps"):
        layers.LSTM(2, name="lstm_a")(np.zeros((4, 3), "float32"))
    with pytest.raises(ValueError, match="'gru_b' is stateful, so it needs a fixed batch"):
        layers.GRU(2, stateful=True, name="gru_b")(lamina.Input((5, 3)))
    with pytest.raises(ValueError, match=r"'rnn_c': the mask must be \(batch, timesteps\)"):
        layers.SimpleRNN(2, name="rnn_c")(_data(), mask=np.ones((4, 4), bool))
