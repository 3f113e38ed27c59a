"""DepthwiseConv1D and DepthwiseConv2D: each input channel convolved with its own filters."""

from typing import Any

from lamina.layers.convolutional.base_conv import BaseConv, check_positive_int, errors_naming
from lamina.layers.weight_arguments import add_weight_of, set_weight_arguments
from lamina.ops.conv import depthwise_conv


class _DepthwiseConv(BaseConv):
    weight_kinds = ("depthwise", "bias")

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            activity_regularizer,
            bias_constraint,
            **kwargs,
        )
        self.depth_multiplier = check_positive_int(self, "depth_multiplier", depth_multiplier)
        set_weight_arguments(
            self, "depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint
        )

    def build(self, input_shape: Any) -> None:
        channels = self.channels_of(input_shape)
        # Keras 3 names this weight `kernel` (Keras 2 said `depthwise_kernel`).
        self.kernel = add_weight_of(
            self, "depthwise", (*self.kernel_size, channels, self.depth_multiplier), "kernel"
        )
        self.add_bias(channels * self.depth_multiplier)

    def call(self, inputs: Any) -> Any:
        self.compute_output_shape(inputs.shape)
        with errors_naming(self):
            y = depthwise_conv(
                inputs,
                self.kernel,
                self.strides,
                self.padding,
                self.data_format,
                self.dilation_rate,
            )
        return self.finish(y)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        filters = self.input_channels(input_shape) * self.depth_multiplier
        return self.output_shape_with(input_shape, filters, self.spatial_output(input_shape))

    def get_config(self) -> dict:
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier}


_DOC = """Depthwise {rank}D convolution: each input channel convolved with its own
    `depth_multiplier` filters, without mixing channels (the first half of a separable
    convolution).

    Args:
        kernel_size: an int or a tuple of {rank} ints.
        strides, dilation_rate: an int or a tuple of {rank} ints.
        padding: `"valid"` or `"same"`.
        depth_multiplier: the number of output channels per input channel.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        activation, use_bias, depthwise_*, bias_*: as the kernel_* and bias_* of Dense.

    Input shape:
        `(batch, {spatial}, channels)` (channels_last).

    Output shape:
        `(batch, {new}, channels * depth_multiplier)`; output channel `c * depth_multiplier
        + j` comes from input channel `c`. The kernel is `({kernel}, channels,
        depth_multiplier)`, as in Keras.

    Example:
    >>> layer = lamina.layers.{name}(3, depth_multiplier=2)
    >>> layer(np.zeros({example}, "float32")).shape
    {result}
    """


class DepthwiseConv1D(_DepthwiseConv):
    __doc__ = _DOC.format(
        rank=1,
        spatial="steps",
        new="new_steps",
        kernel="kernel_size",
        name="DepthwiseConv1D",
        example="(2, 10, 4)",
        result="(2, 8, 8)",
    )
    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    __doc__ = _DOC.format(
        rank=2,
        spatial="height, width",
        new="new_height, new_width",
        kernel="kh, kw",
        name="DepthwiseConv2D",
        example="(2, 10, 10, 4)",
        result="(2, 8, 8, 8)",
    )
    rank = 2
