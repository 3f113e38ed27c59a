"""Conv1D and Conv2D: `activation(conv(inputs, kernel) + bias)`."""

from typing import Any

from lamina.layers.convolutional.base_conv import BaseConv, check_positive_int, errors_naming
from lamina.layers.weight_arguments import add_weight_of, set_weight_arguments
from lamina.ops.conv import conv, conv_bias
from lamina.ops.movement import pad


class _Conv(BaseConv):
    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
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
        check_positive_int(self, "filters", filters)
        check_positive_int(self, "groups", groups)
        if filters % groups:
            raise ValueError(
                f"{type(self).__name__}: filters must be a multiple of groups. "
                f"Received: filters={filters}, groups={groups}"
            )
        self.filters, self.groups = filters, groups
        set_weight_arguments(
            self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint
        )

    def build(self, input_shape: Any) -> None:
        channels = self.channels_of(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the input channels must be a multiple of "
                f"groups={self.groups}. Received: input_shape={tuple(input_shape)}"
            )
        self.kernel = add_weight_of(
            self, "kernel", (*self.kernel_size, channels // self.groups, self.filters)
        )
        self.add_bias(self.filters)

    def call(self, inputs: Any) -> Any:
        self.check_channels(inputs.shape, self.built_channels)
        self.spatial_output(inputs.shape)
        padding = self.padding
        if padding == "causal":
            left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
            steps = [left, 0]
            pads = (
                [[0, 0], steps, [0, 0]]
                if self.data_format == "channels_last"
                else [[0, 0], [0, 0], steps]
            )
            inputs = pad(inputs, pads)
            padding = "valid"
        args = (self.strides, padding, self.data_format, self.dilation_rate)
        with errors_naming(self):
            if self.bias is None:
                return self.finish(conv(inputs, self.kernel, *args))
            y = conv_bias(inputs, self.kernel, self.bias, *args, relu=self.fuses_relu)
        return self.finish(y, fused=True)

    @property
    def built_channels(self) -> int:
        return self.kernel.shape[-2] * self.groups

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self.input_channels(input_shape)
        return self.output_shape_with(input_shape, self.filters, self.spatial_output(input_shape))

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, "groups": self.groups}


class Conv1D(_Conv):
    """1D convolution (temporal convolution) over `(batch, steps, channels)` inputs.

    Args:
        filters: the number of output channels.
        kernel_size: an int or a tuple of 1 int.
        strides, dilation_rate: an int or a tuple of 1 int.
        padding: `"valid"`, `"same"` or `"causal"` (left padding: output t sees inputs <= t).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        groups: split the channels in this many groups, each convolved separately.
        activation, use_bias, *_initializer, *_regularizer, *_constraint: as in Dense.

    Input shape:
        `(batch, steps, channels)` (channels_last).

    Output shape:
        `(batch, new_steps, filters)`; the kernel is `(kernel_size, channels // groups, filters)`.

    Example:
    >>> lamina.layers.Conv1D(32, 3)(np.zeros((4, 10, 8), "float32")).shape
    (4, 8, 32)
    """

    rank = 1
    paddings = ("valid", "same", "causal")


class Conv2D(_Conv):
    """2D convolution over images.

    Args:
        filters: the number of output channels.
        kernel_size: an int or a tuple of 2 ints.
        strides, dilation_rate: an int or a tuple of 2 ints.
        padding: `"valid"` (no padding) or `"same"` (output size `ceil(input / strides)`).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        groups: split the channels in this many groups, each convolved separately.
        activation, use_bias, *_initializer, *_regularizer, *_constraint: as in Dense.

    Input shape:
        `(batch, height, width, channels)` (channels_last).

    Output shape:
        `(batch, new_height, new_width, filters)`; the kernel is
        `(kh, kw, channels // groups, filters)`, as in Keras.

    Example:
    >>> lamina.layers.Conv2D(32, 3, activation="relu")(np.zeros((2, 28, 28, 1), "float32")).shape
    (2, 26, 26, 32)
    """

    rank = 2
