"""`ModelFileError`, by the import path the saving code and callbacks use."""

from lamina.serialization.errors import ModelFileError

__all__ = ["ModelFileError"]
