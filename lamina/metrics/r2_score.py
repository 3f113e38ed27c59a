"""The coefficient of determination R^2, accumulated exactly over batches."""

import warnings
from typing import Any

import numpy as np

from lamina.backend import to_numpy
from lamina.metrics.metric import Metric, raw
from lamina.tensor import Tensor

_AGGREGATIONS = ("uniform_average", "variance_weighted_average", None)


class R2Score(Metric):
    """R^2 = 1 - (residual sum of squares) / (total sum of squares about the labels' mean).

    The sums are kept per output column (weighted by `sample_weight`), so the result over many
    batches equals the result over their concatenation. 1 is a perfect fit, 0 is no better than
    predicting the labels' mean, and it can be negative. An output whose labels are constant
    scores 0.

    Args:
        class_aggregation: how the per-output scores combine: `"uniform_average"` (the mean),
            `"variance_weighted_average"` (weighted by each output's total sum of squares) or
            None (one score per output).
        num_regressors: if above 0, the adjusted R^2 for a model with this many regressors:
            `1 - (1 - R^2) (n - 1) / (n - num_regressors - 1)` with `n` samples.
        name: defaults to `"r2_score"`.
        dtype: the result's dtype.

    Example:
    >>> m = R2Score()
    >>> m.update_state([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])
    >>> round(float(m.result()), 4)
    0.5714
    """

    def __init__(
        self,
        class_aggregation: str | None = "uniform_average",
        num_regressors: int = 0,
        name: str = "r2_score",
        dtype: Any = None,
    ) -> None:
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(
                f"Invalid value for argument `class_aggregation`. Expected one of "
                f"{_AGGREGATIONS}. Received: class_aggregation={class_aggregation!r}"
            )
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, int):
            raise ValueError(
                "Argument `num_regressors` must be a non-negative integer. "
                f"Received: num_regressors={num_regressors!r}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Argument `num_regressors` must be a non-negative integer. "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        super().__init__(name=name, dtype=dtype)
        self._start_state()

    def reset_state(self) -> None:
        # Per-output sums, shaped on the first update (size 0 until then).
        self.squared_sum = np.zeros(0)
        self.sum = np.zeros(0)
        self.total_mse = np.zeros(0)
        self.count = np.zeros(0)
        self.num_samples = 0

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = to_numpy(raw(y_true)).astype("float64")
        y_pred = to_numpy(raw(y_pred)).astype("float64")
        if y_true.ndim == 1:
            y_true = y_true[:, None]
        if y_pred.ndim == 1:
            y_pred = y_pred[:, None]
        if y_true.ndim != 2 or y_true.shape != y_pred.shape:
            raise ValueError(
                "R2Score expects labels and predictions of one shape, (samples,) or "
                f"(samples, outputs). Received: y_true.shape={y_true.shape}, "
                f"y_pred.shape={y_pred.shape}"
            )
        if self.sum.size and self.sum.shape[0] != y_true.shape[1]:
            raise ValueError(
                f"R2Score was updated with {self.sum.shape[0]} outputs before. "
                f"Received: y_true.shape={y_true.shape}"
            )
        weight = np.ones_like(y_true)
        if sample_weight is not None:
            sw = to_numpy(raw(sample_weight)).astype("float64")
            if sw.ndim == 1:
                sw = sw[:, None]
            weight = np.broadcast_to(sw, y_true.shape)
        if not self.sum.size:
            self.squared_sum, self.sum, self.total_mse, self.count = (
                np.zeros(y_true.shape[1]) for _ in range(4)
            )
        self.squared_sum += (weight * y_true * y_true).sum(axis=0)
        self.sum += (weight * y_true).sum(axis=0)
        self.total_mse += (weight * (y_true - y_pred) ** 2).sum(axis=0)
        self.count += weight.sum(axis=0)
        self.num_samples += y_true.shape[0]

    def result(self) -> Tensor:
        if not self.sum.size:
            return self.to_result(0.0)
        mean = np.divide(self.sum, self.count, out=np.zeros_like(self.sum), where=self.count > 0)
        total = self.squared_sum - self.sum * mean
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = 1.0 - self.total_mse / total
        scores = np.where(np.isfinite(scores), scores, 0.0)
        if self.class_aggregation == "uniform_average":
            r2: Any = scores.mean()
        elif self.class_aggregation == "variance_weighted_average":
            weights = total.sum()
            r2 = (total * scores).sum() / weights if weights else 0.0
        else:
            r2 = scores
        if self.num_regressors:
            n, p = self.num_samples, self.num_regressors
            if p >= n - 1:
                warnings.warn(
                    f"R2Score: more regressors ({p}) than samples minus one ({n - 1}); "
                    "returning the unadjusted score.",
                    stacklevel=2,
                )
            else:
                r2 = 1.0 - (1.0 - r2) * (n - 1) / (n - p - 1)
        return self.to_result(r2)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
