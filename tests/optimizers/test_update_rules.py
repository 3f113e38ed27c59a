"""Each optimizer against its published update rule, written out plainly in float64."""

import math

import numpy as np
import pytest

from lamina import Tensor, Variable, optimizers

RNG = np.random.default_rng(0)
W0 = RNG.standard_normal((3, 4))
GRADS = [RNG.standard_normal((3, 4)) for _ in range(4)]


def run(opt, steps=4):
    w = Variable(W0.copy())
    for g in GRADS[:steps]:
        opt.apply([g], [w])
    return w.numpy()


def reference(rule, state, steps=4):
    w = W0.copy()
    for t, g in enumerate(GRADS[:steps], start=1):
        w = rule(w, g, state, t)
    return w


def sgd_rule(lr, momentum=0.0, nesterov=False):
    def rule(w, g, s, t):
        if not momentum:
            return w - lr * g
        m = s.get("m", 0.0) * momentum - lr * g
        s["m"] = m
        return w + (momentum * m - lr * g if nesterov else m)

    return rule


def rmsprop_rule(lr, rho, eps, momentum=0.0, centered=False, keras2=False):
    def rule(w, g, s, t):
        v = rho * s.get("v", 0.0) + (1 - rho) * g * g
        s["v"] = v
        denom = v
        if centered:
            mg = rho * s.get("mg", 0.0) + (1 - rho) * g
            s["mg"] = mg
            denom = v - mg * mg
        # Keras 2 (without momentum) adds epsilon outside the square root, Keras 3 inside.
        inc = lr * g / (np.sqrt(denom) + eps) if keras2 else lr * g / np.sqrt(denom + eps)
        if momentum:
            s["mom"] = momentum * s.get("mom", 0.0) + inc
            return w - s["mom"]
        return w - inc

    return rule


def adam_rule(lr, b1, b2, eps, amsgrad=False):
    def rule(w, g, s, t):
        m = b1 * s.get("m", 0.0) + (1 - b1) * g
        v = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        s["m"], s["v"] = m, v
        if amsgrad:
            s["vh"] = np.maximum(s.get("vh", 0.0), v)
            v = s["vh"]
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        return w - alpha * m / (np.sqrt(v) + eps)

    return rule


def adagrad_rule(lr, init, eps):
    def rule(w, g, s, t):
        s["a"] = s.get("a", init) + g * g
        return w - lr * g / np.sqrt(s["a"] + eps)

    return rule


def adadelta_rule(lr, rho, eps):
    def rule(w, g, s, t):
        s["g2"] = rho * s.get("g2", 0.0) + (1 - rho) * g * g
        d = np.sqrt(s.get("d2", 0.0) + eps) / np.sqrt(s["g2"] + eps) * g
        s["d2"] = rho * s.get("d2", 0.0) + (1 - rho) * d * d
        return w - lr * d

    return rule


def adamax_rule(lr, b1, b2, eps):
    def rule(w, g, s, t):
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["u"] = np.maximum(b2 * s.get("u", 0.0), np.abs(g))
        return w - lr / (1 - b1**t) * s["m"] / (s["u"] + eps)

    return rule


def nadam_rule(lr, b1, b2, eps):
    def rule(w, g, s, t):
        u_t = b1 * (1 - 0.5 * 0.96**t)
        u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        prod = s.get("prod", 1.0) * u_t
        s["prod"] = prod
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        m_hat = u_next * s["m"] / (1 - prod * u_next) + (1 - u_t) * g / (1 - prod)
        v_hat = s["v"] / (1 - b2**t)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps)

    return rule


def lion_rule(lr, b1, b2):
    def rule(w, g, s, t):
        m = s.get("m", 0.0)
        update = np.sign(b1 * m + (1 - b1) * g)
        s["m"] = b2 * m + (1 - b2) * g
        return w - lr * update

    return rule


CASES = [
    (optimizers.SGD(), sgd_rule(0.01)),
    (optimizers.SGD(0.1, momentum=0.9), sgd_rule(0.1, 0.9)),
    (optimizers.SGD(0.1, momentum=0.9, nesterov=True), sgd_rule(0.1, 0.9, True)),
    (optimizers.RMSprop(), rmsprop_rule(0.001, 0.9, 1e-7)),
    (optimizers.RMSprop(0.01, rho=0.8, momentum=0.5), rmsprop_rule(0.01, 0.8, 1e-7, 0.5)),
    (optimizers.RMSprop(0.01, centered=True), rmsprop_rule(0.01, 0.9, 1e-7, 0.0, True)),
    (
        optimizers.RMSprop(0.01, momentum=0.3, centered=True),
        rmsprop_rule(0.01, 0.9, 1e-7, 0.3, True),
    ),
    (optimizers.legacy.RMSprop(), rmsprop_rule(0.001, 0.9, 1e-7, keras2=True)),
    (
        optimizers.legacy.RMSprop(0.01, centered=True, epsilon=1e-3),
        rmsprop_rule(0.01, 0.9, 1e-3, 0.0, True, keras2=True),
    ),
    (
        optimizers.legacy.RMSprop(0.01, momentum=0.3, epsilon=1e-3),
        rmsprop_rule(0.01, 0.9, 1e-3, 0.3),
    ),
    (optimizers.Adam(), adam_rule(0.001, 0.9, 0.999, 1e-7)),
    (
        optimizers.Adam(0.1, beta_1=0.5, beta_2=0.9, amsgrad=True),
        adam_rule(0.1, 0.5, 0.9, 1e-7, True),
    ),
    (optimizers.Adagrad(0.1), adagrad_rule(0.1, 0.1, 1e-7)),
    (optimizers.Adadelta(1.0, rho=0.9), adadelta_rule(1.0, 0.9, 1e-7)),
    (optimizers.Adamax(0.01), adamax_rule(0.01, 0.9, 0.999, 1e-7)),
    (optimizers.Nadam(0.01), nadam_rule(0.01, 0.9, 0.999, 1e-7)),
    (optimizers.Lion(0.01), lion_rule(0.01, 0.9, 0.99)),
]


@pytest.mark.parametrize("opt, rule", CASES, ids=lambda c: getattr(c, "name", ""))
def test_matches_reference_over_four_steps(opt, rule):
    np.testing.assert_allclose(run(opt), reference(rule, {}), rtol=1e-10, atol=1e-12)
    assert int(opt.iterations) == 4


def test_adamw_decays_before_the_adam_step():
    opt = optimizers.AdamW(0.01, weight_decay=0.1)
    adam = adam_rule(0.01, 0.9, 0.999, 1e-7)

    def rule(w, g, s, t):
        return adam(w * (1 - 0.01 * 0.1), g, s, t)

    np.testing.assert_allclose(run(opt), reference(rule, {}), rtol=1e-10)


# ----- single steps worked out by hand ------------------------------------------------------


def one_step(opt, w, g):
    var = Variable(np.array(w, dtype="float64"))
    opt.apply([np.array(g, dtype="float64")], [var])
    return var.numpy()


def test_hand_computed_first_steps():
    # SGD: 1 - 0.1 * 2 = 0.8
    np.testing.assert_allclose(one_step(optimizers.SGD(0.1), [1.0], [2.0]), [0.8])
    # SGD momentum 0.9 from zero velocity: m = -0.2, w = 0.8
    np.testing.assert_allclose(one_step(optimizers.SGD(0.1, momentum=0.9), [1.0], [2.0]), [0.8])
    # Nesterov: m = -0.2; w += 0.9 * -0.2 - 0.2 = -0.38
    np.testing.assert_allclose(
        one_step(optimizers.SGD(0.1, momentum=0.9, nesterov=True), [1.0], [2.0]), [0.62]
    )
    # RMSprop: v = 0.1 * 4 = 0.4; step = 0.01 * 2 / sqrt(0.4 + 1e-7)
    np.testing.assert_allclose(
        one_step(optimizers.RMSprop(0.01), [1.0], [2.0]), [1 - 0.02 / math.sqrt(0.4 + 1e-7)]
    )
    # Adam's first step is lr * sign(g) (up to epsilon).
    np.testing.assert_allclose(
        one_step(optimizers.Adam(0.1), [1.0, 1.0], [2.0, -3.0]), [0.9, 1.1], rtol=1e-6
    )
    # Adagrad: acc = 0.1 + 4; step = 0.1 * 2 / sqrt(4.1 + 1e-7)
    np.testing.assert_allclose(
        one_step(optimizers.Adagrad(0.1), [1.0], [2.0]), [1 - 0.2 / math.sqrt(4.1 + 1e-7)]
    )
    # Lion: sign(0.1 * g) = sign(g)
    np.testing.assert_allclose(one_step(optimizers.Lion(0.1), [1.0, 1.0], [3.0, -0.5]), [0.9, 1.1])


def test_float32_variables_stay_float32_and_accept_tensor_grads():
    for cls in (optimizers.SGD, optimizers.RMSprop, optimizers.Adam, optimizers.Nadam):
        opt = cls(learning_rate=0.1)
        w = Variable(np.ones((2, 2), dtype="float32"))
        opt.apply([Tensor(np.full((2, 2), 0.5, dtype="float32"))], [w])
        assert w.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.variables[1:] if v.ndim)
        # float64 gradients are cast to the variable's dtype.
        opt.apply([np.full((2, 2), 0.5)], [w])
        assert w.dtype == np.float32


def test_gradients_are_not_modified():
    for opt in (
        optimizers.SGD(0.1, momentum=0.9, nesterov=True),
        optimizers.RMSprop(momentum=0.5, centered=True),
        optimizers.Adam(amsgrad=True),
        optimizers.Adagrad(),
        optimizers.Adadelta(),
        optimizers.Adamax(),
        optimizers.Nadam(),
        optimizers.Lion(),
        optimizers.SGD(clipnorm=0.1),
        optimizers.SGD(clipvalue=0.1),
        optimizers.SGD(global_clipnorm=0.1),
    ):
        g = RNG.standard_normal((3, 4))
        before = g.copy()
        opt.apply([g], [Variable(W0.copy())])
        np.testing.assert_array_equal(g, before)


def test_several_variables_of_different_shapes_share_scratch_safely():
    shapes = [(784, 16), (16,), (16, 10), (10,)]
    ws = [RNG.standard_normal(s) for s in shapes]
    gs = [RNG.standard_normal(s) for s in shapes]
    together = [Variable(w.copy()) for w in ws]
    opt = optimizers.RMSprop(0.01)
    opt.apply(gs, together)
    for w, g, v in zip(ws, gs, together, strict=True):
        alone = Variable(w.copy())
        optimizers.RMSprop(0.01).apply([g], [alone])
        np.testing.assert_allclose(v.numpy(), alone.numpy())
