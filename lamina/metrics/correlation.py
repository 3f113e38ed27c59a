"""Correlation metrics: Pearson's and Lin's concordance coefficient, per sample, averaged.

Each function correlates `y_true` with `y_pred` along `axis` (one coefficient per sample for
the default last axis); the metric classes average those coefficients over every sample seen.
As in Keras, an epsilon in the denominators keeps constant inputs finite (they give 0).
"""

from typing import Any

from lamina.backend import epsilon, get_xp
from lamina.metrics.reduction import MeanMetricWrapper
from lamina.metrics.regression import _pair


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Pearson's r along `axis`: the mean product of the standardized inputs (raw arrays).

    `mean(((t - mean t) / (std t + eps)) * ((p - mean p) / (std p + eps)))`, population std.

    Example:
    >>> round(float(pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 4.0, 6.0]])[0]), 4)
    1.0
    """
    y_true, y_pred = _pair(y_true, y_pred)
    xp = get_xp(y_pred)
    eps = epsilon()

    def standardized(x: Any) -> Any:
        x = x - x.mean(axis=axis, keepdims=True)
        return x / (xp.sqrt((x * x).mean(axis=axis, keepdims=True)) + eps)

    return (standardized(y_true) * standardized(y_pred)).mean(axis=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Lin's concordance coefficient along `axis` (raw arrays).

    `2 cov(t, p) / (var t + var p + (mean t - mean p)**2 + eps)`, population moments. It is 1
    only when the predictions equal the labels, not merely when they are correlated.

    Example:
    >>> round(float(concordance_correlation([[0.0, 1.0, 0.5]], [[0.1, 0.9, 0.5]])[0]), 4)
    0.9756
    """
    y_true, y_pred = _pair(y_true, y_pred)
    mean_t = y_true.mean(axis=axis, keepdims=True)
    mean_p = y_pred.mean(axis=axis, keepdims=True)
    dt, dp = y_true - mean_t, y_pred - mean_p
    var_t = (dt * dt).mean(axis=axis, keepdims=True)
    var_p = (dp * dp).mean(axis=axis, keepdims=True)
    norm = var_t + var_p + (mean_t - mean_p) ** 2 + epsilon()
    return (2 * dt * dp / norm).mean(axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """The mean Pearson correlation coefficient between labels and predictions.

    Args:
        name: defaults to `"pearson_correlation"`.
        dtype: the result's dtype.
        axis: the axis along which each coefficient is computed (default -1).

    Example:
    >>> m = PearsonCorrelation()
    >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    >>> round(float(m.result()), 4)
    0.9967
    """

    def __init__(self, name: str = "pearson_correlation", dtype: Any = None, axis: int = -1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(MeanMetricWrapper):
    """The mean concordance correlation coefficient between labels and predictions.

    Args:
        name: defaults to `"concordance_correlation"`.
        dtype: the result's dtype.
        axis: the axis along which each coefficient is computed (default -1).

    Example:
    >>> m = ConcordanceCorrelation()
    >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    >>> round(float(m.result()), 4)
    0.9816
    """

    def __init__(self, name: str = "concordance_correlation", dtype: Any = None, axis: int = -1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
