"""Initializers: fans, statistics, seeding, dtypes, configs."""

import math

import numpy as np
import pytest

from lamina import initializers
from lamina.backend import SeedGenerator, set_floatx, set_random_seed


def test_compute_fans():
    assert initializers.compute_fans(()) == (1, 1)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans((784, 512)) == (784, 512)
    assert initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert initializers.compute_fans((5, 8, 4)) == (40, 20)


@pytest.mark.parametrize(
    "cls, limit_or_std, uniform",
    [
        (initializers.GlorotUniform, math.sqrt(6 / (400 + 300)), True),
        (initializers.HeUniform, math.sqrt(6 / 400), True),
        (initializers.LecunUniform, math.sqrt(3 / 400), True),
        (initializers.GlorotNormal, math.sqrt(2 / (400 + 300)), False),
        (initializers.HeNormal, math.sqrt(2 / 400), False),
        (initializers.LecunNormal, math.sqrt(1 / 400), False),
    ],
)
def test_variance_scaling_family(cls, limit_or_std, uniform):
    w = cls(seed=1)((400, 300))
    assert w.shape == (400, 300) and w.dtype == np.float32
    if uniform:
        assert np.abs(w).max() <= limit_or_std
        assert np.abs(w).max() > 0.99 * limit_or_std
        np.testing.assert_allclose(w.std(), limit_or_std / math.sqrt(3), rtol=0.02)
    else:
        # Truncated at two (rescaled) standard deviations, with the variance kept.
        assert np.abs(w).max() <= 2 * limit_or_std / 0.87962566103423978 + 1e-6
        np.testing.assert_allclose(w.std(), limit_or_std, rtol=0.02)
    assert abs(w.mean()) < 0.02 * limit_or_std * 10


def test_variance_scaling_options_and_errors():
    w = initializers.VarianceScaling(2.0, "fan_out", "untruncated_normal", seed=0)((500, 400))
    np.testing.assert_allclose(w.std(), math.sqrt(2 / 400), rtol=0.02)
    with pytest.raises(ValueError, match="scale=0"):
        initializers.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match="mode='fan'"):
        initializers.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="distribution='gamma'"):
        initializers.VarianceScaling(distribution="gamma")


def test_random_distributions():
    w = initializers.RandomNormal(mean=1.0, stddev=2.0, seed=3)((200, 200))
    np.testing.assert_allclose([w.mean(), w.std()], [1.0, 2.0], rtol=0.03)
    u = initializers.RandomUniform(-2.0, 3.0, seed=3)((200, 200))
    assert u.min() >= -2.0 and u.max() < 3.0
    t = initializers.TruncatedNormal(stddev=1.0, seed=3)((200, 200))
    assert np.abs(t).max() <= 2.0
    assert initializers.RandomNormal().stddev == 0.05
    assert (initializers.RandomUniform().minval, initializers.RandomUniform().maxval) == (
        -0.05,
        0.05,
    )


def test_constant_like_initializers():
    np.testing.assert_array_equal(initializers.Zeros()((2, 3)), np.zeros((2, 3), "float32"))
    np.testing.assert_array_equal(initializers.Ones()((2,)), np.ones(2, "float32"))
    np.testing.assert_array_equal(initializers.Constant(2.5)((2,)), [2.5, 2.5])
    np.testing.assert_array_equal(initializers.Identity(gain=2.0)((2, 3)), 2 * np.eye(2, 3))
    assert initializers.Zeros()((2,), dtype="int32").dtype == np.int32
    with pytest.raises(ValueError, match="rank 3"):
        initializers.Identity()((2, 2, 2))


def test_orthogonal():
    q = initializers.Orthogonal(seed=0)((6, 4))
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)
    q = initializers.Orthogonal(gain=2.0, seed=0)((3, 5))
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(3), atol=1e-5)
    q = initializers.Orthogonal(seed=0)((2, 3, 6))
    np.testing.assert_allclose(q.reshape(6, 6) @ q.reshape(6, 6).T, np.eye(6), atol=1e-5)
    with pytest.raises(ValueError, match="rank 2 or more"):
        initializers.Orthogonal()((3,))


def test_seeding():
    a = initializers.GlorotUniform(seed=7)((3, 3))
    assert np.array_equal(a, initializers.GlorotUniform(seed=7)((3, 3)))
    init = initializers.GlorotUniform(seed=7)
    assert np.array_equal(init((3, 3)), init((3, 3)))  # an int seed repeats, as in Keras 3
    gen = initializers.RandomNormal(seed=SeedGenerator(1))
    assert not np.array_equal(gen((3,)), gen((3,)))  # a generator advances
    unseeded = initializers.HeNormal()
    assert not np.array_equal(unseeded((3, 3)), unseeded((3, 3)))
    set_random_seed(123)
    first = [initializers.GlorotUniform()((4, 4)), initializers.RandomNormal()((2,))]
    set_random_seed(123)
    second = [initializers.GlorotUniform()((4, 4)), initializers.RandomNormal()((2,))]
    for x, y in zip(first, second, strict=True):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(ValueError, match="seed='a'"):
        initializers.HeNormal(seed="a")


def test_dtypes():
    assert initializers.GlorotUniform(seed=0)((2, 2), dtype="float64").dtype == np.float64
    set_floatx("float64")
    try:
        assert initializers.HeNormal(seed=0)((2, 2)).dtype == np.float64
    finally:
        set_floatx("float32")
    with pytest.raises(ValueError, match="dtype=int32"):
        initializers.RandomNormal()((2,), dtype="int32")


@pytest.mark.parametrize(
    "name, cls",
    [
        ("glorot_uniform", initializers.GlorotUniform),
        ("GlorotNormal", initializers.GlorotNormal),
        ("he_normal", initializers.HeNormal),
        ("he_uniform", initializers.HeUniform),
        ("lecun_normal", initializers.LecunNormal),
        ("lecun_uniform", initializers.LecunUniform),
        ("orthogonal", initializers.Orthogonal),
        ("identity", initializers.Identity),
        ("zeros", initializers.Zeros),
        ("ones", initializers.Ones),
        ("constant", initializers.Constant),
        ("random_normal", initializers.RandomNormal),
        ("random_uniform", initializers.RandomUniform),
        ("truncated_normal", initializers.TruncatedNormal),
        ("variance_scaling", initializers.VarianceScaling),
    ],
)
def test_get_by_name(name, cls):
    assert type(initializers.get(name)) is cls


def test_get_unknown_and_callables():
    with pytest.raises(ValueError, match="Unknown initializer 'glorot'.*glorot_uniform"):
        initializers.get("glorot")
    fn = lambda shape, dtype=None: np.full(shape, 3.0)  # noqa: E731
    assert initializers.get(fn) is fn
    assert initializers.get(None) is None


@pytest.mark.parametrize(
    "init",
    [
        initializers.GlorotUniform(seed=3),
        initializers.VarianceScaling(0.5, "fan_avg", "uniform", 2),
        initializers.RandomNormal(0.1, 0.2, seed=4),
        initializers.Constant(1.5),
        initializers.Orthogonal(gain=0.5, seed=1),
        initializers.Identity(2.0),
        initializers.TruncatedNormal(seed=9),
    ],
)
def test_config_round_trip(init):
    again = initializers.deserialize(initializers.serialize(init))
    assert type(again) is type(init) and again.get_config() == init.get_config()
    np.testing.assert_array_equal(again((3, 3)), init((3, 3)))
