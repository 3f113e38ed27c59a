"""ZeroPadding1D and ZeroPadding2D: add rows and columns of zeros around the inputs."""

from typing import Any

from lamina import ops
from lamina.layers.data_format import check_data_format
from lamina.layers.layer import Layer
from lamina.layers.reshaping.spatial_arguments import check_rank, pairs, spatial_axes


class _ZeroPadding(Layer):
    dims = 0
    layout = ""

    def __init__(self, padding: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        self.padding = pairs(name, "padding", padding, self.dims)
        self.data_format = check_data_format(data_format, name)
        self.built = True

    def call(self, inputs: Any) -> Any:
        check_rank(self, inputs.shape, self.dims + 2, self.layout)
        width = [(0, 0)] * inputs.ndim
        for axis, pad in zip(spatial_axes(self.data_format, self.dims), self.padding, strict=True):
            width[axis] = pad
        return ops.pad(inputs, width)

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_rank(self, input_shape, self.dims + 2, self.layout)
        shape = list(input_shape)
        for axis, pad in zip(spatial_axes(self.data_format, self.dims), self.padding, strict=True):
            shape[axis] = None if shape[axis] is None else shape[axis] + sum(pad)
        return tuple(shape)

    def get_config(self) -> dict:
        padding = [list(p) for p in self.padding]
        return {
            **super().get_config(),
            "padding": padding[0] if self.dims == 1 else padding,
            "data_format": self.data_format,
        }


class ZeroPadding1D(_ZeroPadding):
    """Pad sequences with zeros at the start and end of the steps axis.

    Args:
        padding: an int (both ends) or a pair `(start, end)`.
        data_format: `"channels_last"` (default: `(batch, steps, channels)`) or
            `"channels_first"` (`(batch, channels, steps)`).

    Input shape:
        3D. Output shape: the steps axis grows by `start + end`.

    Example:
    >>> lamina.layers.ZeroPadding1D((1, 2))(np.ones((1, 3, 2))).shape
    (1, 6, 2)
    """

    dims = 1
    layout = "(batch, steps, channels)"

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pad images with rows of zeros above and below and columns left and right.

    Args:
        padding: an int (everywhere), `(rows, cols)` (symmetric) or
            `((top, bottom), (left, right))`.
        data_format: `"channels_last"` (default: `(batch, rows, cols, channels)`) or
            `"channels_first"` (`(batch, channels, rows, cols)`).

    Input shape:
        4D. Output shape: rows and cols grow by the padding.

    Example:
    >>> lamina.layers.ZeroPadding2D(((1, 0), (2, 2)))(np.ones((1, 3, 3, 1))).shape
    (1, 4, 7, 1)
    """

    dims = 2
    layout = "(batch, rows, cols, channels) or, with channels_first, (batch, channels, rows, cols)"

    def __init__(
        self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(padding, data_format, **kwargs)
