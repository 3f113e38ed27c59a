"""A padded batch gives each sample what it gives alone (issue 13): the same outputs at the
valid steps, and weight gradients equal to the sum of the per-sample ones."""

import numpy as np
import pytest

import lamina
from lamina import layers

LENGTHS = (5, 2, 4)
STEPS, FEATURES, VOCAB = 6, 3, 12
RNNS = {
    "simple_rnn": lambda **kw: layers.SimpleRNN(3, **kw),
    "lstm": lambda **kw: layers.LSTM(3, **kw),
    "gru": lambda **kw: layers.GRU(3, **kw),
    "gru_reset_before": lambda **kw: layers.GRU(3, reset_after=False, **kw),
}


def _samples(front: str, rng: np.random.Generator) -> list[np.ndarray]:
    if front == "embedding":
        return [rng.integers(1, VOCAB, n) for n in LENGTHS]
    return [rng.uniform(0.5, 1.5, (n, FEATURES)).astype("float32") for n in LENGTHS]


def _pad(samples: list[np.ndarray], where: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """The padded batch and each sample's valid time indices in it."""
    batch = np.zeros((len(samples), STEPS, *samples[0].shape[1:]), samples[0].dtype)
    valid = []
    for i, s in enumerate(samples):
        start = 0 if where == "post" else STEPS - len(s)
        batch[i, start : start + len(s)] = s
        valid.append(np.arange(start, start + len(s)))
    return batch, valid


def _model(front: str, rnn: str, stack: str, return_sequences: bool, go_backwards: bool):
    make = RNNS[rnn]
    if front == "embedding":
        body = [lamina.Input((None,), dtype="int64"), layers.Embedding(VOCAB, 4, mask_zero=True)]
    else:
        body = [lamina.Input((None, FEATURES)), layers.Masking(0.0)]
    if stack != "single":
        body.append(make(return_sequences=True))
    if stack == "dense_dropout":
        body += [layers.Dense(4, activation="tanh"), layers.Dropout(0.5)]
    body.append(make(return_sequences=return_sequences, go_backwards=go_backwards))
    return lamina.Sequential(body)


def _outputs_and_grads(model, x, weights):
    with lamina.GradientTape() as tape:
        out = model(x, training=False)
        loss = lamina.ops.sum(out * weights)
    grads = tape.gradient(loss, model.trainable_weights)
    return out.numpy(), [g.numpy() for g in grads]


@pytest.mark.parametrize("front", ["embedding", "masking"])
@pytest.mark.parametrize("rnn", list(RNNS))
@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("stack", ["single", "stacked", "dense_dropout"])
@pytest.mark.parametrize(
    "return_sequences, go_backwards", [(False, False), (True, False), (False, True), (True, True)]
)
def test_a_padded_batch_equals_its_samples_run_one_by_one(
    front, rnn, padding, stack, return_sequences, go_backwards
):
    rng = np.random.default_rng(len(rnn) + len(stack))
    model = _model(front, rnn, stack, return_sequences, go_backwards)
    samples = _samples(front, rng)
    batch, valid = _pad(samples, padding)
    # Weights of each output entry in the loss: (batch, steps, units) zero at padded steps.
    per_step = rng.standard_normal((len(samples), STEPS, 3)).astype("float32")
    picks = [np.sort(STEPS - 1 - v) if go_backwards else v for v in valid]
    if return_sequences:
        weights = np.zeros_like(per_step)
        for i, p in enumerate(picks):
            weights[i, p] = per_step[i, : len(p)]
    else:
        weights = per_step[:, 0]
    out, grads = _outputs_and_grads(model, batch, weights)
    summed = [np.zeros_like(g) for g in grads]
    for i, sample in enumerate(samples):
        own_weights = weights[i : i + 1, picks[i]] if return_sequences else weights[i : i + 1]
        alone, own = _outputs_and_grads(model, sample[None], own_weights)
        got = out[i, picks[i]] if return_sequences else out[i]
        np.testing.assert_allclose(got, alone[0], rtol=1e-5, atol=1e-6)
        summed = [s + g for s, g in zip(summed, own, strict=True)]
    for g, s, w in zip(grads, summed, model.trainable_weights, strict=True):
        np.testing.assert_allclose(g, s, rtol=1e-4, atol=1e-6, err_msg=w.path)


def test_the_mask_flows_from_a_sequence_rnn_through_dense_and_dropout():
    model = _model("embedding", "lstm", "dense_dropout", True, False)
    x, _ = _pad(_samples("embedding", np.random.default_rng(0)), "post")
    seen = {}
    for layer in model.layers:
        layer_call = layer.call

        def spy(inputs, *args, _layer=layer, _call=layer_call, **kwargs):
            seen[_layer.name] = getattr(inputs, "_keras_mask", None)
            return _call(inputs, *args, **kwargs)

        layer.call = spy
    out = model(x)
    want = x != 0
    for layer in model.layers[1:]:
        np.testing.assert_array_equal(np.asarray(seen[layer.name]), want, err_msg=layer.name)
    np.testing.assert_array_equal(np.asarray(out._keras_mask), want)
