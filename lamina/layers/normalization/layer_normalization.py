"""LayerNormalization: normalize each sample over its feature axes."""

from typing import Any

from lamina import ops
from lamina.layers.layer import Layer
from lamina.layers.normalization.axes import broadcast_shape, check_input, normalize_axes
from lamina.layers.normalization.gamma_beta import add_gamma_beta, scale_and_shift
from lamina.layers.weight_arguments import set_weight_arguments, weight_arguments_config
from lamina.validation import check_number


class LayerNormalization(Layer):
    """Normalize each sample to mean 0 and variance 1 over `axis`, then scale and shift.

    `outputs = (x - mean(x)) / sqrt(var(x) + epsilon) * gamma + beta`, the statistics taken per
    sample over `axis`. With `rms_scaling=True` the layer skips centering:
    `outputs = x / sqrt(mean(x**2) + epsilon) * gamma` (no `beta`).

    Args:
        axis: the axis or list of axes to normalize over (and that `gamma`, `beta` span).
        epsilon: added to the variance before the square root.
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned factor `gamma`.
        rms_scaling: root-mean-square normalization instead (implies `scale`, ignores `center`).
        beta_initializer, gamma_initializer: initializers of the learned weights.
        beta_regularizer, gamma_regularizer: optional penalties.
        beta_constraint, gamma_constraint: optional constraints.

    Input shape:
        Any; the output has the same shape.

    Example:
    >>> lamina.layers.LayerNormalization()(np.random.rand(2, 5)).shape
    (2, 5)
    """

    supports_masking = True
    keeps_input_dtype = True

    def __init__(
        self,
        axis: int | list[int] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        rms_scaling: bool = False,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.axis = normalize_axes("LayerNormalization", axis)
        self.epsilon = check_number(
            "epsilon", epsilon, low=0, low_open=True, owner="LayerNormalization"
        )
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        set_weight_arguments(self, "beta", beta_initializer, beta_regularizer, beta_constraint)
        set_weight_arguments(self, "gamma", gamma_initializer, gamma_regularizer, gamma_constraint)
        self.gamma = self.beta = self.feature_shape = None

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape[a] for a in check_input(self, input_shape, self.axis))
        self.feature_shape = shape
        add_gamma_beta(
            self, shape, self.scale or self.rms_scaling, self.center and not self.rms_scaling
        )
        self.built = True

    def call(self, inputs: Any) -> Any:
        axes = check_input(self, inputs.shape, self.axis)
        shape = broadcast_shape(inputs.ndim, axes, self.feature_shape)
        if self.rms_scaling:
            mean_square = ops.mean(ops.square(inputs), axis=axes, keepdims=True)
            outputs = inputs / ops.sqrt(mean_square + self.epsilon)
        else:
            mean = ops.mean(inputs, axis=axes, keepdims=True)
            variance = ops.var(inputs, axis=axes, keepdims=True)
            outputs = (inputs - mean) / ops.sqrt(variance + self.epsilon)
        return scale_and_shift(self, outputs, shape)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis[0] if len(self.axis) == 1 else list(self.axis),
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            **weight_arguments_config(self, ("beta", "gamma")),
        }
