"""What convnets learn, as the book's section 5.4 shows it: layer activations, filter patterns
and class activation heatmaps (Grad-CAM). Each returns NumPy arrays and writes a PNG when given
`to_file` (which needs matplotlib: `pip install lamina[viz]`)."""

from lamina.visualization.activations import layer_activations
from lamina.visualization.filter_patterns import filter_patterns
from lamina.visualization.grad_cam import grad_cam

__all__ = ["filter_patterns", "grad_cam", "layer_activations"]
