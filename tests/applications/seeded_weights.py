"""Weights computed from a layer's position, shared by Keras (the generator) and the tests.

Instead of a weight file of tens of MB, both sides fill a model with the same values: weight
`j` of the `i`-th layer in Keras's order comes from a generator seeded by `(i, j)`. Kernels
get He's scale (depthwise kernels count 9 inputs), vectors values in [0.5, 1.5], so batch
norm variances stay positive and the outputs still depend on the images.
"""

import numpy as np


def seeded_value(layer_index: int, weight_index: int, shape: tuple) -> np.ndarray:
    rng = np.random.default_rng((layer_index, weight_index))
    if len(shape) == 1:
        return rng.uniform(0.5, 1.5, shape).astype("float32")
    depthwise = len(shape) == 4 and shape[-1] == 1
    fan_in = int(np.prod(shape[:2] if depthwise else shape[:-1]))
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape).astype("float32")


def seeded_weights(layers: list) -> list[list[np.ndarray]]:
    """The values for each layer of `layers` (in Keras's order), as `set_weights` takes."""
    return [
        [seeded_value(i, j, tuple(w.shape)) for j, w in enumerate(layer.get_weights())]
        for i, layer in enumerate(layers)
    ]


def seeded_images(size: int) -> np.ndarray:
    """Two images of `size` x `size` pixels in [-1, 1]."""
    return np.random.default_rng(size).uniform(-1, 1, (2, size, size, 3)).astype("float32")
