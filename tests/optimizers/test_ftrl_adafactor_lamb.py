"""Ftrl, Adafactor and Lamb against their published update rules, written out in float64."""

import math

import numpy as np
import pytest

from lamina import Variable, optimizers

RNG = np.random.default_rng(1)
W0 = RNG.standard_normal((3, 4))
GRADS = [RNG.standard_normal((3, 4)) for _ in range(4)]


def run(opt, w0=W0, grads=GRADS):
    w = Variable(w0.copy())
    for g in grads:
        opt.apply([g], [w])
    return w.numpy()


def one_step(opt, w, g):
    var = Variable(np.array(w, dtype="float64"))
    opt.apply([np.array(g, dtype="float64")], [var])
    return var.numpy()


# ----- Ftrl ---------------------------------------------------------------------------------


def ftrl_reference(lr, power=-0.5, init=0.1, l1=0.0, l2=0.0, shrink=0.0, beta=0.0):
    w = W0.copy()
    n = np.full_like(w, init)
    z = np.zeros_like(w)
    l2 = l2 + beta / (2 * lr)
    for g in GRADS:
        n_new = n + g * g
        sigma = (n_new ** (-power) - n ** (-power)) / lr
        z = z + g + 2 * shrink * w - sigma * w
        quadratic = n_new ** (-power) / lr + 2 * l2
        w = np.where(np.abs(z) <= l1, 0.0, (np.sign(z) * l1 - z) / quadratic)
        n = n_new
    return w


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"l1_regularization_strength": 0.05, "l2_regularization_strength": 0.1},
        {"l2_shrinkage_regularization_strength": 0.2, "beta": 0.5, "learning_rate_power": -0.3},
    ],
)
def test_ftrl_matches_the_closed_form_over_four_steps(kwargs):
    opt = optimizers.Ftrl(0.1, **kwargs)
    expected = ftrl_reference(
        0.1,
        power=kwargs.get("learning_rate_power", -0.5),
        l1=kwargs.get("l1_regularization_strength", 0.0),
        l2=kwargs.get("l2_regularization_strength", 0.0),
        shrink=kwargs.get("l2_shrinkage_regularization_strength", 0.0),
        beta=kwargs.get("beta", 0.0),
    )
    np.testing.assert_allclose(run(opt), expected, rtol=1e-10, atol=1e-12)


def test_ftrl_first_step_by_hand():
    # n: 0.1 -> 0.35; sigma = (sqrt(0.35) - sqrt(0.1)) / 0.1; z = 0.5 - sigma * 1;
    # w = -z / (sqrt(0.35) / 0.1) = 1 - sqrt(0.1 / 0.35) - 0.05 / sqrt(0.35)
    expected = 1 - math.sqrt(0.1 / 0.35) - 0.05 / math.sqrt(0.35)
    np.testing.assert_allclose(one_step(optimizers.Ftrl(0.1), [1.0], [0.5]), [expected])
    assert expected == pytest.approx(0.38096, abs=1e-5)
    # A large L1 strength keeps |z| below it: the weight becomes exactly 0.
    opt = optimizers.Ftrl(0.1, l1_regularization_strength=10.0)
    assert one_step(opt, [1.0], [0.5]).tolist() == [0.0]


def test_ftrl_arguments():
    with pytest.raises(ValueError, match="learning_rate_power"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        optimizers.Ftrl(initial_accumulator_value=-1.0)
    with pytest.raises(ValueError, match="l1_regularization_strength"):
        optimizers.Ftrl(l1_regularization_strength=-0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        one_step(optimizers.Ftrl(0.0), [1.0], [1.0])


# ----- Adafactor ----------------------------------------------------------------------------


def rms(x):
    return np.sqrt(np.mean(x * x))


def adafactor_reference(w0, grads, lr, decay=-0.8, eps1=1e-30, eps2=1e-3, clip=1.0):
    w = w0.copy()
    r = np.zeros(w.shape[:-1])
    c = np.zeros(w.shape[:-2] + w.shape[-1:])
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        alpha = max(eps2, rms(w)) * min(lr, 1 / math.sqrt(t))
        b2 = 1 - t**decay
        g2 = g * g + eps1
        if w.ndim >= 2:
            r = b2 * r + (1 - b2) * g2.mean(axis=-1)
            c = b2 * c + (1 - b2) * g2.mean(axis=-2)
            v = np.outer(r / r.mean(), c)
        else:
            v = b2 * v + (1 - b2) * g2
        u = g / np.sqrt(v)
        w = w - alpha * u / max(1.0, rms(u) / clip)
    return w


def test_adafactor_matrix_matches_the_factored_rule():
    np.testing.assert_allclose(
        run(optimizers.Adafactor(0.1)), adafactor_reference(W0, GRADS, 0.1), rtol=1e-10
    )
    # A clip threshold below the update's RMS scales the update down.
    np.testing.assert_allclose(
        run(optimizers.Adafactor(0.1, clip_threshold=0.5)),
        adafactor_reference(W0, GRADS, 0.1, clip=0.5),
        rtol=1e-10,
    )


def test_adafactor_vector_keeps_a_full_second_moment():
    w0 = W0[0]
    grads = [g[0] for g in GRADS]
    np.testing.assert_allclose(
        run(optimizers.Adafactor(0.01), w0, grads),
        adafactor_reference(w0, grads, 0.01),
        rtol=1e-10,
    )


def test_adafactor_first_matrix_step_by_hand():
    # beta_2 = 1 - 1**-0.8 = 0, so r = row means of g**2 = [2.5, 12.5], c = column means
    # = [5, 10], v = outer(r / 7.5, c) = [[5/3, 10/3], [25/3, 50/3]]; u**2 = g**2 / v
    # = [[0.6, 1.2], [1.08, 0.96]], whose RMS sqrt(0.96) is below 1; the variable's RMS is 1.
    u = np.sqrt([[0.6, 1.2], [1.08, 0.96]])
    got = one_step(optimizers.Adafactor(0.1), np.ones((2, 2)), [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(got, 1 - 0.1 * u, rtol=1e-12)


def test_adafactor_step_is_relative_to_the_weights():
    # On a zero vector the scale is epsilon_2 = 1e-3; the step is then 1e-3 * min(lr, 1).
    got = one_step(optimizers.Adafactor(0.5), [0.0, 0.0], [2.0, -3.0])
    np.testing.assert_allclose(got, [-5e-4, 5e-4])
    opt = optimizers.Adafactor(0.5)
    assert [v.data.shape for v in opt.variables] == [()]
    opt.build([Variable(np.zeros((2, 3, 4)))])
    assert [v.data.shape for v in opt.variables[1:]] == [(2, 3), (2, 4), (2, 3, 4)]


def test_adafactor_zero_row_against_zero_column_stays_finite_in_float32():
    # Row 0 and column 0 of the gradient are 0: their factored second moment underflows.
    g = np.zeros((3, 3), dtype="float32")
    g[1:, 1:] = 1e-3
    w = Variable(np.ones((3, 3), dtype="float32"))
    optimizers.Adafactor(0.1).apply([g], [w])
    assert np.all(np.isfinite(w.numpy()))
    assert w.numpy()[0, 0] == 1.0 and w.numpy()[2, 2] < 1.0


# ----- Lamb ---------------------------------------------------------------------------------


def lamb_reference(lr, b1=0.9, b2=0.999, eps=1e-7):
    w = W0.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        update = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        ratio = np.linalg.norm(w) / np.linalg.norm(update)
        w = w - lr * ratio * update
    return w


def test_lamb_matches_the_trust_ratio_rule():
    np.testing.assert_allclose(run(optimizers.Lamb(0.01)), lamb_reference(0.01), rtol=1e-10)


def test_lamb_first_step_by_hand():
    # The first update is g / (|g| + eps), about [1, -1]; the trust ratio is |w| / |update|,
    # so the step has length lr * |w| = 0.01 * 5 along (1, -1) / sqrt(2).
    got = one_step(optimizers.Lamb(0.01), [3.0, 4.0], [1.0, -2.0])
    step = 0.05 / math.sqrt(2)
    np.testing.assert_allclose(got, [3 - step, 4 + step], rtol=1e-6)
    # A zero variable has no scale: the ratio falls back to 1 (an Adam step).
    np.testing.assert_allclose(one_step(optimizers.Lamb(0.01), [0.0], [2.0]), [-0.01], rtol=1e-6)


@pytest.mark.parametrize(
    "opt",
    [
        optimizers.Ftrl(0.05, l1_regularization_strength=0.01, beta=0.1),
        optimizers.Adafactor(0.02, clip_threshold=2.0),
        optimizers.Lamb(0.003, beta_1=0.8),
    ],
    ids=lambda o: o.name,
)
def test_config_and_state_round_trip(opt):
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert type(again) is type(opt)
    assert again.get_config() == opt.get_config()
    # Three steps, then a copy resumes from the saved state and takes the fourth identically.
    var = Variable(W0.copy())
    for g in GRADS[:3]:
        opt.apply([g], [var])
    store = {}
    opt.save_own_variables(store)
    copy = Variable(var.numpy().copy())
    again.build([copy])
    again.load_own_variables(store)
    opt.apply([GRADS[3]], [var])
    again.apply([GRADS[3]], [copy])
    np.testing.assert_array_equal(copy.numpy(), var.numpy())
