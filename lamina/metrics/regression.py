"""Regression metrics on raw arrays: squared, absolute, percentage and log errors, cosine."""

import math
from typing import Any

from lamina.backend import epsilon, get_xp
from lamina.metrics.metric import raw, same_rank
from lamina.metrics.reduction import Mean, MeanMetricWrapper
from lamina.tensor import Tensor


def _pair(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    y_pred = raw(y_pred)
    y_true = raw(y_true, like=y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype("float32")
    if y_true.dtype != y_pred.dtype:
        y_true = y_true.astype(y_pred.dtype)
    return same_rank(y_true, y_pred)


def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean of squared errors over the last axis (raw arrays).

    Example:
    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])
    array([0.5])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    d = y_true - y_pred
    return (d * d).mean(axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean of absolute errors over the last axis (raw arrays).

    Example:
    >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]])
    array([1.5])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return get_xp(y_pred).abs(y_true - y_pred).mean(axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample `100 * mean(|y_true - y_pred| / max(|y_true|, epsilon))`.

    Example:
    >>> mean_absolute_percentage_error([[2.0]], [[1.0]])
    array([50.])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    xp = get_xp(y_pred)
    return 100 * (xp.abs(y_true - y_pred) / xp.maximum(xp.abs(y_true), epsilon())).mean(axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean of `(log1p(y_pred) - log1p(y_true))**2`, both clipped below at epsilon.

    Example:
    >>> mean_squared_logarithmic_error([[0.0]], [[0.0]])
    array([0.])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    xp = get_xp(y_pred)
    eps = epsilon()
    d = xp.log1p(xp.maximum(y_pred, eps)) - xp.log1p(xp.maximum(y_true, eps))
    return (d * d).mean(axis=-1)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Per-sample cosine similarity along `axis` (positive: 1 means same direction).

    Example:
    >>> cosine_similarity([[1.0, 0.0]], [[2.0, 0.0]])
    array([1.])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    xp = get_xp(y_pred)

    def unit(x: Any) -> Any:
        return x / xp.sqrt(xp.maximum((x * x).sum(axis=axis, keepdims=True), 1e-12))

    return (unit(y_true) * unit(y_pred)).sum(axis=axis)


def log_cosh(y_true: Any, y_pred: Any) -> Any:
    """Per-sample mean of `log(cosh(y_pred - y_true))`.

    Example:
    >>> log_cosh([[0.0]], [[0.0]])
    array([0.])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    xp = get_xp(y_pred)
    x = y_pred - y_true
    return (x + xp.logaddexp(0, -2 * x) - math.log(2.0)).mean(axis=-1)


class MeanSquaredError(MeanMetricWrapper):
    """Mean squared error over all samples seen.

    Example:
    >>> m = MeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.25
    """

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean absolute error over all samples seen.

    Example:
    >>> m = MeanAbsoluteError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.25
    """

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Mean absolute percentage error over all samples seen.

    Example:
    >>> m = MeanAbsolutePercentageError()
    >>> m.update_state([[2.0]], [[1.0]])
    >>> float(m.result())
    50.0
    """

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Mean squared logarithmic error over all samples seen.

    Example:
    >>> m = MeanSquaredLogarithmicError()
    >>> m.update_state([[0.0]], [[0.0]])
    >>> float(m.result())
    0.0
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None) -> None:
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity between labels and predictions (1 is best).

    Example:
    >>> m = CosineSimilarity()
    >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    >>> round(float(m.result()), 4)
    0.5
    """

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class LogCoshError(MeanMetricWrapper):
    """Mean log-cosh error over all samples seen.

    Example:
    >>> m = LogCoshError()
    >>> m.update_state([[0.0]], [[0.0]])
    >>> float(m.result())
    0.0
    """

    def __init__(self, name: str = "logcosh", dtype: Any = None) -> None:
        super().__init__(log_cosh, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """Square root of the mean squared error over all samples seen.

    Example:
    >>> m = RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = _pair(y_true, y_pred)
        d = y_pred - y_true
        super().update_state(d * d, sample_weight)

    def result(self) -> Tensor:
        return self.to_result(math.sqrt(self.total / self.count) if self.count else 0.0)
