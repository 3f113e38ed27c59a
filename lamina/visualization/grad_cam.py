"""grad_cam: where in the image a convolution layer saw the evidence for a class."""

import os
from typing import Any

import numpy as np

from lamina import ops
from lamina.gradient_tape import GradientTape
from lamina.utils.plotting import new_figure, save_png
from lamina.visualization.images import (
    channels_last,
    find_layer,
    inner_model,
    layer_output,
    one_image,
    resize_bilinear,
)


def grad_cam(
    model: Any,
    image: Any,
    layer_name: str,
    class_index: int | None = None,
    to_file: str | os.PathLike | None = None,
) -> np.ndarray:
    """The class activation heatmap (Grad-CAM) of one image at a convolution layer.

    As the book's section 5.4: the gradient of the class's output with respect to the layer's
    feature maps is averaged per channel; the maps weighted by those averages are summed,
    negative values are set to 0, the result is divided by its maximum and resized
    (bilinearly) to the image's height and width.

    Args:
        model: a built model with one input and one output of class scores,
            `(batch, classes)` (Sequential or functional).
        image: one input, shaped as the model's input without the batch axis (or a batch of
            one).
        layer_name: the layer whose feature maps to weigh, usually the last convolution.
        class_index: the class to explain; by default the one the model scores highest.
        to_file: a PNG file to write the heatmap to, laid over the image in the book's "jet"
            colours; needs matplotlib (`pip install lamina[viz]`).

    Returns:
        A float32 array of the image's `(height, width)` with values in [0, 1] (all zeros
        when nothing in the layer speaks for the class).

    Raises:
        ValueError: the image does not fit the model, the layer or the class index is not
            one of the model's, or the model does not output one vector of scores.

    Example:
    >>> heatmap = lamina.visualization.grad_cam(model, x_test[0], "conv2d_2")
    >>> heatmap.shape, float(heatmap.max())
    ((28, 28), 0.96)
    """
    x = one_image(image, model)
    layer = find_layer(model, layer_name, "grad_cam")
    feature_maps = layer_output(model, layer)
    if len(feature_maps.shape) != 4:
        raise ValueError(
            "grad_cam expects a layer whose output is a feature map (batch, height, width, "
            f"channels). Received: layer_name={layer_name!r} with output shape "
            f"{tuple(feature_maps.shape)}"
        )
    if len(model.outputs) != 1 or len(model.outputs[0].shape) != 2:
        raise ValueError(
            "grad_cam expects a model with one output of class scores, (batch, classes). "
            f"Received: model {model.name!r} with output shapes "
            f"{[tuple(o.shape) for o in model.outputs]}"
        )
    image_tensor = ops.convert_to_tensor(x)
    with GradientTape() as tape:
        # Watching the input makes the maps recorded even when no weight before them trains.
        tape.watch(image_tensor)
        maps, scores = inner_model(model, [feature_maps, model.outputs[0]])(image_tensor)
        index = _class_index(class_index, np.asarray(scores.numpy())[0])
        one_hot = np.zeros(tuple(scores.shape), dtype="float32")
        one_hot[0, index] = 1.0
        score = ops.sum(scores * one_hot)
    grads = channels_last(layer, np.asarray(tape.gradient(score, maps).numpy(), "float64"))
    maps_last = channels_last(layer, np.asarray(maps.numpy(), "float64"))
    heatmap = np.maximum(maps_last[0] @ grads[0].mean(axis=(0, 1)), 0)
    if heatmap.max() > 0:
        heatmap = heatmap / heatmap.max()
    rows, cols = (1, 2) if getattr(layer, "data_format", None) != "channels_first" else (2, 3)
    heatmap = np.clip(resize_bilinear(heatmap, x.shape[rows], x.shape[cols]), 0, 1)
    heatmap = heatmap.astype("float32")
    if to_file is not None:
        _draw(x[0] if rows == 1 else np.moveaxis(x[0], 0, -1), heatmap, to_file)
    return heatmap


def _class_index(class_index: Any, scores: np.ndarray) -> int:
    if class_index is None:
        return int(np.argmax(scores))
    valid = isinstance(class_index, int | np.integer) and not isinstance(class_index, bool)
    if not valid or not 0 <= class_index < scores.shape[0]:
        raise ValueError(
            f"Expected class_index to be an int in [0, {scores.shape[0]}) for a model of "
            f"{scores.shape[0]} classes. Received: class_index={class_index!r}"
        )
    return int(class_index)


def _draw(image: np.ndarray, heatmap: np.ndarray, to_file: str | os.PathLike) -> None:
    span = image.max() - image.min()
    shown = (image - image.min()) / span if span > 0 else np.zeros_like(image)
    if shown.shape[-1] != 3:
        shown = shown.mean(axis=-1)
    height, width = heatmap.shape
    figure = new_figure(6.0, 6.0 * height / width)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.imshow(shown, cmap="gray" if shown.ndim == 2 else None, vmin=0, vmax=1)
    axes.imshow(heatmap, cmap="jet", alpha=0.4, vmin=0, vmax=1)
    axes.axis("off")
    save_png(figure, to_file)
