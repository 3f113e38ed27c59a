"""CompileLoss reduces plain loss functions the way Loss objects are reduced."""

import numpy as np

from lamina import losses, ops
from lamina.training.compile_utils import CompileLoss


def _squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def test_plain_function_loss_takes_column_sample_weights():
    y = np.zeros((3, 1), "float32")
    pred = ops.convert_to_tensor(np.array([[1.0], [2.0], [3.0]], "float32"))
    sw = np.array([[1.0], [0.0], [2.0]], "float32")  # (batch, 1) against per-sample (batch,)
    total, _ = CompileLoss(_squared_error, None, ["out"])([y], [pred], sw)
    assert np.isclose(float(total.numpy()), (1.0 + 0.0 + 2.0 * 9.0) / 3)
    same, _ = CompileLoss(losses.MeanSquaredError(), None, ["out"])([y], [pred], sw)
    assert np.isclose(float(same.numpy()), float(total.numpy()))


def test_one_weight_per_sample_weighs_all_of_its_values():
    values = ops.convert_to_tensor(np.array([[1.0, 3.0], [5.0, 7.0]], "float32"))
    out = losses.reduce_weighted_values(values, sample_weight=np.array([1.0, 0.0], "float32"))
    assert np.isclose(float(out.numpy()), (1.0 + 3.0) / 4)
