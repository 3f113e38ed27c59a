"""ImageDataGenerator: real-time image augmentation and standardization, as in Keras 2."""

import warnings
from typing import Any

import numpy as np

from lamina.backend import global_rng
from lamina.preprocessing.image.affine import (
    FILL_MODES,
    apply_affine_transform,
    apply_brightness_shift,
    apply_channel_shift,
    flip_axis,
)
from lamina.preprocessing.image.iterators import DirectoryIterator, NumpyArrayIterator
from lamina.utils import image_utils

_EPS = 1e-6  # Keras's guard against dividing by a zero standard deviation


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValueError(f"Expected {name} to be a number. Received: {name}={value!r}")
    return value


def _check_shift(name: str, value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        arr = np.asarray(value, dtype=float)
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(
                f"Expected {name} to be a number or a 1-D list of numbers. Received: {value!r}"
            )
        return arr
    return _number(name, value)


def _draw_shift(rng: np.random.Generator, spec: Any, size: int) -> float:
    # Keras's rules: a float below 1 is a fraction of the size, a float >= 1 a number of pixels,
    # an int a whole number of pixels in (-spec, spec), a list picks one of its values, either sign.
    if isinstance(spec, np.ndarray):
        value = rng.choice(spec) * rng.choice([-1.0, 1.0])
        return float(value * size if np.max(spec) < 1 else value)
    if not spec:
        return 0.0
    if isinstance(spec, int | np.integer):
        return float(rng.integers(-spec + 1, spec))
    value = rng.uniform(-spec, spec)
    return float(value * size if spec < 1 else value)


class ImageDataGenerator:
    """Generate batches of images with random augmentation, for `fit`.

    Transforms drawn for each image, in order: rotation, shift, shear and zoom (one affine
    resampling), channel shift, flips, brightness. Then `standardize`: `preprocessing_function`,
    `rescale`, samplewise then featurewise centering and scaling, ZCA whitening.

    Args:
        featurewise_center: subtract the dataset's per-channel mean (from `fit`).
        samplewise_center: subtract each image's mean.
        featurewise_std_normalization: divide by the dataset's per-channel std (from `fit`).
        samplewise_std_normalization: divide each image by its std.
        zca_whitening: apply ZCA whitening (matrix from `fit`).
        zca_epsilon: the whitening's regularizer.
        rotation_range: rotate by up to this many degrees either way.
        width_shift_range: a float below 1 (fraction of the width), a float of 1 or more or an
            int (pixels), or a list of values to pick from; shifts either way.
        height_shift_range: the same, for the height.
        brightness_range: `(lower, upper)` brightness factors, or None.
        shear_range: shear angle in degrees (counter-clockwise), drawn either way.
        zoom_range: a float `z` for `[1 - z, 1 + z]` or `[lower, upper]`; above 1 zooms out.
        channel_shift_range: add one random value in `[-range, range]` to every channel.
        fill_mode: fill outside the image with "nearest", "constant", "reflect" or "wrap".
        cval: the fill value for "constant".
        horizontal_flip: flip left-right with probability 1/2.
        vertical_flip: flip up-down with probability 1/2.
        rescale: multiply by this factor (e.g. `1/255`), after the augmentation.
        preprocessing_function: applied to each image (a 3D array) after augmentation.
        data_format: "channels_last" (default) or "channels_first".
        validation_split: the fraction of images kept for `subset="validation"`.
        interpolation_order: 1 (bilinear, default) or 0 (nearest) for the affine resampling.
        dtype: the float type of the batches (default `floatx()`, float32).

    Example:
    >>> datagen = ImageDataGenerator(rescale=1 / 255, rotation_range=40, horizontal_flip=True)
    >>> train = datagen.flow_from_directory("train", target_size=(150, 150), batch_size=20,
    ...                                     class_mode="binary")
    >>> model.fit(train, epochs=30)
    """

    def __init__(
        self,
        featurewise_center: bool = False,
        samplewise_center: bool = False,
        featurewise_std_normalization: bool = False,
        samplewise_std_normalization: bool = False,
        zca_whitening: bool = False,
        zca_epsilon: float = 1e-6,
        rotation_range: float = 0,
        width_shift_range: Any = 0.0,
        height_shift_range: Any = 0.0,
        brightness_range: Any = None,
        shear_range: float = 0.0,
        zoom_range: Any = 0.0,
        channel_shift_range: float = 0.0,
        fill_mode: str = "nearest",
        cval: float = 0.0,
        horizontal_flip: bool = False,
        vertical_flip: bool = False,
        rescale: float | None = None,
        preprocessing_function: Any = None,
        data_format: str | None = None,
        validation_split: float = 0.0,
        interpolation_order: int = 1,
        dtype: Any = None,
    ) -> None:
        self.featurewise_center = bool(featurewise_center)
        self.samplewise_center = bool(samplewise_center)
        self.featurewise_std_normalization = bool(featurewise_std_normalization)
        self.samplewise_std_normalization = bool(samplewise_std_normalization)
        self.zca_whitening = bool(zca_whitening)
        self.zca_epsilon = _number("zca_epsilon", zca_epsilon)
        self.rotation_range = _number("rotation_range", rotation_range)
        self.width_shift_range = _check_shift("width_shift_range", width_shift_range)
        self.height_shift_range = _check_shift("height_shift_range", height_shift_range)
        self.shear_range = _number("shear_range", shear_range)
        self.channel_shift_range = _number("channel_shift_range", channel_shift_range)
        self.cval = _number("cval", cval)
        self.horizontal_flip = bool(horizontal_flip)
        self.vertical_flip = bool(vertical_flip)
        self.rescale = rescale
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise TypeError(
                "Expected preprocessing_function to be callable. "
                f"Received: preprocessing_function={preprocessing_function!r}"
            )
        self.preprocessing_function = preprocessing_function
        self.dtype = image_utils.default_dtype(dtype)
        self.data_format = image_utils.check_data_format(data_format)
        if self.data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        if fill_mode not in FILL_MODES:
            raise ValueError(
                f"Expected fill_mode in {FILL_MODES}. Received: fill_mode={fill_mode!r}"
            )
        self.fill_mode = fill_mode
        if interpolation_order not in (0, 1):
            raise ValueError(
                "Expected interpolation_order to be 0 (nearest) or 1 (bilinear). "
                f"Received: interpolation_order={interpolation_order!r}"
            )
        self.interpolation_order = interpolation_order
        if not 0 <= _number("validation_split", validation_split) < 1:
            raise ValueError(
                "Expected validation_split to be in [0, 1). "
                f"Received: validation_split={validation_split!r}"
            )
        self._validation_split = float(validation_split)
        self.zoom_range = self._check_zoom(zoom_range)
        if brightness_range is not None and (
            not isinstance(brightness_range, list | tuple | np.ndarray)
            or len(brightness_range) != 2
        ):
            raise ValueError(
                "Expected brightness_range to be None or (lower, upper). "
                f"Received: brightness_range={brightness_range!r}"
            )
        self.brightness_range = brightness_range
        self.mean = self.std = self.zca_whitening_matrix = None
        self._resolve_overrides()

    @staticmethod
    def _check_zoom(zoom_range: Any) -> list[float]:
        if isinstance(zoom_range, int | float | np.number) and not isinstance(zoom_range, bool):
            return [1 - zoom_range, 1 + zoom_range]
        if isinstance(zoom_range, list | tuple | np.ndarray) and len(zoom_range) == 2:
            return [float(zoom_range[0]), float(zoom_range[1])]
        raise ValueError(
            "Expected zoom_range to be a float or (lower, upper). "
            f"Received: zoom_range={zoom_range!r}"
        )

    def _resolve_overrides(self) -> None:
        # Keras's implications between the normalization flags, with its warnings.
        if self.zca_whitening:
            if not self.featurewise_center:
                self.featurewise_center = True
                warnings.warn(
                    "zca_whitening overrides featurewise_center: it is now True.", stacklevel=3
                )
            if self.featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn(
                    "zca_whitening overrides featurewise_std_normalization: it is now False.",
                    stacklevel=3,
                )
        if self.featurewise_std_normalization and not self.featurewise_center:
            self.featurewise_center = True
            warnings.warn(
                "featurewise_std_normalization overrides featurewise_center: it is now True.",
                stacklevel=3,
            )
        if self.samplewise_std_normalization and not self.samplewise_center:
            self.samplewise_center = True
            warnings.warn(
                "samplewise_std_normalization overrides samplewise_center: it is now True.",
                stacklevel=3,
            )

    def flow(
        self,
        x: Any,
        y: Any = None,
        batch_size: int = 32,
        shuffle: bool = True,
        sample_weight: Any = None,
        seed: int | None = None,
        save_to_dir: str | None = None,
        save_prefix: str = "",
        save_format: str = "png",
        ignore_class_split: bool = False,
        subset: str | None = None,
    ) -> NumpyArrayIterator:
        """Batches of augmented images (and labels) from arrays.

        Args:
            x: images, a rank-4 array; or `(images, extra)` to batch `extra` arrays alongside.
            y: labels, or None to yield images only.
            batch_size: images per batch.
            shuffle: reshuffle every epoch.
            sample_weight: per-image weights, yielded third.
            seed: for reproducible shuffling and augmentation.
            save_to_dir: a folder to save the augmented images to, to look at them.
            save_prefix: the saved files' name prefix.
            save_format: "png" or "jpeg".
            ignore_class_split: allow a subset that misses some classes.
            subset: "training" or "validation" (with `validation_split`).

        Returns:
            A `NumpyArrayIterator` (a PyDataset, also endless under `next()`) of `(x, y)`,
            `(x, y, sample_weight)` or `x` batches.

        Example:
        >>> it = ImageDataGenerator(horizontal_flip=True).flow(x_train, y_train, batch_size=64)
        >>> x_batch, y_batch = it[0]
        """
        return NumpyArrayIterator(
            x,
            y,
            self,
            batch_size=batch_size,
            shuffle=shuffle,
            sample_weight=sample_weight,
            seed=seed,
            data_format=self.data_format,
            save_to_dir=save_to_dir,
            save_prefix=save_prefix,
            save_format=save_format,
            subset=subset,
            ignore_class_split=ignore_class_split,
            dtype=self.dtype,
        )

    def flow_from_directory(
        self,
        directory: Any,
        target_size: tuple[int, int] = (256, 256),
        color_mode: str = "rgb",
        classes: list[str] | None = None,
        class_mode: str | None = "categorical",
        batch_size: int = 32,
        shuffle: bool = True,
        seed: int | None = None,
        save_to_dir: str | None = None,
        save_prefix: str = "",
        save_format: str = "png",
        follow_links: bool = False,
        subset: str | None = None,
        interpolation: str = "nearest",
        keep_aspect_ratio: bool = False,
        on_error: str = "raise",
    ) -> DirectoryIterator:
        """Batches of augmented images read from a folder with one subfolder per class.

        Args:
            directory: the folder; each visible subfolder is a class (images found recursively).
            target_size: `(height, width)` every image is resized to.
            color_mode: "rgb", "rgba" or "grayscale".
            classes: class subfolder names, in label order (default: all, sorted).
            class_mode: "categorical" (one-hot), "binary" (0/1 floats, two classes),
                "sparse" (class indices), "input" (the images again, for autoencoders) or
                None (images only).
            batch_size: images per batch.
            shuffle: reshuffle every epoch (otherwise alphanumeric order, class by class).
            seed: for reproducible shuffling and augmentation.
            save_to_dir: a folder to save the augmented images to.
            save_prefix: the saved files' name prefix.
            save_format: "png" or "jpeg".
            follow_links: follow symbolic links to folders.
            subset: "training" or "validation" (with `validation_split`: the first fraction of
                each class's sorted files is the validation subset).
            interpolation: the resize filter (see `load_img`).
            keep_aspect_ratio: centre-crop to the target's aspect ratio before resizing.
            on_error: "raise" (default) stops at an unreadable image with a ValueError naming
                it; "skip" leaves such files out with a warning naming them (a lamina extension).

        Returns:
            A `DirectoryIterator` with `classes`, `class_indices`, `filenames` and `samples`.

        Example:
        >>> train = ImageDataGenerator(rescale=1 / 255).flow_from_directory(
        ...     "cats_and_dogs_small/train", target_size=(150, 150), batch_size=20,
        ...     class_mode="binary")
        Found 2000 images belonging to 2 classes.
        """
        return DirectoryIterator(
            directory,
            self,
            target_size=target_size,
            color_mode=color_mode,
            classes=classes,
            class_mode=class_mode,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            data_format=self.data_format,
            save_to_dir=save_to_dir,
            save_prefix=save_prefix,
            save_format=save_format,
            follow_links=follow_links,
            subset=subset,
            interpolation=interpolation,
            keep_aspect_ratio=keep_aspect_ratio,
            dtype=self.dtype,
            on_error=on_error,
        )

    def standardize(self, x: Any) -> np.ndarray:
        """Apply the normalization settings to one image or a batch of images.

        Args:
            x: an image (3D) or a batch (4D); it is not modified.

        Returns:
            The standardized array, in the generator's dtype.

        Example:
        >>> ImageDataGenerator(rescale=0.5).standardize(np.full((2, 2, 1), 4.0))[0, 0]
        array([2.], dtype=float32)
        """
        x = np.asarray(x)
        if self.preprocessing_function is not None:
            x = np.asarray(self.preprocessing_function(x))
        x = np.array(x, dtype=self.dtype, copy=True)
        if self.rescale:
            x *= self.rescale
        per_sample = tuple(range(x.ndim - 3, x.ndim))
        if self.samplewise_center:
            x -= np.mean(x, axis=per_sample, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, axis=per_sample, keepdims=True) + _EPS
        if self.featurewise_center:
            if self.mean is None:
                self._warn_not_fit("featurewise_center")
            else:
                x -= self.mean
        if self.featurewise_std_normalization:
            if self.std is None:
                self._warn_not_fit("featurewise_std_normalization")
            else:
                x /= self.std + _EPS
        if self.zca_whitening:
            if self.zca_whitening_matrix is None:
                self._warn_not_fit("zca_whitening")
            else:
                size = int(np.prod(x.shape[-3:]))
                x = (x.reshape(-1, size) @ self.zca_whitening_matrix).reshape(x.shape)
        return x

    @staticmethod
    def _warn_not_fit(option: str) -> None:
        warnings.warn(
            f"This ImageDataGenerator specifies {option}, but it has not been fit on any "
            "training data: call .fit(x_train) first.",
            stacklevel=3,
        )

    def get_random_transform(self, img_shape: tuple, seed: Any = None) -> dict:
        """Draw the random transform parameters for one image.

        Args:
            img_shape: the image's 3D shape.
            seed: an int, a `numpy.random.Generator`, or None (lamina's global generator).

        Returns:
            A dict with `theta`, `tx`, `ty`, `shear`, `zx`, `zy`, `flip_horizontal`,
            `flip_vertical`, `channel_shift_intensity` and `brightness` (see `apply_transform`).
        """
        if isinstance(seed, np.random.Generator):
            rng = seed
        elif seed is None:
            rng = global_rng()
        else:
            rng = np.random.default_rng(seed)
        h, w = img_shape[self.row_axis - 1], img_shape[self.col_axis - 1]
        theta = rng.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        tx = _draw_shift(rng, self.height_shift_range, h)
        ty = _draw_shift(rng, self.width_shift_range, w)
        shear = rng.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        lo, hi = self.zoom_range
        zx, zy = (1.0, 1.0) if lo == 1 and hi == 1 else (float(v) for v in rng.uniform(lo, hi, 2))
        flip_h = bool(self.horizontal_flip and rng.random() < 0.5)
        flip_v = bool(self.vertical_flip and rng.random() < 0.5)
        shift = self.channel_shift_range
        brightness = None
        if self.brightness_range is not None:
            brightness = rng.uniform(self.brightness_range[0], self.brightness_range[1])
        return {
            "theta": float(theta),
            "tx": tx,
            "ty": ty,
            "shear": float(shear),
            "zx": zx,
            "zy": zy,
            "flip_horizontal": flip_h,
            "flip_vertical": flip_v,
            "channel_shift_intensity": float(rng.uniform(-shift, shift)) if shift else None,
            "brightness": None if brightness is None else float(brightness),
        }

    def apply_transform(self, x: Any, transform_parameters: dict) -> np.ndarray:
        """Apply given transform parameters to one 3D image.

        Args:
            x: the image.
            transform_parameters: a dict as from `get_random_transform`; missing keys mean no
                change. `theta` and `shear` are degrees; output row r shows input row r + `tx`
                and column c input column c + `ty`; `zx`, `zy` above 1 zoom out.

        Returns:
            The transformed image.

        Example:
        >>> gen = ImageDataGenerator()
        >>> gen.apply_transform(np.arange(4.0).reshape(1, 4, 1), {"flip_horizontal": True})[..., 0]
        array([[3., 2., 1., 0.]])
        """
        p = transform_parameters
        row, col, ch = self.row_axis - 1, self.col_axis - 1, self.channel_axis - 1
        x = apply_affine_transform(
            np.asarray(x),
            p.get("theta", 0),
            p.get("tx", 0),
            p.get("ty", 0),
            p.get("shear", 0),
            p.get("zx", 1),
            p.get("zy", 1),
            row_axis=row,
            col_axis=col,
            channel_axis=ch,
            fill_mode=self.fill_mode,
            cval=self.cval,
            order=self.interpolation_order,
        )
        if p.get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, p["channel_shift_intensity"], ch)
        if p.get("flip_horizontal", False):
            x = flip_axis(x, col)
        if p.get("flip_vertical", False):
            x = flip_axis(x, row)
        if p.get("brightness") is not None:
            x = apply_brightness_shift(x, p["brightness"])
        return x

    def random_transform(self, x: Any, seed: Any = None) -> np.ndarray:
        """Apply a randomly drawn transform to one 3D image (see `get_random_transform`)."""
        x = np.asarray(x)
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def fit(self, x: Any, augment: bool = False, rounds: int = 1, seed: int | None = None) -> None:
        """Compute the featurewise statistics (mean, std, ZCA matrix) of sample images.

        Args:
            x: images, a rank-4 array (e.g. the training set or a sample of it).
            augment: compute the statistics over randomly augmented copies.
            rounds: how many augmented copies of each image, with `augment`.
            seed: for reproducible augmentation.

        Example:
        >>> datagen = ImageDataGenerator(featurewise_center=True)
        >>> datagen.fit(x_train)
        >>> datagen.mean.shape
        (1, 1, 3)
        """
        x = np.array(x, dtype=self.dtype, copy=True)
        if x.ndim != 4:
            raise ValueError(
                "ImageDataGenerator.fit: expected a rank-4 array of images. "
                f"Received: x with shape {x.shape}"
            )
        if self.rescale:
            x *= self.rescale
        if augment:
            rng = np.random.default_rng(seed) if seed is not None else global_rng()
            rounds = max(1, int(rounds))
            x = np.stack([self.random_transform(img, rng) for _ in range(rounds) for img in x])
        axes = (0, self.row_axis, self.col_axis)
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.mean(x, axis=axes).reshape(shape).astype(self.dtype)
            x = x - self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=axes).reshape(shape).astype(self.dtype)
            x = x / (self.std + _EPS)
        if self.zca_whitening:
            flat = x.reshape(len(x), -1).astype(np.float64)
            eigval, eigvec = np.linalg.eigh(flat.T @ flat / len(flat))
            scale = 1.0 / np.sqrt(np.clip(eigval, 0, None) + self.zca_epsilon)
            self.zca_whitening_matrix = ((eigvec * scale) @ eigvec.T).astype(self.dtype)
