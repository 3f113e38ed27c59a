"""lamina: a deep-learning framework on NumPy (CPU) and CuPy (GPU) with Keras's interface."""

from lamina import backend, ops
from lamina.function import no_grad
from lamina.gradient_tape import GradientTape, stop_gradient
from lamina.tensor import Tensor
from lamina.variable import Variable

__version__ = "0.1.0"

backend.init_threads()

__all__ = ["GradientTape", "Tensor", "Variable", "backend", "no_grad", "ops", "stop_gradient"]
