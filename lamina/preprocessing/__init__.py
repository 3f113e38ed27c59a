"""Preprocessing with the Keras 2 module names the book imports: image, text, sequence."""
