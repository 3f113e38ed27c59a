"""Max and average pooling layers, 1D and 2D."""

from typing import Any

from lamina.layers.convolutional.base_conv import (
    check_channels_first_mistake,
    check_input_rank,
    errors_naming,
    spatial_output_shape,
)
from lamina.layers.layer import Layer
from lamina.ops.conv import normalize_data_format, normalize_padding, normalize_tuple
from lamina.ops.pooling import average_pool, max_pool


class _Pooling(Layer):
    rank: int = 2
    pool_fn: Any = None

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        self.pool_size = normalize_tuple(name, "pool_size", pool_size, self.rank)
        self.strides = (
            self.pool_size
            if strides is None
            else normalize_tuple(name, "strides", strides, self.rank)
        )
        self.padding = normalize_padding(name, padding)
        self.data_format = normalize_data_format(name, data_format)

    def call(self, inputs: Any) -> Any:
        self.compute_output_shape(inputs.shape)
        pool = type(self).pool_fn
        with errors_naming(self):
            return pool(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        check_input_rank(self, input_shape, self.rank + 2)
        check_channels_first_mistake(self, input_shape)
        spatial = spatial_output_shape(
            self, input_shape, self.pool_size, self.strides, self.padding, (1,) * self.rank
        )
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, input_shape[-1])
        return (input_shape[0], input_shape[1], *spatial)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
        }


_DOC = """{kind} pooling over windows of `pool_size` ({rank}D).

    Args:
        pool_size: an int or a tuple of {rank} ints (default 2).
        strides: an int, a tuple of {rank} ints, or None (default: `pool_size`).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, {spatial}, channels)` (channels_last).

    Output shape:
        `(batch, {pooled}, channels)`.
    """


def _doc(kind: str, rank: int) -> str:
    spatial = "steps" if rank == 1 else "height, width"
    pooled = ", ".join(f"pooled_{axis}" for axis in spatial.split(", "))
    return _DOC.format(kind=kind, rank=rank, spatial=spatial, pooled=pooled)


class MaxPooling1D(_Pooling):
    __doc__ = _doc("Max", 1)
    rank = 1
    pool_fn = staticmethod(max_pool)


class MaxPooling2D(_Pooling):
    __doc__ = _doc("Max", 2)
    rank = 2
    pool_fn = staticmethod(max_pool)


class AveragePooling1D(_Pooling):
    __doc__ = _doc("Average", 1)
    rank = 1
    pool_fn = staticmethod(average_pool)


class AveragePooling2D(_Pooling):
    __doc__ = _doc("Average", 2)
    rank = 2
    pool_fn = staticmethod(average_pool)
