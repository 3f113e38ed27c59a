"""Losses with the names, arguments and semantics of `keras.losses`.

Each loss exists as a function returning one value per sample (`categorical_crossentropy`) and
as a `Loss` class that weights and reduces those values (`CategoricalCrossentropy`).

Example:
>>> loss = lamina.losses.get("CategoricalCrossentropy")
>>> loss([[0.0, 1.0]], [[0.5, 0.5]])
tensor(0.6931472, dtype=float32)
"""

import inspect
from collections.abc import Callable
from typing import Any

from lamina import serialization
from lamina.losses.generalized_cross_entropy import (
    CategoricalGeneralizedCrossEntropy,
    categorical_generalized_cross_entropy,
)
from lamina.losses.hinge import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from lamina.losses.loss import LabelType, Loss, LossFunctionWrapper, reduce_weighted_values
from lamina.losses.probabilistic import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from lamina.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from lamina.losses.segmentation import Dice, Tversky, dice, tversky

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
bce = binary_crossentropy
logcosh = log_cosh

# Each per-sample function and the Loss class that wraps it.
FUNCTION_CLASSES: dict[Callable, type[Loss]] = {
    binary_crossentropy: BinaryCrossentropy,
    binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    kl_divergence: KLDivergence,
    poisson: Poisson,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    cosine_similarity: CosineSimilarity,
    huber: Huber,
    log_cosh: LogCosh,
    hinge: Hinge,
    squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge,
    categorical_generalized_cross_entropy: CategoricalGeneralizedCrossEntropy,
    dice: Dice,
    tversky: Tversky,
}

_REGISTRY = serialization.Registry("loss", "lamina.losses")
_REGISTRY.add(Loss)
_REGISTRY.add(LossFunctionWrapper)
for _fn, _cls in FUNCTION_CLASSES.items():
    _REGISTRY.add(_fn)
    _REGISTRY.add(_cls)
for _alias, _fn in {
    "mse": mse,
    "MSE": mse,
    "mae": mae,
    "MAE": mae,
    "mape": mape,
    "MAPE": mape,
    "msle": msle,
    "MSLE": msle,
    "kld": kld,
    "KLD": kld,
    "kullback_leibler_divergence": kld,
    "bce": bce,
    "BCE": bce,
    "logcosh": log_cosh,
}.items():
    _REGISTRY.objects[_alias] = _fn


def get(identifier: Any) -> Any:
    """Return the loss for a name, a config dict, a class, an instance or a function.

    As in Keras, a function name (`"mse"`, `"categorical_crossentropy"`) gives the per-sample
    function, a class name (`"MeanSquaredError"`) gives a `Loss` instance. Use `to_loss` to
    always get a `Loss`.

    Raises:
        ValueError: for an unknown name; the message lists the known ones.

    Example:
    >>> lamina.losses.get("mse") is lamina.losses.mean_squared_error
    True
    """
    if identifier is None:
        return None
    return serialization.get(identifier, _REGISTRY, Loss)


def to_loss(identifier: Any) -> Loss | None:
    """Return a `Loss` object for anything `get` accepts (what `compile(loss=...)` needs).

    A built-in function name gives its class, named as written (`"mse"` gives a
    `MeanSquaredError` named `"mse"`); other callables are wrapped in `LossFunctionWrapper`.

    Example:
    >>> lamina.losses.to_loss("mse").name
    'mse'
    """
    if identifier is None:
        return None
    obj = get(identifier)
    if isinstance(obj, Loss):
        return obj
    cls = FUNCTION_CLASSES.get(obj)
    name = identifier if isinstance(identifier, str) else getattr(obj, "__name__", None)
    if cls is not None:
        return cls(name=name)
    if callable(obj) and not inspect.isclass(obj):
        return LossFunctionWrapper(obj, name=name)
    raise ValueError(f"Could not interpret loss identifier. Received: {identifier!r}")


def label_type_of(loss: Any) -> LabelType:
    """What `y_true` holds for `loss`: its `Loss.label_type`.

    `loss` may be a name, a class, a `Loss` or a function; a built-in function answers for its
    class (`sparse_categorical_crossentropy` as `SparseCategoricalCrossentropy`), so that a
    loss is known by what it is, never by its name. Other functions give None.

    Example:
    >>> lamina.losses.label_type_of("sparse_categorical_crossentropy")
    'class_ids'
    """
    obj = get(loss) if isinstance(loss, str | dict) else loss
    if isinstance(obj, LossFunctionWrapper) and obj.label_type is None:
        obj = obj.fn
    if isinstance(obj, Loss) or (inspect.isclass(obj) and issubclass(obj, Loss)):
        return obj.label_type
    cls = FUNCTION_CLASSES.get(obj) if callable(obj) else None
    return None if cls is None else cls.label_type


def serialize(loss: Any) -> Any:
    """Return a JSON-safe description of a loss: a name for functions, a dict for objects."""
    return serialization.serialize(loss, _REGISTRY)


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    """Rebuild a loss from `serialize`'s output."""
    return serialization.deserialize(config, _REGISTRY, custom_objects)


__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Dice",
    "Hinge",
    "Huber",
    "KLD",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
    "bce",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "cosine_similarity",
    "deserialize",
    "dice",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "kld",
    "kullback_leibler_divergence",
    "label_type_of",
    "log_cosh",
    "logcosh",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "reduce_weighted_values",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "to_loss",
    "tversky",
]
