"""The best value of one rate subject to a floor on another, over a grid of thresholds.

`SensitivityAtSpecificity(0.9)` is the highest recall reached at any threshold whose
specificity is at least 0.9; its three siblings swap the roles. The confusion counts come from
the same per-threshold accumulation as `Precision` and `Recall`: a prediction counts as
positive when strictly above a threshold, and the thresholds are `num_thresholds` evenly
spaced points from 0 to 1 (just 0.5 when `num_thresholds` is 1). When no threshold meets the
floor, the result is 0.
"""

from typing import Any

import numpy as np

from lamina.metrics.confusion import _ratio, _ThresholdCounts
from lamina.tensor import Tensor


def _grid(num_thresholds: Any) -> list[float]:
    is_int = isinstance(num_thresholds, int) and not isinstance(num_thresholds, bool)
    if not is_int or num_thresholds < 1:
        raise ValueError(
            "Argument `num_thresholds` must be a positive integer. "
            f"Received: num_thresholds={num_thresholds!r}"
        )
    if num_thresholds == 1:
        return [0.5]
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0, *inner, 1.0]


class _RateAtRate(_ThresholdCounts):
    """Shared by the four metrics: the floor `value` on the constrained rate."""

    _arg = ""  # the name of the constructor argument holding the floor

    def __init__(
        self,
        value: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        ok = isinstance(value, int | float | np.floating) and not isinstance(value, bool)
        if not ok or not 0.0 <= value <= 1.0:
            raise ValueError(
                f"Argument `{self._arg}` must be in the range [0, 1]. "
                f"Received: {self._arg}={value!r}"
            )
        self.value = float(value)
        self.num_thresholds = num_thresholds
        thresholds = _grid(num_thresholds)
        super().__init__(thresholds=thresholds, class_id=class_id, name=name, dtype=dtype)

    def _rates(self) -> dict[str, np.ndarray]:
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = _ratio(tp, tp + fn)
        return {
            "sensitivity": recall,
            "recall": recall,
            "specificity": _ratio(tn, tn + fp),
            "precision": _ratio(tp, tp + fp),
        }

    def _best(self, target: str, constrained: str) -> Tensor:
        rates = self._rates()
        feasible = rates[constrained] >= self.value
        best = float(rates[target][feasible].max()) if feasible.any() else 0.0
        return self.to_result(best)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": str(self.dtype),
            self._arg: self.value,
            "num_thresholds": self.num_thresholds,
            "class_id": self.class_id,
        }

    @classmethod
    def from_config(cls, config: dict) -> "_RateAtRate":
        return cls(**config)


class SensitivityAtSpecificity(_RateAtRate):
    """The best sensitivity (recall) at any threshold where specificity >= `specificity`.

    Args:
        specificity: the floor on the specificity `tn / (tn + fp)`, in [0, 1].
        num_thresholds: how many thresholds to try, evenly spaced in [0, 1] (default 200).
        class_id: compute the metric for this class (last axis) only.
        name: defaults to `"sensitivity_at_specificity"`.
        dtype: the result's dtype.

    Example:
    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1, 1], [0.1, 0.4, 0.6, 0.35, 0.8, 0.9])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _arg = "specificity"

    def __init__(
        self,
        specificity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self) -> Tensor:
        return self._best("sensitivity", "specificity")


class SpecificityAtSensitivity(_RateAtRate):
    """The best specificity at any threshold where sensitivity (recall) >= `sensitivity`.

    Args: as for `SensitivityAtSpecificity`, with the floor `sensitivity`; the name defaults to
    `"specificity_at_sensitivity"`.

    Example:
    >>> m = SpecificityAtSensitivity(1.0)
    >>> m.update_state([0, 0, 0, 1, 1, 1], [0.1, 0.4, 0.6, 0.35, 0.8, 0.9])
    >>> round(float(m.result()), 4)
    0.3333
    """

    _arg = "sensitivity"

    def __init__(
        self,
        sensitivity: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self) -> Tensor:
        return self._best("specificity", "sensitivity")


class PrecisionAtRecall(_RateAtRate):
    """The best precision at any threshold where recall >= `recall`.

    Args: as for `SensitivityAtSpecificity`, with the floor `recall`; the name defaults to
    `"precision_at_recall"`.

    Example:
    >>> m = PrecisionAtRecall(1.0)
    >>> m.update_state([0, 0, 0, 1, 1, 1], [0.1, 0.4, 0.6, 0.35, 0.8, 0.9])
    >>> round(float(m.result()), 4)
    0.6
    """

    _arg = "recall"

    def __init__(
        self,
        recall: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self) -> Tensor:
        return self._best("precision", "recall")


class RecallAtPrecision(_RateAtRate):
    """The best recall at any threshold where precision >= `precision`.

    Args: as for `SensitivityAtSpecificity`, with the floor `precision`; the name defaults to
    `"recall_at_precision"`.

    Example:
    >>> m = RecallAtPrecision(0.75)
    >>> m.update_state([0, 0, 0, 1, 1, 1], [0.1, 0.4, 0.6, 0.35, 0.8, 0.9])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _arg = "precision"

    def __init__(
        self,
        precision: float,
        num_thresholds: int = 200,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self) -> Tensor:
        return self._best("recall", "precision")
