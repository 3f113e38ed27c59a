"""`lamina.optimizers.legacy`: Keras 2's RMSprop step, kept apart from Keras 3's when saved."""

import numpy as np
import pytest

import lamina
from lamina import Variable, optimizers


def one_step(opt, g):
    w = Variable(np.array([1.0], dtype="float64"))
    opt.apply([np.array([g], dtype="float64")], [w])
    return float(w.numpy()[0])


def test_small_gradients_take_keras_2_steps_not_keras_3_steps():
    # v = 0.1 * g**2 = 1e-9: Keras 2 steps lr * g / (sqrt(v) + eps), Keras 3 lr * g / sqrt(v + eps)
    g, v = 1e-4, 1e-9
    assert one_step(optimizers.legacy.RMSprop(), g) == pytest.approx(
        1 - 1e-3 * g / (np.sqrt(v) + 1e-7), rel=1e-12
    )
    assert one_step(optimizers.RMSprop(), g) == pytest.approx(
        1 - 1e-3 * g / np.sqrt(v + 1e-7), rel=1e-12
    )


def test_keras_2_spellings_lr_and_decay():
    opt = optimizers.legacy.RMSprop(lr=0.01, decay=1.0)
    one_step(opt, 1.0)
    assert opt.learning_rate == 0.01
    assert opt.current_learning_rate() == pytest.approx(0.01 / 2)


def test_serialize_round_trip_keeps_the_legacy_class():
    config = optimizers.serialize(optimizers.legacy.RMSprop(0.02, rho=0.8))
    assert config["config"]["is_legacy_optimizer"] is True
    restored = optimizers.deserialize(config)
    assert type(restored) is optimizers.legacy.RMSprop
    assert (restored.learning_rate, restored.rho) == (0.02, 0.8)
    assert type(optimizers.deserialize(optimizers.serialize(optimizers.RMSprop()))) is (
        optimizers.RMSprop
    )


def test_a_legacy_marker_on_a_class_legacy_lacks_is_refused():
    config = optimizers.serialize(optimizers.Adam())
    config["config"]["is_legacy_optimizer"] = True
    with pytest.raises(ValueError, match="legacy has only RMSprop.*class_name='Adam'"):
        optimizers.deserialize(config)


def test_saved_model_reloads_with_the_legacy_optimizer_and_its_state(tmp_path):
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1)])
    model.compile(optimizer=optimizers.legacy.RMSprop(), loss="mse")
    x = np.random.default_rng(0).standard_normal((8, 3)).astype("float32")
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = lamina.models.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer) is optimizers.legacy.RMSprop
    model.train_on_batch(x, x[:, :1])
    loaded.train_on_batch(x, x[:, :1])
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])
