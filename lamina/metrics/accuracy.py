"""Accuracy metrics: exact match, binary, categorical, sparse categorical and top-k."""

from typing import Any

from lamina.backend import get_xp
from lamina.metrics.metric import raw, same_rank
from lamina.metrics.reduction import MeanMetricWrapper


def _pair(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    y_pred = raw(y_pred)
    return raw(y_true, like=y_pred), y_pred


def accuracy(y_true: Any, y_pred: Any) -> Any:
    """1.0 where `y_true == y_pred` exactly, else 0.0, elementwise (raw arrays in and out).

    Example:
    >>> accuracy([1, 2, 3], [1, 2, 4])
    array([1., 1., 0.], dtype=float32)
    """
    y_true, y_pred = same_rank(*_pair(y_true, y_pred))
    return (y_true == y_pred).astype("float32")


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    """Fraction of matches along the last axis after thresholding `y_pred` (`> threshold`).

    Example:
    >>> binary_accuracy([[1.0], [0.0]], [[0.7], [0.6]])
    array([1., 0.], dtype=float32)
    """
    y_true, y_pred = same_rank(*_pair(y_true, y_pred))
    matches = (y_true == (y_pred > threshold)).astype("float32")
    return matches.mean(axis=-1) if matches.ndim else matches


def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """1.0 where the arg max of one-hot `y_true` equals the arg max of `y_pred`.

    Example:
    >>> categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    array([1., 0.], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype("float32")


def _class_ids(y_true: Any, y_pred: Any) -> Any:
    """Sparse labels as a flat-per-sample integer array matching `y_pred` minus its last axis."""
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    if y_true.dtype.kind == "f":
        y_true = y_true.astype("int64")
    return y_true


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """1.0 where the integer label equals the arg max of `y_pred`.

    Example:
    >>> sparse_categorical_accuracy([1, 0], [[0.2, 0.8], [0.3, 0.7]])
    array([1., 0.], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _class_ids(y_true, y_pred)
    if y_pred.ndim == y_true.ndim + 1:
        y_pred = y_pred.argmax(axis=-1)
    return (y_true == y_pred).astype("float32")


def _in_top_k(scores: Any, target_ids: Any, k: int) -> Any:
    """1.0 where the target's score is among the `k` largest (ties count in its favour)."""
    xp = get_xp(scores)
    target_scores = xp.take_along_axis(scores, target_ids[..., None], axis=-1)
    better = (scores > target_scores).sum(axis=-1)
    return (better < k).astype("float32")


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """1.0 where the one-hot target is among the `k` highest-scored classes.

    Example:
    >>> top_k_categorical_accuracy([[0, 0, 1]], [[0.5, 0.3, 0.2]], k=2)
    array([0.], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return _in_top_k(y_pred, y_true.argmax(axis=-1), k)


def sparse_top_k_categorical_accuracy(
    y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False
) -> Any:
    """1.0 where the integer label is among the `k` highest-scored classes.

    With `from_sorted_ids=True`, `y_pred` already holds class ids sorted by decreasing score.

    Example:
    >>> sparse_top_k_categorical_accuracy([2], [[0.5, 0.3, 0.2]], k=3)
    array([1.], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _class_ids(y_true, y_pred)
    if from_sorted_ids:
        return (y_pred[..., :k] == y_true[..., None]).any(axis=-1).astype("float32")
    return _in_top_k(y_pred, y_true.astype("int64"), k)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly.

    Example:
    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded predictions match binary labels.

    Args:
        threshold: predictions above it count as 1.
        name: the metric's name.
        dtype: the result's dtype.

    Example:
    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=float(threshold))


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class (arg max) matches the one-hot label.

    Example:
    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the predicted class (arg max) matches the integer label.

    Example:
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is among the `k` best-scored classes.

    Example:
    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None):
        _check_k(k)
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=int(k))


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is among the `k` best-scored classes.

    Example:
    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype: Any = None,
        from_sorted_ids: bool = False,
    ) -> None:
        _check_k(k)
        super().__init__(
            sparse_top_k_categorical_accuracy,
            name=name,
            dtype=dtype,
            k=int(k),
            from_sorted_ids=bool(from_sorted_ids),
        )


def _check_k(k: Any) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"Expected k to be a positive integer. Received: k={k!r}")
