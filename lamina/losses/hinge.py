"""Hinge losses for maximum-margin classifiers; labels in {0, 1} are mapped to {-1, 1}."""

from typing import Any

from lamina import ops
from lamina.backend import get_xp
from lamina.losses.loss import LossFunctionWrapper
from lamina.losses.probabilistic import aligned
from lamina.ops.symbolic import symbolic_function
from lamina.tensor import Tensor


def to_signed_labels(y_true: Tensor) -> Tensor:
    """Map binary labels {0, 1} to {-1, 1}; labels already in {-1, 1} are left alone."""
    xp = get_xp(y_true.data)
    y = y_true.data
    if bool(xp.all((y == 0) | (y == 1))):
        return Tensor((2 * y - 1).astype(y.dtype, copy=False))
    return y_true


def _margin_shortfall(op: str, y_true: Any, y_pred: Any) -> Tensor:
    """`max(1 - y_true * y_pred, 0)` elementwise, with labels in {-1, 1}."""
    y_true, y_pred = aligned(op, y_true, y_pred)
    return ops.relu(1.0 - to_signed_labels(y_true) * y_pred)


@symbolic_function("losses")
def hinge(y_true: Any, y_pred: Any) -> Tensor:
    """`mean(max(1 - y_true * y_pred, 0))` over the last axis.

    Example:
    >>> hinge([[1.0, 0.0]], [[0.5, -2.0]]).numpy()
    array([0.25], dtype=float32)
    """
    return ops.mean(_margin_shortfall("hinge", y_true, y_pred), axis=-1)


@symbolic_function("losses")
def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """`mean(square(max(1 - y_true * y_pred, 0)))` over the last axis.

    Example:
    >>> squared_hinge([[1.0, 0.0]], [[0.5, -2.0]]).numpy()
    array([0.125], dtype=float32)
    """
    return ops.mean(ops.square(_margin_shortfall("squared_hinge", y_true, y_pred)), axis=-1)


@symbolic_function("losses")
def categorical_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """`max(neg - pos + 1, 0)`: pos is the true class's score, neg the best wrong one's.

    Example:
    >>> categorical_hinge([[0.0, 1.0]], [[0.3, 0.8]]).numpy()
    array([0.5], dtype=float32)
    """
    y_true, y_pred = aligned("categorical_hinge", y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.relu(neg - pos + 1.0)


class Hinge(LossFunctionWrapper):
    """Hinge loss; see `hinge`.

    Example:
    >>> Hinge()([[1.0, 0.0]], [[0.5, -2.0]])
    tensor(0.25, dtype=float32)
    """

    def __init__(
        self, reduction: Any = "sum_over_batch_size", name: str = "hinge", dtype: Any = None
    ) -> None:
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss; see `squared_hinge`.

    Example:
    >>> SquaredHinge()([[1.0, 0.0]], [[0.5, -2.0]])
    tensor(0.125, dtype=float32)
    """

    def __init__(
        self, reduction: Any = "sum_over_batch_size", name: str = "squared_hinge", dtype: Any = None
    ) -> None:
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss; see `categorical_hinge`.

    Example:
    >>> CategoricalHinge()([[0.0, 1.0]], [[0.3, 0.8]])
    tensor(0.5, dtype=float32)
    """

    label_type = "one_hot"

    def __init__(
        self,
        reduction: Any = "sum_over_batch_size",
        name: str = "categorical_hinge",
        dtype: Any = None,
    ) -> None:
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)
