"""The `Loss` base class, its reductions, and the wrapper that turns a function into a Loss."""

from collections.abc import Callable
from typing import Any, ClassVar, Literal

import numpy as np

from lamina import ops
from lamina.naming import to_snake_case
from lamina.tensor import Tensor

# What `y_true` holds for a loss; see `Loss.label_type`.
LabelType = Literal["class_ids", "one_hot", "binary"] | None

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction: Any) -> Any:
    """Return `reduction` if Keras knows it, else raise a ValueError naming the allowed ones."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
            f"Received: reduction={reduction!r}"
        )
    return reduction


def as_tensor(x: Any, dtype: Any = None) -> Tensor:
    """Convert without copying; cast only when `dtype` differs."""
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else ops.cast(x, dtype)
    return ops.convert_to_tensor(x, dtype=dtype)


def squeeze_or_expand_to_same_rank(x1: Tensor, x2: Tensor, expand_rank_1: bool = True):
    """Make ranks agree when they differ by a trailing size-1 axis, as Keras does.

    `(batch,)` against `(batch, 1)` expands the rank-1 side; otherwise the size-1 axis is
    squeezed away.
    """
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def reduce_weighted_values(
    values: Tensor,
    sample_weight: Any = None,
    reduction: Any = "sum_over_batch_size",
    mask: Any = None,
) -> Tensor:
    """Weight per-sample values by `sample_weight` (broadcast) and reduce them.

    `"sum_over_batch_size"` and `"mean"` divide the weighted sum by the number of values;
    `"mean_with_sample_weight"` divides by the sum of the weights; `"sum"` sums; `"none"` and
    None return the weighted values. A boolean `mask` (raw array) zeroes the masked-out values;
    for the two mean reductions the kept ones are scaled so the mean runs over them only.
    """
    if mask is not None:
        sample_weight = _merge_mask(sample_weight, mask, reduction, values.dtype)
    if sample_weight is not None:
        sw = as_tensor(sample_weight)
        if sw.dtype != values.dtype:
            sw = ops.cast(sw, values.dtype)
        values, sw = squeeze_or_expand_to_same_rank(values, sw)
        while sw.ndim < values.ndim:  # one weight per sample weighs all of its values
            sw = ops.expand_dims(sw, -1)
        values = values * sw
    else:
        sw = None
    if reduction is None or reduction == "none" or values.ndim == 0:
        return values
    if sw is None and reduction != "sum" and values.size:
        return ops.mean(values)
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sw is not None:
        sw_total = float(sw.numpy().sum())
        return total / sw_total if sw_total else total * 0.0
    n = values.size
    return total / float(n) if n else total * 0.0


def _merge_mask(sample_weight: Any, mask: Any, reduction: Any, dtype: Any) -> Tensor:
    mask = mask.astype(dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = float(mask.sum())
        mask = mask * (mask.size / (valid + 1e-7))
    mask = Tensor(mask)
    if sample_weight is None:
        return mask
    sw = as_tensor(sample_weight, dtype)
    mask, sw = squeeze_or_expand_to_same_rank(mask, sw)
    return sw * mask


class Loss:
    """Base class of losses: `__call__` weights and reduces what `call` returns per sample.

    Subclasses implement `call(y_true, y_pred)` returning one loss per sample (the batch shape)
    from `lamina.ops`, so the loss is differentiable.

    Args:
        name: the name (used as a metric name when the loss is tracked).
        reduction: `"sum_over_batch_size"` (default), `"sum"`, `"mean"`,
            `"mean_with_sample_weight"`, `"none"` or None.
        dtype: cast predictions to this dtype first; None keeps the predictions' dtype.

    Attributes:
        label_type: what `y_true` holds, declared by each loss class: `"class_ids"` (one
            integer class id per sample, as for `SparseCategoricalCrossentropy`), `"one_hot"`
            (one-hot or soft labels shaped like the predictions), `"binary"` (0 or 1 per output
            unit) or None (anything; the default). `fit` checks the targets against it before
            training and `metrics=["accuracy"]` picks its accuracy from it; declare it on your
            own losses to get the same.
        from_logits: whether the predictions are logits (then `fit` warns when the output
            layer already applies a softmax or sigmoid).

    Example:
    >>> class MeanCube(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return lamina.ops.mean((y_pred - y_true) ** 3, axis=-1)
    >>> MeanCube()([[1.0]], [[3.0]])
    tensor(8., dtype=float32)
    """

    label_type: ClassVar[LabelType] = None
    from_logits: bool = False

    def __init__(
        self, name: str | None = None, reduction: Any = "sum_over_batch_size", dtype: Any = None
    ) -> None:
        self.name = name or to_snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self.dtype = None if dtype is None else np.dtype(dtype)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        """Return the reduced loss (a 0-d tensor unless the reduction is `"none"`)."""
        y_pred = as_tensor(y_pred, self.dtype)
        y_true = as_tensor(y_true)
        losses = self.call(y_true, y_pred)
        return reduce_weighted_values(losses, sample_weight, self.reduction)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "reduction": self.reduction,
            "dtype": None if self.dtype is None else str(self.dtype),
        }

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A `Loss` around a per-sample function `fn(y_true, y_pred, **kwargs)`.

    Args:
        fn: the per-sample loss function.
        reduction: as for `Loss`.
        name: defaults to the function's name.
        dtype: as for `Loss`.
        **kwargs: passed on to `fn` at each call; kept as `fn_kwargs`.

    Example:
    >>> loss = LossFunctionWrapper(lamina.losses.mean_squared_error)
    >>> loss([[0.0, 1.0]], [[1.0, 1.0]])
    tensor(0.5, dtype=float32)
    """

    def __init__(
        self,
        fn: Callable[..., Tensor],
        reduction: Any = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            name=name or getattr(fn, "__name__", None), reduction=reduction, dtype=dtype
        )
        self.fn = fn
        self.fn_kwargs = kwargs

    @property
    def from_logits(self) -> bool:
        """Whether `fn` is called with `from_logits=True`."""
        return bool(self.fn_kwargs.get("from_logits", False))

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(self.fn_kwargs)
        if type(self) is LossFunctionWrapper:
            config["fn"] = getattr(self.fn, "__name__", repr(self.fn))
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        if cls is LossFunctionWrapper:
            # The package's name table is filled after this module is imported.
            from lamina.losses import get

            config = dict(config)
            config["fn"] = get(config["fn"])
        return cls(**config)
