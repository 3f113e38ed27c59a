"""Models: Model (functional and subclassed) and Sequential."""

from typing import Any

from lamina.layers.serialization import register_builtin_classes
from lamina.models.cloning import clone_model
from lamina.models.functional import Functional
from lamina.models.model import Model
from lamina.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json"]

register_builtin_classes("lamina.models", [Functional, Model, Sequential])


def __getattr__(name: str) -> Any:
    """`load_model` and `model_from_json`, which live in `lamina.saving`."""
    if name in ("load_model", "model_from_json"):
        # saving stands above models: it rebuilds them.
        from lamina.saving import model_file

        return getattr(model_file, name)
    raise AttributeError(f"module 'lamina.models' has no attribute {name!r}")
