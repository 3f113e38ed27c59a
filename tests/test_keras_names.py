"""Every public name of Keras 3's catalogue modules exists in lamina, or is listed in NOT_YET.

The lists below are Keras 3.13's public API (`keras/api/<module>/__init__.py` in keras-team/keras
and the keras.io reference for v3.13), copied by hand so that a name Keras adds later shows up
as a deliberate edit here. A name missing from lamina fails unless `NOT_YET` gives the reason;
a name in `NOT_YET` that lamina has since gained fails too, so the list stays honest.

Beyond existence, each name that Keras resolves from a string through `<module>.get` must
resolve the same way in lamina (`get("GlorotUniform")`, `get("glorot_uniform")`, `get("adam")`).
"""

import inspect
import re

import pytest

import lamina
from lamina import (
    activations,
    callbacks,
    constraints,
    initializers,
    losses,
    metrics,
    optimizers,
    regularizers,
)
from lamina.optimizers import schedules

FAMILY = ["deserialize", "get", "serialize"]

KERAS_NAMES: dict[str, list[str]] = {
    "losses": [
        *FAMILY,
        "BinaryCrossentropy",
        "BinaryFocalCrossentropy",
        "CTC",
        "CategoricalCrossentropy",
        "CategoricalFocalCrossentropy",
        "CategoricalGeneralizedCrossEntropy",
        "CategoricalHinge",
        "Circle",
        "CosineSimilarity",
        "Dice",
        "Hinge",
        "Huber",
        "KLDivergence",
        "LogCosh",
        "Loss",
        "MeanAbsoluteError",
        "MeanAbsolutePercentageError",
        "MeanSquaredError",
        "MeanSquaredLogarithmicError",
        "Poisson",
        "SparseCategoricalCrossentropy",
        "SquaredHinge",
        "Tversky",
        "binary_crossentropy",
        "binary_focal_crossentropy",
        "categorical_crossentropy",
        "categorical_focal_crossentropy",
        "categorical_generalized_cross_entropy",
        "categorical_hinge",
        "circle",
        "cosine_similarity",
        "ctc",
        "dice",
        "hinge",
        "huber",
        "kl_divergence",
        "log_cosh",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_error",
        "mean_squared_logarithmic_error",
        "poisson",
        "sparse_categorical_crossentropy",
        "squared_hinge",
        "tversky",
    ],
    "metrics": [
        *FAMILY,
        "AUC",
        "Accuracy",
        "BinaryAccuracy",
        "BinaryCrossentropy",
        "BinaryIoU",
        "CategoricalAccuracy",
        "CategoricalCrossentropy",
        "CategoricalHinge",
        "ConcordanceCorrelation",
        "CosineSimilarity",
        "F1Score",
        "FBetaScore",
        "FalseNegatives",
        "FalsePositives",
        "Hinge",
        "IoU",
        "KLDivergence",
        "LogCoshError",
        "Mean",
        "MeanAbsoluteError",
        "MeanAbsolutePercentageError",
        "MeanIoU",
        "MeanMetricWrapper",
        "MeanSquaredError",
        "MeanSquaredLogarithmicError",
        "Metric",
        "OneHotIoU",
        "OneHotMeanIoU",
        "PearsonCorrelation",
        "Poisson",
        "Precision",
        "PrecisionAtRecall",
        "R2Score",
        "Recall",
        "RecallAtPrecision",
        "RootMeanSquaredError",
        "SensitivityAtSpecificity",
        "SparseCategoricalAccuracy",
        "SparseCategoricalCrossentropy",
        "SparseTopKCategoricalAccuracy",
        "SpecificityAtSensitivity",
        "SquaredHinge",
        "Sum",
        "TopKCategoricalAccuracy",
        "TrueNegatives",
        "TruePositives",
        "binary_accuracy",
        "binary_crossentropy",
        "binary_focal_crossentropy",
        "categorical_accuracy",
        "categorical_crossentropy",
        "categorical_focal_crossentropy",
        "categorical_hinge",
        "concordance_correlation",
        "hinge",
        "huber",
        "kl_divergence",
        "log_cosh",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_error",
        "mean_squared_logarithmic_error",
        "pearson_correlation",
        "poisson",
        "sparse_categorical_accuracy",
        "sparse_categorical_crossentropy",
        "sparse_top_k_categorical_accuracy",
        "squared_hinge",
        "top_k_categorical_accuracy",
    ],
    "optimizers": [
        *FAMILY,
        "Adadelta",
        "Adafactor",
        "Adagrad",
        "Adam",
        "AdamW",
        "Adamax",
        "Ftrl",
        "Lamb",
        "Lion",
        "LossScaleOptimizer",
        "Muon",
        "Nadam",
        "Optimizer",
        "RMSprop",
        "SGD",
        "legacy",
        "schedules",
    ],
    "optimizers.schedules": [
        "CosineDecay",
        "CosineDecayRestarts",
        "ExponentialDecay",
        "InverseTimeDecay",
        "LearningRateSchedule",
        "PiecewiseConstantDecay",
        "PolynomialDecay",
        "deserialize",
        "serialize",
    ],
    "initializers": [
        *FAMILY,
        "Constant",
        "GlorotNormal",
        "GlorotUniform",
        "HeNormal",
        "HeUniform",
        "Identity",
        "IdentityInitializer",
        "Initializer",
        "LecunNormal",
        "LecunUniform",
        "Ones",
        "Orthogonal",
        "OrthogonalInitializer",
        "RandomNormal",
        "RandomUniform",
        "STFT",
        "STFTInitializer",
        "TruncatedNormal",
        "VarianceScaling",
        "Zeros",
        "constant",
        "glorot_normal",
        "glorot_uniform",
        "he_normal",
        "he_uniform",
        "identity",
        "lecun_normal",
        "lecun_uniform",
        "ones",
        "orthogonal",
        "random_normal",
        "random_uniform",
        "stft",
        "truncated_normal",
        "variance_scaling",
        "zeros",
    ],
    "regularizers": [
        *FAMILY,
        "L1",
        "L1L2",
        "L2",
        "OrthogonalRegularizer",
        "Regularizer",
        "l1",
        "l1_l2",
        "l2",
        "orthogonal_regularizer",
    ],
    "constraints": [
        *FAMILY,
        "Constraint",
        "MaxNorm",
        "MinMaxNorm",
        "NonNeg",
        "UnitNorm",
        "max_norm",
        "min_max_norm",
        "non_neg",
        "unit_norm",
    ],
    "activations": [
        *FAMILY,
        "celu",
        "elu",
        "exponential",
        "gelu",
        "glu",
        "hard_shrink",
        "hard_sigmoid",
        "hard_silu",
        "hard_swish",
        "hard_tanh",
        "leaky_relu",
        "linear",
        "log_sigmoid",
        "log_softmax",
        "mish",
        "relu",
        "relu6",
        "selu",
        "sigmoid",
        "silu",
        "soft_shrink",
        "softmax",
        "softplus",
        "softsign",
        "sparse_plus",
        "sparse_sigmoid",
        "sparsemax",
        "squareplus",
        "swish",
        "tanh",
        "tanh_shrink",
        "threshold",
    ],
    "callbacks": [
        "BackupAndRestore",
        "CSVLogger",
        "Callback",
        "CallbackList",
        "EarlyStopping",
        "History",
        "LambdaCallback",
        "LearningRateScheduler",
        "ModelCheckpoint",
        "OrbaxCheckpoint",
        "ProgbarLogger",
        "ReduceLROnPlateau",
        "RemoteMonitor",
        "SwapEMAWeights",
        "TensorBoard",
        "TerminateOnNaN",
    ],
}

# "module.name": why lamina does not have it yet. Keep the reasons true; delete an entry as soon
# as the name lands (the test below fails on entries that have become stale).
NOT_YET: dict[str, str] = {
    "losses.CTC": "CTC needs a dynamic-programming op (forward-backward over label paths) "
    "that the engine does not have yet",
    "losses.ctc": "see losses.CTC",
    "losses.Circle": "needs mask propagation: Keras masks the pairs whose loss is 0 out of "
    "the mean, and lamina's losses carry no mask",
    "losses.circle": "see losses.Circle",
    "optimizers.LossScaleOptimizer": "lamina trains in float32/float64 only; dynamic loss "
    "scaling matters once mixed precision (float16) exists",
    "optimizers.Muon": "needs Newton-Schulz orthogonalisation of 2-D gradients plus an AdamW "
    "fallback per variable; not written yet",
    "initializers.STFT": "only serves the STFTSpectrogram layer, which lamina lacks, and "
    "needs scipy.signal windows, which lamina does not depend on",
    "initializers.STFTInitializer": "see initializers.STFT",
    "initializers.stft": "see initializers.STFT",
    "callbacks.OrbaxCheckpoint": "writes Orbax (JAX) checkpoints; lamina has no Orbax backend",
    "callbacks.RemoteMonitor": "posts events over HTTP to a server; outside the callbacks issue",
    "callbacks.SwapEMAWeights": "outside the callbacks issue; needs the optimizer's EMA "
    "weights swapped in and out around evaluation",
}

MODULES = {
    "losses": losses,
    "metrics": metrics,
    "optimizers": optimizers,
    "optimizers.schedules": schedules,
    "initializers": initializers,
    "regularizers": regularizers,
    "constraints": constraints,
    "activations": activations,
    "callbacks": callbacks,
}

# The callbacks issue adds these; they are required, never excused.
REQUIRED_CALLBACKS = {
    "EarlyStopping",
    "ReduceLROnPlateau",
    "LearningRateScheduler",
    "TerminateOnNaN",
    "CSVLogger",
    "LambdaCallback",
    "ModelCheckpoint",
}


def keras_snake_case(name: str) -> str:
    """Keras's `to_snake_case`: `"GlorotUniform"` -> `"glorot_uniform"`, `"IoU"` -> `"io_u"`."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def present(module_name: str) -> list[str]:
    """The Keras names of a module that lamina must have (those not excused in NOT_YET)."""
    return [n for n in KERAS_NAMES[module_name] if f"{module_name}.{n}" not in NOT_YET]


def existing(module_name: str) -> list[str]:
    """The required names lamina has (a missing one fails `test_every_keras_name_exists`)."""
    return [n for n in present(module_name) if n in dir(MODULES[module_name])]


def public_classes(module_name: str) -> list[str]:
    module = MODULES[module_name]
    return [n for n in existing(module_name) if inspect.isclass(getattr(module, n))]


@pytest.mark.parametrize("module_name", list(KERAS_NAMES))
def test_every_keras_name_exists(module_name):
    module = MODULES[module_name]
    missing = [n for n in present(module_name) if n not in dir(module)]
    assert not missing, f"lamina.{module_name} lacks Keras names: {missing}"


def test_not_yet_lists_only_missing_keras_names():
    for key, reason in NOT_YET.items():
        module_name, name = key.rsplit(".", 1)
        assert name in KERAS_NAMES[module_name], f"{key} is not a Keras name"
        assert name not in dir(MODULES[module_name]), f"{key} exists now: drop it from NOT_YET"
        assert reason.strip(), key


def test_the_callbacks_of_the_issue_are_never_excused():
    excused = {k.split(".", 1)[1] for k in NOT_YET if k.startswith("callbacks.")}
    assert not excused & REQUIRED_CALLBACKS
    assert REQUIRED_CALLBACKS <= set(dir(callbacks))


# ----- resolution by string, where Keras's `get` allows it ---------------------------------

# Extra strings Keras's `get` accepts beyond the public names.
KERAS_STRING_ALIASES = {
    "losses": {
        "bce": "binary_crossentropy",
        "BCE": "binary_crossentropy",
        "kld": "kl_divergence",
        "KLD": "kl_divergence",
        "mae": "mean_absolute_error",
        "MAE": "mean_absolute_error",
        "mse": "mean_squared_error",
        "MSE": "mean_squared_error",
        "mape": "mean_absolute_percentage_error",
        "MAPE": "mean_absolute_percentage_error",
        "msle": "mean_squared_logarithmic_error",
        "MSLE": "mean_squared_logarithmic_error",
    },
    "metrics": {
        "bce": "BinaryCrossentropy",
        "BCE": "BinaryCrossentropy",
        "mse": "MeanSquaredError",
        "MSE": "MeanSquaredError",
        "mae": "MeanAbsoluteError",
        "MAE": "MeanAbsoluteError",
        "mape": "MeanAbsolutePercentageError",
        "MAPE": "MeanAbsolutePercentageError",
        "msle": "MeanSquaredLogarithmicError",
        "MSLE": "MeanSquaredLogarithmicError",
    },
    "initializers": {
        "uniform": "RandomUniform",
        "normal": "RandomNormal",
        "one": "Ones",
        "zero": "Zeros",
        "orthogonal_initializer": "Orthogonal",
    },
}


def test_losses_resolve_by_name():
    for name in existing("losses"):
        if name in FAMILY:
            continue
        obj = getattr(losses, name)
        got = losses.get(name)
        if inspect.isclass(obj):
            assert isinstance(got, obj), name
        else:
            assert got is obj, name
    for alias, name in KERAS_STRING_ALIASES["losses"].items():
        assert losses.get(alias) is getattr(losses, name), alias


# Keras's `metrics.get(string)` instantiates the class with no arguments, so metrics that need
# some (a floor, class ids, a wrapped function) cannot be named by a bare string there either.
METRICS_NEEDING_ARGUMENTS = {
    "IoU",
    "MeanIoU",
    "OneHotIoU",
    "OneHotMeanIoU",
    "MeanMetricWrapper",
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
}


def test_metrics_resolve_by_class_name_and_snake_case():
    for name in public_classes("metrics"):
        if name in METRICS_NEEDING_ARGUMENTS:
            continue
        cls = getattr(metrics, name)
        assert isinstance(metrics.get(name), cls), name
        snake = keras_snake_case(name)
        got = metrics.get(snake)
        assert isinstance(got, cls), (snake, type(got).__name__)
    for alias, name in KERAS_STRING_ALIASES["metrics"].items():
        assert isinstance(metrics.get(alias), getattr(metrics, name)), alias


def test_optimizers_resolve_by_lower_case_and_class_name():
    for name in public_classes("optimizers"):
        if name in ("Optimizer", "LossScaleOptimizer"):
            continue
        cls = getattr(optimizers, name)
        assert type(optimizers.get(name.lower())) is cls, name
        assert type(optimizers.get(name)) is cls, name


@pytest.mark.parametrize(
    ("module_name", "base"),
    [
        ("initializers", "Initializer"),
        ("regularizers", "Regularizer"),
        ("constraints", "Constraint"),
    ],
)
def test_classes_and_their_aliases_resolve_by_name(module_name, base):
    module = MODULES[module_name]
    for name in existing(module_name):
        if name in FAMILY or name == base:
            continue
        obj = getattr(module, name)
        if not inspect.isclass(obj):  # lamina's `l1_l2` is a function building an L1L2
            assert isinstance(module.get(name), type(obj())), name
            continue
        assert isinstance(module.get(name), obj), name
        if obj.__name__ == name:  # Keras also registers each class under its snake-case name
            assert isinstance(module.get(keras_snake_case(name)), obj), name
    for alias, name in KERAS_STRING_ALIASES.get(module_name, {}).items():
        assert isinstance(module.get(alias), getattr(module, name)), alias


# Keras exports these as the same class under a second name (`from ... import L2 as l2`).
# lamina's `regularizers.l1_l2` stays a function: it keeps Keras 2's defaults (0.01 each).
KERAS_CLASS_ALIASES = {
    "initializers": {
        "constant": "Constant",
        "glorot_normal": "GlorotNormal",
        "glorot_uniform": "GlorotUniform",
        "he_normal": "HeNormal",
        "he_uniform": "HeUniform",
        "identity": "Identity",
        "IdentityInitializer": "Identity",
        "lecun_normal": "LecunNormal",
        "lecun_uniform": "LecunUniform",
        "ones": "Ones",
        "orthogonal": "Orthogonal",
        "OrthogonalInitializer": "Orthogonal",
        "random_normal": "RandomNormal",
        "random_uniform": "RandomUniform",
        "truncated_normal": "TruncatedNormal",
        "variance_scaling": "VarianceScaling",
        "zeros": "Zeros",
    },
    "regularizers": {"l1": "L1", "l2": "L2", "orthogonal_regularizer": "OrthogonalRegularizer"},
    "constraints": {
        "max_norm": "MaxNorm",
        "min_max_norm": "MinMaxNorm",
        "non_neg": "NonNeg",
        "unit_norm": "UnitNorm",
    },
}


@pytest.mark.parametrize("module_name", list(KERAS_CLASS_ALIASES))
def test_aliases_are_the_classes(module_name):
    module = MODULES[module_name]
    for alias, name in KERAS_CLASS_ALIASES[module_name].items():
        assert getattr(module, alias) is getattr(module, name), alias


def test_activations_resolve_by_name():
    for name in existing("activations"):
        if name in FAMILY:
            continue
        assert activations.get(name) is getattr(activations, name), name


def test_each_family_round_trips_a_named_object():
    assert losses.deserialize(losses.serialize(losses.get("mse"))) is losses.mean_squared_error
    adam = optimizers.deserialize(optimizers.serialize(optimizers.get("adam")))
    assert type(adam) is optimizers.Adam
    decay = schedules.deserialize(schedules.serialize(schedules.ExponentialDecay(0.1, 10, 0.5)))
    assert decay(10) == pytest.approx(0.05)
    assert activations.deserialize(activations.serialize(activations.get("swish"))) is (
        activations.silu
    )
    glorot = initializers.deserialize(initializers.serialize(initializers.get("glorot_uniform")))
    assert type(glorot) is initializers.GlorotUniform
    assert type(lamina.regularizers.get("l2")) is regularizers.L2
