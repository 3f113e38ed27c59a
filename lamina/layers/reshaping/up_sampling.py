"""UpSampling1D and UpSampling2D: enlarge sequences and images by whole factors."""

from typing import Any

import numpy as np

from lamina import ops
from lamina.layers.data_format import check_data_format
from lamina.layers.layer import Layer
from lamina.layers.reshaping.spatial_arguments import check_rank, spatial_axes

_INTERPOLATIONS = ("nearest", "bilinear")


def _sizes(owner: str, size: Any, dims: int) -> tuple[int, ...]:
    items = (size,) * dims if isinstance(size, int) else size
    if (
        not isinstance(items, list | tuple)
        or len(items) != dims
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in items)
    ):
        forms = "a positive int" + ("" if dims == 1 else f" or {dims} positive ints")
        raise ValueError(f"{owner}: expected size to be {forms}. Received: size={size!r}")
    return tuple(items)


def bilinear_matrix(n: int, factor: int, dtype: Any) -> np.ndarray:
    """The `(n * factor, n)` matrix that resizes an axis bilinearly with half-pixel centres
    (as Keras's `image.resize`): output i samples at `(i + 0.5) / factor - 0.5`."""
    src = np.clip((np.arange(n * factor) + 0.5) / factor - 0.5, 0, n - 1)
    low = np.floor(src).astype(int)
    high = np.minimum(low + 1, n - 1)
    frac = src - low
    matrix = np.zeros((n * factor, n), dtype)
    rows = np.arange(n * factor)
    np.add.at(matrix, (rows, low), 1 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix


class UpSampling1D(Layer):
    """Repeat each step of a sequence `size` times.

    Args:
        size: the repetition factor.

    Input shape:
        3D `(batch, steps, features)`. Output shape: `(batch, steps * size, features)`.

    Example:
    >>> lamina.layers.UpSampling1D(2)(np.ones((1, 3, 2))).shape
    (1, 6, 2)
    """

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        (self.size,) = _sizes("UpSampling1D", size, 1)
        self.built = True

    def call(self, inputs: Any) -> Any:
        check_rank(self, inputs.shape, 3, "(batch, steps, features)")
        return ops.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_rank(self, input_shape, 3, "(batch, steps, features)")
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Enlarge images by whole factors, repeating pixels or interpolating bilinearly.

    Args:
        size: the factors for rows and columns (an int for both).
        data_format: `"channels_last"` (default: `(batch, rows, cols, channels)`) or
            `"channels_first"` (`(batch, channels, rows, cols)`).
        interpolation: `"nearest"` (repeat each pixel) or `"bilinear"`.

    Input shape:
        4D. Output shape: rows and cols multiplied by `size`.

    Example:
    >>> lamina.layers.UpSampling2D((2, 3))(np.ones((1, 2, 2, 1))).shape
    (1, 4, 6, 1)
    """

    _layout = "(batch, rows, cols, channels) or, with channels_first, (batch, channels, rows, cols)"

    def __init__(
        self,
        size: Any = (2, 2),
        data_format: str | None = None,
        interpolation: str = "nearest",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.size = _sizes("UpSampling2D", size, 2)
        self.data_format = check_data_format(data_format, "UpSampling2D")
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(
                f"UpSampling2D: expected interpolation to be one of {_INTERPOLATIONS}. "
                f"Received: interpolation={interpolation!r}"
            )
        self.interpolation = interpolation
        self.built = True

    def call(self, inputs: Any) -> Any:
        check_rank(self, inputs.shape, 4, self._layout)
        rows, cols = spatial_axes(self.data_format, 2)
        if self.interpolation == "nearest":
            return ops.repeat(ops.repeat(inputs, self.size[0], axis=rows), self.size[1], axis=cols)
        a_rows = bilinear_matrix(inputs.shape[rows], self.size[0], inputs.dtype)
        a_cols = bilinear_matrix(inputs.shape[cols], self.size[1], inputs.dtype)
        pattern = "hH,bHWc,wW->bhwc" if rows == 1 else "hH,bcHW,wW->bchw"
        return ops.einsum(pattern, a_rows, inputs, a_cols)

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_rank(self, input_shape, 4, self._layout)
        shape = list(input_shape)
        for axis, factor in zip(spatial_axes(self.data_format, 2), self.size, strict=True):
            shape[axis] = None if shape[axis] is None else shape[axis] * factor
        return tuple(shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "size": list(self.size),
            "data_format": self.data_format,
            "interpolation": self.interpolation,
        }
