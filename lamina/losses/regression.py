"""Regression losses: squared, absolute, percentage and log errors, Huber, log-cosh, cosine."""

import math
from typing import Any

from lamina import ops
from lamina.backend import epsilon
from lamina.losses.loss import LossFunctionWrapper
from lamina.losses.probabilistic import aligned
from lamina.ops.symbolic import symbolic_function
from lamina.tensor import Tensor
from lamina.validation import check_number


@symbolic_function("losses")
def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """`mean(square(y_true - y_pred))` over the last axis, per sample.

    Example:
    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).numpy()
    array([0.5], dtype=float32)
    """
    y_true, y_pred = aligned("mean_squared_error", y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


@symbolic_function("losses")
def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """`mean(abs(y_true - y_pred))` over the last axis, per sample.

    Example:
    >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]]).numpy()
    array([1.5], dtype=float32)
    """
    y_true, y_pred = aligned("mean_absolute_error", y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


@symbolic_function("losses")
def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)))` over the last axis.

    Example:
    >>> mean_absolute_percentage_error([[2.0]], [[1.0]]).numpy()
    array([50.], dtype=float32)
    """
    y_true, y_pred = aligned("mean_absolute_percentage_error", y_true, y_pred)
    scale = ops.maximum(ops.abs(y_true), epsilon())
    return ops.mean(ops.abs((y_true - y_pred) / scale), axis=-1) * 100.0


@symbolic_function("losses")
def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    """`mean(square(log(1 + y_pred) - log(1 + y_true)))`, both clipped below at epsilon.

    Example:
    >>> mean_squared_logarithmic_error([[0.0]], [[0.0]]).numpy()
    array([0.], dtype=float32)
    """
    y_true, y_pred = aligned("mean_squared_logarithmic_error", y_true, y_pred)
    eps = epsilon()
    first = ops.log1p(ops.maximum(y_pred, eps))
    second = ops.log1p(ops.maximum(y_true, eps))
    return ops.mean(ops.square(first - second), axis=-1)


def l2_normalize(x: Tensor, axis: int = -1) -> Tensor:
    """`x / ||x||` along `axis`, with the squared norm floored at 1e-12."""
    sq = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(sq, 1e-12))


@symbolic_function("losses")
def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Negative cosine similarity along `axis`, per sample: -1 means same direction.

    Example:
    >>> cosine_similarity([[1.0, 0.0]], [[2.0, 0.0]]).numpy()
    array([-1.], dtype=float32)
    """
    y_true, y_pred = aligned("cosine_similarity", y_true, y_pred)
    return -ops.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis=axis)


@symbolic_function("losses")
def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """Huber loss over the last axis: quadratic for errors up to `delta`, linear beyond.

    `0.5 * e**2` if `|e| <= delta`, else `delta * |e| - 0.5 * delta**2`.

    Example:
    >>> huber([[0.0, 0.0]], [[0.5, 3.0]]).numpy()
    array([1.3125], dtype=float32)
    """
    y_true, y_pred = aligned("huber", y_true, y_pred)
    err = y_pred - y_true
    abs_err = ops.abs(err)
    quadratic = 0.5 * ops.square(err)
    linear = delta * abs_err - 0.5 * delta * delta
    return ops.mean(ops.where(abs_err.data <= delta, quadratic, linear), axis=-1)


@symbolic_function("losses")
def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    """`mean(log(cosh(y_pred - y_true)))` over the last axis, finite for large errors.

    Example:
    >>> log_cosh([[0.0]], [[0.0]]).numpy()
    array([0.], dtype=float32)
    """
    y_true, y_pred = aligned("log_cosh", y_true, y_pred)
    x = y_pred - y_true
    # log(cosh(x)) = x + log(1 + exp(-2x)) - log(2)
    return ops.mean(x + ops.softplus(-2.0 * x) - math.log(2.0), axis=-1)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors; see `mean_squared_error`.

    Example:
    >>> MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]])
    tensor(0.5, dtype=float32)
    """

    def __init__(
        self,
        reduction: Any = "sum_over_batch_size",
        name: str = "mean_squared_error",
        dtype: Any = None,
    ) -> None:
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors; see `mean_absolute_error`.

    Example:
    >>> MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 3.0]])
    tensor(1.5, dtype=float32)
    """

    def __init__(
        self,
        reduction: Any = "sum_over_batch_size",
        name: str = "mean_absolute_error",
        dtype: Any = None,
    ) -> None:
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error; see `mean_absolute_percentage_error`.

    Example:
    >>> MeanAbsolutePercentageError()([[2.0]], [[1.0]])
    tensor(50., dtype=float32)
    """

    def __init__(
        self,
        reduction: Any = "sum_over_batch_size",
        name: str = "mean_absolute_percentage_error",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype
        )


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error; see `mean_squared_logarithmic_error`.

    Example:
    >>> MeanSquaredLogarithmicError()([[0.0]], [[0.0]])
    tensor(0., dtype=float32)
    """

    def __init__(
        self,
        reduction: Any = "sum_over_batch_size",
        name: str = "mean_squared_logarithmic_error",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype
        )


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity; see `cosine_similarity`.

    Example:
    >>> CosineSimilarity()([[1.0, 0.0]], [[0.0, 1.0]])
    tensor(0., dtype=float32)
    """

    def __init__(
        self,
        axis: int = -1,
        reduction: Any = "sum_over_batch_size",
        name: str = "cosine_similarity",
        dtype: Any = None,
    ) -> None:
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)


class Huber(LossFunctionWrapper):
    """Huber loss; see `huber`.

    Args:
        delta: where the loss turns from quadratic to linear (positive).

    Example:
    >>> Huber(delta=1.0)([[0.0, 0.0]], [[0.5, 3.0]])
    tensor(1.3125, dtype=float32)
    """

    def __init__(
        self,
        delta: float = 1.0,
        reduction: Any = "sum_over_batch_size",
        name: str = "huber_loss",
        dtype: Any = None,
    ) -> None:
        delta = check_number("delta", delta, low=0.0)
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(LossFunctionWrapper):
    """Log-cosh loss; see `log_cosh`.

    Example:
    >>> LogCosh()([[0.0]], [[0.0]])
    tensor(0., dtype=float32)
    """

    def __init__(
        self, reduction: Any = "sum_over_batch_size", name: str = "log_cosh", dtype: Any = None
    ) -> None:
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)
