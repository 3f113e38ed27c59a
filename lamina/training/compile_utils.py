"""What `compile` sets up: the losses per output and the metrics per output."""

from typing import Any

import numpy as np

from lamina import losses as losses_module
from lamina import metrics as metrics_module
from lamina.tensor import Tensor


def _per_output(spec: Any, names: list[str], what: str) -> list:
    """Spread a loss/metric spec over the outputs: one for all, a list, or a dict by name."""
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(names))
        if unknown:
            raise ValueError(
                f"compile: {what} names outputs {unknown} that the model does not have; its "
                f"outputs are {names}. Received: {what}={spec!r}"
            )
        return [spec.get(n) for n in names]
    if isinstance(spec, list | tuple) and what == "loss":
        if len(spec) != len(names):
            raise ValueError(
                f"compile: the model has {len(names)} outputs {names}, so a list of losses needs "
                f"{len(names)} entries. Received: {len(spec)} losses"
            )
        return list(spec)
    return [spec] * len(names)


def loss_name(fn: Any) -> str:
    """The registered or readable name of a loss function or object."""
    if fn is None:
        return ""
    inner = getattr(fn, "fn", None)
    if inner is not None:
        return str(getattr(inner, "__name__", type(fn).__name__))
    if isinstance(fn, losses_module.Loss):
        return fn.name
    return str(getattr(fn, "__name__", type(fn).__name__))


def uses_logits(fn: Any) -> bool:
    """Whether a loss was configured with `from_logits=True`."""
    return isinstance(fn, losses_module.Loss) and fn.from_logits


class CompileLoss:
    """The total loss: each output's loss, weighted, plus the model's own losses."""

    def __init__(self, loss: Any, loss_weights: Any, output_names: list[str]) -> None:
        self.output_names = output_names
        specs = _per_output(loss, output_names, "loss")
        self.fns = [None if s is None else losses_module.get(s) for s in specs]
        # No loss at all is valid: the losses may come from add_loss or a custom train_step.
        self.has_loss = any(f is not None for f in self.fns)
        weights = _per_output(loss_weights, output_names, "loss_weights") if loss_weights else None
        if isinstance(loss_weights, list | tuple):
            weights = list(loss_weights)
        self.weights = [1.0 if w is None else float(w) for w in (weights or [1.0] * len(specs))]
        self.names = [f"{n}_loss" for n in output_names] if len(output_names) > 1 else []

    def __call__(self, y_true: list, y_pred: list, sample_weight: Any) -> tuple[Tensor, list]:
        total = None
        parts = []
        for i, (fn, w) in enumerate(zip(self.fns, self.weights, strict=True)):
            if fn is None:
                continue
            yt = _align_target(y_true[i], y_pred[i], fn)
            value = (
                fn(yt, y_pred[i], sample_weight=sample_weight)
                if isinstance(fn, losses_module.Loss)
                else losses_module.reduce_weighted_values(fn(yt, y_pred[i]), sample_weight)
            )
            parts.append(value)
            term = value if w == 1.0 else value * w
            total = term if total is None else total + term
        return total, parts


def _align_target(y: Any, y_pred: Tensor, fn: Any) -> Any:
    """Give `y` a trailing axis of 1 when the output has one and `y` lacks it (as Keras does)."""
    if losses_module.label_type_of(fn) == "class_ids":
        return y
    shape = np.shape(y)
    if len(shape) == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        return y.reshape(*shape, 1) if hasattr(y, "reshape") else np.reshape(y, (*shape, 1))
    return y


def check_targets(fns: list, y_true: list, y_pred: list, output_names: list[str]) -> None:
    """Refuse targets shaped for another loss, or class ids out of range, before any update.

    `y_true` may hold every target (the whole array passed to fit) or one batch; only the
    shape of a sample is compared with the output's.
    """
    for fn, y, p, name in zip(fns, y_true, y_pred, output_names, strict=True):
        if fn is None or y is None:
            continue
        lname = loss_name(fn)
        labels = losses_module.label_type_of(fn)
        y = np.asarray(y.data if isinstance(y, Tensor) else y)
        where = f" for output {name!r}" if len(output_names) > 1 else ""
        output = f"(batch, {', '.join(str(n) for n in p.shape[1:])})"
        if labels == "class_ids":
            if y.ndim == p.ndim and y.shape[-1] == p.shape[-1] and p.shape[-1] > 1:
                raise ValueError(
                    f"loss={lname!r}{where} expects y to hold integer class ids of shape "
                    f"(batch,) for an output of shape {output}, but y looks one-hot encoded. "
                    "Use a loss for one-hot targets (loss='categorical_crossentropy'), or pass "
                    f"y.argmax(axis=-1). Received: y with shape {y.shape}"
                )
            check_class_ids(y, p.shape[-1], where)
        elif labels == "one_hot":
            if y.shape[1:] != tuple(p.shape[1:]):
                hint = (
                    "y looks like integer class ids: use loss='sparse_categorical_crossentropy', "
                    "or one-hot encode y with lamina.utils.to_categorical"
                    if y.ndim == p.ndim - 1 or (y.ndim == p.ndim and y.shape[-1] == 1)
                    else "give y the shape of the model output"
                )
                raise ValueError(
                    f"loss={lname!r}{where} expects one-hot targets shaped like the output "
                    f"{output}; {hint}. Received: y with shape {y.shape}"
                )


def check_class_ids(y: np.ndarray, num_classes: int, where: str = "") -> None:
    """Class ids must be whole numbers in [0, num_classes); name the first bad sample."""
    y = np.asarray(y)
    flat = y.reshape(-1)
    bad = (flat < 0) | (flat >= num_classes) | (flat != np.floor(flat))
    if bad.any():
        first = int(np.argmax(bad))
        index = tuple(int(i) for i in np.unravel_index(first, y.shape)) if y.ndim else ()
        where_in_y = ", ".join(str(i) for i in index)
        raise ValueError(
            f"y{where} must hold class ids in [0, {num_classes}): the model's last layer has "
            f"{num_classes} units, one per class. Check the labels, or give the last layer as "
            f"many units as there are classes. Received: y[{where_in_y}]="
            f"{flat[first].item()!r} (sample {index[0] if index else 0})"
        )


class CompileMetrics:
    """The metrics of each output, named as Keras names them (`accuracy`, `out_accuracy`).

    As in Keras 3, `metrics` ignore sample and class weights; `weighted_metrics` use them.
    """

    def __init__(
        self, metrics: Any, output_names: list[str], loss_fns: list, weighted_metrics: Any = None
    ) -> None:
        self.output_names = output_names
        self.specs = [
            [(spec, False) for spec in plain] + [(spec, True) for spec in weighted]
            for plain, weighted in zip(
                _spread_metrics(metrics, output_names),
                _spread_metrics(weighted_metrics, output_names),
                strict=True,
            )
        ]
        for group in self.specs:  # unknown names fail in compile, before any training
            for spec, _ in group:
                if isinstance(spec, str) and spec not in ("accuracy", "acc"):
                    metrics_module.get(spec)
        self.loss_fns = loss_fns
        self.metrics: list[list] | None = None
        self.weighted: list[list[bool]] = [[w for _, w in group] for group in self.specs]

    def build(self, y_true: list, y_pred: list) -> None:
        """Resolve the metric names once the shapes are known (`accuracy` depends on them)."""
        multi = len(self.output_names) > 1
        self.metrics = []
        for i, specs in enumerate(self.specs):
            built = []
            for spec, _ in specs:
                if isinstance(spec, str) and spec in ("accuracy", "acc"):
                    m = metrics_module.resolve_accuracy(
                        self.loss_fns[i], np.shape(y_true[i]), tuple(y_pred[i].shape)
                    )
                    m.name = spec
                else:
                    m = metrics_module.get(spec)
                    if not isinstance(m, metrics_module.Metric):
                        m = metrics_module.MeanMetricWrapper(m, name=loss_name(m))
                if multi:
                    m.name = f"{self.output_names[i]}_{m.name}"
                built.append(m)
            self.metrics.append(built)
        names = [m.name for group in self.metrics for m in group]
        for group, weighted in zip(self.metrics, self.weighted, strict=True):
            for m, w in zip(group, weighted, strict=True):
                if w and names.count(m.name) > 1:
                    m.name = f"weighted_{m.name}"

    @property
    def flat(self) -> list:
        return [m for group in self.metrics or [] for m in group]

    def check(self, y_true: list, y_pred: list) -> None:
        """Try every metric on a batch (then reset it), so a metric that cannot apply to an
        output fails before training, naming the output and the metric."""
        if self.metrics is None:
            self.build(y_true, y_pred)
        for group, name, yt, yp in zip(
            self.metrics, self.output_names, y_true, y_pred, strict=True
        ):
            for m in group:
                try:
                    m.update_state(yt, yp.data)
                except (ValueError, TypeError, IndexError) as err:
                    raise ValueError(
                        f"Metric {m.name!r} cannot apply to output {name!r} (predictions of shape "
                        f"{tuple(yp.shape)}, targets of shape {np.shape(yt)}): {err}"
                    ) from None
                finally:
                    m.reset_state()

    def update(self, y_true: list, y_pred: list, sample_weight: Any) -> None:
        if self.metrics is None:
            self.build(y_true, y_pred)
        for group, weighted, yt, yp in zip(
            self.metrics, self.weighted, y_true, y_pred, strict=True
        ):
            for m, w in zip(group, weighted, strict=True):
                m.update_state(yt, yp.data, sample_weight=sample_weight if w else None)


def _spread_metrics(metrics: Any, output_names: list[str]) -> list[list]:
    """One list of metric specs per output, from a list, a list of lists or a dict."""
    if metrics is None:
        return [[] for _ in output_names]
    if isinstance(metrics, dict):
        specs = _per_output(metrics, output_names, "metrics")
        return [
            [] if s is None else (list(s) if isinstance(s, list | tuple) else [s]) for s in specs
        ]
    if (
        isinstance(metrics, list | tuple)
        and len(output_names) > 1
        and len(metrics) == len(output_names)
        and all(isinstance(m, list | tuple) for m in metrics)
    ):
        return [list(m) for m in metrics]
    flat = list(metrics) if isinstance(metrics, list | tuple) else [metrics]
    return [flat for _ in output_names]
