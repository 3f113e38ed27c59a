"""The Metric base class: state made after super().__init__(), add_variable, add_weight."""

import numpy as np
import pytest

import lamina as keras
from lamina import ops


class CountAbove(keras.metrics.Metric):
    """Keras 3 style: the state is created after super().__init__()."""

    def __init__(self, threshold=0.5, name="count_above", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")
        self.total = self.add_variable(shape=(2,), initializer="ones", name="total")

    def update_state(self, values, sample_weight=None):
        self.count.assign_add(ops.sum(ops.cast(ops.greater(values, self.threshold), "float32")))

    def result(self):
        return self.count


class Keras2Mean(keras.metrics.Metric):
    """Keras 2 style (Deep Learning with Python): add_weight(name=..., initializer=...)."""

    def __init__(self, name="keras2_mean", **kwargs):
        super().__init__(name=name, **kwargs)
        self.sum = self.add_weight(name="sum", initializer="zeros")
        self.n = self.add_weight("n", initializer="zeros", dtype="int32")

    def update_state(self, values, sample_weight=None):
        self.sum.assign_add(ops.sum(values))
        self.n.assign_add(np.size(values))

    def result(self):
        return self.sum / ops.cast(self.n, "float32")

    def reset_state(self):
        self.sum.assign(0.0)
        self.n.assign(0)


def test_state_made_after_super_init_and_reset_to_zeros():
    m = CountAbove()
    assert m.count.shape == () and not m.count.trainable
    np.testing.assert_array_equal(m.total.numpy(), [1.0, 1.0])
    assert float(m([0.1, 0.7, 0.9])) == 2.0
    m.update_state(np.array([0.6]))
    assert float(m.result()) == 3.0
    m.reset_state()  # the default reset puts every variable back to zeros, as Keras does
    assert float(m.result()) == 0.0
    np.testing.assert_array_equal(m.total.numpy(), [0.0, 0.0])


def test_keras2_add_weight_on_a_metric():
    m = Keras2Mean()
    m.update_state(np.array([1.0, 2.0, 6.0]))
    assert float(m.result()) == pytest.approx(3.0)
    assert m.n.dtype == np.int32 and m.sum.name.endswith("/sum")
    m.reset_state()
    m.update_state(np.array([4.0]))
    assert float(m.result()) == 4.0


def test_variable_state_round_trips_through_get_state():
    m = CountAbove()
    m.update_state(np.array([0.9, 0.8]))
    state = m.get_state()
    other = CountAbove()
    other.set_state(state)
    assert float(other.result()) == 2.0


def test_builtin_metrics_still_set_up_their_state():
    mean = keras.metrics.Mean()
    assert float(mean([1.0, 3.0])) == 2.0
    auc = keras.metrics.AUC(num_thresholds=3)
    auc.update_state([0, 1], [0.2, 0.8])
    assert float(auc.result()) == pytest.approx(1.0)
    assert set(mean.get_state()) == {"total", "count"}


def test_add_variable_checks_its_arguments():
    m = CountAbove()
    with pytest.raises(ValueError, match=r"aggregation.*Received: aggregation='max'"):
        m.add_variable(shape=(), initializer="zeros", aggregation="max")

    class Early(keras.metrics.Metric):
        def __init__(self):
            self.v = self.add_variable(shape=())

    with pytest.raises(RuntimeError, match=r"super\(\).__init__\(\)"):
        Early()
