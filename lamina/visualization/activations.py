"""layer_activations: what each layer of a convnet outputs for one image, channel by channel."""

import os
from typing import Any

import numpy as np

from lamina import tree
from lamina.utils.plotting import new_figure, save_png
from lamina.visualization.images import (
    channels_last,
    find_layer,
    for_display,
    inner_model,
    layer_output,
    one_image,
    tile,
)

IMAGES_PER_ROW = 16


def layer_activations(
    model: Any,
    image: Any,
    layer_names: list[str] | None = None,
    to_file: str | os.PathLike | None = None,
) -> dict[str, np.ndarray]:
    """The feature maps of the model's layers for one image, each laid out as a grid of channels.

    As the book's section 5.4: a functional model maps `model.input` to the chosen layers'
    outputs (a Sequential or a functional model alike); each channel of a layer's output is
    contrast-stretched to 0-255 (a channel that stays constant is black) and the channels are
    tiled 16 to a row, one pixel apart.

    Args:
        model: a built model with one input (Sequential or functional).
        image: one input, shaped as the model's input without the batch axis (or a batch of
            one).
        layer_names: the layers to show; by default every layer whose output is a feature
            map (rank 4: batch, height, width, channels).
        to_file: a PNG file to write the grids to, one panel per layer (viridis colours, as
            in the book); needs matplotlib (`pip install lamina[viz]`).

    Returns:
        A dict from layer name to its grid, a uint8 array of shape
        `(rows * (height + 1) - 1, columns * (width + 1) - 1)`.

    Raises:
        ValueError: the image does not fit the model, a name is not a layer, or a named
            layer's output is not a feature map.

    Example:
    >>> grids = lamina.visualization.layer_activations(model, x_test[0], to_file="acts.png")
    >>> grids["conv2d"].shape
    (55, 271)
    """
    x = one_image(image, model)
    layers = _chosen_layers(model, layer_names)
    outputs = tree.flatten(inner_model(model, [output for _, output in layers])(x))
    grids = {}
    for (layer, _), output in zip(layers, outputs, strict=True):
        maps = channels_last(layer, np.asarray(output.numpy()))[0]
        channels = np.stack([for_display(maps[..., c]) for c in range(maps.shape[-1])])
        grids[layer.name] = tile(channels, IMAGES_PER_ROW, margin=1)
    if to_file is not None:
        _draw(grids, to_file)
    return grids


def _chosen_layers(model: Any, layer_names: list[str] | None) -> list[tuple[Any, Any]]:
    """The chosen layers, each with its symbolic output in `model`."""
    if layer_names is None:
        chosen = [
            (layer, layer_output(model, layer))
            for layer in model.layers
            if type(layer).__name__ != "InputLayer"
        ]
        chosen = [(layer, output) for layer, output in chosen if len(output.shape) == 4]
        if not chosen:
            raise ValueError(
                f"layer_activations found no layer with feature maps (rank-4 outputs) in model "
                f"{model.name!r}. Received: layers {[layer.name for layer in model.layers]}"
            )
        return chosen
    if isinstance(layer_names, str):
        layer_names = [layer_names]
    chosen = []
    for name in layer_names:
        layer = find_layer(model, name, "layer_activations")
        output = layer_output(model, layer)
        if len(output.shape) != 4:
            raise ValueError(
                "layer_activations shows feature maps: layers whose output has rank 4 (batch, "
                f"height, width, channels). Received: layer_names containing {name!r}, whose "
                f"output has shape {tuple(output.shape)}"
            )
        chosen.append((layer, output))
    return chosen


def _draw(grids: dict[str, np.ndarray], to_file: str | os.PathLike) -> None:
    width = 12.0
    ratios = [grid.shape[0] / grid.shape[1] for grid in grids.values()]
    figure = new_figure(width, sum(width * r + 0.4 for r in ratios))
    panels = figure.add_gridspec(len(grids), 1, height_ratios=ratios)
    for i, (name, grid) in enumerate(grids.items()):
        axes = figure.add_subplot(panels[i])
        axes.imshow(grid, cmap="viridis", aspect="equal", interpolation="nearest")
        axes.set_title(name)
        axes.axis("off")
    save_png(figure, to_file)
