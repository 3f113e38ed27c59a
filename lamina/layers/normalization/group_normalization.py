"""GroupNormalization: normalize each sample over groups of channels."""

from typing import Any

from lamina import ops
from lamina.layers.layer import Layer
from lamina.layers.normalization.axes import broadcast_shape, check_input
from lamina.layers.normalization.gamma_beta import add_gamma_beta, scale_and_shift
from lamina.layers.weight_arguments import set_weight_arguments, weight_arguments_config
from lamina.validation import check_int, check_number


class GroupNormalization(Layer):
    """Split the channels into `groups` and normalize each sample within each group.

    `groups=1` is layer normalization over all features; `groups=channels` is instance
    normalization. Then `gamma` and `beta` (one per channel) scale and shift.

    Args:
        groups: the number of groups; must divide the number of channels. -1: one per channel.
        axis: the channel axis.
        epsilon: added to the variance before the square root.
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned factor `gamma`.
        beta_initializer, gamma_initializer: initializers of the learned weights.
        beta_regularizer, gamma_regularizer: optional penalties.
        beta_constraint, gamma_constraint: optional constraints.

    Input shape:
        Any rank >= 2 with a known channel axis; the output has the same shape.

    Example:
    >>> lamina.layers.GroupNormalization(groups=2)(np.random.rand(2, 4, 6)).shape
    (2, 4, 6)
    """

    supports_masking = True
    keeps_input_dtype = True

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if groups != -1:
            check_int("groups", groups, minimum=1, owner="GroupNormalization")
        self.groups = int(groups)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(
                f"GroupNormalization: expected axis to be an int. Received: axis={axis!r}"
            )
        self.axis = axis
        self.epsilon = check_number(
            "epsilon", epsilon, low=0, low_open=True, owner="GroupNormalization"
        )
        self.center = bool(center)
        self.scale = bool(scale)
        set_weight_arguments(self, "beta", beta_initializer, beta_regularizer, beta_constraint)
        set_weight_arguments(self, "gamma", gamma_initializer, gamma_regularizer, gamma_constraint)
        self.gamma = self.beta = self.feature_shape = None

    def build(self, input_shape: Any) -> None:
        (axis,) = check_input(self, input_shape, (self.axis,))
        channels = input_shape[axis]
        groups = channels if self.groups == -1 else self.groups
        if groups > channels or channels % groups:
            raise ValueError(
                f"GroupNormalization {self.name!r}: the number of groups must divide the "
                f"{channels} channels of axis {self.axis} (and not exceed them). "
                f"Received: groups={self.groups}"
            )
        self.feature_shape = (channels,)
        add_gamma_beta(self, (channels,), self.scale, self.center)
        self.built = True

    def call(self, inputs: Any) -> Any:
        (axis,) = check_input(self, inputs.shape, (self.axis,))
        channels = self.feature_shape[0]
        groups = channels if self.groups == -1 else self.groups
        batch = inputs.shape[0]
        rest = inputs.shape[1:axis] + (groups, channels // groups) + inputs.shape[axis + 1 :]
        grouped = ops.reshape(inputs, (batch, *rest))
        reduce = tuple(a for a in range(1, grouped.ndim) if a != axis)
        mean = ops.mean(grouped, axis=reduce, keepdims=True)
        variance = ops.var(grouped, axis=reduce, keepdims=True)
        normalized = (grouped - mean) / ops.sqrt(variance + self.epsilon)
        outputs = ops.reshape(normalized, inputs.shape)
        shape = broadcast_shape(inputs.ndim, (axis,), self.feature_shape)
        return scale_and_shift(self, outputs, shape)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **weight_arguments_config(self, ("beta", "gamma")),
        }
