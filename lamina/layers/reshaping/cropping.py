"""Cropping1D and Cropping2D: cut rows and columns off the edges of the inputs."""

from typing import Any

from lamina import ops
from lamina.layers.data_format import check_data_format
from lamina.layers.layer import Layer
from lamina.layers.reshaping.spatial_arguments import check_rank, pairs, spatial_axes


class _Cropping(Layer):
    dims = 0
    layout = ""

    def __init__(self, cropping: Any, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        self.cropping = pairs(name, "cropping", cropping, self.dims)
        self.data_format = check_data_format(data_format, name)
        self.built = True

    def call(self, inputs: Any) -> Any:
        self.compute_output_shape(inputs.shape)
        key = [slice(None)] * inputs.ndim
        for axis, (start, end) in zip(
            spatial_axes(self.data_format, self.dims), self.cropping, strict=True
        ):
            key[axis] = slice(start, inputs.shape[axis] - end)
        return ops.getitem(inputs, tuple(key))

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_rank(self, input_shape, self.dims + 2, self.layout)
        shape = list(input_shape)
        for axis, crop in zip(
            spatial_axes(self.data_format, self.dims), self.cropping, strict=True
        ):
            if shape[axis] is None:
                continue
            if sum(crop) >= shape[axis]:
                raise ValueError(
                    f"{type(self).__name__} {self.name!r}: cropping {crop} leaves nothing of "
                    f"axis {axis} (size {shape[axis]}); crop less than the input's size. "
                    f"Received: cropping={[list(c) for c in self.cropping]}, input shape "
                    f"{tuple(input_shape)}"
                )
            shape[axis] -= sum(crop)
        return tuple(shape)

    def get_config(self) -> dict:
        cropping = [list(c) for c in self.cropping]
        return {**super().get_config(), "cropping": cropping}


class Cropping1D(_Cropping):
    """Cut steps off the start and end of sequences.

    Args:
        cropping: an int (both ends) or a pair `(start, end)`.

    Input shape:
        3D `(batch, steps, channels)`. Output shape: steps shrink by `start + end`.

    Example:
    >>> lamina.layers.Cropping1D((1, 2))(np.ones((1, 5, 2))).shape
    (1, 2, 2)
    """

    dims = 1
    layout = "(batch, steps, channels)"

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(cropping, **kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["cropping"] = config["cropping"][0]
        return config


class Cropping2D(_Cropping):
    """Cut rows and columns off the edges of images.

    Args:
        cropping: an int (everywhere), `(rows, cols)` (symmetric) or
            `((top, bottom), (left, right))`.
        data_format: `"channels_last"` (default: `(batch, rows, cols, channels)`) or
            `"channels_first"` (`(batch, channels, rows, cols)`).

    Input shape:
        4D. Output shape: rows and cols shrink by the cropping.

    Example:
    >>> lamina.layers.Cropping2D(((1, 0), (1, 1)))(np.ones((1, 4, 4, 1))).shape
    (1, 3, 2, 1)
    """

    dims = 2
    layout = "(batch, rows, cols, channels) or, with channels_first, (batch, channels, rows, cols)"

    def __init__(
        self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(cropping, data_format, **kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}
