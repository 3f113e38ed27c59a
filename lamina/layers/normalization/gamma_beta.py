"""The learned scale `gamma` and offset `beta` of the normalization layers."""

from typing import Any

from lamina import ops
from lamina.layers.layer import Layer
from lamina.layers.weight_arguments import add_weight_of


def add_gamma_beta(layer: Layer, shape: tuple, scale: bool, center: bool) -> None:
    """Set `layer.gamma` (when `scale`) and `layer.beta` (when `center`) to new weights of
    `shape` made with the layer's gamma_* and beta_* arguments; None otherwise."""
    layer.gamma = add_weight_of(layer, "gamma", shape) if scale else None
    layer.beta = add_weight_of(layer, "beta", shape) if center else None


def scale_and_shift(layer: Layer, outputs: Any, shape: tuple) -> Any:
    """`outputs * gamma + beta`, each weight reshaped to `shape` and skipped when absent."""
    if layer.gamma is not None:
        outputs = outputs * ops.reshape(layer.gamma, shape)
    if layer.beta is not None:
        outputs = outputs + ops.reshape(layer.beta, shape)
    return outputs
