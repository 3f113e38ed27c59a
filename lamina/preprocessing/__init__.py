"""Preprocessing with the Keras 2 module names the book imports: image, text, sequence."""

from lamina.preprocessing import image, sequence, text

__all__ = ["image", "sequence", "text"]
