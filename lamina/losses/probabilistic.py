"""Cross-entropies (plain and focal), KL divergence and Poisson: functions and Loss classes.

Probabilities are clipped to `[epsilon, 1 - epsilon]` (epsilon from `lamina.backend.epsilon()`,
1e-7 by default) before logarithms, as Keras does; `from_logits=True` uses log-softmax and
softplus formulations instead, which stay exact for large logits.
"""

import warnings
from typing import Any

from lamina import ops
from lamina.backend import epsilon, get_xp
from lamina.losses.loss import (
    LossFunctionWrapper,
    as_tensor,
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
)
from lamina.ops.nn import softmax_cross_entropy, softmax_logits
from lamina.ops.symbolic import symbolic_function
from lamina.tensor import Tensor
from lamina.validation import check_number


def labels_like(y_true: Any, y_pred: Tensor) -> Tensor:
    """`y_true` as a tensor of `y_pred`'s dtype (labels may come as ints or float64)."""
    y_true = as_tensor(y_true)
    return y_true if y_true.dtype == y_pred.dtype else ops.cast(y_true, y_pred.dtype)


def aligned(op: str, y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    """Labels and predictions as tensors of one dtype and one shape, for losses computed
    elementwise: `(batch,)` against `(batch, 1)` is reconciled as Keras does; any other
    difference raises rather than broadcasting (`y_true` of shape `(n, 2)` against a
    `Dense(1)` output would otherwise average over a silent `(n, 2)` product).

    Raises:
        ValueError: naming `op` and both shapes, if they still differ.
    """
    y_pred = as_tensor(y_pred)
    y_true = labels_like(y_true, y_pred)
    if y_true.ndim != y_pred.ndim:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _check_same_shape(op, y_true, y_pred)
    return y_true, y_pred


def _check_same_shape(op: str, y_true: Tensor, y_pred: Tensor) -> None:
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{op}: `y_true` and `y_pred` must have the same shape (or differ only by a "
            "trailing axis of length 1); check that the targets match the model's output. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )


def _check_axis(op: str, axis: Any) -> None:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"{op}: `axis` must be an int. Received: axis={axis!r}")


def _categorical_inputs(op: str, y_true: Any, y_pred: Any, axis: Any) -> tuple[Tensor, Tensor]:
    """Labels and class scores as tensors of one dtype and one shape, `axis` checked."""
    _check_axis(op, axis)
    y_pred = as_tensor(y_pred)
    y_true = labels_like(y_true, y_pred)
    _check_same_shape(op, y_true, y_pred)
    return y_true, y_pred


def _smooth_labels(y_true: Tensor, label_smoothing: float, num_classes: int) -> Tensor:
    """Move `label_smoothing` of each label's mass to the uniform `1 / num_classes`."""
    check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def _clipped_probs(y_pred: Tensor, axis: int) -> Tensor:
    """Renormalize along `axis`, then clip away from 0 and 1 so the log stays finite."""
    eps = epsilon()
    y_pred = y_pred / ops.sum(y_pred, axis=axis, keepdims=True)
    return ops.clip(y_pred, eps, 1.0 - eps)


@symbolic_function("losses")
def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Cross-entropy between one-hot (or soft) labels and predicted class scores, per sample.

    Args:
        y_true: labels, one-hot or probabilities, the shape of `y_pred`.
        y_pred: probabilities (renormalized along `axis` and clipped), or logits with
            `from_logits=True`.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: in [0, 1]; the labels become `y * (1 - s) + s / num_classes`.
        axis: the class axis.

    Returns:
        The loss of each sample: `y_pred`'s shape without `axis`.

    Example:
    >>> categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).numpy()
    array([0.6931472], dtype=float32)
    """
    y_true, y_pred = _categorical_inputs("categorical_crossentropy", y_true, y_pred, axis)
    if y_pred.shape and y_pred.shape[-1] == 1:
        warnings.warn(
            "categorical_crossentropy expects y_pred of shape (batch_size, num_classes) with "
            f"num_classes > 1; use binary_crossentropy for two classes. "
            f"Received: y_pred.shape={y_pred.shape}",
            stacklevel=2,
        )
    if label_smoothing:
        y_true = _smooth_labels(y_true, label_smoothing, y_true.shape[axis])
    logits = y_pred if from_logits else softmax_logits(y_pred, axis)
    if logits is not None:
        return softmax_cross_entropy(y_true, logits, axis=axis)
    return -ops.sum(y_true * ops.log(_clipped_probs(y_pred, axis)), axis=axis)


def _sparse_targets(op: str, y_true: Any, y_pred: Tensor, axis: int) -> Any:
    """Integer class ids as a raw array of `y_pred`'s shape without the class axis."""
    labels = y_true.data if isinstance(y_true, Tensor) else y_true
    xp = get_xp(y_pred.data)
    labels = xp.asarray(labels)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.dtype.kind not in "iu":
        labels = labels.astype("int64")
    ax = axis % y_pred.ndim if y_pred.ndim else 0
    expected = y_pred.shape[:ax] + y_pred.shape[ax + 1 :]
    if labels.shape != expected:
        raise ValueError(
            f"{op}: `y_true` must hold one class id per sample, of shape {expected} (or with a "
            f"trailing 1). Received: y_true.shape={labels.shape}, y_pred.shape={y_pred.shape}"
        )
    return labels


def _check_class_ids(op: str, labels: Any, num_classes: int) -> None:
    if labels.size and (int(labels.max()) >= num_classes or int(labels.min()) < 0):
        raise ValueError(
            f"{op}: class ids must lie in [0, {num_classes}). "
            f"Received: ids from {int(labels.min())} to {int(labels.max())}"
        )


def _one_hot_raw(labels: Any, n: int, axis: int, dtype: Any) -> Any:
    xp = get_xp(labels)
    out = (labels[..., None] == xp.arange(n)).astype(dtype)
    if axis not in (-1, out.ndim - 1):
        out = xp.moveaxis(out, -1, axis)
    return out


@symbolic_function("losses")
def sparse_categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> Tensor:
    """Cross-entropy between integer class ids and predicted class scores, per sample.

    Args:
        y_true: class ids, of `y_pred`'s shape without `axis` (a trailing 1 is allowed).
            Float labels are truncated to integers.
        y_pred: probabilities, or logits with `from_logits=True`.
        from_logits: whether `y_pred` holds logits.
        ignore_class: a class id whose samples get a loss of 0 (e.g. padding in segmentation).
        axis: the class axis.

    Returns:
        The loss of each sample.

    Example:
    >>> sparse_categorical_crossentropy([1], [[0.5, 0.5]]).numpy()
    array([0.6931472], dtype=float32)
    """
    _check_axis("sparse_categorical_crossentropy", axis)
    y_pred = as_tensor(y_pred)
    labels = _sparse_targets("sparse_categorical_crossentropy", y_true, y_pred, axis)
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = labels * valid
    n = y_pred.shape[axis]
    xp = get_xp(labels)
    _check_class_ids("sparse_categorical_crossentropy", labels, n)
    target = _one_hot_raw(labels, n, axis, y_pred.dtype)
    if from_logits:
        log_probs = ops.log_softmax(y_pred, axis=axis)
    else:
        log_probs = ops.log(_clipped_probs(y_pred, axis))
    loss = -ops.sum(Tensor(target) * log_probs, axis=axis)
    if valid is not None:
        loss = loss * Tensor(xp.asarray(valid, dtype=y_pred.dtype))
    return loss


def _binary_elementwise(y_true: Tensor, y_pred: Tensor, from_logits: bool) -> Tensor:
    """Elementwise binary cross-entropy."""
    if from_logits:
        # -[y log s(x) + (1 - y) log(1 - s(x))] = softplus(x) - x y, exact for any x
        return ops.softplus(y_pred) - y_pred * y_true
    eps = epsilon()
    p = ops.clip(y_pred, eps, 1.0 - eps)
    log_p, log_q = ops.log(p), ops.log(1.0 - p)
    # -[y log p + (1 - y) log(1 - p)], written with one product
    return -(log_q + y_true * (log_p - log_q))


@symbolic_function("losses")
def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Binary cross-entropy averaged over `axis`, per sample.

    Args:
        y_true: labels in [0, 1], the shape of `y_pred`.
        y_pred: probabilities (clipped to `[eps, 1 - eps]`), or logits with `from_logits=True`.
        from_logits: whether `y_pred` holds logits.
        label_smoothing: in [0, 1]; the labels become `y * (1 - s) + s / 2`.
        axis: the axis averaged over.

    Example:
    >>> binary_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).numpy()
    array([0.6931472], dtype=float32)
    """
    y_true, y_pred = aligned("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = _smooth_labels(y_true, label_smoothing, 2)
    return ops.mean(_binary_elementwise(y_true, y_pred, from_logits), axis=axis)


@symbolic_function("losses")
def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Binary cross-entropy scaled by `(1 - p_t) ** gamma` (Lin et al. 2017), mean over `axis`.

    `p_t` is the probability given to the true label; with `apply_class_balancing` positives are
    further weighted by `alpha` and negatives by `1 - alpha`.

    Example:
    >>> binary_focal_crossentropy([[1.0]], [[0.5]], gamma=2.0).numpy()
    array([0.1732868], dtype=float32)
    """
    y_true, y_pred = aligned("binary_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = _smooth_labels(y_true, label_smoothing, 2)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = _binary_elementwise(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = ops.power(1.0 - p_t, float(gamma)) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return ops.mean(focal, axis=axis)


@symbolic_function("losses")
def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Categorical cross-entropy with each term scaled by `alpha * (1 - p) ** gamma`.

    Example:
    >>> categorical_focal_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).numpy()
    array([0.0433217], dtype=float32)
    """
    y_true, y_pred = _categorical_inputs("categorical_focal_crossentropy", y_true, y_pred, axis)
    if label_smoothing:
        y_true = _smooth_labels(y_true, label_smoothing, y_true.shape[axis])
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    p = _clipped_probs(y_pred, axis)
    cce = -y_true * ops.log(p)
    weight = ops.power(1.0 - p, float(gamma)) * alpha
    return ops.sum(weight * cce, axis=axis)


@symbolic_function("losses")
def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    """Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred))` over the last axis.

    Both sides are clipped to `[epsilon, 1]` first.

    Example:
    >>> kl_divergence([[0.5, 0.5]], [[0.5, 0.5]]).numpy()
    array([0.], dtype=float32)
    """
    y_true, y_pred = aligned("kl_divergence", y_true, y_pred)
    eps = epsilon()
    t = ops.clip(y_true, eps, 1.0)
    p = ops.clip(y_pred, eps, 1.0)
    return ops.sum(t * ops.log(t / p), axis=-1)


@symbolic_function("losses")
def poisson(y_true: Any, y_pred: Any) -> Tensor:
    """Poisson loss `mean(y_pred - y_true * log(y_pred + epsilon))` over the last axis.

    Example:
    >>> poisson([[1.0]], [[1.0]]).numpy()
    array([0.9999999], dtype=float32)
    """
    y_true, y_pred = aligned("poisson", y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + epsilon()), axis=-1)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for one-hot labels; see `categorical_crossentropy`.

    Args:
        from_logits: whether predictions are logits.
        label_smoothing: in [0, 1].
        axis: the class axis.
        reduction: as for `Loss`.
        name: defaults to `"categorical_crossentropy"`.
        dtype: as for `Loss`.

    Example:
    >>> CategoricalCrossentropy()([[0.0, 1.0]], [[0.5, 0.5]])
    tensor(0.6931472, dtype=float32)
    """

    label_type = "one_hot"

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: Any = "sum_over_batch_size",
        name: str = "categorical_crossentropy",
        dtype: Any = None,
    ) -> None:
        check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
        _check_axis("CategoricalCrossentropy", axis)
        super().__init__(
            categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=axis,
        )


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for integer class ids; see `sparse_categorical_crossentropy`.

    With `ignore_class`, samples of that class are left out of the mean.

    Example:
    >>> SparseCategoricalCrossentropy(from_logits=True)([1], [[0.0, 0.0]])
    tensor(0.6931472, dtype=float32)
    """

    label_type = "class_ids"

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: Any = "sum_over_batch_size",
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            sparse_categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            ignore_class=ignore_class,
        )

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        y_pred = as_tensor(y_pred, self.dtype)
        losses = sparse_categorical_crossentropy(y_true, y_pred, **self.fn_kwargs)
        mask = None
        ignore = self.fn_kwargs["ignore_class"]
        if ignore is not None:
            labels = _sparse_targets("SparseCategoricalCrossentropy", y_true, y_pred, -1)
            mask = labels != ignore
        return reduce_weighted_values(losses, sample_weight, self.reduction, mask=mask)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy; see `binary_crossentropy`.

    Example:
    >>> BinaryCrossentropy()([[0.0], [1.0]], [[0.5], [0.5]])
    tensor(0.6931472, dtype=float32)
    """

    label_type = "binary"

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: Any = "sum_over_batch_size",
        name: str = "binary_crossentropy",
        dtype: Any = None,
    ) -> None:
        check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
        super().__init__(
            binary_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=axis,
        )


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary focal cross-entropy; see `binary_focal_crossentropy`.

    Example:
    >>> BinaryFocalCrossentropy(gamma=2.0)([[1.0]], [[0.5]])
    tensor(0.1732868, dtype=float32)
    """

    label_type = "binary"

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: Any = "sum_over_batch_size",
        name: str = "binary_focal_crossentropy",
        dtype: Any = None,
    ) -> None:
        check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
        check_number("alpha", alpha, low=0.0, high=1.0)
        check_number("gamma", gamma, low=0.0)
        super().__init__(
            binary_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            apply_class_balancing=bool(apply_class_balancing),
            alpha=float(alpha),
            gamma=float(gamma),
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=axis,
        )


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical focal cross-entropy; see `categorical_focal_crossentropy`.

    Example:
    >>> CategoricalFocalCrossentropy()([[0.0, 1.0]], [[0.5, 0.5]])
    tensor(0.0433217, dtype=float32)
    """

    label_type = "one_hot"

    def __init__(
        self,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: Any = "sum_over_batch_size",
        name: str = "categorical_focal_crossentropy",
        dtype: Any = None,
    ) -> None:
        check_number("label_smoothing", label_smoothing, low=0.0, high=1.0)
        check_number("gamma", gamma, low=0.0)
        super().__init__(
            categorical_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=float(alpha),
            gamma=float(gamma),
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=axis,
        )


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence; see `kl_divergence`.

    Example:
    >>> KLDivergence()([[0.5, 0.5]], [[0.5, 0.5]])
    tensor(0., dtype=float32)
    """

    def __init__(
        self, reduction: Any = "sum_over_batch_size", name: str = "kl_divergence", dtype: Any = None
    ) -> None:
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """Poisson loss; see `poisson`.

    Example:
    >>> Poisson()([[1.0]], [[1.0]])
    tensor(0.9999999, dtype=float32)
    """

    def __init__(
        self, reduction: Any = "sum_over_batch_size", name: str = "poisson", dtype: Any = None
    ) -> None:
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)
