"""Intersection-over-union metrics for segmentation, from an accumulated confusion matrix."""

from typing import Any

import numpy as np

from lamina.backend import get_xp, to_numpy
from lamina.metrics.metric import Metric, raw
from lamina.tensor import Tensor


class IoU(Metric):
    """Mean intersection over union of the classes in `target_class_ids`.

    For each class, `IoU = tp / (tp + fp + fn)`; classes absent from both labels and
    predictions are left out of the mean.

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes averaged over.
        name: the metric's name.
        dtype: the result's dtype.
        ignore_class: a label whose pixels are skipped.
        sparse_y_true: labels are class ids (else one-hot / scores, arg-maxed along `axis`).
        sparse_y_pred: predictions are class ids (else scores, arg-maxed along `axis`).
        axis: the class axis for non-sparse inputs.

    Example:
    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Any,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(
                f"num_classes must be a positive integer. Received: num_classes={num_classes!r}"
            )
        ids = [int(i) for i in target_class_ids]
        if any(not 0 <= i < num_classes for i in ids):
            raise ValueError(
                f"target_class_ids must lie in [0, {num_classes}). "
                f"Received: target_class_ids={target_class_ids!r}"
            )
        self.num_classes = num_classes
        self.target_class_ids = ids
        self.ignore_class = ignore_class
        self.sparse_y_true = bool(sparse_y_true)
        self.sparse_y_pred = bool(sparse_y_pred)
        self.axis = axis
        super().__init__(name=name, dtype=dtype)
        self._start_state()

    def reset_state(self) -> None:
        self.total_cm = np.zeros((self.num_classes, self.num_classes))

    def _ids(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        if not self.sparse_y_true:
            y_true = y_true.argmax(axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(axis=self.axis)
        return y_true.reshape(-1).astype("int64"), y_pred.reshape(-1).astype("int64")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = raw(y_pred)
        xp = get_xp(y_pred)
        y_true = raw(y_true, like=y_pred)
        t, p = self._ids(y_true, y_pred)
        w = None
        if sample_weight is not None:
            w = xp.broadcast_to(raw(sample_weight, like=y_pred).reshape(-1), t.shape)
            w = w.astype("float64")
        keep = None
        if self.ignore_class is not None:
            keep = t != self.ignore_class
        if keep is not None:
            t, p = t[keep], p[keep]
            w = None if w is None else w[keep]
        n = self.num_classes
        cm = xp.bincount(t * n + p, weights=w, minlength=n * n)[: n * n].reshape(n, n)
        self.total_cm = self.total_cm + to_numpy(cm)

    def result(self) -> Tensor:
        cm = self.total_cm
        predicted = cm.sum(axis=0)
        actual = cm.sum(axis=1)
        tp = np.diag(cm)
        denominator = (predicted + actual - tp)[self.target_class_ids]
        tp = tp[self.target_class_ids]
        iou = np.divide(tp, denominator, out=np.zeros_like(tp), where=denominator != 0)
        valid = int((denominator != 0).sum())
        return self.to_result(iou.sum() / valid if valid else 0.0)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class MeanIoU(IoU):
    """Mean IoU over all classes; see `IoU`.

    Example:
    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes,
            list(range(num_classes)) if isinstance(num_classes, int) else [],
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        del config["target_class_ids"]
        return config


class BinaryIoU(IoU):
    """IoU of binary predictions thresholded at `threshold` (scores above it count as 1).

    Example:
    >>> m = BinaryIoU(target_class_ids=[1], threshold=0.5)
    >>> m.update_state([0, 1, 1], [0.2, 0.7, 0.4])
    >>> float(m.result())
    0.5
    """

    def __init__(
        self,
        target_class_ids: Any = (0, 1),
        threshold: float = 0.5,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        self.threshold = float(threshold)
        super().__init__(2, list(target_class_ids), name=name, dtype=dtype)

    def _ids(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        return (
            y_true.reshape(-1).astype("int64"),
            (y_pred.reshape(-1) > self.threshold).astype("int64"),
        )

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": str(self.dtype),
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
        }


class OneHotIoU(IoU):
    """`IoU` for one-hot labels and per-class scores (both arg-maxed along `axis`).

    Example:
    >>> m = OneHotIoU(num_classes=2, target_class_ids=[1])
    >>> m.update_state([[1, 0], [0, 1]], [[0.8, 0.2], [0.4, 0.6]])
    >>> float(m.result())
    1.0
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Any,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes,
            target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """`MeanIoU` for one-hot labels and per-class scores.

    Example:
    >>> m = OneHotMeanIoU(num_classes=2)
    >>> m.update_state([[1, 0], [0, 1]], [[0.8, 0.2], [0.4, 0.6]])
    >>> float(m.result())
    1.0
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        del config["sparse_y_true"]
        return config
