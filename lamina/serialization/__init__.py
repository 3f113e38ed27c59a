"""Objects to and from JSON-safe configs, below every layer, model and file format.

`families` holds the name registries of losses, metrics, optimizers and the other families;
`object_registry` the users' classes and functions known by name; `values` the markers that
carry tuples, slices and arrays through JSON. Layers and models build their configs on these;
`lamina.saving` writes them to files.
"""

from lamina.serialization.families import Registry, deserialize, get, serialize

__all__ = ["Registry", "deserialize", "get", "serialize"]
