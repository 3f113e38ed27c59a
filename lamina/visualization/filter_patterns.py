"""filter_patterns: the input each filter of a layer responds to most, by gradient ascent."""

import os
from typing import Any

import numpy as np

from lamina import ops
from lamina.backend.random import global_rng
from lamina.gradient_tape import GradientTape
from lamina.utils.plotting import new_figure, save_png
from lamina.visualization.images import (
    find_layer,
    for_display,
    inner_model,
    layer_output,
    model_input,
    tile,
)

# Each ascent step moves the image by this much per value (root mean square); 40 steps then
# travel about as far as the book's steps of 10 along the unit gradient on 200x200x3 images.
STEP_SIZE = 0.03
BORDER = 2  # the loss leaves out this many pixels at each edge, as the book does


def filter_patterns(
    model: Any,
    layer_name: str,
    filters: int | list[int] | None = None,
    size: int | tuple[int, int] | None = None,
    steps: int = 40,
    to_file: str | os.PathLike | None = None,
) -> np.ndarray:
    """The input pattern that each chosen filter of a layer responds to most.

    As the book's section 5.4: starting from grey noise (uniform in [0.4, 0.6], from lamina's
    global random generator, so `lamina.utils.set_random_seed` makes it repeatable), each
    pattern climbs the gradient of its filter's mean activation (borders left out) with
    respect to the input, taken with `GradientTape.watch`; the gradient is scaled to a root
    mean square of `STEP_SIZE` per value at each step. All filters climb together, one image
    each in one batch.

    Args:
        model: a built model with one image input (Sequential or functional).
        layer_name: the layer whose filters to show; its output must be a channels-last
            feature map (rank 4).
        filters: the filter indices (an int for one filter); by default all the layer's.
        size: the pattern's `(height, width)` (an int for a square); by default the model's
            input size, which must then be fixed.
        steps: the number of gradient-ascent steps (0 returns the starting noise).
        to_file: a PNG file to write the patterns to as a grid, each contrast-stretched as
            in the book; needs matplotlib (`pip install lamina[viz]`).

    Returns:
        The patterns in the model's input space, float32 of shape
        `(len(filters), height, width, input_channels)`.

    Raises:
        ValueError: a bad layer name, filter index, size or step count.

    Example:
    >>> patterns = lamina.visualization.filter_patterns(model, "conv2d_1", filters=range(16))
    >>> patterns.shape
    (16, 28, 28, 1)
    """
    layer = find_layer(model, layer_name, "filter_patterns")
    output = layer_output(model, layer)
    output_shape = tuple(output.shape)
    if len(output_shape) != 4 or getattr(layer, "data_format", None) == "channels_first":
        raise ValueError(
            "filter_patterns expects a layer whose output is a channels-last feature map "
            f"(batch, height, width, filters). Received: layer_name={layer_name!r} with output "
            f"shape {output_shape}"
        )
    chosen = _filters(filters, output_shape[-1])
    height, width, channels = _pattern_shape(model, size)
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"Expected steps to be an int >= 0. Received: steps={steps!r}")
    extractor = inner_model(model, output)
    x = global_rng().uniform(0.4, 0.6, (len(chosen), height, width, channels)).astype("float32")
    weights = None
    for _ in range(steps):
        image = ops.convert_to_tensor(x)
        with GradientTape() as tape:
            tape.watch(image)
            maps = extractor(image)
            if weights is None:
                weights = _loss_weights(tuple(maps.shape), chosen)
            loss = ops.sum(maps * weights)
        grad = np.asarray(tape.gradient(loss, image).numpy(), dtype="float64")
        rms = np.sqrt(np.mean(grad**2, axis=(1, 2, 3), keepdims=True))
        x += (STEP_SIZE * grad / np.maximum(rms, 1e-12)).astype("float32")
    if to_file is not None:
        _draw(x, to_file)
    return x


def _filters(filters: Any, count: int) -> list[int]:
    chosen = list(range(count)) if filters is None else filters
    chosen = [chosen] if isinstance(chosen, int) else list(chosen)
    bad = [f for f in chosen if not isinstance(f, int | np.integer) or not 0 <= f < count]
    if bad or not chosen:
        raise ValueError(
            f"Expected filter indices in [0, {count}) for a layer of {count} filters. "
            f"Received: filters={filters!r}"
        )
    return [int(f) for f in chosen]


def _pattern_shape(model: Any, size: Any) -> tuple[int, int, int]:
    shape = tuple(model_input(model).shape)
    if len(shape) != 4 or shape[-1] is None:
        raise ValueError(
            "filter_patterns expects a model whose input is a batch of channels-last images "
            f"(batch, height, width, channels). Received: a model with input shape {shape}"
        )
    if size is None:
        size = shape[1:3]
    elif isinstance(size, int):
        size = (size, size)
    size = tuple(size)
    fixed = [s for s in shape[1:3] if s is not None]
    valid = len(size) == 2 and all(isinstance(s, int) and s > 0 for s in size)
    if not valid or any(e is not None and e != s for e, s in zip(shape[1:3], size, strict=True)):
        need = "the model's input size" if fixed else "a (height, width) of positive ints"
        raise ValueError(
            f"Expected size to be {need} (model input shape {shape}). Received: size={size!r}"
        )
    return size[0], size[1], shape[-1]


def _loss_weights(map_shape: tuple, chosen: list[int]) -> np.ndarray:
    """Weights that make `sum(maps * weights)` the sum over images k of the mean of filter
    `chosen[k]` in image k, away from the borders."""
    n, height, width, count = map_shape
    border = BORDER if min(height, width) > 2 * BORDER else 0
    weights = np.zeros((n, height, width, count), dtype="float32")
    inner = (slice(border, height - border), slice(border, width - border))
    for k, f in enumerate(chosen):
        weights[(k, *inner, f)] = 1.0 / ((height - 2 * border) * (width - 2 * border))
    return weights


def _draw(patterns: np.ndarray, to_file: str | os.PathLike) -> None:
    images = np.stack([for_display(p) for p in patterns])
    if images.shape[-1] == 3:
        cmap = None
    else:
        images, cmap = images.mean(axis=-1).astype("uint8"), "gray"
    grid = tile(images, columns=8, margin=max(1, images.shape[1] // 10), fill=255)
    figure = new_figure(12.0, 12.0 * grid.shape[0] / grid.shape[1])
    axes = figure.add_axes((0, 0, 1, 1))
    axes.imshow(grid, cmap=cmap, interpolation="nearest", vmin=0, vmax=255)
    axes.axis("off")
    save_png(figure, to_file)
