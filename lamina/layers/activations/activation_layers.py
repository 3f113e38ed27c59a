"""ReLU, LeakyReLU, ELU and Softmax as layers with their own arguments."""

from typing import Any

from lamina import ops
from lamina.layers.layer import Layer


class ReLU(Layer):
    """Rectified linear unit with an optional cap, slope below the threshold and threshold.

    Args:
        max_value: the largest output (None: no cap).
        negative_slope: the slope below `threshold`.
        threshold: values below it are damped.

    Example:
    >>> lamina.layers.ReLU(max_value=6.0)(np.array([[-1.0, 3.0, 9.0]]))
    """

    supports_masking = True

    def __init__(
        self,
        max_value: float | None = None,
        negative_slope: float = 0.0,
        threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"Expected max_value >= 0. Received: max_value={max_value}")
        if negative_slope < 0:
            raise ValueError(
                f"Expected negative_slope >= 0. Received: negative_slope={negative_slope}"
            )
        self.max_value = max_value
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)
        self.built = True

    def call(self, inputs: Any) -> Any:
        if self.negative_slope == 0 and self.threshold == 0 and self.max_value == 6:
            return ops.relu6(inputs)  # MobileNetV2's `ReLU(6.0)`: one op, not two
        if self.negative_slope == 0 and self.threshold == 0:
            x = ops.relu(inputs)
        else:
            below = (inputs - self.threshold) * self.negative_slope
            x = ops.where(inputs >= self.threshold, inputs, below)
        if self.max_value is not None:
            x = ops.minimum(x, self.max_value)
        return x

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(Layer):
    """`x` for x > 0, `negative_slope * x` otherwise (Keras 3 default slope 0.3).

    Example:
    >>> lamina.layers.LeakyReLU(negative_slope=0.1)(np.array([[-1.0, 2.0]]))
    """

    supports_masking = True

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:  # Keras 2 spelling
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope < 0:
            raise ValueError(
                f"Expected negative_slope >= 0. Received: negative_slope={negative_slope}"
            )
        self.negative_slope = float(negative_slope)
        self.built = True

    def call(self, inputs: Any) -> Any:
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """Exponential linear unit: `x` if x > 0 else `alpha * (exp(x) - 1)`.

    Example:
    >>> lamina.layers.ELU(alpha=1.0)(np.array([[-1.0, 2.0]]))
    """

    supports_masking = True

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = float(alpha)
        self.built = True

    def call(self, inputs: Any) -> Any:
        return ops.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """Softmax over `axis`.

    Example:
    >>> lamina.layers.Softmax()(np.array([[1.0, 2.0]]))
    """

    supports_masking = True

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is not None:
            # A mask of fewer axes (a sequence mask, (batch, steps)) covers the axes after it.
            mask = ops.convert_to_tensor(mask)
            mask = ops.reshape(mask, mask.shape + (1,) * (inputs.ndim - mask.ndim))
            inputs = ops.where(mask, inputs, -1e9)
        return ops.softmax(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
