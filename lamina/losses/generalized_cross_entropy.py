"""Generalized cross-entropy (Zhang & Sabuncu, 2018): a noise-robust categorical loss."""

from typing import Any

from lamina import ops
from lamina.backend import epsilon
from lamina.losses.loss import LossFunctionWrapper, as_tensor
from lamina.losses.probabilistic import _check_class_ids, _one_hot_raw, _sparse_targets
from lamina.ops.symbolic import symbolic_function
from lamina.tensor import Tensor


def _check_q(q: Any) -> float:
    ok = isinstance(q, int | float) and not isinstance(q, bool)
    if not ok or not 0.0 < q < 1.0:
        raise ValueError(f"Expected `q` to be a float in (0, 1). Received: q={q!r}")
    return float(q)


@symbolic_function("losses")
def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float = 0.5) -> Tensor:
    """`(1 - p**q) / q`, where `p` is the predicted probability of the true class.

    `q` near 0 behaves like cross-entropy (`-log p`), `q = 1` like the mean absolute error
    `1 - p`; values in between trade fitting speed for robustness to wrong labels.

    Args:
        y_true: integer class indices, shape `(batch,)` or `(batch, 1)`.
        y_pred: class probabilities, shape `(batch, classes)`; clipped below at epsilon.
        q: the noise parameter, in (0, 1).

    Returns:
        One loss per sample.

    Example:
    >>> categorical_generalized_cross_entropy([0], [[0.25, 0.75]], q=0.5).numpy()
    array([1.], dtype=float32)
    """
    q = _check_q(q)
    y_pred = as_tensor(y_pred)
    labels = _sparse_targets("categorical_generalized_cross_entropy", y_true, y_pred, -1)
    n = y_pred.shape[-1]
    _check_class_ids("categorical_generalized_cross_entropy", labels, n)
    onehot = Tensor(_one_hot_raw(labels, n, -1, y_pred.dtype))
    p = ops.sum(onehot * ops.clip(y_pred, epsilon(), 1.0), axis=-1)
    return (1.0 - ops.power(p, q)) / q


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized cross-entropy; see `categorical_generalized_cross_entropy`.

    Args:
        q: the noise parameter, in (0, 1) (default 0.5).
        reduction: as for `Loss`.
        name: defaults to `"categorical_generalized_cross_entropy"`.
        dtype: as for `Loss`.

    Example:
    >>> CategoricalGeneralizedCrossEntropy()([0, 1], [[0.25, 0.75], [0.0, 1.0]])
    tensor(0.5, dtype=float32)
    """

    label_type = "class_ids"

    def __init__(
        self,
        q: float = 0.5,
        reduction: Any = "sum_over_batch_size",
        name: str = "categorical_generalized_cross_entropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            categorical_generalized_cross_entropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            q=_check_q(q),
        )
