"""Datasets with Keras's `load_data()` signatures."""

from lamina.datasets import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
