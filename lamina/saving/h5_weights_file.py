"""Writing Keras 3's weights format (`.weights.h5`), which Keras and lamina both read.

The layout is Keras 3's (`keras/src/saving/saving_lib.py`): each layer of the model has a
group `layers/<key>/vars` holding its variables as datasets `0`, `1`, ... (trainable ones
first), with the layer's name in the attribute `name`; `<key>` is the snake-case class name,
numbered by position among layers of that class (`dense`, `dense_1`, ...). A nested model has
its own `layers/` inside its group; a model's own variables sit in `vars/`. lamina reads the
file back with its Keras importer (`lamina.saving.load_keras_h5_weights`).
"""

import os
from typing import IO, Any

from lamina.backend import to_numpy
from lamina.naming import to_snake_case
from lamina.saving.atomic import atomic_write
from lamina.saving.keras_import.h5_reader import require_h5py
from lamina.saving.keras_import.h5_weights import KerasEntry, keras_entries, own_weights

H5_SUFFIX = ".weights.h5"


def save_h5_weights(model: Any, path: str | os.PathLike) -> None:
    """Write the weights of a built `model` to a Keras 3 `.weights.h5` file, atomically.

    Raises:
        ImportError: when h5py is not installed (the message says how to install it).
        ValueError: for a layer whose sublayers hold weights (Keras stores those under
            attribute names lamina cannot reproduce): save a `.weights.safetensors` file.
    """
    h5py = require_h5py("Writing .weights.h5 files")
    groups: list[tuple[str, str, list]] = []  # (vars group path, layer name, variables)
    _collect(model, keras_entries(model), "", groups)

    def write(f: IO[bytes]) -> None:
        with h5py.File(f, "w") as h5:
            for path_, name, variables in groups:
                group = h5.create_group(path_)
                group.attrs["name"] = name
                for i, v in enumerate(variables):
                    group.create_dataset(str(i), data=to_numpy(v.data))

    atomic_write(path, write)


def _collect(model: Any, entries: list[KerasEntry], prefix: str, out: list) -> None:
    own = own_weights(model)
    if own:
        out.append((f"{prefix}vars", model.name, own))
    counts: dict[str, int] = {}
    for entry in entries:
        base = to_snake_case(entry.class_name)
        n = counts.get(base, 0)
        counts[base] = n + 1
        group = f"{prefix}layers/{base if n == 0 else f'{base}_{n}'}/"
        layer = entry.layer
        if entry.children is not None:
            _collect(layer, entry.children, group, out)
            continue
        if any(sub.weights for sub in layer._sublayers):
            raise ValueError(
                f"Layer {layer.name!r} ({entry.class_name}) holds layers with weights, which "
                "the .weights.h5 layout stores under Python attribute names; save to a "
                "'.weights.safetensors' file instead. Received: a layer with sublayers "
                f"{[sub.name for sub in layer._sublayers]}"
            )
        variables = own_weights(layer)
        if variables:
            out.append((f"{group}vars", layer.name, variables))
