"""Which layers pass a mask on, combine it or use it up, as Keras 3's do."""

import warnings

import numpy as np
import pytest

from lamina import layers, ops

MASK = np.array([[True, True, False], [True, False, False]])


def _masked(features=4, seed=0):
    x = np.random.default_rng(seed).standard_normal((2, 3, features)).astype("float32")
    t = ops.convert_to_tensor(x)
    t._keras_mask = ops.convert_to_tensor(MASK)
    return t


PASS_ON = [
    layers.Dense(3),
    layers.Activation("relu"),
    layers.Dropout(0.5),
    layers.SpatialDropout1D(0.5),
    layers.GaussianDropout(0.1),
    layers.GaussianNoise(0.1),
    layers.BatchNormalization(),
    layers.LayerNormalization(),
    layers.GroupNormalization(groups=2),
    layers.ReLU(),
    layers.LeakyReLU(),
    layers.ELU(),
    layers.PReLU(),
    layers.Softmax(),
]


@pytest.mark.parametrize("layer", PASS_ON, ids=lambda layer: type(layer).__name__)
@pytest.mark.parametrize("training", [False, True])
def test_layers_that_keep_the_time_axis_pass_the_mask_on(layer, training):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = layer(_masked(), training=training)
    np.testing.assert_array_equal(np.asarray(out._keras_mask), MASK)


STOP = [layers.Flatten(), layers.Reshape((12,)), layers.GlobalMaxPooling1D(), layers.Conv1D(2, 1)]


@pytest.mark.parametrize("layer", STOP, ids=lambda layer: type(layer).__name__)
def test_layers_without_mask_support_drop_it_with_a_warning(layer):
    with pytest.warns(UserWarning, match="does not support masking"):
        out = layer(_masked())
    assert getattr(out, "_keras_mask", None) is None


@pytest.mark.parametrize("keepdims", [False, True])
def test_global_average_pooling_1d_averages_the_valid_steps_only(keepdims):
    x = _masked()
    out = layers.GlobalAveragePooling1D(keepdims=keepdims)(x)
    want = np.stack([x.numpy()[0, :2].mean(0), x.numpy()[1, :1].mean(0)])
    np.testing.assert_allclose(out.numpy().reshape(2, 4), want, rtol=1e-6)
    assert getattr(out, "_keras_mask", None) is None
    first = layers.GlobalAveragePooling1D(data_format="channels_first")
    swapped = ops.transpose(x, (0, 2, 1))
    np.testing.assert_allclose(first(swapped, mask=MASK).numpy(), want, rtol=1e-6)
    with pytest.raises(ValueError, match=r"mask must be \(batch, steps\).*Received: mask.shape"):
        layers.GlobalAveragePooling1D()(x.numpy(), mask=MASK[:, :2])


def test_global_average_pooling_1d_gives_zeros_for_a_sample_with_every_step_masked():
    x = _masked()
    mask = np.array([[True, False, False], [False, False, False]])
    out = layers.GlobalAveragePooling1D()(x, mask=mask)
    np.testing.assert_allclose(out.numpy()[0], x.numpy()[0, 0], rtol=1e-6)
    np.testing.assert_array_equal(out.numpy()[1], np.zeros(4))


def test_elementwise_merges_keep_a_step_any_input_keeps():
    a, b = _masked(), _masked(seed=1)
    b._keras_mask = ops.convert_to_tensor(np.array([[False, False, True], [True, False, False]]))
    for layer in (layers.Add(), layers.Multiply(), layers.Average(), layers.Maximum()):
        out = layer([a, b])
        np.testing.assert_array_equal(np.asarray(out._keras_mask), [[1, 1, 1], [1, 0, 0]])
    plain = ops.convert_to_tensor(np.ones((2, 3, 4), "float32"))
    assert getattr(layers.Subtract()([a, plain]), "_keras_mask", None) is None
    assert getattr(layers.Dot(axes=2)([a, b]), "_keras_mask", None) is None


def test_concatenate_joins_the_masks_along_its_axis():
    a, plain = _masked(), ops.convert_to_tensor(np.ones((2, 3, 2), "float32"))
    out = layers.Concatenate()([a, plain])  # an unmasked input keeps every step
    np.testing.assert_array_equal(np.asarray(out._keras_mask), np.ones((2, 3), bool))
    out = layers.Concatenate(axis=1)([a, _masked(seed=2)])
    np.testing.assert_array_equal(np.asarray(out._keras_mask), np.concatenate([MASK, MASK], 1))


def test_batch_normalization_trains_on_the_valid_steps_only():
    x = _masked()
    layer = layers.BatchNormalization(momentum=0.0)
    out = layer(x, training=True).numpy()
    valid = x.numpy()[MASK]
    np.testing.assert_allclose(layer.moving_mean.numpy(), valid.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), valid.var(0), rtol=1e-4)
    want = (valid - valid.mean(0)) / np.sqrt(valid.var(0) + layer.epsilon)
    np.testing.assert_allclose(out[MASK], want, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="'bn': the mask must have the inputs' shape"):
        layers.BatchNormalization(name="bn")(x.numpy(), mask=MASK[:, :2], training=True)


def test_lambda_masks_as_keras():
    x = _masked()
    assert getattr(layers.Lambda(lambda t: t * 2)(x), "_keras_mask", None) is None
    same = layers.Lambda(lambda t: t * 2, mask=lambda t, m: m)(x)
    np.testing.assert_array_equal(np.asarray(same._keras_mask), MASK)
    fixed = np.array([[True, False, True], [True, True, True]])
    out = layers.Lambda(lambda t: t + 1, mask=fixed)(x)
    np.testing.assert_array_equal(np.asarray(out._keras_mask), fixed)
    seen = layers.Lambda(lambda t, mask: ops.cast(mask, "float32"))(x)
    np.testing.assert_array_equal(seen.numpy(), MASK)


def test_softmax_over_time_gives_masked_steps_no_weight():
    out = layers.Softmax(axis=1)(_masked()).numpy()
    np.testing.assert_array_equal(out[~MASK], 0.0)
    np.testing.assert_allclose(out.sum(1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("cls", [layers.SimpleRNN, layers.GRU])
def test_an_rnn_started_from_a_state_runs_unmasked_as_keras(cls):
    # Keras 3 fills `mask` only when the inputs are the one tensor argument of the call.
    layer = cls(2, return_sequences=True)
    x, state = _masked(), ops.convert_to_tensor(np.full((2, 2), 0.5, "float32"))
    plain = ops.convert_to_tensor(np.asarray(x))
    out = layer(x, initial_state=[state])
    np.testing.assert_array_equal(np.asarray(out), np.asarray(layer(plain, initial_state=[state])))
    assert not np.allclose(np.asarray(layer(x)), np.asarray(layer(plain)))  # masked without one
    np.testing.assert_array_equal(np.asarray(out._keras_mask), MASK)  # the output keeps it
