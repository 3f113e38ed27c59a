"""Bidirectional: Keras 3's merge modes, states, masks, weights, configs and saving."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.saving.keras_layout import keras_slots
from lamina.testing import run_layer_test

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 5, 3)).astype("float32")


def _bidirectional(rnn=layers.LSTM, units=3, merge_mode="concat", dtype=None, **rnn_kwargs):
    """A Bidirectional layer whose wrapped layer has the wrapper's dtype (for float64 checks)."""
    return layers.Bidirectional(
        rnn(units, dtype=dtype, **rnn_kwargs), merge_mode=merge_mode, dtype=dtype
    )


@pytest.mark.parametrize(
    "merge_mode, sequences, shape",
    [
        ("concat", False, (2, 6)),
        ("concat", True, (2, 5, 6)),
        ("sum", True, (2, 5, 3)),
        ("mul", False, (2, 3)),
        ("ave", True, (2, 5, 3)),
        (None, True, [(2, 5, 3), (2, 5, 3)]),
    ],
)
def test_bidirectional_passes_the_layer_contract(merge_mode, sequences, shape):
    run_layer_test(
        _bidirectional,
        {"merge_mode": merge_mode, "return_sequences": sequences},
        input_data=X,
        expected_output_shape=shape,
        expected_num_trainable_weights=6,
    )


def test_return_state_passes_the_layer_contract():
    run_layer_test(
        _bidirectional,
        {"rnn": layers.GRU, "return_state": True, "return_sequences": True},
        input_data=X,
        expected_output_shape=[(2, 5, 6), (2, 3), (2, 3)],
        expected_num_trainable_weights=6,
    )


def test_parameter_count_and_weight_names_equal_keras():
    layer = layers.Bidirectional(layers.LSTM(32, name="lstm"), name="bidirectional")
    layer.build((None, 10, 64))
    assert layer.count_params() == 2 * 4 * 32 * (64 + 32 + 1) == 24_832
    assert [w.path for w in layer.weights] == [
        f"bidirectional/{d}_lstm/lstm_cell/{w}"
        for d in ("forward", "backward")
        for w in ("kernel", "recurrent_kernel", "bias")
    ]
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards


def _directions(layer, x, **kwargs):
    """The outputs of an LSTM and a backwards LSTM holding `layer`'s two sets of weights."""
    units = layer.forward_layer.units
    forward = layers.LSTM(units, return_sequences=layer.return_sequences, **kwargs)
    backward = layers.LSTM(
        units, return_sequences=layer.return_sequences, go_backwards=True, **kwargs
    )
    forward(x)
    backward(x)
    forward.set_weights(layer.forward_layer.get_weights())
    backward.set_weights(layer.backward_layer.get_weights())
    return forward, backward


@pytest.mark.parametrize("sequences", [False, True])
def test_outputs_are_the_two_directions_merged_in_forward_time_order(sequences):
    layer = layers.Bidirectional(layers.LSTM(4, return_sequences=sequences), merge_mode=None)
    y, y_rev = (t.numpy() for t in layer(X))
    forward, backward = _directions(layer, X)
    np.testing.assert_allclose(y, forward(X).numpy(), rtol=1e-6)
    expected = backward(X).numpy()
    # go_backwards outputs run from the last step; Bidirectional puts them back in order.
    np.testing.assert_allclose(y_rev, expected[:, ::-1] if sequences else expected, rtol=1e-6)
    for mode, merge in [
        ("concat", lambda a, b: np.concatenate([a, b], -1)),
        ("sum", np.add),
        ("mul", np.multiply),
        ("ave", lambda a, b: (a + b) / 2),
    ]:
        layer.merge_mode = mode
        np.testing.assert_allclose(layer(X).numpy(), merge(y, y_rev), rtol=1e-6, atol=1e-7)


def test_return_state_gives_the_output_then_forward_then_backward_states():
    layer = layers.Bidirectional(layers.LSTM(4, return_state=True))
    out, h_f, c_f, h_b, c_b = (t.numpy() for t in layer(X))
    f = layers.LSTM(4, return_state=True)
    b = layers.LSTM(4, return_state=True, go_backwards=True)
    f(X), b(X)
    f.set_weights(layer.forward_layer.get_weights())
    b.set_weights(layer.backward_layer.get_weights())
    (_, fh, fc), (_, bh, bc) = f(X), b(X)
    for got, want in zip((h_f, c_f, h_b, c_b), (fh, fc, bh, bc), strict=True):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-6)
    np.testing.assert_allclose(out, np.concatenate([h_f, h_b], -1), rtol=1e-6)


def test_initial_state_is_split_in_halves():
    layer = layers.Bidirectional(layers.GRU(4), merge_mode=None)
    states = [RNG.standard_normal((2, 4)).astype("float32") for _ in range(2)]
    y, y_rev = layer(X, initial_state=[lamina.ops.convert_to_tensor(s) for s in states])
    f = layers.GRU(4)
    b = layers.GRU(4, go_backwards=True)
    f(X), b(X)
    f.set_weights(layer.forward_layer.get_weights())
    b.set_weights(layer.backward_layer.get_weights())
    np.testing.assert_allclose(y.numpy(), f(X, initial_state=[states[0]]).numpy(), rtol=1e-6)
    np.testing.assert_allclose(y_rev.numpy(), b(X, initial_state=[states[1]]).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="even number.*initial_state"):
        layer(X, initial_state=[states[0]])


def test_a_mask_reaches_both_directions_and_stays_on_the_sequence_output():
    padded = X.copy()
    padded[0, 3:] = 0.0
    inputs = lamina.Input((5, 3))
    bidir = layers.Bidirectional(layers.LSTM(4))
    model = lamina.Model(inputs, bidir(layers.Masking()(inputs)))
    got = model(padded).numpy()
    forward, backward = _directions(bidir, X)
    short = X[:1, :3]
    want = np.concatenate([forward(short).numpy(), backward(short).numpy()], -1)
    np.testing.assert_allclose(got[:1], want, rtol=1e-5, atol=1e-6)

    mask = np.array([[True] * 5, [True] * 3 + [False] * 2])
    seq = layers.Bidirectional(layers.LSTM(4, return_sequences=True))
    out = seq(lamina.ops.convert_to_tensor(X), mask=lamina.ops.convert_to_tensor(mask))
    np.testing.assert_array_equal(np.asarray(out._keras_mask), mask)
    # Masked steps give zeros in both directions (zero_output_for_mask follows return_sequences).
    np.testing.assert_array_equal(out.numpy()[1, 3:], 0.0)
    assert seq.compute_mask(X, mask) is mask
    assert layers.Bidirectional(layers.LSTM(4)).compute_mask(X, mask) is None
    states = layers.Bidirectional(layers.LSTM(4, return_state=True), merge_mode=None)
    assert states.compute_mask(X, mask) == [None] * 6


def test_a_given_backward_layer_is_used_and_checked():
    backward = layers.GRU(3, go_backwards=True, activation="relu", name="back")
    layer = layers.Bidirectional(layers.GRU(3), backward_layer=backward)
    assert layer.backward_layer is backward
    assert layer(X).shape == (2, 6)
    config = layer.get_config()
    clone = layers.Bidirectional.from_config(config)
    assert clone.get_config() == config
    assert clone.backward_layer.get_config()["activation"] == "relu"
    with pytest.raises(ValueError, match="go_backwards.*backward_layer.go_backwards=False"):
        layers.Bidirectional(layers.GRU(3), backward_layer=layers.GRU(3))
    with pytest.raises(ValueError, match="return_sequences.*backward_layer.return_sequences=True"):
        layers.Bidirectional(
            layers.GRU(3), backward_layer=layers.GRU(3, go_backwards=True, return_sequences=True)
        )
    with pytest.raises(ValueError, match="backward_layer must be a recurrent layer"):
        layers.Bidirectional(layers.GRU(3), backward_layer=layers.Dense(3))


def test_bad_arguments_name_the_layer_and_the_value():
    with pytest.raises(ValueError, match=r"Bidirectional 'b' wraps a recurrent.*layer=<Dense"):
        layers.Bidirectional(layers.Dense(3), name="b")
    with pytest.raises(ValueError, match=r"merge_mode must be one of.*merge_mode='max'"):
        layers.Bidirectional(layers.LSTM(3), merge_mode="max")


def test_weights_argument_sets_forward_then_backward_weights():
    source = layers.Bidirectional(layers.SimpleRNN(2))
    source(X)
    layer = layers.Bidirectional(layers.SimpleRNN(2), weights=source.get_weights())
    np.testing.assert_array_equal(layer(X).numpy(), source(X).numpy())


def test_stateful_is_passed_to_both_directions():
    layer = layers.Bidirectional(layers.SimpleRNN(2, stateful=True))
    first = layer(X).numpy()
    assert layer.stateful and len(layer.states) == 2
    assert not np.allclose(layer(X).numpy(), first)
    layer.reset_states()
    np.testing.assert_allclose(layer(X).numpy(), first, rtol=1e-6)
    with pytest.raises(AttributeError, match="not stateful"):
        layers.Bidirectional(layers.SimpleRNN(2)).reset_states()


def _book_model():
    # Deep Learning with Python, 10.4: a bidirectional LSTM in a Sequential model.
    model = lamina.Sequential([lamina.Input((5, 3))])
    model.add(layers.Bidirectional(layers.LSTM(4, return_sequences=True)))
    model.add(layers.Bidirectional(layers.GRU(2), merge_mode="sum"))
    model.add(layers.Dense(1))
    return model


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_save_and_load_give_the_same_outputs(tmp_path, suffix):
    model = _book_model()
    expected = model.predict(X, verbose=0)
    path = tmp_path / f"m{suffix}"
    if suffix == ".keras":
        model.save(path)
        loaded = lamina.saving.load_model(path)
        assert [type(layer).__name__ for layer in loaded.layers][:2] == ["Bidirectional"] * 2
    else:
        model.save_weights(path)
        loaded = _book_model()
        loaded.load_weights(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), expected, rtol=1e-6)


def test_weights_sit_where_keras_3_stores_them():
    paths = {s.path: len(s.variables) for s in keras_slots(_book_model()) if s.variables}
    assert paths == {
        "layers/bidirectional/backward_layer/cell": 3,
        "layers/bidirectional/forward_layer/cell": 3,
        "layers/bidirectional_1/backward_layer/cell": 3,
        "layers/bidirectional_1/forward_layer/cell": 3,
        "layers/dense": 2,
    }


def test_bidirectional_trains_in_a_functional_model():
    inputs = lamina.Input((5, 3))
    x = layers.Bidirectional(layers.GRU(4))(inputs)
    model = lamina.Model(inputs, layers.Dense(1)(x))
    model.compile(optimizer="adam", loss="mse")
    y = X.sum(axis=(1, 2))[:, None]
    history = model.fit(X, y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
