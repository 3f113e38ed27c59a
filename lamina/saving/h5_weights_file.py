"""Writing Keras 3's weights format (`.weights.h5`), which Keras and lamina both read.

The layout is Keras 3's (see `lamina.saving.keras_layout`): each layer the model reaches has
a group `<path>/vars` holding its own variables as datasets `0`, `1`, ... (trainable ones
first), with the layer's name in the attribute `name`; the model's own group is `vars`. The
layers of a Sequential or functional model sit under `layers/<class>` (`dense`, `dense_1`,
...), a custom layer's sublayers under their attribute names (`layers/block/proj`). lamina
reads the file back with its Keras importer (`lamina.saving.load_keras_h5_weights`).
"""

import os
from typing import IO, Any

from lamina.backend import to_numpy
from lamina.io.atomic import atomic_write
from lamina.saving.keras_import.h5_reader import require_h5py
from lamina.saving.keras_layout import keras_slots

H5_SUFFIX = ".weights.h5"


def save_h5_weights(model: Any, path: str | os.PathLike) -> None:
    """Write the weights of a built `model` to a Keras 3 `.weights.h5` file, atomically.

    As Keras, every layer gets its `vars` group, an empty one when it has no weights. The
    optimizer's state is not written.

    Raises:
        ImportError: when h5py is not installed (the message says how to install it).
        ValueError: for a layer held in an attribute named `vars`, the name of the group
            that holds a layer's variables.
    """
    h5py = require_h5py("Writing .weights.h5 files")
    slots = keras_slots(model)
    for slot in slots:
        if "vars" in slot.path.split("/"):
            raise ValueError(
                f"Layer {slot.layer.name!r} is held in an attribute named 'vars', which "
                "clashes with the group where a .weights.h5 file keeps a layer's variables: "
                f"rename the attribute. Received: a layer at {slot.path!r}"
            )

    def write(f: IO[bytes]) -> None:
        with h5py.File(f, "w") as h5:
            for slot in slots:
                group = h5.create_group(f"{slot.path}/vars" if slot.path else "vars")
                group.attrs["name"] = slot.layer.name
                for i, v in enumerate(slot.variables):
                    group.create_dataset(str(i), data=to_numpy(v.data))

    atomic_write(path, write)
