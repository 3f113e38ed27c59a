"""Every attribute the trainer keeps exists from the model's construction, for every kind."""

import inspect
import re

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.training import compile_utils, trainer


class _Subclassed(lamina.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2)

    def call(self, x):
        return self.dense(x)


def _functional():
    x = lamina.Input((3,))
    return lamina.Model(x, layers.Dense(2)(x))


MODELS = {
    "sequential": lambda: lamina.Sequential([lamina.Input((3,)), layers.Dense(2)]),
    "functional": _functional,
    "subclassed": _Subclassed,
}


def _trainer_attributes() -> set[str]:
    """The names trainer.py assigns on `self` anywhere."""
    return set(re.findall(r"\bself\.(\w+)(?:: [^=\n]+)? = ", inspect.getsource(trainer)))


@pytest.mark.parametrize("kind", MODELS)
def test_the_trainer_state_is_made_in_init(kind):
    names = _trainer_attributes()
    assert {"_part_trackers", "_last_loss_parts", "_constrained", "_compile_spec"} <= names
    model = MODELS[kind]()
    assert sorted(names - set(vars(model))) == []
    before = set(vars(model))
    model.compile("sgd", loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    assert sorted((set(vars(model)) - before) & names) == []


def test_the_trainer_reads_its_own_state_directly():
    source = inspect.getsource(trainer)
    assert re.findall(r"getattr\(self, \"_\w+\"", source) == []


def test_compile_loss_keeps_no_unused_flag():
    loss = compile_utils.CompileLoss("mse", None, ["output"])
    assert not hasattr(loss, "checked")
