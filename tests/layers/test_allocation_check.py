"""allocation_check: the hook a loader installs to vet weights and symbolic calls first."""

import pytest

import lamina
from lamina import layers
from lamina.layers.layer import AllocationCheck, active_allocation_check, allocation_check


class Recorder(AllocationCheck):
    def __init__(self):
        self.seen = []

    def weight(self, layer, name, shape, dtype):
        self.seen.append(("weight", layer.name, name, shape, dtype.name))

    def symbolic_inputs(self, layer, inputs, args, kwargs):
        self.seen.append(("inputs", layer.name, inputs.shape))

    def symbolic_outputs(self, layer, outputs):
        self.seen.append(("outputs", layer.name, outputs.shape))


def test_the_check_sees_each_weight_and_symbolic_call_in_order():
    x = lamina.Input((3,))
    recorder = Recorder()
    with allocation_check(recorder):
        layers.Dense(2, name="d")(x)
    assert recorder.seen == [
        ("inputs", "d", (None, 3)),
        ("weight", "d", "kernel", (3, 2), "float32"),
        ("weight", "d", "bias", (2,), "float32"),
        ("outputs", "d", (None, 2)),
    ]
    assert active_allocation_check() is None


def test_a_refusal_comes_before_the_weight_exists():
    class Refuse(AllocationCheck):
        def weight(self, layer, name, shape, dtype):
            raise ValueError(f"no {name}")

    dense = layers.Dense(2)
    with allocation_check(Refuse()), pytest.raises(ValueError, match="no kernel"):
        dense.build((None, 3))
    assert dense.weights == []


def test_checks_nest_and_the_outer_one_comes_back():
    outer, inner = Recorder(), Recorder()
    with allocation_check(outer):
        with allocation_check(inner):
            assert active_allocation_check() is inner
        assert active_allocation_check() is outer
        layers.Dense(1).build((None, 1))
    assert len(outer.seen) == 2 and inner.seen == []
