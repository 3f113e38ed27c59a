"""SeparableConv1D and SeparableConv2D: a depthwise convolution, then a 1x1 convolution."""

from typing import Any

from lamina.layers.convolutional.base_conv import BaseConv, check_positive_int, errors_naming
from lamina.layers.weight_arguments import add_weight_of, set_weight_arguments
from lamina.ops.conv import separable_conv


class _SeparableConv(BaseConv):
    weight_kinds = ("depthwise", "pointwise", "bias")

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
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
        self.filters = check_positive_int(self, "filters", filters)
        self.depth_multiplier = check_positive_int(self, "depth_multiplier", depth_multiplier)
        set_weight_arguments(
            self, "depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint
        )
        set_weight_arguments(
            self, "pointwise", pointwise_initializer, pointwise_regularizer, pointwise_constraint
        )

    def build(self, input_shape: Any) -> None:
        channels = self.channels_of(input_shape)
        self.depthwise_kernel = add_weight_of(
            self,
            "depthwise",
            (*self.kernel_size, channels, self.depth_multiplier),
            "depthwise_kernel",
        )
        self.pointwise_kernel = add_weight_of(
            self,
            "pointwise",
            (*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            "pointwise_kernel",
        )
        self.add_bias(self.filters)

    def call(self, inputs: Any) -> Any:
        self.compute_output_shape(inputs.shape)
        with errors_naming(self):
            y = separable_conv(
                inputs,
                self.depthwise_kernel,
                self.pointwise_kernel,
                self.strides,
                self.padding,
                self.data_format,
                self.dilation_rate,
            )
        return self.finish(y)

    @property
    def built_channels(self) -> int:
        return self.depthwise_kernel.shape[-2]

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self.input_channels(input_shape)
        return self.output_shape_with(input_shape, self.filters, self.spatial_output(input_shape))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "depth_multiplier": self.depth_multiplier,
        }


_DOC = """Depthwise separable {rank}D convolution: a depthwise convolution (each input channel
    with its own `depth_multiplier` filters), then a pointwise (1x1) convolution mixing the
    channels into `filters` outputs; far fewer weights than a full convolution.

    Args:
        filters: the number of output channels.
        kernel_size: an int or a tuple of {rank} ints.
        strides, dilation_rate: an int or a tuple of {rank} ints.
        padding: `"valid"` or `"same"`.
        depth_multiplier: the depthwise outputs per input channel.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        activation, use_bias, depthwise_*, pointwise_*, bias_*: as the kernel_* and bias_*
            of Dense.

    Input shape:
        `(batch, {spatial}, channels)` (channels_last).

    Output shape:
        `(batch, {new}, filters)`. The weights are `depthwise_kernel` `({kernel}, channels,
        depth_multiplier)`, `pointwise_kernel` `({ones}, channels * depth_multiplier,
        filters)` and `bias`, as in Keras.

    Example:
    >>> lamina.layers.{name}(8, 3)(np.zeros({example}, "float32")).shape
    {result}
    """


class SeparableConv1D(_SeparableConv):
    __doc__ = _DOC.format(
        rank=1,
        spatial="steps",
        new="new_steps",
        kernel="kernel_size",
        ones="1",
        name="SeparableConv1D",
        example="(2, 10, 4)",
        result="(2, 8, 8)",
    )
    rank = 1


class SeparableConv2D(_SeparableConv):
    __doc__ = _DOC.format(
        rank=2,
        spatial="height, width",
        new="new_height, new_width",
        kernel="kh, kw",
        ones="1, 1",
        name="SeparableConv2D",
        example="(2, 10, 10, 4)",
        result="(2, 8, 8, 8)",
    )
    rank = 2
