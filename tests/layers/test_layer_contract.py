"""Every built-in layer passes run_layer_test: shapes, symbolic calls, config, gradients."""

import numpy as np
import pytest

from lamina import layers
from lamina.testing.layer_test import run_layer_test

CASES = [
    # (class, init kwargs, input shape, extra run_layer_test arguments)
    (
        layers.Dense,
        {"units": 4},
        (2, 3),
        {"expected_output_shape": (2, 4), "expected_num_trainable_weights": 2},
    ),
    (
        layers.Dense,
        {"units": 4, "activation": "tanh"},
        (2, 5, 3),
        {"expected_output_shape": (2, 5, 4), "expected_num_trainable_weights": 2},
    ),
    (
        layers.Dense,
        {"units": 2, "use_bias": False, "kernel_regularizer": "l2", "activity_regularizer": "l1"},
        (2, 3),
        {"expected_num_trainable_weights": 1, "expected_num_losses": 2},
    ),
    (layers.Activation, {"activation": "relu"}, (2, 3), {"expected_output_shape": (2, 3)}),
    (layers.Activation, {"activation": "softmax"}, (2, 3), {}),
    (layers.Dropout, {"rate": 0.5, "seed": 1}, (4, 3), {"call_kwargs": {"training": True}}),
    (layers.Flatten, {}, (2, 3, 4), {"expected_output_shape": (2, 12)}),
    (layers.Reshape, {"target_shape": (4, 3)}, (2, 12), {"expected_output_shape": (2, 4, 3)}),
    (layers.Reshape, {"target_shape": (-1, 2)}, (2, 3, 4), {"expected_output_shape": (2, 6, 2)}),
    (layers.Permute, {"dims": (2, 1)}, (2, 3, 4), {"expected_output_shape": (2, 4, 3)}),
    (layers.Permute, {"dims": (3, 1, 2)}, (2, 3, 4, 5), {"expected_output_shape": (2, 5, 3, 4)}),
    (layers.RepeatVector, {"n": 3}, (2, 4), {"expected_output_shape": (2, 3, 4)}),
    (layers.ReLU, {}, (2, 3), {}),
    (layers.ReLU, {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.2}, (3, 4), {}),
    (layers.LeakyReLU, {"negative_slope": 0.1}, (2, 3), {}),
    (layers.ELU, {"alpha": 0.5}, (2, 3), {}),
    (layers.Softmax, {}, (2, 3), {}),
    (layers.Softmax, {"axis": 1}, (2, 3, 4), {}),
    (layers.Add, {}, [(2, 3), (2, 3)], {"expected_output_shape": (2, 3)}),
    (layers.Add, {}, [(2, 3), (2, 1)], {"expected_output_shape": (2, 3)}),
    (layers.Subtract, {}, [(2, 3), (2, 3)], {}),
    (layers.Multiply, {}, [(2, 3), (2, 3), (2, 3)], {}),
    (layers.Average, {}, [(2, 3), (2, 3)], {}),
    (layers.Maximum, {}, [(2, 3), (2, 3)], {}),
    (layers.Minimum, {}, [(2, 3), (2, 3)], {}),
    (layers.Concatenate, {}, [(2, 3), (2, 4)], {"expected_output_shape": (2, 7)}),
    (layers.Concatenate, {"axis": 1}, [(2, 3, 4), (2, 2, 4)], {"expected_output_shape": (2, 5, 4)}),
    (layers.Dot, {"axes": 1}, [(2, 3), (2, 3)], {"expected_output_shape": (2, 1)}),
    (layers.Dot, {"axes": (1, 2)}, [(2, 3, 4), (2, 5, 3)], {"expected_output_shape": (2, 4, 5)}),
    (layers.Dot, {"axes": -1, "normalize": True}, [(2, 3), (2, 3)], {}),
    (layers.Lambda, {"function": lambda x: x * x}, (2, 3), {"run_config": False}),
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape", "extra"),
    CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)],
)
def test_layer_contract(cls, kwargs, shape, extra):
    run_layer_test(cls, kwargs, input_shape=shape, **extra)


def test_float64_inputs_are_cast_to_the_layer_dtype():
    layer = run_layer_test(layers.Dense, {"units": 2}, input_shape=(3, 4), input_dtype="float64")
    assert layer.kernel.dtype == np.float32
