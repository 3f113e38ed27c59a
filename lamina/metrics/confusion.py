"""Confusion-matrix metrics: true/false positive/negative counts, Precision, Recall and AUC.

Counts are kept per threshold in small float64 arrays. Predictions count as positive when
strictly above a threshold; labels count as positive when non-zero. One pass of
`searchsorted` + `bincount` fills every threshold at once, so AUC's 200 thresholds cost about
as much as one.
"""

from typing import Any

import numpy as np

from lamina.backend import epsilon, get_xp, to_numpy
from lamina.metrics.metric import Metric, raw, same_rank
from lamina.tensor import Tensor


def _thresholds(thresholds: Any, default: float) -> tuple[list[float], bool]:
    """Return the thresholds as a list and whether a single one was given."""
    if thresholds is None:
        return [default], True
    single = np.ndim(thresholds) == 0
    values = [float(t) for t in np.atleast_1d(thresholds)]
    for t in values:
        if not (0.0 <= t <= 1.0 or t == -np.inf):
            raise ValueError(f"Thresholds must lie in [0, 1]. Received: thresholds={thresholds!r}")
    return values, single


def _prepare(y_true: Any, y_pred: Any, sample_weight: Any, top_k: Any, class_id: Any):
    """Flatten labels, scores and weights after the top-k and class filters (raw arrays)."""
    y_pred = raw(y_pred)
    xp = get_xp(y_pred)
    y_true = raw(y_true, like=y_pred)
    y_pred = y_pred.astype("float64", copy=False)
    y_true, y_pred = same_rank(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "Labels and predictions must have the same shape. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    weights = None
    if sample_weight is not None:
        sw = raw(sample_weight, like=y_pred).astype("float64", copy=False)
        sw, _ = same_rank(sw, y_pred)
        while sw.ndim < y_pred.ndim:
            sw = sw[..., None]
        weights = xp.broadcast_to(sw, y_pred.shape)
    if top_k is not None:
        kth = -xp.sort(-y_pred, axis=-1)[..., top_k - 1 : top_k]
        y_pred = xp.where(y_pred >= kth, y_pred, -np.inf)
    if class_id is not None:
        y_true, y_pred = y_true[..., class_id], y_pred[..., class_id]
        weights = None if weights is None else weights[..., class_id]
    labels = (y_true != 0).reshape(-1)
    scores = y_pred.reshape(-1)
    weights = xp.ones(scores.shape) if weights is None else weights.reshape(-1)
    return labels, scores, weights


def confusion_counts(labels: Any, scores: Any, weights: Any, thresholds: Any) -> tuple:
    """Weighted (tp, fp, tn, fn) per threshold (ascending thresholds, as NumPy arrays)."""
    xp = get_xp(scores)
    thr = xp.asarray(thresholds, dtype="float64")
    n = thr.shape[0]
    # bucket[i] = number of thresholds strictly below score i.
    bucket = xp.searchsorted(thr, scores, side="left")
    pos = xp.bincount(bucket, weights=weights * labels, minlength=n + 1)
    neg = xp.bincount(bucket, weights=weights * ~labels, minlength=n + 1)
    # A score counts as positive at threshold j when its bucket is above j.
    tp = to_numpy(xp.cumsum(pos[::-1])[::-1][1:])
    fp = to_numpy(xp.cumsum(neg[::-1])[::-1][1:])
    tn = float(neg.sum()) - fp
    fn = float(pos.sum()) - tp
    return tp, fp, tn, fn


class _ThresholdCounts(Metric):
    """Accumulates the four confusion counts at each threshold."""

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"top_k must be a positive integer. Received: top_k={top_k!r}")
        self.init_thresholds = thresholds
        default = 0.5 if top_k is None else -np.inf
        self.thresholds, self._single = _thresholds(thresholds, default)
        self._order = np.argsort(self.thresholds, kind="stable")
        self._sorted = [self.thresholds[i] for i in self._order]
        self.top_k = top_k
        self.class_id = class_id
        super().__init__(name=name, dtype=dtype)
        self._start_state()

    def reset_state(self) -> None:
        n = len(self.thresholds)
        self.true_positives = np.zeros(n)
        self.false_positives = np.zeros(n)
        self.true_negatives = np.zeros(n)
        self.false_negatives = np.zeros(n)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        labels, scores, weights = _prepare(y_true, y_pred, sample_weight, self.top_k, self.class_id)
        tp, fp, tn, fn = confusion_counts(labels, scores, weights, self._sorted)
        inv = np.empty_like(self._order)
        inv[self._order] = np.arange(len(self._order))
        self.true_positives += tp[inv]
        self.false_positives += fp[inv]
        self.true_negatives += tn[inv]
        self.false_negatives += fn[inv]

    def _out(self, values: np.ndarray) -> Tensor:
        return self.to_result(values[0] if self._single else values)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


class Precision(_ThresholdCounts):
    """The fraction of predicted positives that are positive: `tp / (tp + fp)`.

    Args:
        thresholds: a float or a list of floats in [0, 1] (default 0.5); a list gives one
            precision per threshold.
        top_k: only the `k` highest-scored classes of each sample count as predicted.
        class_id: compute the metric for this class only.
        name: defaults to `"precision"`.
        dtype: the result's dtype.

    Example:
    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    def result(self) -> Tensor:
        return self._out(_ratio(self.true_positives, self.true_positives + self.false_positives))


class Recall(_ThresholdCounts):
    """The fraction of positives predicted positive: `tp / (tp + fn)`.

    Args: as for `Precision`; the name defaults to `"recall"`.

    Example:
    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    def result(self) -> Tensor:
        return self._out(_ratio(self.true_positives, self.true_positives + self.false_negatives))


class _Count(_ThresholdCounts):
    _field = ""

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)

    def result(self) -> Tensor:
        return self._out(getattr(self, self._field))

    def get_config(self) -> dict:
        config = super().get_config()
        del config["top_k"], config["class_id"]
        return config


class TruePositives(_Count):
    """The weighted number of true positives (at each threshold; default 0.5).

    Example:
    >>> m = TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> float(m.result())
    2.0
    """

    _field = "true_positives"


class FalsePositives(_Count):
    """The weighted number of false positives (at each threshold; default 0.5).

    Example:
    >>> m = FalsePositives()
    >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
    >>> float(m.result())
    2.0
    """

    _field = "false_positives"


class TrueNegatives(_Count):
    """The weighted number of true negatives (at each threshold; default 0.5).

    Example:
    >>> m = TrueNegatives()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    _field = "true_negatives"


class FalseNegatives(_Count):
    """The weighted number of false negatives (at each threshold; default 0.5).

    Example:
    >>> m = FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    _field = "false_negatives"


_CURVES = ("ROC", "PR")
_SUMMATIONS = ("interpolation", "minoring", "majoring")


class AUC(Metric):
    """Area under the ROC or precision-recall curve, by a Riemann sum over thresholds.

    Args:
        num_thresholds: how many thresholds (> 1), evenly spaced in [0, 1] with the ends
            nudged by epsilon so that 0 and 1 scores fall inside.
        curve: `"ROC"` or `"PR"`.
        summation_method: `"interpolation"` (trapezoids; for PR, Davis & Goadrich's
            interpolation), `"minoring"` or `"majoring"`.
        name: defaults to `"auc"`.
        dtype: the result's dtype.
        thresholds: explicit thresholds in [0, 1] (replaces `num_thresholds`).
        multi_label: one curve per label (last axis), averaged; otherwise all are flattened.
        num_labels: accepted for compatibility; the label count is taken from the data.
        label_weights: weights of the labels in the multi-label average.
        from_logits: apply a sigmoid to the predictions first.

    Example:
    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())
    0.75
    """

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: Any = None,
        thresholds: Any = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ) -> None:
        curve = curve.upper() if isinstance(curve, str) else curve
        if curve not in _CURVES:
            raise ValueError(f"Invalid curve: expected 'ROC' or 'PR'. Received: curve={curve!r}")
        method = summation_method.lower() if isinstance(summation_method, str) else None
        if method not in _SUMMATIONS:
            raise ValueError(
                f"Invalid summation method: expected one of {_SUMMATIONS}. "
                f"Received: summation_method={summation_method!r}"
            )
        eps = epsilon()
        if thresholds is not None:
            inner = sorted(_thresholds(thresholds, 0.5)[0])
            num_thresholds = len(inner) + 2
        else:
            if (
                isinstance(num_thresholds, bool)
                or not isinstance(num_thresholds, int)
                or (num_thresholds <= 1)
            ):
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds!r}"
                )
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds = num_thresholds
        self.thresholds = [0.0 - eps, *inner, 1.0 + eps]
        self._init_thresholds = thresholds
        self.curve = curve
        self.summation_method = method
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, float)
        self.from_logits = bool(from_logits)
        super().__init__(name=name, dtype=dtype)
        self._start_state()

    def reset_state(self) -> None:
        shape = (self.num_thresholds,) if not self.multi_label else (self.num_thresholds, 0)
        self.true_positives = np.zeros(shape)
        self.false_positives = np.zeros(shape)
        self.true_negatives = np.zeros(shape)
        self.false_negatives = np.zeros(shape)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = raw(y_pred)
        if self.from_logits:
            xp = get_xp(y_pred)
            y_pred = 0.5 * (1 + xp.tanh(0.5 * y_pred.astype("float64")))
        if not self.multi_label:
            counts = confusion_counts(
                *_prepare(y_true, y_pred, sample_weight, None, None), self.thresholds
            )
            self._add(counts)
            return
        n_labels = y_pred.shape[-1]
        per_label = [
            confusion_counts(*_prepare(y_true, y_pred, sample_weight, None, c), self.thresholds)
            for c in range(n_labels)
        ]
        counts = tuple(np.stack([c[i] for c in per_label], axis=1) for i in range(4))
        if self.true_positives.shape[1] == 0:
            self.true_positives, self.false_positives, self.true_negatives, self.false_negatives = (
                np.zeros_like(counts[0]) for _ in range(4)
            )
        self._add(counts)

    def _add(self, counts: tuple) -> None:
        tp, fp, tn, fn = counts
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def result(self) -> Tensor:
        tp, fp, tn, fn = (
            self.true_positives,
            self.false_positives,
            self.true_negatives,
            self.false_negatives,
        )
        if tp.size == 0:
            return self.to_result(0.0)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.to_result(self._average(self._interpolated_pr(tp, fp, fn)))
        recall = _ratio(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _ratio(fp, fp + tn), recall
        else:
            x, y = recall, _ratio(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self.to_result(self._average((x[:-1] - x[1:]) * heights))

    @staticmethod
    def _interpolated_pr(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
        """Davis & Goadrich (2006): precision interpolated linearly in the count of positives."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _ratio(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        p_ratio = np.where(both, _ratio(p[:-1], np.maximum(p[1:], 0)), 1.0)
        safe = np.where(p_ratio > 0, p_ratio, 1.0)
        return _ratio(slope * (dtp + intercept * np.log(safe)), np.maximum(tp[1:] + fn[1:], 0))

    def _average(self, terms: np.ndarray) -> float:
        if not self.multi_label:
            return float(terms.sum())
        by_label = terms.sum(axis=0)
        if self.label_weights is None:
            return float(by_label.mean())
        return float((by_label * self.label_weights).sum() / self.label_weights.sum())

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "thresholds": self._init_thresholds,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self.from_logits,
        }
