"""Conv1DTranspose and Conv2DTranspose: `activation(conv_transpose(inputs, kernel) + bias)`."""

from typing import Any

from lamina.layers.convolutional.base_conv import BaseConv, check_positive_int, errors_naming
from lamina.layers.weight_arguments import add_weight_of, set_weight_arguments
from lamina.ops.conv import conv_transpose, conv_transpose_pads, normalize_tuple


class _ConvTranspose(BaseConv):
    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        output_padding: Any = None,
        data_format: str | None = None,
        dilation_rate: Any = 1,
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
        self.filters = check_positive_int(self, "filters", filters)
        self.output_padding = None
        if output_padding is not None:
            name = type(self).__name__
            self.output_padding = normalize_tuple(
                name, "output_padding", output_padding, self.rank, 0
            )
            if any(p >= s for p, s in zip(self.output_padding, self.strides, strict=True)):
                raise ValueError(
                    f"{name}: expected output_padding to be smaller than strides "
                    f"{self.strides} on every axis. Received: output_padding={output_padding!r}"
                )
        set_weight_arguments(
            self, "kernel", kernel_initializer, kernel_regularizer, kernel_constraint
        )

    def build(self, input_shape: Any) -> None:
        channels = self.channels_of(input_shape)
        self.kernel = add_weight_of(self, "kernel", (*self.kernel_size, self.filters, channels))
        self.add_bias(self.filters)

    def call(self, inputs: Any) -> Any:
        self.check_channels(inputs.shape, self.built_channels)
        with errors_naming(self):
            y = conv_transpose(
                inputs,
                self.kernel,
                self.strides,
                self.padding,
                self.output_padding,
                self.data_format,
                self.dilation_rate,
            )
        return self.finish(y)

    @property
    def built_channels(self) -> int:
        return self.kernel.shape[-1]

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self.input_channels(input_shape)
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        extras = self.output_padding or (None,) * self.rank
        out = []
        for n, k, s, d, e in zip(
            spatial, self.kernel_size, self.strides, self.dilation_rate, extras, strict=True
        ):
            lo, hi = conv_transpose_pads(k, s, d, self.padding, e)
            out.append(None if n is None else (n - 1) * s + (k - 1) * d + 1 - lo - hi)
        return self.output_shape_with(input_shape, self.filters, tuple(out))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "output_padding": self.output_padding,
        }


_DOC = """Transposed {rank}D convolution (sometimes called deconvolution): the gradient of a
    convolution with respect to its input, used to upsample.

    Args:
        filters: the number of output channels.
        kernel_size: an int or a tuple of {rank} ints.
        strides, dilation_rate: an int or a tuple of {rank} ints.
        padding: `"valid"` or `"same"`.
        output_padding: None (the default: inferred) or an int or a tuple of {rank} ints, each
            smaller than the stride, added to the end of each output axis.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        activation, use_bias, *_initializer, *_regularizer, *_constraint: as in Dense.

    Input shape:
        `(batch, {spatial}, channels)` (channels_last).

    Output shape:
        `(batch, {new}, filters)`: with `padding="same"` each size times its stride, with
        `"valid"` `size * stride + max(kernel - stride, 0)`. The kernel is
        `({kernel}, filters, channels)`, as in Keras.

    Example:
    >>> lamina.layers.{name}(8, 3, strides=2)(np.zeros({example}, "float32")).shape
    {result}
    """


class Conv1DTranspose(_ConvTranspose):
    __doc__ = _DOC.format(
        rank=1,
        spatial="steps",
        new="new_steps",
        kernel="kernel_size",
        name="Conv1DTranspose",
        example="(2, 5, 4)",
        result="(2, 11, 8)",
    )
    rank = 1


class Conv2DTranspose(_ConvTranspose):
    __doc__ = _DOC.format(
        rank=2,
        spatial="height, width",
        new="new_height, new_width",
        kernel="kh, kw",
        name="Conv2DTranspose",
        example="(2, 5, 5, 4)",
        result="(2, 11, 11, 8)",
    )
    rank = 2
