"""Metrics with the names, arguments and semantics of `keras.metrics`.

Metrics work on raw arrays and are never differentiated. `result()` returns a 0-d lamina
Tensor (a 1-d one for per-class results); `float(metric.result())` gives a Python float.

Example:
>>> m = lamina.metrics.get("mae")
>>> m.update_state([[0.0, 1.0]], [[1.0, 1.0]])
>>> m.name, float(m.result())
('mae', 0.5)
"""

import inspect
from collections.abc import Callable
from typing import Any

from lamina import losses as _losses
from lamina import serialization
from lamina.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from lamina.metrics.confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from lamina.metrics.constrained import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from lamina.metrics.correlation import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from lamina.metrics.f_score import F1Score, FBetaScore
from lamina.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from lamina.metrics.metric import Metric
from lamina.metrics.probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from lamina.metrics.r2_score import R2Score
from lamina.metrics.reduction import Mean, MeanMetricWrapper, Sum
from lamina.metrics.regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    cosine_similarity,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from lamina.naming import to_snake_case

# Keras's `metrics` namespace also exports these loss functions.
binary_crossentropy = _losses.binary_crossentropy
binary_focal_crossentropy = _losses.binary_focal_crossentropy
categorical_crossentropy = _losses.categorical_crossentropy
categorical_focal_crossentropy = _losses.categorical_focal_crossentropy
categorical_hinge = _losses.categorical_hinge
hinge = _losses.hinge
huber = _losses.huber
kl_divergence = _losses.kl_divergence
poisson = _losses.poisson
sparse_categorical_crossentropy = _losses.sparse_categorical_crossentropy
squared_hinge = _losses.squared_hinge

_CLASSES = (
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    CosineSimilarity,
    LogCoshError,
    R2Score,
    PearsonCorrelation,
    ConcordanceCorrelation,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    KLDivergence,
    Poisson,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    Precision,
    Recall,
    TruePositives,
    FalsePositives,
    TrueNegatives,
    FalseNegatives,
    AUC,
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    F1Score,
    FBetaScore,
    IoU,
    MeanIoU,
    BinaryIoU,
    OneHotIoU,
    OneHotMeanIoU,
)

# A string naming a function gives the metric class that averages it, named as written.
_FUNCTION_NAMES: dict[str, type[Metric]] = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "MAE": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mape": MeanAbsolutePercentageError,
    "MAPE": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "msle": MeanSquaredLogarithmicError,
    "MSLE": MeanSquaredLogarithmicError,
    "root_mean_squared_error": RootMeanSquaredError,
    "rmse": RootMeanSquaredError,
    "cosine_similarity": CosineSimilarity,
    "logcosh": LogCoshError,
    "log_cosh": LogCoshError,
    "log_cosh_error": LogCoshError,
    "binary_crossentropy": BinaryCrossentropy,
    "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence,
    "kld": KLDivergence,
    "KLD": KLDivergence,
    "kullback_leibler_divergence": KLDivergence,
    "poisson": Poisson,
    "hinge": Hinge,
    "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge,
}

# Per-sample functions by name, for MeanMetricWrapper configs.
_FUNCTIONS: dict[str, Callable] = {
    f.__name__: f
    for f in (
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_logarithmic_error,
        cosine_similarity,
        log_cosh,
        pearson_correlation,
        concordance_correlation,
    )
}

_REGISTRY = serialization.Registry("metric", "lamina.metrics")


def _register_all() -> None:

    for cls in _CLASSES:
        _REGISTRY.add(cls)
        _REGISTRY.objects.setdefault(to_snake_case(cls.__name__), cls)
    _REGISTRY.objects.update(_FUNCTION_NAMES)


_register_all()


def register(*classes: type[Metric]) -> None:
    """Make metric classes known to `get` and `deserialize` by class and snake-case name."""

    for cls in classes:
        _REGISTRY.add(cls)
        _REGISTRY.objects.setdefault(to_snake_case(cls.__name__), cls)


def metric_function(name: str) -> Callable:
    """Return the per-sample function called `name` (a metric function or a loss function)."""
    if name in _FUNCTIONS:
        return _FUNCTIONS[name]
    return _losses.get(name)


def get(identifier: Any) -> Any:
    """Return a `Metric` for a name, a config dict, a class, an instance or a function.

    Strings always give a Metric instance: a class name (`"MeanAbsoluteError"`) gives one with
    the default name; any other name (`"mae"`, `"binary_accuracy"`) gives one named as written.
    `"accuracy"` gives the generic `Accuracy`; the trainer picks the right kind through
    `resolve_accuracy`. Functions, loss names, Loss classes and Loss objects are wrapped in
    `MeanMetricWrapper`, so every loss can be tracked as a metric.

    Raises:
        ValueError: for an unknown name; the message lists the known ones.

    Example:
    >>> lamina.metrics.get("mae").name
    'mae'
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in _REGISTRY.objects and identifier in _losses._REGISTRY.objects:
            return _from_loss(_losses.get(identifier), identifier)
        cls = _REGISTRY.lookup(identifier)
        if identifier == cls.__name__:
            return cls()
        return cls(name=identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, Metric):
        return identifier
    if inspect.isclass(identifier) and issubclass(identifier, _losses.Loss):
        return _from_loss(identifier(), None)
    if isinstance(identifier, _losses.Loss):
        return _from_loss(identifier, None)
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(
        "Could not interpret metric identifier: expected a name, a config dict, a Metric, a "
        f"Loss or a function. Received: {identifier!r}"
    )


def _from_loss(loss: Any, name: str | None) -> Metric:
    """A metric averaging a loss: a Loss object, or a per-sample loss function."""
    if isinstance(loss, _losses.LossFunctionWrapper):
        return MeanMetricWrapper(loss.fn, name=name or loss.name, **loss.fn_kwargs)
    if isinstance(loss, _losses.Loss):
        return MeanMetricWrapper(_LossValues(loss), name=name or loss.name)
    return MeanMetricWrapper(loss, name=name or loss.__name__)


class _LossValues:
    """Per-sample values of a custom Loss object (its `call`), for MeanMetricWrapper."""

    def __init__(self, loss: Any) -> None:
        self.loss = loss
        self.__name__ = loss.name

    def __call__(self, y_true: Any, y_pred: Any) -> Any:
        as_tensor = _losses.loss.as_tensor
        y_true, y_pred = _losses.loss.squeeze_or_expand_to_same_rank(
            as_tensor(y_true), as_tensor(y_pred)
        )
        return self.loss.call(y_true, y_pred)


def resolve_accuracy(
    loss: Any, y_true_shape: tuple, y_pred_shape: tuple, name: str = "accuracy"
) -> Metric:
    """Pick the accuracy metric that `metrics=["accuracy"]` means for this loss and these shapes.

    Binary when the loss takes binary labels (its `label_type` is `"binary"`: binary
    cross-entropy, binary focal cross-entropy) or the output's last dimension is 1; sparse
    categorical when the loss takes class ids (`"class_ids"`: sparse categorical cross-entropy)
    or the labels have one dimension less than the predictions (or a last dimension of 1
    against many); categorical otherwise. The metric is named `name`.

    Example:
    >>> type(resolve_accuracy("sparse_categorical_crossentropy", (32,), (32, 10))).__name__
    'SparseCategoricalAccuracy'
    """
    labels = None if loss is None else _losses.label_type_of(loss)
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    if labels == "binary" or (y_pred_shape and y_pred_shape[-1] == 1):
        return BinaryAccuracy(name=name)
    sparse = labels == "class_ids" or (
        len(y_true_shape) == len(y_pred_shape) - 1
        or (
            len(y_true_shape) == len(y_pred_shape)
            and y_true_shape
            and y_true_shape[-1] == 1
            and y_pred_shape[-1] != 1
        )
    )
    if sparse:
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def serialize(metric: Any) -> Any:
    """Return a JSON-safe config dict for a metric."""
    return serialization.serialize(metric, _REGISTRY)


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    """Rebuild a metric from `serialize`'s output or a name."""
    if isinstance(config, str):
        return get(config) if not custom_objects else custom_objects[config]()
    return serialization.deserialize(config, _REGISTRY, custom_objects)


__all__ = [
    "AUC",
    "Accuracy",
    "ConcordanceCorrelation",
    "BinaryIoU",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "IoU",
    "MeanIoU",
    "OneHotIoU",
    "OneHotMeanIoU",
    "PearsonCorrelation",
    "Precision",
    "PrecisionAtRecall",
    "R2Score",
    "Recall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "TrueNegatives",
    "TruePositives",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "Poisson",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "concordance_correlation",
    "cosine_similarity",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "metric_function",
    "pearson_correlation",
    "poisson",
    "register",
    "resolve_accuracy",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]
