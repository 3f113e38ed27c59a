"""BatchNormalization: normalize with the batch's statistics in training, moving ones after."""

from typing import Any

from lamina import initializers, ops
from lamina.backend import epsilon
from lamina.function import no_grad
from lamina.layers.layer import Layer
from lamina.layers.normalization.axes import broadcast_shape, check_input, normalize_axes
from lamina.layers.normalization.gamma_beta import add_gamma_beta
from lamina.layers.weight_arguments import set_weight_arguments, weight_arguments_config
from lamina.validation import check_number

# Keras 2 arguments Keras 3 dropped: each changes the result, so refusing beats ignoring.
_KERAS2_ONLY = ("fused", "renorm", "renorm_clipping", "renorm_momentum", "virtual_batch_size")


class BatchNormalization(Layer):
    """Normalize the inputs to mean 0 and variance 1 per feature, then scale and shift.

    In training (`training=True`, as inside `fit`) the layer uses the batch's mean and variance
    over every axis but `axis`, and moves its moving statistics towards them:
    `moving = moving * momentum + batch * (1 - momentum)`. Otherwise, and always when the layer
    is frozen (`trainable=False`, as in Keras 3), it uses the moving statistics.

    Args:
        axis: the feature axis (or a list of axes); -1 for `channels_last` data.
        momentum: the momentum of the moving averages.
        epsilon: added to the variance before the square root.
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned factor `gamma`.
        beta_initializer, gamma_initializer: initializers of the learned weights.
        moving_mean_initializer, moving_variance_initializer: of the moving statistics.
        beta_regularizer, gamma_regularizer: optional penalties.
        beta_constraint, gamma_constraint: optional constraints.

    Call arguments:
        inputs: a tensor of any rank.
        training: batch statistics when True, moving statistics otherwise.

    Input shape:
        Any; the output has the same shape.

    Example:
    >>> layer = lamina.layers.BatchNormalization()
    >>> y = layer(np.random.rand(8, 3), training=True)
    """

    supports_masking = True
    keeps_input_dtype = True

    def __init__(
        self,
        axis: int | list[int] = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        dropped = sorted(k for k in _KERAS2_ONLY if k in kwargs)
        if dropped:
            raise TypeError(
                f"BatchNormalization: Keras 3 has no {', '.join(dropped)} argument (Keras 2's "
                "batch renormalization and fused kernels); remove it. Received: "
                + ", ".join(f"{k}={kwargs[k]!r}" for k in dropped)
            )
        kwargs.pop("synchronized", None)  # one device: synchronized and plain are the same
        super().__init__(**kwargs)
        self.axis = normalize_axes("BatchNormalization", axis)
        self.momentum = check_number(
            "momentum", momentum, low=0, high=1, owner="BatchNormalization"
        )
        self.epsilon = check_number(
            "epsilon", epsilon, low=0, low_open=True, owner="BatchNormalization"
        )
        self.center = bool(center)
        self.scale = bool(scale)
        set_weight_arguments(self, "beta", beta_initializer, beta_regularizer, beta_constraint)
        set_weight_arguments(self, "gamma", gamma_initializer, gamma_regularizer, gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.gamma = self.beta = self.feature_shape = None

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape[a] for a in check_input(self, input_shape, self.axis))
        self.feature_shape = shape
        add_gamma_beta(self, shape, self.scale, self.center)
        self.moving_mean = self.add_weight(
            shape, self.moving_mean_initializer, trainable=False, name="moving_mean"
        )
        self.moving_variance = self.add_weight(
            shape, self.moving_variance_initializer, trainable=False, name="moving_variance"
        )
        self.built = True

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        axes = check_input(self, inputs.shape, self.axis)
        shape = broadcast_shape(inputs.ndim, axes, self.feature_shape)
        if mask is not None and tuple(mask.shape) != tuple(inputs.shape[:-1]):
            raise ValueError(
                f"BatchNormalization {self.name!r}: the mask must have the inputs' shape "
                f"without the last axis, {tuple(inputs.shape[:-1])}. "
                f"Received: mask.shape={tuple(mask.shape)}"
            )
        if training and self.trainable:
            reduce = tuple(a for a in range(inputs.ndim) if a not in axes)
            mean, variance = _moments(inputs, reduce, mask)
            with no_grad():
                m = self.momentum
                self.moving_mean.assign(
                    self.moving_mean * m + ops.reshape(mean, self.moving_mean.shape) * (1 - m)
                )
                self.moving_variance.assign(
                    self.moving_variance * m
                    + ops.reshape(variance, self.moving_variance.shape) * (1 - m)
                )
        else:
            # The moving statistics folded into one scale and shift of the features: two
            # passes over the inputs instead of three.
            scale = 1 / ops.sqrt(self.moving_variance + self.epsilon)
            if self.gamma is not None:
                scale = scale * self.gamma
            shift = -self.moving_mean * scale
            if self.beta is not None:
                shift = shift + self.beta
            return inputs * ops.reshape(scale, shape) + ops.reshape(shift, shape)
        factor = 1 / ops.sqrt(variance + self.epsilon)
        if self.gamma is not None:
            factor = factor * ops.reshape(self.gamma, shape)
        outputs = (inputs - mean) * factor
        if self.beta is not None:
            outputs = outputs + ops.reshape(self.beta, shape)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis[0] if len(self.axis) == 1 else list(self.axis),
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **weight_arguments_config(self, ("beta", "gamma")),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
        }


def _moments(inputs: Any, reduce: tuple, mask: Any) -> tuple:
    """The batch mean and variance over the `reduce` axes, of the unmasked positions only."""
    if mask is None:
        mean = ops.mean(inputs, axis=reduce, keepdims=True)
        return mean, ops.var(inputs, axis=reduce, keepdims=True)
    weights = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
    count = ops.sum(weights, axis=reduce, keepdims=True) + epsilon()
    mean = ops.sum(weights * inputs, axis=reduce, keepdims=True) / count
    variance = ops.sum(weights * ops.square(inputs - mean), axis=reduce, keepdims=True) / count
    return mean, variance
