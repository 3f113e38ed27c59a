"""Array helpers from Keras's `utils`: to_categorical and normalize."""

from typing import Any

import numpy as np


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer class ids into a float32 NumPy array.

    Args:
        x: integer class ids, of any shape.
        num_classes: the number of classes (default: `max(x) + 1`).

    Example:
    >>> lamina.utils.to_categorical([0, 2], 3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    y = np.asarray(x)
    if y.dtype.kind == "f" and not np.all(y == np.floor(y)):
        raise ValueError("to_categorical expects integer class ids. Received: non-integer values")
    y = y.astype(np.int64)
    if y.ndim and y.shape[-1] == 1 and y.ndim > 1:
        y = y.reshape(y.shape[:-1])
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"to_categorical: class ids must lie in [0, {num_classes}). "
            f"Received: values from {y.min()} to {y.max()}"
        )
    out = np.zeros((*y.shape, num_classes), dtype=np.float32)
    np.put_along_axis(out, y[..., None], 1.0, axis=-1)
    return out


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """Scale `x` to unit `order`-norm along `axis`."""
    x = np.asarray(x, dtype=float)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)
