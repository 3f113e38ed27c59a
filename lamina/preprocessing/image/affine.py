"""Geometric and colour transforms of one image, in NumPy: Keras's `apply_affine_transform` family.

An affine transform is a 3x3 matrix that maps each output pixel's (row, col) to the input
position it samples, composed from rotation, shift, shear and zoom about the image centre. The
input is then read there with nearest or bilinear interpolation, and positions outside the
image are filled by `fill_mode`: "nearest" (aaaa|abcd|dddd), "reflect" (dcba|abcd|dcba),
"wrap" (abcd|abcd|abcd) or "constant" (`cval`).

The standalone functions keep Keras's defaults, which assume channels-first images
(`row_axis=1, col_axis=2, channel_axis=0`); pass the axes for channels-last arrays.
"""

import functools
from typing import Any

import numpy as np

from lamina.backend import global_rng

FILL_MODES = ("nearest", "constant", "reflect", "wrap")


def transform_matrix(
    theta: float = 0.0,
    tx: float = 0.0,
    ty: float = 0.0,
    shear: float = 0.0,
    zx: float = 1.0,
    zy: float = 1.0,
    height: int = 1,
    width: int = 1,
) -> np.ndarray | None:
    """The 3x3 matrix mapping output (row, col, 1) to input positions, or None for identity.

    Args:
        theta: rotation in degrees (positive turns the content clockwise on screen).
        tx: shift along rows: output row r reads input row r + tx.
        ty: shift along columns: output column c reads input column c + ty.
        shear: shear angle in degrees.
        zx: zoom along rows (above 1 shows more of the image, so the content shrinks).
        zy: zoom along columns.
        height: the image height (the transform is about the image centre).
        width: the image width.
    """
    parts = []
    if theta:
        t = np.deg2rad(theta)
        parts.append(np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]]))
    if tx or ty:
        parts.append(np.array([[1.0, 0, tx], [0, 1, ty], [0, 0, 1]]))
    if shear:
        s = np.deg2rad(shear)
        parts.append(np.array([[1.0, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]]))
    if zx != 1 or zy != 1:
        parts.append(np.array([[zx, 0.0, 0], [0, zy, 0], [0, 0, 1]]))
    if not parts:
        return None
    m = parts[0]
    for p in parts[1:]:
        m = m @ p
    cr, cc = (height - 1) / 2, (width - 1) / 2
    to_center = np.array([[1.0, 0, cr], [0, 1, cc], [0, 0, 1]])
    from_center = np.array([[1.0, 0, -cr], [0, 1, -cc], [0, 0, 1]])
    return to_center @ m @ from_center


def _fold(idx: np.ndarray, n: int, fill_mode: str) -> np.ndarray:
    # Integer positions outside [0, n) brought back inside the way fill_mode extends the image
    # ("constant" clamps here; those samples are overwritten with cval afterwards).
    if fill_mode == "wrap":
        return np.mod(idx, n)
    if fill_mode == "reflect":
        idx = np.mod(idx, 2 * n)
        return np.where(idx >= n, 2 * n - 1 - idx, idx)
    return np.clip(idx, 0, n - 1)


@functools.lru_cache(maxsize=8)
def _grid(h: int, w: int) -> np.ndarray:
    grid = np.indices((h, w), dtype=np.float64).reshape(2, -1)
    grid.flags.writeable = False
    return grid


def resample(
    x: np.ndarray, matrix: np.ndarray, fill_mode: str = "nearest", cval: float = 0.0, order: int = 1
) -> np.ndarray:
    """Sample a channels-last image `x` (H, W, C) at `matrix @ (row, col, 1)` for each pixel.

    Args:
        x: the image.
        matrix: a 3x3 affine matrix (see `transform_matrix`).
        fill_mode: "nearest", "constant", "reflect" or "wrap".
        cval: the value outside the image for "constant".
        order: 0 for nearest-neighbour, 1 for bilinear interpolation.

    Returns:
        An array of `x`'s shape and dtype.
    """
    h, w, c = x.shape
    rows, cols = _grid(h, w)
    src_r = matrix[0, 0] * rows + matrix[0, 1] * cols + matrix[0, 2]
    src_c = matrix[1, 0] * rows + matrix[1, 1] * cols + matrix[1, 2]
    flat = x.reshape(h * w, c)
    if order == 0:
        r = np.floor(src_r + 0.5).astype(np.intp)
        q = np.floor(src_c + 0.5).astype(np.intp)
        out = np.take(flat, _fold(r, h, fill_mode) * w + _fold(q, w, fill_mode), axis=0)
    else:
        r0f, c0f = np.floor(src_r), np.floor(src_c)
        fr = (src_r - r0f).astype(x.dtype)[:, None]
        fc = (src_c - c0f).astype(x.dtype)[:, None]
        r0, c0 = r0f.astype(np.intp), c0f.astype(np.intp)
        ra, rb = _fold(r0, h, fill_mode) * w, _fold(r0 + 1, h, fill_mode) * w
        ca, cb = _fold(c0, w, fill_mode), _fold(c0 + 1, w, fill_mode)
        # np.take gathers rows several times faster than fancy indexing
        top_left, bottom_left = np.take(flat, ra + ca, axis=0), np.take(flat, rb + ca, axis=0)
        top = top_left + fc * (np.take(flat, ra + cb, axis=0) - top_left)
        bottom = bottom_left + fc * (np.take(flat, rb + cb, axis=0) - bottom_left)
        out = top + fr * (bottom - top)
    if fill_mode == "constant":
        outside = (src_r < -0.5) | (src_r >= h - 0.5) | (src_c < -0.5) | (src_c >= w - 0.5)
        out[outside] = cval
    return out.reshape(h, w, c).astype(x.dtype, copy=False)


def apply_affine_transform(
    x: Any,
    theta: float = 0,
    tx: float = 0,
    ty: float = 0,
    shear: float = 0,
    zx: float = 1,
    zy: float = 1,
    row_axis: int = 1,
    col_axis: int = 2,
    channel_axis: int = 0,
    fill_mode: str = "nearest",
    cval: float = 0.0,
    order: int = 1,
) -> np.ndarray:
    """Rotate, shift, shear and zoom one 3D image about its centre.

    Args:
        x: the image (3D).
        theta: rotation in degrees.
        tx: shift along the row axis, in pixels (output row r shows input row r + tx).
        ty: shift along the column axis, in pixels.
        shear: shear angle in degrees.
        zx: zoom factor along rows (above 1 zooms out).
        zy: zoom factor along columns.
        row_axis: the axis of rows (Keras's default 1 is for channels-first images).
        col_axis: the axis of columns.
        channel_axis: the axis of channels.
        fill_mode: "nearest", "constant", "reflect" or "wrap".
        cval: the fill value for "constant".
        order: 0 (nearest neighbour) or 1 (bilinear).

    Returns:
        The transformed image, `x`'s shape.

    Example:
    >>> img = np.arange(9.0).reshape(3, 3, 1)
    >>> apply_affine_transform(img, tx=1, row_axis=0, col_axis=1, channel_axis=2)[:, :, 0]
    array([[3., 4., 5.],
           [6., 7., 8.],
           [6., 7., 8.]])
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"Expected a 3D image. Received: an array of shape {x.shape}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"Expected fill_mode in {FILL_MODES}. Received: fill_mode={fill_mode!r}")
    if order not in (0, 1):
        raise ValueError(f"Expected order to be 0 or 1. Received: order={order!r}")
    if sorted(a % 3 for a in (row_axis, col_axis, channel_axis)) != [0, 1, 2]:
        raise ValueError(
            "Expected row_axis, col_axis and channel_axis to name three different axes. "
            f"Received: {row_axis}, {col_axis}, {channel_axis}"
        )
    hwc = np.moveaxis(x, (row_axis, col_axis, channel_axis), (0, 1, 2))
    m = transform_matrix(theta, tx, ty, shear, zx, zy, hwc.shape[0], hwc.shape[1])
    if m is None:
        return x
    if not np.issubdtype(hwc.dtype, np.floating):
        hwc = hwc.astype(np.float32)
    out = resample(np.ascontiguousarray(hwc), m, fill_mode, cval, order)
    return np.moveaxis(out, (0, 1, 2), (row_axis, col_axis, channel_axis))


def apply_channel_shift(x: Any, intensity: float, channel_axis: int = 0) -> np.ndarray:
    """Add `intensity` to every channel, clipped to the image's own minimum and maximum.

    Example:
    >>> apply_channel_shift(np.array([[[0.0, 100.0]]]), 30.0, channel_axis=2)
    array([[[ 30., 100.]]])
    """
    x = np.asarray(x)
    return np.clip(x + intensity, np.min(x), np.max(x)).astype(x.dtype, copy=False)


def apply_brightness_shift(x: Any, brightness: float, scale: bool = True) -> np.ndarray:
    """Multiply the pixel values by `brightness` (1.0 keeps the image), clipped to 0-255.

    Like PIL's brightness enhancer on 8-bit images, on which Keras builds this shift.

    Args:
        x: an image with values in 0-255.
        brightness: the factor (0 gives black).
        scale: for data outside 0-255, map it linearly into 0-255 for the shift and back.

    Example:
    >>> apply_brightness_shift(np.array([[[100.0, 200.0]]]), 1.5)
    array([[[150., 255.]]])
    """
    x = np.asarray(x)
    lo, hi = np.min(x), np.max(x)
    if scale and (lo < 0 or hi > 255) and hi > lo:
        y = np.clip((x - lo) * (255.0 / (hi - lo)) * brightness, 0, 255)
        return (y * ((hi - lo) / 255.0) + lo).astype(x.dtype, copy=False)
    return np.clip(x * brightness, 0, 255).astype(x.dtype, copy=False)


def flip_axis(x: Any, axis: int) -> np.ndarray:
    """Reverse `x` along `axis` (a contiguous copy)."""
    return np.ascontiguousarray(np.flip(np.asarray(x), axis))


def _hw(x: np.ndarray, row_axis: int, col_axis: int) -> tuple[int, int]:
    return x.shape[row_axis], x.shape[col_axis]


def random_rotation(
    x: Any,
    rg: float,
    row_axis: int = 1,
    col_axis: int = 2,
    channel_axis: int = 0,
    fill_mode: str = "nearest",
    cval: float = 0.0,
    interpolation_order: int = 1,
) -> np.ndarray:
    """Rotate by a random angle in [-rg, rg] degrees (see `apply_affine_transform`)."""
    theta = global_rng().uniform(-rg, rg)
    return apply_affine_transform(
        x,
        theta=theta,
        row_axis=row_axis,
        col_axis=col_axis,
        channel_axis=channel_axis,
        fill_mode=fill_mode,
        cval=cval,
        order=interpolation_order,
    )


def random_shift(
    x: Any,
    wrg: float,
    hrg: float,
    row_axis: int = 1,
    col_axis: int = 2,
    channel_axis: int = 0,
    fill_mode: str = "nearest",
    cval: float = 0.0,
    interpolation_order: int = 1,
) -> np.ndarray:
    """Shift by random fractions of the width (up to `wrg`) and the height (up to `hrg`)."""
    x = np.asarray(x)
    h, w = _hw(x, row_axis, col_axis)
    tx = global_rng().uniform(-hrg, hrg) * h
    ty = global_rng().uniform(-wrg, wrg) * w
    return apply_affine_transform(
        x,
        tx=tx,
        ty=ty,
        row_axis=row_axis,
        col_axis=col_axis,
        channel_axis=channel_axis,
        fill_mode=fill_mode,
        cval=cval,
        order=interpolation_order,
    )


def random_shear(
    x: Any,
    intensity: float,
    row_axis: int = 1,
    col_axis: int = 2,
    channel_axis: int = 0,
    fill_mode: str = "nearest",
    cval: float = 0.0,
    interpolation_order: int = 1,
) -> np.ndarray:
    """Shear by a random angle in [-intensity, intensity] degrees."""
    shear = global_rng().uniform(-intensity, intensity)
    return apply_affine_transform(
        x,
        shear=shear,
        row_axis=row_axis,
        col_axis=col_axis,
        channel_axis=channel_axis,
        fill_mode=fill_mode,
        cval=cval,
        order=interpolation_order,
    )


def random_zoom(
    x: Any,
    zoom_range: tuple[float, float],
    row_axis: int = 1,
    col_axis: int = 2,
    channel_axis: int = 0,
    fill_mode: str = "nearest",
    cval: float = 0.0,
    interpolation_order: int = 1,
) -> np.ndarray:
    """Zoom rows and columns by factors drawn independently from `zoom_range` (lower, upper)."""
    if not isinstance(zoom_range, list | tuple | np.ndarray) or len(zoom_range) != 2:
        raise ValueError(
            f"Expected zoom_range to be (lower, upper). Received: zoom_range={zoom_range!r}"
        )
    lo, hi = zoom_range
    zx, zy = (1.0, 1.0) if lo == 1 and hi == 1 else global_rng().uniform(lo, hi, 2)
    return apply_affine_transform(
        x,
        zx=zx,
        zy=zy,
        row_axis=row_axis,
        col_axis=col_axis,
        channel_axis=channel_axis,
        fill_mode=fill_mode,
        cval=cval,
        order=interpolation_order,
    )


def random_channel_shift(x: Any, intensity_range: float, channel_axis: int = 0) -> np.ndarray:
    """Shift every channel by one random amount in [-intensity_range, intensity_range]."""
    intensity = global_rng().uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis)


def random_brightness(x: Any, brightness_range: Any, scale: bool = True) -> np.ndarray:
    """Multiply by a brightness factor drawn from `brightness_range` (lower, upper)."""
    if not isinstance(brightness_range, list | tuple) or len(brightness_range) != 2:
        raise ValueError(
            "Expected brightness_range to be a tuple or list of two floats. "
            f"Received: brightness_range={brightness_range!r}"
        )
    factor = global_rng().uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, factor, scale)
