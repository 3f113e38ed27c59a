"""PReLU: a leaky ReLU whose negative slopes are learned."""

from typing import Any

from lamina import constraints, initializers, ops, regularizers
from lamina.layers.layer import Layer


class PReLU(Layer):
    """Parametric ReLU: `x` for x >= 0, `alpha * x` otherwise, with `alpha` learned.

    Args:
        alpha_initializer: the initializer of `alpha` (zeros: a plain ReLU at the start).
        alpha_regularizer: an optional penalty on `alpha`.
        alpha_constraint: an optional constraint on `alpha`.
        shared_axes: the axes (1 = the first after the batch) along which `alpha` is shared,
            e.g. `[1, 2]` for one slope per channel of `(batch, rows, cols, channels)` images.

    Input shape:
        Any, batch axis first; the output has the same shape.

    Example:
    >>> lamina.layers.PReLU(shared_axes=[1])(np.ones((2, 3, 4)))
    """

    supports_masking = True
    keeps_input_dtype = True

    def __init__(
        self,
        alpha_initializer: Any = "zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        axes = [shared_axes] if isinstance(shared_axes, int) else shared_axes
        if axes is not None and not all(
            isinstance(a, int) and not isinstance(a, bool) and a >= 1 for a in axes
        ):
            raise ValueError(
                "PReLU: expected shared_axes to be None or a list of axes >= 1 (the batch axis "
                f"is never shared). Received: shared_axes={shared_axes!r}"
            )
        self.shared_axes = None if axes is None else [int(a) for a in axes]

    def build(self, input_shape: Any) -> None:
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis >= len(input_shape):
                raise ValueError(
                    f"PReLU {self.name!r}: shared axis {axis} does not exist in inputs of rank "
                    f"{len(input_shape)}. Received: shared_axes={self.shared_axes}, input shape "
                    f"{tuple(input_shape)}"
                )
            shape[axis - 1] = 1
        if None in shape:
            raise ValueError(
                f"PReLU {self.name!r}: the size of every axis that is not shared must be known. "
                f"Received: input shape {tuple(input_shape)}, shared_axes={self.shared_axes}"
            )
        self.alpha = self.add_weight(
            tuple(shape),
            self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
            name="alpha",
        )
        self.built = True

    def call(self, inputs: Any) -> Any:
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
