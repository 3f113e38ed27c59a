"""What the three visualizations share: checking the one input image, models that expose inner
layers, the book's contrast stretch for display, tiling images into a grid, resizing a map."""

from typing import Any

import numpy as np

from lamina.models import Model


def one_image(image: Any, model: Any) -> np.ndarray:
    """`image` as a float32 batch of one, `(1, *model_input_shape)`.

    Raises:
        ValueError: the image's shape does not match the model's input.
    """
    x = np.asarray(image, dtype="float32")
    expected = tuple(model_input(model).shape[1:])
    if x.ndim == len(expected):
        x = x[None]
    fits = x.ndim == len(expected) + 1 and x.shape[0] == 1
    fits = fits and all(e is None or e == s for e, s in zip(expected, x.shape[1:], strict=True))
    if not fits:
        raise ValueError(
            f"Expected one image of shape {expected} (or a batch of one, (1, ...)) for model "
            f"{model.name!r}. Received: image with shape {np.shape(image)}"
        )
    return x


def model_input(model: Any) -> Any:
    """The model's single symbolic input.

    Raises:
        ValueError: the model has no defined input yet, or several inputs.
    """
    try:
        inputs = model.inputs
    except ValueError:
        inputs = []
    if len(inputs) != 1:
        raise ValueError(
            f"Expected a model with one defined input (start it with lamina.Input(shape) or "
            f"call build). Received: model {model.name!r} with {len(inputs)} inputs"
        )
    return inputs[0]


def inner_model(model: Any, outputs: Any) -> Model:
    """A functional model from `model`'s input to a symbolic layer output or a list of them."""
    return Model(model_input(model), outputs)


def layer_output(model: Any, layer: Any) -> Any:
    """The layer's symbolic output in `model`'s graph: a layer shared by several models has one
    output per call, and `layer.output` is only the first call's."""
    source = model_input(model).node
    for node in layer._inbound_nodes:
        seen, pending = set(), [node]
        while pending:
            current = pending.pop()
            if current is source:
                return node.output_value
            if id(current) not in seen:
                seen.add(id(current))
                pending += current.parents
    return layer.output


def find_layer(model: Any, layer_name: Any, function: str) -> Any:
    """`model.get_layer(layer_name)`, with an error that names `function` when it is missing."""
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(
            f"{function} expects the name of one of the layers of model {model.name!r}: "
            f"{names}. Received: layer_name={layer_name!r}"
        )
    return model.get_layer(layer_name)


def channels_last(layer: Any, x: np.ndarray) -> np.ndarray:
    """A rank-4 feature map of `layer` with its channels on the last axis."""
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return np.moveaxis(x, 1, -1)
    return x


def for_display(x: np.ndarray) -> np.ndarray:
    """The book's contrast stretch to uint8: centred, 64 grey levels per standard deviation
    around mid-grey, clipped to 0-255; a constant image (a dead channel) is black."""
    x = np.asarray(x, dtype="float64")
    std = x.std()
    if not std > 0:
        return np.zeros(x.shape, dtype="uint8")
    return np.clip((x - x.mean()) / std * 64 + 128, 0, 255).astype("uint8")


def tile(images: np.ndarray, columns: int, margin: int = 0, fill: float = 0) -> np.ndarray:
    """Lay `(n, h, w, ...)` images out in rows of `columns`, separated by `margin` pixels."""
    n, h, w = images.shape[:3]
    rows = -(-n // columns)
    columns = min(columns, n)
    shape = (rows * h + (rows - 1) * margin, columns * w + (columns - 1) * margin)
    grid = np.full(shape + images.shape[3:], fill, dtype=images.dtype)
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        top, left = r * (h + margin), c * (w + margin)
        grid[top : top + h, left : left + w] = img
    return grid


def resize_bilinear(x: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a 2-D map bilinearly with half-pixel centres (edge values held at the borders)."""
    return _axis_matrix(x.shape[0], height) @ x @ _axis_matrix(x.shape[1], width).T


def _axis_matrix(n: int, m: int) -> np.ndarray:
    """The `(m, n)` matrix that resamples an axis of `n` samples to `m`."""
    positions = (np.arange(m) + 0.5) * (n / m) - 0.5
    return np.stack([np.interp(positions, np.arange(n), e) for e in np.eye(n)], axis=1)
