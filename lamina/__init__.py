"""lamina: a deep-learning framework on NumPy (CPU) and CuPy (GPU) with Keras's interface."""

from lamina import backend, ops, tree
from lamina.function import no_grad
from lamina.gradient_tape import GradientTape
from lamina.ops import stop_gradient
from lamina.tensor import Tensor
from lamina.variable import Variable

backend.init_threads()
backend.tune_malloc()

from lamina import (  # noqa: E402 - the engine above comes first
    activations,
    applications,
    callbacks,
    datasets,
    distribution,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    preprocessing,
    random,
    saving,
    utils,
    visualization,
)
from lamina.layers import Input  # noqa: E402
from lamina.models import Model, Sequential  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "GradientTape",
    "Input",
    "Model",
    "Sequential",
    "Tensor",
    "Variable",
    "activations",
    "applications",
    "backend",
    "callbacks",
    "datasets",
    "distribution",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "no_grad",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "saving",
    "stop_gradient",
    "tree",
    "utils",
    "visualization",
]
