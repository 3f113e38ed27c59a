"""AllocationBudget: a loader's bound on what the layers of a file's model may allocate."""

import pytest

import lamina
from lamina import layers
from lamina.layers.layer import Layer
from lamina.saving.allocation_budget import AllocationBudget, allocation_budget


class Probed(Layer):
    """A layer without compute_output_shape, so symbolic calls run it on zeros."""

    calls = 0

    def call(self, x):
        Probed.calls += 1
        return lamina.ops.concatenate([x, x], axis=-1)


def budget(weights=10**6, probe=10**4):
    return allocation_budget(AllocationBudget(weights, ValueError, probe_elements=probe))


def test_weights_over_the_budget_are_refused_before_they_exist():
    dense = layers.Dense(100)
    with budget(weights=1000), pytest.raises(ValueError, match=r"weight 'kernel' of shape"):
        dense(lamina.Input((100,)))
    assert dense.weights == []


def test_a_declared_output_too_large_is_refused_before_build():
    dense = layers.Dense(10**9)
    with budget(), pytest.raises(ValueError, match=r"would return a tensor of shape \(None, 1"):
        dense(lamina.Input((4,)))
    assert not dense.built


def test_a_too_large_input_is_refused_before_a_probe_runs():
    Probed.calls = 0
    with budget(), pytest.raises(ValueError, match="would be probed on a tensor"):
        Probed()(lamina.Input((10**5,)))
    assert Probed.calls == 0


def test_a_probed_output_too_large_is_refused():
    with budget(probe=3 * 5000), pytest.raises(ValueError, match=r"return a tensor .*\(None, 8000"):
        Probed()(lamina.Input((4000,)))


def test_within_the_budget_the_model_builds():
    with budget():
        out = Probed()(layers.Dense(3)(lamina.Input((4,))))
    assert out.shape == (None, 6)
