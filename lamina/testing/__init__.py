"""Tools for testing ops and layers: a float64 gradient checker and the op registry.

Example:
>>> from lamina.testing import check_gradients
>>> check_gradients(lambda x: lamina.ops.sum(x * x), [np.arange(3.0)])
"""

from lamina.testing.gradcheck import GradientCheckError, check_gradients
from lamina.testing.layer_test import LayerTestError, run_layer_test

__all__ = ["GradientCheckError", "LayerTestError", "check_gradients", "run_layer_test"]
