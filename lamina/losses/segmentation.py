"""Overlap losses for segmentation masks: Dice and Tversky.

Both compare soft masks (probabilities in [0, 1]) with binary ones through sums of products,
so they are differentiable everywhere. `axis=None` sums over every element and gives one
value for the whole batch; an axis (or tuple of axes) gives one value per remaining index.
"""

from typing import Any

from lamina import ops
from lamina.backend import epsilon
from lamina.losses.loss import LossFunctionWrapper
from lamina.losses.probabilistic import aligned
from lamina.ops.symbolic import symbolic_function
from lamina.tensor import Tensor
from lamina.validation import check_number


@symbolic_function("losses")
def dice(y_true: Any, y_pred: Any, axis: Any = None) -> Tensor:
    """`1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon)` over `axis`.

    Args:
        y_true: the true masks.
        y_pred: the predicted masks, of the same shape.
        axis: the axes summed over; None sums over all of them.

    Returns:
        The Dice loss: 0-d for `axis=None`, else the shape that is left.

    Example:
    >>> float(dice([[1.0, 0.0]], [[0.5, 0.5]]))
    0.5
    """
    y_true, y_pred = aligned("dice", y_true, y_pred)
    overlap = ops.sum(y_true * y_pred, axis=axis)
    total = ops.sum(y_true, axis=axis) + ops.sum(y_pred, axis=axis) + epsilon()
    return 1.0 - 2.0 * overlap / total


@symbolic_function("losses")
def tversky(
    y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Any = None
) -> Tensor:
    """`1 - tp / (tp + alpha * a + beta * b + epsilon)`, summed over `axis` (all by default).

    With `tp = sum(y_true * y_pred)`, `a = sum(y_true * (1 - y_pred))` (mass of the true mask
    the prediction misses) and `b = sum((1 - y_true) * y_pred)` (mass predicted outside it),
    as Keras computes them. `alpha = beta = 0.5` gives the Dice loss.

    Example:
    >>> round(float(tversky([[1.0, 0.0]], [[0.5, 0.5]], alpha=1.0, beta=0.0)), 4)
    0.5
    """
    y_true, y_pred = aligned("tversky", y_true, y_pred)
    tp = ops.sum(y_true * y_pred, axis=axis)
    missed = ops.sum(y_true * (1.0 - y_pred), axis=axis)
    extra = ops.sum((1.0 - y_true) * y_pred, axis=axis)
    return 1.0 - tp / (tp + alpha * missed + beta * extra + epsilon())


class Dice(LossFunctionWrapper):
    """The Dice loss; see `dice`.

    Args:
        reduction: as for `Loss`.
        name: defaults to `"dice"`.
        axis: the axes summed over (None: all, one value per batch).
        dtype: as for `Loss`.

    Example:
    >>> Dice()([[1.0, 0.0]], [[0.5, 0.5]])
    tensor(0.5, dtype=float32)
    """

    def __init__(
        self,
        reduction: Any = "sum_over_batch_size",
        name: str = "dice",
        axis: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis)


class Tversky(LossFunctionWrapper):
    """The Tversky loss (Salehi et al., 2017); see `tversky`.

    Args:
        alpha: the weight of the true mask's missed mass (>= 0).
        beta: the weight of the mass predicted outside the true mask (>= 0).
        reduction: as for `Loss`.
        name: defaults to `"tversky"`.
        axis: the axes summed over (None: all, one value per batch).
        dtype: as for `Loss`.

    Example:
    >>> round(float(Tversky()([[1.0, 0.0]], [[0.5, 0.5]])), 4)
    0.5
    """

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: Any = "sum_over_batch_size",
        name: str = "tversky",
        axis: Any = None,
        dtype: Any = None,
    ) -> None:
        alpha = check_number("alpha", alpha, low=0.0)
        beta = check_number("beta", beta, low=0.0)
        super().__init__(
            tversky, reduction=reduction, name=name, dtype=dtype, alpha=alpha, beta=beta, axis=axis
        )
