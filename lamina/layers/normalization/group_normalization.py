"""GroupNormalization: normalize each sample over groups of channels."""

from typing import Any

from lamina import constraints, initializers, ops, regularizers
from lamina.layers.layer import Layer
from lamina.layers.normalization.axes import broadcast_shape, check_input
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
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
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
        if self.scale:
            self.gamma = self.add_weight(
                (channels,),
                self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                name="gamma",
            )
        if self.center:
            self.beta = self.add_weight(
                (channels,),
                self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                name="beta",
            )
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
        if self.gamma is not None:
            outputs = outputs * ops.reshape(self.gamma, shape)
        if self.beta is not None:
            outputs = outputs + ops.reshape(self.beta, shape)
        return outputs

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
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
