"""The shared part of the convolution layers: config checks, input checks, output shapes."""

import contextlib
from collections.abc import Iterator
from typing import Any

from lamina import activations, regularizers
from lamina.layers.layer import Layer
from lamina.layers.weight_arguments import (
    add_weight_of,
    set_weight_arguments,
    weight_arguments_config,
)
from lamina.ops.conv import normalize_data_format, normalize_padding, normalize_tuple
from lamina.ops.movement import reshape


def spatial_output_shape(
    layer: Layer, input_shape: Any, size: tuple, strides: tuple, padding: str, dilation: tuple
) -> tuple:
    """The spatial output sizes of a convolution or pooling of `input_shape` (None stays None).

    Raises a ValueError naming `layer` when an output size would be zero or below.
    """
    spatial = input_shape[1:-1] if layer.data_format == "channels_last" else input_shape[2:]
    out = []
    for n, k, s, d in zip(spatial, size, strides, dilation, strict=True):
        if n is None:
            out.append(None)
        elif padding in ("same", "causal"):
            out.append(-(-n // s))
        elif n - d * (k - 1) <= 0:
            raise ValueError(
                f"{type(layer).__name__} {layer.name!r}: the kernel (size {size}, dilation "
                f"{dilation}) is larger than the input's spatial shape {tuple(spatial)} with "
                f"padding='valid', so the output would be empty; use padding='same', a smaller "
                f"kernel or a larger input. Received: input_shape={tuple(input_shape)}"
            )
        else:
            out.append((n - d * (k - 1) - 1) // s + 1)
    return tuple(out)


def check_input_rank(layer: Layer, shape: Any, rank: int) -> None:
    """Raise a ValueError naming `layer` unless `shape` has `rank` axes (batch included);
    for images without their channel axis, say so."""
    if len(shape) == rank:
        return
    hint = ""
    if len(shape) == rank - 1:
        hint = (
            " The inputs seem to lack the channel axis: add it with "
            "`x.reshape((*x.shape, 1))` or `np.expand_dims(x, -1)` (a grayscale image "
            "of 28x28 becomes (28, 28, 1))."
        )
    raise ValueError(
        f"{type(layer).__name__} {layer.name!r} expects inputs of rank {rank} "
        f"(batch, {rank - 2} spatial axes, channels).{hint} Received: input_shape={tuple(shape)}"
    )


def check_channels_first_mistake(layer: Layer, shape: Any) -> None:
    """Refuse channels_first data given to a channels_last layer when the shape makes it
    evident: 1 or 3 values on the first spatial axis and many more on the channel axis."""
    if layer.data_format != "channels_last" or len(shape) < 4:
        return
    first, channels = shape[1], shape[-1]
    if first in (1, 3) and channels is not None and shape[2] is not None:
        if channels >= 8 and shape[2] >= 8 and channels == shape[2]:
            raise ValueError(
                f"{type(layer).__name__} {layer.name!r} uses data_format='channels_last' but the "
                f"inputs look channels_first ({first} channels before {shape[2:]}); pass "
                f"data_format='channels_first' or transpose the inputs to "
                f"(batch, height, width, channels). Received: input_shape={tuple(shape)}"
            )


@contextlib.contextmanager
def errors_naming(layer: Layer) -> Iterator[None]:
    """Make an op's ValueError or TypeError name `layer` too: users know layers, not ops."""
    try:
        yield
    except (ValueError, TypeError) as e:
        raise type(e)(f"{type(layer).__name__} {layer.name!r}: {e}") from None


def check_positive_int(layer: Layer, name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"{type(layer).__name__}: expected {name} to be a positive integer. "
            f"Received: {name}={value!r}"
        )
    return value


class BaseConv(Layer):
    """Config and checks shared by Conv1D/2D, their transposed, separable and depthwise kinds."""

    rank: int = 2
    paddings: tuple = ("valid", "same")
    # The weights whose *_initializer, *_regularizer and *_constraint arguments the layer takes.
    weight_kinds: tuple[str, ...] = ("kernel", "bias")

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        bias_initializer: Any = "zeros",
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        self.kernel_size = normalize_tuple(name, "kernel_size", kernel_size, self.rank)
        self.strides = normalize_tuple(name, "strides", strides, self.rank)
        self.dilation_rate = normalize_tuple(name, "dilation_rate", dilation_rate, self.rank)
        self.padding = normalize_padding(name, padding, self.paddings)
        self.data_format = normalize_data_format(name, data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        set_weight_arguments(self, "bias", bias_initializer, bias_regularizer, bias_constraint)

    def channels_of(self, shape: Any) -> int:
        check_input_rank(self, shape, self.rank + 2)
        check_channels_first_mistake(self, shape)
        channels = shape[-1] if self.data_format == "channels_last" else shape[1]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} needs a known channel axis. "
                f"Received: input_shape={tuple(shape)}"
            )
        return channels

    def check_channels(self, shape: Any, built_for: int) -> None:
        check_input_rank(self, shape, self.rank + 2)
        channels = shape[-1] if self.data_format == "channels_last" else shape[1]
        if channels not in (None, built_for):
            raise ValueError(
                f"{type(self).__name__} {self.name!r} was built for inputs with {built_for} "
                f"channels ({self.data_format}). Received: input_shape={tuple(shape)}"
            )

    @property
    def built_channels(self) -> int:
        """The input channels the built kernel expects."""
        return self.kernel.shape[-2]

    def input_channels(self, shape: Any) -> int:
        """The channels of inputs of `shape`, checked against the kernel once built."""
        if not self.built:
            return self.channels_of(shape)
        self.check_channels(shape, self.built_channels)
        return self.built_channels

    def spatial_output(self, input_shape: Any) -> tuple:
        return spatial_output_shape(
            self, input_shape, self.kernel_size, self.strides, self.padding, self.dilation_rate
        )

    def add_bias(self, filters: int) -> None:
        self.bias = add_weight_of(self, "bias", (filters,)) if self.use_bias else None

    def finish(self, y: Any, fused: bool = False) -> Any:
        """Add the bias, apply the activation and the activity regularizer; `fused`: `y` came
        from `conv_bias(..., relu=self.fuses_relu)`, which added the bias (and the relu)."""
        if self.bias is not None and not fused:
            shape = (1,) * (self.rank + 1) + (-1,)
            if self.data_format == "channels_first":
                shape = (1, -1) + (1,) * self.rank
            y = y + reshape(self.bias, shape)
        if not (fused and self.fuses_relu):
            y = self.activation(y)
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(y))
        return y

    @property
    def fuses_relu(self) -> bool:
        return self.activation is activations.relu

    def output_shape_with(self, input_shape: Any, filters: int, spatial: tuple) -> tuple:
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, filters)
        return (input_shape[0], filters, *spatial)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            **weight_arguments_config(self, self.weight_kinds),
        }
