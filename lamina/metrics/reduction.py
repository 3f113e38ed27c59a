"""Mean, Sum and MeanMetricWrapper: running reductions of per-sample values."""

from collections.abc import Callable
from typing import Any

from lamina.function import no_grad
from lamina.metrics.metric import Metric, raw, same_rank
from lamina.tensor import Tensor


def samplewise(values: Any, sample_weight: Any = None) -> tuple[Any, Any, Any]:
    """Reduce values to one per sample, weighted as Keras does.

    Returns `(weighted_total, weight_total, n)`: the sum of (weighted) per-sample means and
    the sum of the weights (the sample count when unweighted).
    """
    if sample_weight is None:
        if values.ndim == 0:
            return float(values), 1.0, 1
        n = values.shape[0] if values.ndim else 1
        per_sample = values.size // max(n, 1) if n else 1
        return float(values.sum()) / max(per_sample, 1), float(n), n
    sw = raw(sample_weight, like=values)
    if sw.dtype.kind not in "f":
        sw = sw.astype(values.dtype)
    values, sw = same_rank(values, sw)
    if values.ndim > sw.ndim:
        values = values.mean(axis=tuple(range(sw.ndim, values.ndim)))
    xp_sw = sw * (values * 0 + 1) if sw.shape != values.shape else sw  # broadcast
    weighted = values * xp_sw
    if xp_sw.ndim > 1:
        xp_sw = xp_sw.mean(axis=tuple(range(1, xp_sw.ndim)))
    if weighted.ndim > 1:
        weighted = weighted.mean(axis=tuple(range(1, weighted.ndim)))
    return float(weighted.sum()), float(xp_sw.sum()), weighted.size


class Sum(Metric):
    """The running (weighted) sum of all values given.

    Example:
    >>> m = Sum()
    >>> m.update_state([1.0, 3.0, 5.0])
    >>> float(m.result())
    9.0
    """

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._start_state()

    def reset_state(self) -> None:
        self.total = 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values = raw(values)
        if sample_weight is not None:
            sw = raw(sample_weight, like=values)
            values, sw = same_rank(values, sw)
            values = values * sw
        self.total += float(values.sum())

    def result(self) -> Tensor:
        return self.to_result(self.total)


class Mean(Metric):
    """The running (weighted) mean of per-sample values.

    Values of rank above 1 are first averaged per sample (over all but the first axis), so the
    count is the number of samples, or the sum of `sample_weight` when given.

    Example:
    >>> m = Mean()
    >>> m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1.0, 1.0, 0.0, 0.0])
    >>> float(m.result())
    2.0
    """

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._start_state()

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        total, count, _ = samplewise(raw(values), sample_weight)
        self.total += total
        self.count += count

    def result(self) -> Tensor:
        return self.to_result(self.total / self.count if self.count else 0.0)


class MeanMetricWrapper(Mean):
    """The mean of `fn(y_true, y_pred, **kwargs)` over every sample seen.

    `fn` may work on raw arrays (the built-in metric functions) or be a loss function on
    tensors; it runs without recording gradients.

    Args:
        fn: `(y_true, y_pred, **kwargs) -> per-sample values`.
        name: defaults to the function's name.
        dtype: the result's dtype.
        **kwargs: passed on to `fn`; kept as `fn_kwargs`.

    Example:
    >>> m = MeanMetricWrapper(lamina.losses.mean_squared_error, name="mse")
    >>> m.update_state([[0.0, 1.0]], [[1.0, 1.0]])
    >>> float(m.result())
    0.5
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"), dtype=dtype)
        self._fn = fn
        self.fn_kwargs = kwargs

    @property
    def from_logits(self) -> bool:
        """Whether `fn` is called with `from_logits=True`."""
        return bool(self.fn_kwargs.get("from_logits", False))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = raw(y_pred)
        y_true = raw(y_true, like=y_pred)
        with no_grad():
            values = self._fn(y_true, y_pred, **self.fn_kwargs)
        super().update_state(raw(values), sample_weight)

    def get_config(self) -> dict:
        config = {**super().get_config(), **self.fn_kwargs}
        if type(self) is MeanMetricWrapper:
            config["fn"] = getattr(self._fn, "__name__", repr(self._fn))
        return config

    @classmethod
    def from_config(cls, config: dict) -> "MeanMetricWrapper":
        if cls is MeanMetricWrapper and isinstance(config.get("fn"), str):
            # The package's name table is filled after this module is imported.
            from lamina.metrics import metric_function

            config = {**config, "fn": metric_function(config["fn"])}
        return cls(**config)
