"""A model's weights as named arrays, grouped by the layer holding them: the weight store.

Each weight is named `layers/<layer name>/vars/<i>`: `<layer name>` is a direct sublayer of the
model (a nested model counts as one layer) and `<i>` indexes that layer's `weights`; the
model's own weights, if any, are `vars/<i>`. Weights files, model files and backups all hold
their weights this way (`lamina.saving.weights_file` chooses the file format;
`BackupAndRestore` writes the same arrays with its training state). Every check runs before
any weight changes, so a failed assignment leaves the model as it was.
"""

import json
import warnings
from typing import Any

import numpy as np

from lamina.backend import get_xp, to_numpy
from lamina.io import safetensors_io
from lamina.serialization.errors import ModelFileError

WEIGHTS_SUFFIX = ".weights.safetensors"
FORMAT = "lamina.weights"
VERSION = 1
OWN_GROUP = "vars"
OPTIMIZER_PREFIX = "optimizer/"


# ----- groups of weights ----------------------------------------------------------------------


def weight_groups(model: Any) -> list[tuple[str, list]]:
    """The model's weights grouped by the layer holding them, in the order of `model.weights`.

    Returns:
        `(group, variables)` for the model's own weights (`"vars"`) and each direct sublayer
        (`"layers/<name>"`), leaving out groups without weights. A variable shared by two
        layers belongs to the first.

    Raises:
        ValueError: when two sublayers with weights share a name.
    """
    seen: set[int] = set()
    groups = []
    candidates = [(OWN_GROUP, model._own_weights)]
    candidates += [(f"layers/{layer.name}", layer.weights) for layer in model._sublayers]
    names: set[str] = set()
    for group, variables in candidates:
        fresh = [v for v in variables if id(v) not in seen]
        seen.update(id(v) for v in fresh)
        if not fresh:
            continue
        if group in names:
            raise ValueError(
                f"Model {_name(model)} has two layers with weights named "
                f"{group.split('/', 1)[1]!r}; weights are saved by layer name, so give them "
                "distinct names."
            )
        names.add(group)
        groups.append((group, fresh))
    return groups


def weight_arrays(model: Any) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The arrays and metadata of the model's weights file."""
    # The root package holds the version, and it imports saving.
    from lamina import __version__

    arrays = {}
    layout = []
    for group, variables in weight_groups(model):
        layout.append([group, len(variables)])
        for i, v in enumerate(variables):
            arrays[_key(group, i)] = to_numpy(v.data)
    metadata = {
        "format": FORMAT,
        "format_version": str(VERSION),
        "lamina_version": __version__,
        "layers": json.dumps(layout),
    }
    return arrays, metadata


def _key(group: str, i: int) -> str:
    return f"{group}/{i}" if group == OWN_GROUP else f"{group}/vars/{i}"


def require_built(model: Any, doing: str) -> None:
    """Refuse a model whose weights do not exist yet because it is not built.

    Args:
        doing: what was asked, for the message (`"saving"`, `"loading"`).
    """
    if not getattr(model, "built", True) and not model.weights:
        raise ValueError(
            f"Model {_name(model)} is not built, so its weights do not exist yet: start it with "
            f"lamina.Input(...), call it on data, or call build(input_shape) before {doing} "
            "its weights."
        )


class WeightStore:
    """The weights read from a file, grouped by layer.

    Attributes:
        source: how messages name the file.
        groups: group name -> arrays in order.
        order: the groups in the saved model's order, or None when the file does not say.
        extra: tensors outside the layer groups (the optimizer's state in a model file).
        flat: for the legacy npz format, the arrays in order and their saved names.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.groups: dict[str, list[np.ndarray]] = {}
        self.order: list[str] | None = None
        self.extra: dict[str, np.ndarray] = {}
        self.flat: tuple[list[np.ndarray], list[str]] | None = None


def store_from_arrays(arrays: dict[str, np.ndarray], metadata: dict, source: str) -> WeightStore:
    """Group the tensors of a safetensors weights file and check them against its metadata.

    Raises:
        ModelFileError: for a newer format, a tensor named outside the scheme, missing
            indices, or a layer list that disagrees with the tensors.
    """
    store = WeightStore(source)
    fmt = metadata.get("format")
    if fmt is not None and fmt not in (FORMAT, "lamina.model"):
        raise ModelFileError(f"{source}: its metadata names the format {fmt!r}, not {FORMAT!r}.")
    version = metadata.get("format_version", "1")
    if not _is_number(version):
        raise ModelFileError(f"{source}: format_version must be a number. Received: {version!r}")
    if int(version) > VERSION:
        raise ModelFileError(
            f"{source} was written by a newer lamina (weights format version {version}; this "
            f"lamina reads up to {VERSION}). Upgrade lamina to load it."
        )
    indexed: dict[str, dict[int, np.ndarray]] = {}
    for key, array in arrays.items():
        if key.startswith(OPTIMIZER_PREFIX):
            store.extra[key] = array
            continue
        if "/vars/" in key and key.startswith("layers/"):
            group, index = key.rsplit("/vars/", 1)
        elif key.startswith(OWN_GROUP + "/"):
            group, index = OWN_GROUP, key[len(OWN_GROUP) + 1 :]
        else:
            group, index = "", ""
        if not group or not _is_number(index) or (index != "0" and index.startswith("0")):
            raise ModelFileError(
                f"{source}: tensor {key!r} is not named like a lamina weight "
                "('layers/<layer>/vars/<i>' or 'vars/<i>')."
            )
        indexed.setdefault(group, {})[int(index)] = array
    for group, by_index in indexed.items():
        if sorted(by_index) != list(range(len(by_index))):
            raise ModelFileError(
                f"{source}: the weights of {group!r} are numbered {sorted(by_index)[:10]}, not "
                "0, 1, 2, ..."
            )
        store.groups[group] = [by_index[i] for i in range(len(by_index))]
    if "layers" in metadata:
        store.order = _layer_order(metadata["layers"], store.groups, source)
    return store


def _layer_order(text: str, groups: dict, source: str) -> list[str]:
    layout = safetensors_io.strict_json_loads(text, f"{source} (metadata 'layers')")
    ok = isinstance(layout, list) and all(
        isinstance(item, list)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], int)
        and not isinstance(item[1], bool)
        for item in layout
    )
    if not ok:
        raise ModelFileError(f"{source}: metadata 'layers' must be a list of [name, count].")
    listed = {name: count for name, count in layout}
    actual = {name: len(arrays) for name, arrays in groups.items()}
    if len(listed) != len(layout) or listed != actual:
        raise ModelFileError(f"{source}: metadata 'layers' does not match the tensors in the file.")
    return [name for name, _ in layout]


def assign_weights(
    model: Any, store: WeightStore, skip_mismatch: bool = False, by_name: bool = False
) -> None:
    """Check `store` against the model, then copy its arrays into the model's weights."""
    if store.flat is not None:
        if by_name:
            raise ModelFileError(
                f"{store.source} is a legacy .weights.npz file, which records no layer names; "
                "load it with by_name=False."
            )
        plan = _legacy_plan(model, store)
    else:
        plan = _plan(model, store, skip_mismatch, by_name)
    for variable, value in plan:
        variable.assign(get_xp(variable.data).asarray(value))


def _plan(model: Any, store: WeightStore, skip_mismatch: bool, by_name: bool) -> list:
    groups = weight_groups(model)
    if by_name:
        pairs = [(g, vs, g, store.groups[g]) for g, vs in groups if g in store.groups]
    else:
        if store.order is None:
            raise ModelFileError(
                f"{store.source} does not record the order of its layers (it was not written "
                "by lamina), so it cannot be loaded by topology; pass by_name=True."
            )
        if len(store.order) != len(groups):
            hint = (
                " It is not built yet: call it on data or call build(input_shape) first."
                if not groups and not getattr(model, "built", True)
                else ""
            )
            raise ModelFileError(
                f"{store.source} holds weights for {len(store.order)} layers but model "
                f"{_name(model)} has {len(groups)} layers with weights.{hint}"
            )
        pairs = [
            (g, vs, fg, store.groups[fg]) for (g, vs), fg in zip(groups, store.order, strict=True)
        ]
    plan = []
    for group, variables, file_group, arrays in pairs:
        problem = _mismatch(variables, arrays, group, file_group, store.source)
        if problem is None:
            plan.extend(zip(variables, arrays, strict=True))
        elif skip_mismatch:
            warnings.warn(f"Skipping {problem}", UserWarning, stacklevel=4)
        else:
            raise ModelFileError(problem[0].upper() + problem[1:])
    return plan


def _mismatch(variables: list, arrays: list, group: str, file_group: str, source: str):
    layer = group.split("/", 1)[-1] if group != OWN_GROUP else "(the model's own weights)"
    saved = f" (saved as {file_group!r})" if file_group != group else ""
    if len(variables) != len(arrays):
        return (
            f"layer {layer!r}: it has {len(variables)} weights but {source} holds "
            f"{len(arrays)} for it{saved}."
        )
    for v, a in zip(variables, arrays, strict=True):
        if tuple(a.shape) != tuple(v.shape):
            return (
                f"layer {layer!r}: weight {v.name!r} has shape {tuple(v.shape)} but {source} "
                f"holds shape {tuple(a.shape)} for it{saved}."
            )
    return None


def _legacy_plan(model: Any, store: WeightStore) -> list:
    values, saved_names = store.flat
    weights = model.weights
    if len(values) != len(weights):
        hint = (
            " It is not built yet: call it on data or call build(input_shape) first."
            if not weights
            else ""
        )
        raise ModelFileError(
            f"{store.source} holds {len(values)} weights but model {_name(model)} has "
            f"{len(weights)}.{hint}"
        )
    for i, (w, value, saved) in enumerate(zip(weights, values, saved_names, strict=True)):
        if tuple(value.shape) != tuple(w.shape):
            raise ModelFileError(
                f"Weight {i} of model {_name(model)}, {w.path!r}, has shape {tuple(w.shape)} "
                f"but {store.source} holds shape {tuple(value.shape)} for it (saved as "
                f"{saved!r})."
            )
    return list(zip(weights, values, strict=True))


def _is_number(text: str) -> bool:
    """1 to 18 plain ASCII decimal digits (`str.isdigit` also accepts `"²"`)."""
    return 0 < len(text) <= 18 and text.isascii() and text.isdigit()


def _name(model: Any) -> str:
    return repr(getattr(model, "name", type(model).__name__))
