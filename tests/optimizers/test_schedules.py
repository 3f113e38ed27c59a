"""Learning-rate schedules against their formulas."""

import math

import pytest

from lamina.optimizers import schedules


def test_exponential_decay():
    s = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert s(0) == 0.1
    assert s(5) == pytest.approx(0.1 * 0.5**0.5)
    assert schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)(15) == pytest.approx(0.05)


def test_inverse_time_decay():
    s = schedules.InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5)
    assert s(4) == pytest.approx(1 / (1 + 0.5 * 2))
    assert schedules.InverseTimeDecay(1.0, 2, 0.5, staircase=True)(3) == pytest.approx(1 / 1.5)


def test_piecewise_constant():
    s = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [s(0), s(10), s(11), s(20), s(21)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    with pytest.raises(ValueError, match="len\\(values\\)=2"):
        schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5])


def test_polynomial_decay():
    s = schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0, power=2.0)
    assert s(5) == pytest.approx(0.25)
    assert s(20) == pytest.approx(0.0)
    cyc = schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0, cycle=True)
    assert cyc(15) == pytest.approx(1 - 15 / 20)


def test_cosine_decay_with_warmup():
    s = schedules.CosineDecay(1.0, 10, alpha=0.1)
    assert s(0) == 1.0
    assert s(5) == pytest.approx(0.9 * 0.5 + 0.1)
    assert s(100) == pytest.approx(0.1)
    w = schedules.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=4)
    assert w(2) == pytest.approx(0.5)
    assert w(4) == pytest.approx(1.0)
    assert w(9) == pytest.approx(0.5)


def test_cosine_decay_restarts():
    s = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    assert s(5) == pytest.approx(0.5)
    assert s(10) == pytest.approx(0.5)  # second period starts at half height
    assert s(20) == pytest.approx(0.5 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert schedules.CosineDecayRestarts(1.0, 10, t_mul=1.0)(15) == pytest.approx(0.5)


def test_bad_arguments():
    with pytest.raises(ValueError, match="decay_steps=0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)


@pytest.mark.parametrize(
    "sched",
    [
        schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
        schedules.InverseTimeDecay(0.1, 10, 0.5),
        schedules.PiecewiseConstantDecay([5], [0.1, 0.01]),
        schedules.PolynomialDecay(0.1, 10, cycle=True),
        schedules.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=3),
        schedules.CosineDecayRestarts(0.1, 10),
    ],
)
def test_round_trip(sched):
    again = schedules.deserialize(schedules.serialize(sched))
    assert again.get_config() == sched.get_config()
    assert again(7) == sched(7)
