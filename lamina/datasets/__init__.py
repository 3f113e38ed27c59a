"""Datasets with Keras's `load_data()` signatures."""

from lamina.datasets import (
    boston_housing,
    cifar10,
    fashion_mnist,
    imdb,
    jena_climate,
    mnist,
    reuters,
)

__all__ = [
    "boston_housing",
    "cifar10",
    "fashion_mnist",
    "imdb",
    "jena_climate",
    "mnist",
    "reuters",
]
