"""The Optimizer base: learning rate handling, clipping, weight decay, state, configs, errors."""

import math

import numpy as np
import pytest

from lamina import Variable, optimizers
from lamina.optimizers import schedules


def step(opt, w, g):
    opt.apply([np.asarray(g, dtype="float64")], [w])
    return w.numpy()


def test_keras_defaults():
    assert optimizers.SGD().learning_rate == 0.01
    rms = optimizers.RMSprop()
    assert (rms.learning_rate, rms.rho, rms.momentum, rms.epsilon, rms.centered) == (
        0.001,
        0.9,
        0.0,
        1e-7,
        False,
    )
    adam = optimizers.Adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (
        0.001,
        0.9,
        0.999,
        1e-7,
        False,
    )
    assert optimizers.AdamW().weight_decay == 0.004
    assert optimizers.Adagrad().initial_accumulator_value == 0.1
    assert optimizers.Adadelta().rho == 0.95
    assert (optimizers.Lion().beta_1, optimizers.Lion().beta_2) == (0.9, 0.99)
    names = {
        cls: cls().name
        for cls in (
            optimizers.SGD,
            optimizers.RMSprop,
            optimizers.Adam,
            optimizers.AdamW,
            optimizers.Nadam,
        )
    }
    assert list(names.values()) == ["SGD", "rmsprop", "adam", "adamw", "nadam"]


def test_learning_rate_reads_as_float_and_assigns():
    opt = optimizers.RMSprop()
    assert isinstance(opt.learning_rate, float)
    opt.learning_rate = 0.5
    w = Variable(np.array([1.0]))
    step(opt, w, [1.0])
    np.testing.assert_allclose(w.numpy(), [1 - 0.5 / math.sqrt(0.1 + 1e-7)])
    opt.lr = 0.25
    assert opt.learning_rate == 0.25 and opt.lr == 0.25


def test_lr_and_decay_legacy_spellings():
    opt = optimizers.SGD(lr=0.1, decay=1.0)
    assert opt.learning_rate == 0.1
    w = Variable(np.array([0.0]))
    step(opt, w, [1.0])  # lr 0.1 / (1 + 0)
    step(opt, w, [1.0])  # lr 0.1 / (1 + 1)
    step(opt, w, [1.0])  # lr 0.1 / (1 + 2)
    np.testing.assert_allclose(w.numpy(), [-(0.1 + 0.05 + 0.1 / 3)])
    assert opt.get_config()["decay"] == 1.0


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: optimizers.SGD(learning_rate=-1), "learning_rate=-1"),
        (lambda: optimizers.SGD(momentum=1.5), "momentum=1.5"),
        (lambda: optimizers.RMSprop(rho=1.0), "rho=1.0"),
        (lambda: optimizers.RMSprop(epsilon=-1e-7), "epsilon=-1e-07"),
        (lambda: optimizers.Adam(beta_1=-0.1), "beta_1=-0.1"),
        (lambda: optimizers.Adam(beta_2=1.0), "beta_2=1.0"),
        (lambda: optimizers.Lion(beta_1=0.0), "beta_1=0.0"),
        (lambda: optimizers.Adagrad(initial_accumulator_value=-1), "initial_accumulator_value"),
        (lambda: optimizers.SGD(clipnorm=1.0, clipvalue=1.0), "Only one of"),
        (lambda: optimizers.SGD(clipnorm=0), r"`clipnorm` must be a positive .*clipnorm=0$"),
        (lambda: optimizers.SGD(clipvalue=0.0), r"`clipvalue` must be .*clipvalue=0.0$"),
        (lambda: optimizers.Adam(global_clipnorm=0), r"`global_clipnorm` .*global_clipnorm=0$"),
        (lambda: optimizers.SGD(clipnorm=-1.0), r"every update zero.*clipnorm=-1.0$"),
        (lambda: optimizers.RMSprop(clipvalue=-0.5), r"clipvalue=-0.5$"),
        (lambda: optimizers.SGD(global_clipnorm=float("nan")), r"global_clipnorm=nan$"),
        (lambda: optimizers.SGD(clipnorm="1"), r"clipnorm='1'$"),
        (lambda: optimizers.SGD(decay=-0.1), "decay=-0.1"),
        (lambda: optimizers.SGD(foo=1), "not recognized"),
        (lambda: optimizers.AdamW(weight_decay=None), "weight_decay=None"),
    ],
)
def test_bad_arguments_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_assigning_a_negative_learning_rate_is_refused():
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match="learning_rate=-0.1"):
        opt.learning_rate = -0.1


def test_schedule_drives_the_learning_rate():
    sched = schedules.PiecewiseConstantDecay([1], [1.0, 0.1])
    opt = optimizers.SGD(learning_rate=sched)
    w = Variable(np.array([0.0]))
    for _ in range(3):
        step(opt, w, [1.0])  # steps 0 and 1 use 1.0, step 2 uses 0.1
    np.testing.assert_allclose(w.numpy(), [-2.1])
    assert opt.learning_rate == 0.1
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        opt.learning_rate = 0.5


def test_callable_learning_rate():
    opt = optimizers.SGD(learning_rate=lambda: 0.5)
    assert opt.learning_rate == 0.5


def test_clipnorm_clipvalue_global_clipnorm():
    w = Variable(np.array([0.0, 0.0]))
    np.testing.assert_allclose(step(optimizers.SGD(1.0, clipnorm=1.0), w, [3.0, 4.0]), [-0.6, -0.8])
    w = Variable(np.array([0.0, 0.0]))
    np.testing.assert_allclose(
        step(optimizers.SGD(1.0, clipvalue=1.0), w, [3.0, -0.5]), [-1.0, 0.5]
    )
    a, b = Variable(np.array([0.0])), Variable(np.array([0.0]))
    optimizers.SGD(1.0, global_clipnorm=1.0).apply([np.array([3.0]), np.array([4.0])], [a, b])
    np.testing.assert_allclose([a.numpy()[0], b.numpy()[0]], [-0.6, -0.8])
    # Gradients under the limit are left alone.
    w = Variable(np.array([0.0]))
    np.testing.assert_allclose(step(optimizers.SGD(1.0, clipnorm=10.0), w, [3.0]), [-3.0])


def test_weight_decay_and_exclusions():
    opt = optimizers.SGD(0.1, weight_decay=0.5)
    w, b = Variable(np.array([1.0]), name="kernel"), Variable(np.array([1.0]), name="bias")
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply([np.array([0.0]), np.array([0.0])], [w, b])
    np.testing.assert_allclose([w.numpy()[0], b.numpy()[0]], [0.95, 1.0])


def test_iterations_and_variables():
    opt = optimizers.Adam()
    w = Variable(np.ones((2, 3)))
    assert int(opt.iterations) == 0 and not opt.built
    opt.apply([np.ones((2, 3))], [w])
    opt.apply_gradients([(np.ones((2, 3)), w)])
    assert int(opt.iterations) == 2 and opt.iterations.numpy() == 2
    names = [v.name for v in opt.variables]
    assert len(names) == 3 and names[0].endswith("iteration")
    assert opt.variables[1].shape == (2, 3)


def test_apply_without_variables_uses_the_built_ones():
    opt = optimizers.SGD(1.0)
    w = Variable(np.array([1.0]))
    opt.build([w])
    opt.apply([np.array([0.5])])
    np.testing.assert_allclose(w.numpy(), [0.5])


def test_unknown_variable_and_bad_shapes_raise():
    opt = optimizers.SGD()
    opt.apply([np.ones(2)], [Variable(np.ones(2))])
    with pytest.raises(KeyError, match="not passed to this optimizer"):
        opt.apply([np.ones(2)], [Variable(np.ones(2))])
    with pytest.raises(ValueError, match="Gradient of shape"):
        optimizers.SGD().apply([np.ones(3)], [Variable(np.ones(2))])
    with pytest.raises(ValueError, match="one gradient per variable"):
        optimizers.SGD().apply([np.ones(2)], [Variable(np.ones(2)), Variable(np.ones(2))])


def test_index_and_scratch_gives_the_build_position_and_a_buffer_of_the_variable_shape():
    a, b = Variable(np.ones(2, "float32")), Variable(np.ones((3, 4), "float32"))
    opt = optimizers.SGD()
    opt.build([a, b])
    i, scratch = opt.index_and_scratch(b)
    assert i == 1
    assert scratch.shape == (3, 4) and scratch.dtype == np.float32
    with pytest.raises(KeyError, match="not passed to this optimizer"):
        opt.index_and_scratch(Variable(np.ones(2)))


def test_none_gradients_are_skipped_with_a_warning():
    opt = optimizers.SGD(1.0)
    a, b = Variable(np.array([1.0])), Variable(np.array([1.0]))
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply([np.array([1.0]), None], [a, b])
    assert (a.numpy()[0], b.numpy()[0]) == (0.0, 1.0)
    with pytest.raises(ValueError, match="No gradients"):
        optimizers.SGD().apply([None], [a])


def test_ema():
    opt = optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5)
    w = Variable(np.array([0.0]))
    step(opt, w, [1.0])  # w = -1, ema = 0.5 * 0 + 0.5 * -1
    step(opt, w, [1.0])  # w = -2, ema = 0.5 * -0.5 + 0.5 * -2
    np.testing.assert_allclose(w.numpy(), [-2.0])
    opt.finalize_variable_values()
    np.testing.assert_allclose(w.numpy(), [-1.25])


@pytest.mark.parametrize(
    "name, cls",
    [
        ("sgd", optimizers.SGD),
        ("SGD", optimizers.SGD),
        ("rmsprop", optimizers.RMSprop),
        ("Adam", optimizers.Adam),
        ("adamw", optimizers.AdamW),
        ("nadam", optimizers.Nadam),
        ("adagrad", optimizers.Adagrad),
        ("lion", optimizers.Lion),
        ("adadelta", optimizers.Adadelta),
        ("adamax", optimizers.Adamax),
    ],
)
def test_get_by_name(name, cls):
    assert type(optimizers.get(name)) is cls


def test_get_unknown_lists_known_names():
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'.*rmsprop"):
        optimizers.get("adamm")
    opt = optimizers.SGD()
    assert optimizers.get(opt) is opt


@pytest.mark.parametrize(
    "opt",
    [
        optimizers.SGD(0.1, momentum=0.9, nesterov=True, clipnorm=1.0),
        optimizers.RMSprop(0.01, rho=0.8, momentum=0.1, centered=True, name="r"),
        optimizers.Adam(amsgrad=True, global_clipnorm=2.0),
        optimizers.AdamW(weight_decay=0.1),
        optimizers.Nadam(beta_1=0.8),
        optimizers.Lion(beta_2=0.9),
        optimizers.Adagrad(initial_accumulator_value=0.2),
        optimizers.Adadelta(rho=0.9),
        optimizers.Adamax(epsilon=1e-6),
        optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5)),
    ],
)
def test_config_round_trip(opt):
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert type(again) is type(opt)
    assert again.get_config() == opt.get_config()


@pytest.mark.parametrize("cls", [optimizers.Adam, optimizers.Nadam, optimizers.RMSprop])
def test_saved_state_resumes_identically(cls):
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal(4) for _ in range(6)]
    w_ref = Variable(np.zeros(4))
    ref = cls(learning_rate=0.1)
    for g in grads:
        ref.apply([g], [w_ref])
    w = Variable(np.zeros(4))
    first = cls(learning_rate=0.1)
    for g in grads[:3]:
        first.apply([g], [w])
    store = {}
    first.save_own_variables(store)
    second = cls(learning_rate=0.1)
    second.build([w])
    second.load_own_variables(store)
    for g in grads[3:]:
        second.apply([g], [w])
    np.testing.assert_allclose(w.numpy(), w_ref.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="entries"):
        second.load_own_variables({"0": 1})


def test_state_arrays_build_a_fresh_optimizer_that_resumes_bit_for_bit():
    rng = np.random.default_rng(4)
    grads = [[rng.standard_normal(3), rng.standard_normal((2, 3))] for _ in range(6)]
    frozen = Variable(np.ones(5))  # among the weights, not updated by the optimizer
    ref_w = [Variable(np.zeros(3)), Variable(np.zeros((2, 3)))]
    ref = optimizers.Adam(learning_rate=0.1, use_ema=True)
    for g in grads:
        ref.apply(g, ref_w)
    w = [Variable(np.zeros(3)), Variable(np.zeros((2, 3)))]
    first = optimizers.Adam(learning_rate=0.1, use_ema=True)
    for g in grads[:3]:
        first.apply(g, w)
    weights = [frozen, w[1], w[0]]
    arrays, metadata = first.state_arrays(weights)
    assert sorted(arrays)[:2] == ["optimizer/ema/0", "optimizer/ema/1"]
    assert metadata == {"optimizer_variables": "[2, 1]"}
    second = optimizers.Adam(learning_rate=0.1, use_ema=True)
    second.load_state_arrays(arrays, metadata, weights)  # builds it with w[0], w[1]
    for g in grads[3:]:
        second.apply(g, w)
    for a, b in zip(w, ref_w, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    second.finalize_variable_values()
    ref.finalize_variable_values()
    np.testing.assert_array_equal(w[1].numpy(), ref_w[1].numpy())
    assert optimizers.SGD().state_arrays([]) == ({"optimizer/vars/0": np.zeros((), "int64")}, {})


def test_state_arrays_that_do_not_fit_are_refused_before_anything_changes():
    w = Variable(np.zeros(3))
    opt = optimizers.Adam(learning_rate=0.1)
    opt.apply([np.ones(3)], [w])
    with pytest.raises(ValueError, match="not among the weights given"):
        opt.state_arrays([Variable(np.zeros(3))])
    arrays, metadata = opt.state_arrays([w])
    cases = [
        ({**arrays, "optimizer/evil/0": np.zeros(1)}, metadata, "tensors other than"),
        ({**arrays, "optimizer/vars/9": np.zeros(1)}, metadata, "not numbered 0, 1, 2"),
        (arrays, {"optimizer_variables": "[1]"}, "weight positions below 1"),
        (arrays, {"optimizer_variables": "[" * 100_000}, "not valid JSON"),
        ({**arrays, "optimizer/vars/1": np.zeros(4)}, metadata, r"has shape \(3,\) but"),
        ({**arrays, "optimizer/ema/0": np.zeros(3)}, metadata, "moving averages"),
    ]
    before = [v.numpy().copy() for v in opt.variables]
    for bad_arrays, bad_metadata, match in cases:
        fresh = optimizers.Adam(learning_rate=0.1)
        with pytest.raises(ValueError, match=match):
            fresh.load_state_arrays(bad_arrays, bad_metadata, [w])
        with pytest.raises(ValueError, match=match):
            opt.load_state_arrays(bad_arrays, bad_metadata, [w])
    for v, value in zip(opt.variables, before, strict=True):
        np.testing.assert_array_equal(v.numpy(), value)
