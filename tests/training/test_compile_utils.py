"""What compile and fit do for a loss follows what the loss declares, never its name."""

import numpy as np
import pytest

import lamina
from lamina import layers, losses, ops
from lamina.training import compile_utils


def my_sparse_thing(y_true, y_pred):
    """A squared error whose name happens to contain "sparse"."""
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def my_thing(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


def test_a_loss_named_sparse_gets_its_target_aligned_like_any_other():
    y = np.array([0.0, 1.0, 2.0, 3.0], "float32")
    pred = ops.convert_to_tensor(np.array([[0.5], [1.0], [2.5], [3.0]], "float32"))
    value = {}
    for fn in (my_sparse_thing, my_thing):
        total, _ = compile_utils.CompileLoss(fn, None, ["output"])([y], [pred], None)
        value[fn.__name__] = float(total)
    assert value["my_sparse_thing"] == pytest.approx(value["my_thing"]) == pytest.approx(0.125)


def test_names_do_not_trigger_the_target_checks():
    def weighted_categorical_crossentropy(y_true, y_pred):
        return losses.sparse_categorical_crossentropy(y_true, y_pred)

    def my_sparse_categorical_loss(y_true, y_pred):
        return losses.categorical_crossentropy(y_true, y_pred)

    pred = ops.convert_to_tensor(np.full((2, 3), 1 / 3, "float32"))
    one_hot = np.eye(3, dtype="float32")[[0, 2]]
    ids = np.array([0, 2])
    for fn, y in ((weighted_categorical_crossentropy, ids), (my_sparse_categorical_loss, one_hot)):
        compile_utils.check_targets([fn], [y], [pred], ["output"])


def test_a_user_loss_declaring_class_ids_gets_the_class_id_checks():
    class MyLoss(losses.Loss):
        label_type = "class_ids"

        def call(self, y_true, y_pred):
            return losses.sparse_categorical_crossentropy(y_true, y_pred)

    pred = ops.convert_to_tensor(np.full((2, 3), 1 / 3, "float32"))
    with pytest.raises(ValueError, match=r"loss='my_loss' expects y to hold integer class ids"):
        compile_utils.check_targets([MyLoss()], [np.eye(3)[[0, 2]]], [pred], ["output"])
    with pytest.raises(ValueError, match=r"class ids in \[0, 3\).*y\[1\]=7"):
        compile_utils.check_targets([MyLoss()], [np.array([0, 7])], [pred], ["output"])


def test_fit_with_a_regression_loss_named_sparse_categorical():
    def my_sparse_categorical_mse(y_true, y_pred):
        return ops.mean(ops.square(y_pred - y_true), axis=-1)

    model = lamina.Sequential([lamina.Input((2,)), layers.Dense(1)])
    model.compile("sgd", loss=my_sparse_categorical_mse)
    x = np.ones((4, 2), "float32")
    history = model.fit(x, np.full((4, 1), 0.5, "float32"), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_from_logits_is_read_from_the_public_attribute():
    class LogitLoss(losses.Loss):
        def __init__(self):
            super().__init__()
            self.from_logits = True

        def call(self, y_true, y_pred):
            return ops.mean(y_pred, axis=-1)

    assert compile_utils.uses_logits(losses.BinaryCrossentropy(from_logits=True))
    assert not compile_utils.uses_logits(losses.BinaryCrossentropy())
    assert compile_utils.uses_logits(
        losses.LossFunctionWrapper(losses.binary_crossentropy, from_logits=True)
    )
    assert compile_utils.uses_logits(LogitLoss())
    assert not compile_utils.uses_logits(losses.binary_crossentropy)
