"""F-beta and F1 scores from per-class true/false positive and false negative counts."""

from typing import Any

import numpy as np

from lamina.backend import epsilon, to_numpy
from lamina.metrics.metric import Metric, raw
from lamina.tensor import Tensor

_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """The F-beta score `(1 + beta**2) * p * r / (beta**2 * p + r)` of multi-label predictions.

    Inputs are `(batch, num_classes)`. With `threshold=None` the highest score of each row
    counts as the prediction; otherwise scores above `threshold` do.

    Args:
        average: None (one score per class), `"micro"` (from pooled counts), `"macro"` (mean of
            the per-class scores) or `"weighted"` (mean weighted by each class's support).
        beta: the weight of recall against precision (> 0).
        threshold: in (0, 1], or None for the arg max.
        name: defaults to `"fbeta_score"`.
        dtype: the result's dtype.

    Example:
    >>> m = FBetaScore(beta=2.0, average="micro", threshold=0.5)
    >>> m.update_state([[1, 0], [0, 1]], [[0.9, 0.8], [0.2, 0.7]])
    >>> round(float(m.result()), 4)
    0.9091
    """

    def __init__(
        self,
        average: str | None = None,
        beta: float = 1.0,
        threshold: float | None = None,
        name: str = "fbeta_score",
        dtype: Any = None,
    ) -> None:
        if average not in _AVERAGES:
            raise ValueError(
                f"Invalid `average` argument value: expected one of {_AVERAGES}. "
                f"Received: average={average!r}"
            )
        if isinstance(beta, bool) or not isinstance(beta, int | float) or beta <= 0:
            raise ValueError(f"`beta` must be a positive float. Received: beta={beta!r}")
        if threshold is not None and not (
            isinstance(threshold, int | float) and 0 < threshold <= 1
        ):
            raise ValueError(
                f"`threshold` must be a float in (0, 1], or None. Received: threshold={threshold!r}"
            )
        self.average = average
        self.beta = float(beta)
        self.threshold = threshold
        self._axis = None if average == "micro" else 0
        super().__init__(name=name, dtype=dtype)
        self._start_state()

    def reset_state(self) -> None:
        self.true_positives = np.zeros(0)
        self.false_positives = np.zeros(0)
        self.false_negatives = np.zeros(0)
        self.intermediate_weights = np.zeros(0)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = raw(y_pred)
        y_true = raw(y_true, like=y_pred)
        if y_pred.ndim != 2 or y_true.shape != y_pred.shape:
            raise ValueError(
                f"{type(self).__name__} expects labels and predictions of the same shape "
                f"(batch_size, num_classes). Received: y_true.shape={y_true.shape}, "
                f"y_pred.shape={y_pred.shape}"
            )
        if self.threshold is None:
            top = y_pred.max(axis=-1, keepdims=True)
            predicted = (y_pred >= top) & (abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        pred = predicted.astype("float64")
        true = y_true.astype("float64")
        if sample_weight is not None:
            sw = raw(sample_weight, like=y_pred).astype("float64").reshape(-1, 1)
        else:
            sw = None

        def weighted_sum(values: Any) -> np.ndarray:
            if sw is not None:
                values = values * sw
            return np.asarray(to_numpy(values.sum(axis=self._axis)))

        tp = weighted_sum(pred * true)
        fp = weighted_sum(pred * (1 - true))
        fn = weighted_sum((1 - pred) * true)
        support = weighted_sum(true)
        if self.true_positives.shape == (0,):  # not built: shape () for micro, else (classes,)
            self.true_positives, self.false_positives, self.false_negatives = (
                np.zeros(tp.shape) for _ in range(3)
            )
            self.intermediate_weights = np.zeros(support.shape)
        elif self.true_positives.shape != tp.shape:
            raise ValueError(
                f"{type(self).__name__} was built for {self.true_positives.shape} classes. "
                f"Received: y_pred.shape={y_pred.shape}"
            )
        self.true_positives = self.true_positives + tp
        self.false_positives = self.false_positives + fp
        self.false_negatives = self.false_negatives + fn
        self.intermediate_weights = self.intermediate_weights + support

    def result(self) -> Tensor:
        eps = epsilon()
        tp = np.asarray(self.true_positives, dtype="float64")
        precision = tp / (tp + self.false_positives + eps)
        recall = tp / (tp + self.false_negatives + eps)
        b2 = self.beta**2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + eps)
        if self.average == "weighted":
            w = np.asarray(self.intermediate_weights, dtype="float64")
            score = (score * w / (w.sum() + eps)).sum()
        elif self.average is not None:
            score = score.mean() if score.size else 0.0
        return self.to_result(score)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """The F1 score, the harmonic mean of precision and recall; see `FBetaScore`.

    Example:
    >>> m = F1Score(average="macro", threshold=0.5)
    >>> m.update_state([[1, 0], [0, 1]], [[0.9, 0.1], [0.2, 0.7]])
    >>> round(float(m.result()), 4)
    1.0
    """

    def __init__(
        self,
        average: str | None = None,
        threshold: float | None = None,
        name: str = "f1_score",
        dtype: Any = None,
    ) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config
