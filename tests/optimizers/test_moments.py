"""Running averages keep their precision: the increment is computed directly, as in Keras."""

import numpy as np

import lamina
from lamina import layers, ops, optimizers
from lamina.optimizers.moments import moving_average_update, squared_average_update


def test_first_updates_from_zero_are_exact_to_rounding():
    g = np.random.default_rng(0).normal(size=1000).astype(np.float32)
    m, v, scratch = np.zeros_like(g), np.zeros_like(g), np.empty_like(g)
    moving_average_update(m, g, 0.9, scratch)
    squared_average_update(v, g, 0.999, scratch)
    want_m = np.float32(1 - 0.9) * g
    want_v = (g * g) * np.float32(1 - 0.999)
    # The cancelling form (avg - value) * decay + value is off by ~1e-4 relative in v here.
    np.testing.assert_allclose(m, want_m, rtol=2e-7)
    np.testing.assert_allclose(v, want_v, rtol=2e-7)


def _train(order_seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(10, 32, 8)).astype(np.float32)
    y = rng.normal(size=(10, 32, 1)).astype(np.float32)
    lamina.utils.set_random_seed(3)
    model = lamina.Sequential([layers.Dense(16, activation="tanh"), layers.Dense(1)])
    model.build((None, 8))
    opt = optimizers.Adam(learning_rate=1e-3)
    perm = np.random.default_rng(order_seed)
    for step in range(100):
        order = perm.permutation(32)  # the same samples, another order inside the batch
        xb, yb = x[step % 10][order], y[step % 10][order]
        with lamina.GradientTape() as tape:
            loss = ops.mean(ops.square(model(xb) - yb))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply(grads, model.trainable_variables)
    return [w.numpy() for w in model.trainable_variables]


def test_adam_runs_differing_only_in_sample_order_stay_together():
    a, b = _train(0), _train(1)
    for wa, wb in zip(a, b, strict=True):
        scale = np.abs(wa).max()
        # 2.4e-7 with Keras's form; 3.2e-6 with the cancelling (average - value) * decay + value.
        assert np.abs(wa - wb).max() <= 1e-6 * scale
