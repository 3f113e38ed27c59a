"""Image preprocessing with Keras 2's `keras.preprocessing.image` names.

Example:
>>> from lamina.preprocessing.image import ImageDataGenerator
>>> from lamina.preprocessing import image
>>> x = image.img_to_array(image.load_img("cat.jpg", target_size=(150, 150)))
"""

from lamina.preprocessing.image.affine import (
    apply_affine_transform,
    apply_brightness_shift,
    apply_channel_shift,
    flip_axis,
    random_brightness,
    random_channel_shift,
    random_rotation,
    random_shear,
    random_shift,
    random_zoom,
)
from lamina.preprocessing.image.generator import ImageDataGenerator
from lamina.preprocessing.image.iterators import DirectoryIterator, Iterator, NumpyArrayIterator
from lamina.utils.image_utils import array_to_img, img_to_array, load_img, save_img

__all__ = [
    "DirectoryIterator",
    "ImageDataGenerator",
    "Iterator",
    "NumpyArrayIterator",
    "apply_affine_transform",
    "apply_brightness_shift",
    "apply_channel_shift",
    "array_to_img",
    "flip_axis",
    "img_to_array",
    "load_img",
    "random_brightness",
    "random_channel_shift",
    "random_rotation",
    "random_shear",
    "random_shift",
    "random_zoom",
    "save_img",
]
