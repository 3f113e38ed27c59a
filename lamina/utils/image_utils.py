"""Image files as arrays, with Keras's names: load_img, img_to_array, array_to_img, save_img.

Pillow does the decoding and encoding; it is optional (`pip install lamina[images]`) and only
imported when an image file is read or written. The folder-listing helpers at the end are
shared by `ImageDataGenerator.flow_from_directory` and `image_dataset_from_directory`.
"""

import io
import os
import warnings
from typing import Any

import numpy as np

from lamina.backend import floatx
from lamina.io.atomic import atomic_open

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
_COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def require_pil() -> Any:
    """Return the `PIL.Image` module, or raise an ImportError saying how to install Pillow."""
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError(
            "Reading and writing image files needs Pillow. Install it with "
            "`pip install lamina[images]` (or `pip install pillow`)."
        ) from err
    return Image


def default_dtype(dtype: Any = None) -> np.dtype:
    """`dtype`, or the float type of `lamina.backend.floatx()` (float32 where NumPy lacks it)."""
    if dtype is not None:
        return np.dtype(dtype)
    name = floatx()
    return np.dtype("float32" if name == "bfloat16" else name)


def check_data_format(data_format: str | None) -> str:
    """`"channels_last"` (the default for None) or `"channels_first"`, else a ValueError."""
    if data_format is None:
        return "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "Expected data_format to be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


def check_interpolation(interpolation: str) -> str:
    """`interpolation` if it names a Pillow resize filter `load_img` knows, else a ValueError."""
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Expected interpolation to be one of {_INTERPOLATIONS}. "
            f"Received: interpolation={interpolation!r}"
        )
    return interpolation


def _resample_filter(interpolation: str) -> Any:
    return getattr(require_pil().Resampling, check_interpolation(interpolation).upper())


def _describe(path: Any) -> str:
    return repr(os.fspath(path)) if isinstance(path, str | os.PathLike) else "the file object"


def load_img(
    path: Any,
    color_mode: str = "rgb",
    target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Any:
    """Load an image file into a PIL image.

    Args:
        path: a path (str or `pathlib.Path`) or a binary file object (e.g. `io.BytesIO`).
        color_mode: `"rgb"`, `"rgba"` or `"grayscale"`; the image is converted to it.
        target_size: `(height, width)` to resize to, or None to keep the file's size.
        interpolation: the resampling filter when resizing: `"nearest"`, `"bilinear"`,
            `"bicubic"`, `"hamming"`, `"box"` or `"lanczos"`.
        keep_aspect_ratio: crop the largest centred box with the aspect ratio of `target_size`
            before resizing, so the content is not stretched.

    Returns:
        A loaded `PIL.Image.Image`.

    Raises:
        ImportError: when Pillow is not installed.
        FileNotFoundError: when the file does not exist.
        ValueError: for a file that cannot be decoded (the message names it), or bad arguments.

    Example:
    >>> img = load_img("cats/cat.0.jpg", target_size=(150, 150))
    >>> img_to_array(img).shape
    (150, 150, 3)
    """
    image = require_pil()
    if color_mode not in _COLOR_MODES:
        raise ValueError(
            "Expected color_mode to be 'grayscale', 'rgb' or 'rgba'. "
            f"Received: color_mode={color_mode!r}"
        )
    resample = _resample_filter(interpolation) if target_size is not None else None
    if isinstance(path, str | os.PathLike):
        with open(path, "rb") as f:  # a missing or unreadable file raises its own OSError
            source: Any = io.BytesIO(f.read())
    else:
        source = path
    try:
        img = image.open(source)
        img.load()
    except (OSError, ValueError, SyntaxError, image.DecompressionBombError) as err:
        raise ValueError(
            f"load_img: cannot decode {_describe(path)} as an image ({err})."
        ) from None
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif img.mode != _COLOR_MODES[color_mode]:
        if img.mode == "P" and "transparency" in img.info:
            img = img.convert("RGBA")  # a palette with transparency goes through RGBA
        img = img.convert(_COLOR_MODES[color_mode])
    if target_size is None:
        return img
    height, width = check_size(target_size, "target_size")
    if img.size == (width, height):
        return img
    if keep_aspect_ratio:
        img = img.crop(center_crop_box(img.size[1], img.size[0], height, width))
    return img.resize((width, height), resample)


def check_size(size: Any, name: str) -> tuple[int, int]:
    try:
        height, width = (int(s) for s in size)
    except (TypeError, ValueError):
        height = width = 0
    if height <= 0 or width <= 0:
        raise ValueError(
            f"Expected {name} to be (height, width) with positive integers. "
            f"Received: {name}={size!r}"
        )
    return height, width


def center_crop_box(
    height: int, width: int, target_height: int, target_width: int
) -> tuple[int, int, int, int]:
    """The largest centred `(left, top, right, bottom)` box with the target's aspect ratio."""
    crop_height = min(height, width * target_height // target_width)
    crop_width = min(width, height * target_width // target_height)
    top = (height - crop_height) // 2
    left = (width - crop_width) // 2
    return left, top, left + crop_width, top + crop_height


def img_to_array(img: Any, data_format: str | None = None, dtype: Any = None) -> np.ndarray:
    """Turn a PIL image into a 3D array, `(height, width, channels)` by default.

    Args:
        img: a PIL image (or anything NumPy can read as a 2D or 3D array).
        data_format: `"channels_last"` (default) or `"channels_first"`.
        dtype: the array's type (default `floatx()`, float32).

    Returns:
        The pixel values, unscaled (0-255 for 8-bit images).

    Example:
    >>> x = img_to_array(load_img("cat.jpg"))
    >>> x.dtype, x.max() <= 255
    (dtype('float32'), True)
    """
    data_format = check_data_format(data_format)
    x = np.asarray(img, dtype=default_dtype(dtype))
    if x.ndim == 2:
        x = x[np.newaxis] if data_format == "channels_first" else x[:, :, np.newaxis]
    elif x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    else:
        raise ValueError(f"img_to_array: expected a 2D or 3D image. Received: shape={x.shape}")
    return np.array(x, copy=True) if not x.flags.writeable else x


def array_to_img(
    x: Any, data_format: str | None = None, scale: bool = True, dtype: Any = None
) -> Any:
    """Turn a 3D array into a PIL image (1 channel: "L", 3: "RGB", 4: "RGBA").

    Args:
        x: the pixels, `(height, width, channels)` or channels first.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        scale: stretch the values to 0-255 (minimum to 0, maximum to 255); without it they are
            rounded and clipped to 0-255 (one channel above 255 gives a 32-bit "I" image).
        dtype: the float type used for the arithmetic (default `floatx()`).

    Returns:
        A `PIL.Image.Image`.

    Example:
    >>> img = array_to_img(np.zeros((32, 32, 3)))
    >>> img.size, img.mode
    ((32, 32), 'RGB')
    """
    image = require_pil()
    data_format = check_data_format(data_format)
    x = np.asarray(x, dtype=default_dtype(dtype))
    if x.ndim != 3:
        raise ValueError(
            f"array_to_img: expected a 3D image array. Received: an array of shape {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x = x * (255.0 / top)
    channels = x.shape[2]
    if channels == 1 and np.max(x) > 255:
        return image.fromarray(np.rint(x[:, :, 0]).astype(np.int32), "I")
    pixels = np.clip(np.rint(x), 0, 255).astype(np.uint8)
    if channels == 1:
        return image.fromarray(pixels[:, :, 0], "L")
    if channels in (3, 4):
        return image.fromarray(pixels, "RGB" if channels == 3 else "RGBA")
    raise ValueError(
        f"array_to_img: expected 1, 3 or 4 channels. Received: {channels} channels "
        f"(shape {x.shape} in channels_last order)"
    )


def save_img(
    path: Any,
    x: Any,
    data_format: str | None = None,
    file_format: str | None = None,
    scale: bool = True,
    **kwargs: Any,
) -> None:
    """Save an image array to a file, atomically (a complete new file or the old one).

    Args:
        path: the file to write (or a binary file object, written in place).
        x: the pixels, as for `array_to_img`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        file_format: e.g. `"png"` or `"jpeg"`; None takes it from the file name's extension.
        scale: stretch the values to 0-255 (see `array_to_img`).
        **kwargs: passed to `PIL.Image.Image.save` (e.g. `quality=95`).

    Example:
    >>> save_img("noise.png", np.random.rand(64, 64, 3))
    """
    image = require_pil()
    img = array_to_img(x, data_format=data_format, scale=scale)
    fmt = file_format
    if fmt is None and isinstance(path, str | os.PathLike):
        ext = os.path.splitext(os.fspath(path))[1].lower()
        fmt = image.registered_extensions().get(ext)
        if fmt is None:
            raise ValueError(
                "save_img: cannot tell the image format from the file name; pass file_format "
                f"(e.g. 'png'). Received: path={os.fspath(path)!r}"
            )
    if img.mode == "RGBA" and str(fmt).lower() in ("jpg", "jpeg"):
        warnings.warn(
            "The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2
        )
        img = img.convert("RGB")
    fmt = "JPEG" if str(fmt).lower() == "jpg" else fmt
    if not isinstance(path, str | os.PathLike):
        img.save(path, format=fmt, **kwargs)
        return

    with atomic_open(path, "wb") as f:
        img.save(f, format=fmt, **kwargs)


# Listing image folders, shared by flow_from_directory and image_dataset_from_directory.


def check_directory(directory: Any, caller: str) -> str:
    """`directory` as a str, or a FileNotFoundError / NotADirectoryError naming it."""
    path = os.fspath(directory)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{caller}: no such folder. Received: directory={path!r}")
    if not os.path.isdir(path):
        raise NotADirectoryError(f"{caller}: not a folder. Received: directory={path!r}")
    return path


def class_subfolders(directory: str) -> list[str]:
    """The names of `directory`'s visible subfolders, sorted."""
    return sorted(
        e.name for e in os.scandir(directory) if e.is_dir() and not e.name.startswith(".")
    )


def list_images(folder: str, formats: tuple[str, ...], follow_links: bool) -> list[str]:
    """Paths of the image files under `folder` (recursively), in sorted order.

    Hidden files and folders (names starting with ".") are left out, so notebook checkpoints
    and macOS "._" files never become samples.
    """
    found = []
    for root, dirs, files in os.walk(folder, followlinks=follow_links):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            os.path.join(root, f)
            for f in sorted(files)
            if not f.startswith(".") and f.lower().endswith(formats)
        )
    return found


def no_images_error(
    directory: str, caller: str, formats: tuple[str, ...], subfolders: list[str] | None
) -> ValueError:
    """The error for a folder that yields no images, saying what was found instead."""
    listed = ", ".join(formats)
    entries = [e for e in os.listdir(directory) if not e.startswith(".")]
    if not entries:
        return ValueError(f"{caller}: the folder is empty. Received: directory={directory!r}")
    if subfolders is not None and not subfolders:
        loose = sum(1 for e in entries if e.lower().endswith(formats))
        hint = (
            f" It holds {loose} image files directly; move them into a subfolder per class."
            if loose
            else ""
        )
        return ValueError(
            f"{caller}: found no class subfolders. The folder must hold one subfolder per "
            f"class, each with that class's images (e.g. {directory}/cats/*.jpg).{hint} "
            f"Received: directory={directory!r}"
        )
    where = f"in the subfolders {subfolders}" if subfolders else "anywhere"
    return ValueError(
        f"{caller}: found no image files ({listed}) {where} under the folder. "
        f"Received: directory={directory!r}"
    )


def probe_image(path: str) -> str | None:
    """None when Pillow can open `path` as an image, else the reason it cannot."""
    image = require_pil()
    try:
        with image.open(path) as img:
            img.verify()
    except (OSError, ValueError, SyntaxError, image.DecompressionBombError) as err:
        return str(err) or type(err).__name__
    return None


def drop_unreadable(paths: list[str], caller: str) -> list[int]:
    """Indices of the readable paths; warns once, naming the files that are skipped."""
    keep, bad = [], []
    for i, p in enumerate(paths):
        reason = probe_image(p)
        if reason is None:
            keep.append(i)
        else:
            bad.append(f"{p} ({reason})")
    if bad:
        shown = "; ".join(bad[:20]) + (f"; and {len(bad) - 20} more" if len(bad) > 20 else "")
        warnings.warn(
            f"{caller}: skipping {len(bad)} file(s) that cannot be read as images: {shown}",
            stacklevel=3,
        )
    return keep


def check_on_error(on_error: str) -> str:
    if on_error not in ("raise", "skip"):
        raise ValueError(
            f"Expected on_error to be 'raise' or 'skip'. Received: on_error={on_error!r}"
        )
    return on_error
