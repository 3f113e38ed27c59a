"""Loading weights from Keras's HDF5 files into a lamina model.

Two layouts exist:

* Keras 2 (`model.save("m.h5")`, `model.save_weights("m.h5")`; Keras 3's legacy `.h5` too):
  the weights group (the file root, or `model_weights/` in a full-model file) lists its layers
  in the attribute `layer_names`; each layer has a group of that name whose attribute
  `weight_names` lists its datasets (`dense/kernel:0`) in the order trainable weights, then
  non-trainable ones. Layers are matched in order (topology) or by name.
* Keras 3 (`model.save_weights("m.weights.h5")`, and `model.weights.h5` inside `.keras`): the
  layers of a model sit under `layers/`, named by class and position (`dense`, `dense_1`,
  `input_layer`, ...), each with its variables as datasets `vars/0`, `vars/1`, ...; a nested
  model has its own `layers/` inside its group, a custom layer's sublayers sit under their
  attribute names (`layers/block/proj`). `lamina.saving.keras_layout` gives every path, for
  this reader and for lamina's writer alike. Files written by tf.keras 2.13 to 2.15 name the
  layers instead, under `_layer_checkpoint_dependencies/`.

Every count and shape is checked, and every value read, before any weight changes: a failed
load leaves the model as it was.
"""

import os
import warnings
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from lamina.backend import get_xp
from lamina.io.weight_store import require_built
from lamina.models.model import Model
from lamina.saving.keras_import.errors import KerasFileError
from lamina.saving.keras_import.h5_reader import (
    get_dataset,
    get_group,
    open_h5,
    read_array,
    read_names,
    read_text_attr,
    require_h5py,
)
from lamina.saving.keras_layout import (
    LAYERS,
    LEGACY_LAYERS,
    KerasEntry,
    KerasSlot,
    is_graph_model,
    keras_entries,
    keras_layer_order,
    keras_slots,
    own_weights,
)


@dataclass
class _Match:
    """A model weight and the dataset that will fill it."""

    variable: Any
    dataset: Any


def load_keras_h5_weights(
    model: Any,
    path: str | os.PathLike | IO[bytes],
    by_name: bool = False,
    skip_mismatch: bool = False,
) -> None:
    """Load weights from a Keras HDF5 file (`.h5` or `.weights.h5`) into a built lamina model.

    Reads Keras 2 full-model and weights-only `.h5` files and Keras 3 `.weights.h5` files,
    without Keras. Weights go to lamina's order (Dense: kernel, then bias).

    Args:
        model: a built lamina model (or layer) made of the same layers as the Keras one.
        path: the HDF5 file (or a seekable binary file object holding one).
        by_name: match layers by name instead of by order. Keras 2 files list layer names;
            Keras 3 files name their groups by class and position and carry layer names only
            from recent versions on. Layers absent from the file are left as they are.
        skip_mismatch: skip, with a warning, the weights whose shape differs (and, by name,
            the layers whose weight count differs) instead of raising.

    Raises:
        KerasFileError: for a file that is not a Keras weights file, is unsafe (external
            links, virtual datasets ...), or does not fit the model; the message names the
            layer and the weight.
        ImportError: when h5py is not installed.
        ValueError: when the model is not built yet.

    Example:
    >>> model = lamina.Sequential([lamina.Input((784,)), Dense(512, activation="relu"),
    ...                            Dense(10, activation="softmax")])
    >>> load_keras_h5_weights(model, "mnist_keras2.h5")
    """
    where = repr(os.fspath(path)) if isinstance(path, str | os.PathLike) else "the HDF5 file"
    require_built(model, "loading")
    with open_h5(path, where) as f:
        matches = match_h5_weights(model, f, where, by_name, skip_mismatch)
        assign(matches, where)


def match_h5_weights(
    model: Any, f: Any, where: str, by_name: bool = False, skip_mismatch: bool = False
) -> list[_Match]:
    """Pair each weight of `model` with its dataset in the open file `f`, checking shapes."""
    legacy = _legacy_root(f, where)
    if legacy is not None:
        return _match_legacy(model, legacy, where, by_name, skip_mismatch)
    if any(key in f for key in ("layers", "_layer_checkpoint_dependencies", "vars")):
        if by_name:
            return _match_keras3_by_name(model, f, where, skip_mismatch)
        return match_keras3(keras_entries(model), model, f, where, skip_mismatch)
    raise KerasFileError(
        f"{where} is an HDF5 file but not a Keras weights file: it has neither the Keras 2 "
        "attribute 'layer_names' (nor a 'model_weights' group) nor the Keras 3 group 'layers'."
    )


def assign(matches: list[_Match], where: str) -> None:
    """Read every dataset, then assign them all (nothing changes when a read fails)."""
    values = []
    for m in matches:
        var = m.variable
        value = read_array(m.dataset, tuple(var.shape), where)
        if not np.can_cast(value.dtype, var.dtype, casting="same_kind"):
            raise KerasFileError(
                f"{where}: the dataset {m.dataset.name!r} holds {value.dtype} but the weight "
                f"{var.path!r} is {var.dtype}."
            )
        values.append(value)
    for m, value in zip(matches, values, strict=True):
        m.variable.assign(get_xp(m.variable.data).asarray(value))


# ----- Keras 2 layout ------------------------------------------------------------------------


def _legacy_root(f: Any, where: str) -> Any:
    if "layer_names" in f.attrs or "layer_names0" in f.attrs:
        return f
    group = get_group(f, "model_weights", where) if "model_weights" in f else None
    if group is not None and ("layer_names" in group.attrs or "layer_names0" in group.attrs):
        return group
    return None


def _match_legacy(
    model: Any, root: Any, where: str, by_name: bool, skip_mismatch: bool
) -> list[_Match]:
    version = read_text_attr(root, "keras_version", where) or "unknown"
    where = f"{where} (Keras {version})"
    saved = []  # (layer name, datasets) in file order
    for name in read_names(root, "layer_names", where):
        group = get_group(root, name, where)
        if group is None:
            raise KerasFileError(f"{where} lists a layer {name!r} but has no group for it.")
        weight_names = read_names(group, "weight_names", where)
        saved.append((name, [get_dataset(group, w, where) for w in weight_names]))
    matches: list[_Match] = []
    model_layers = keras_layer_order(model)  # Keras lists the layers in its own order
    if by_name:
        index: dict[str, list] = {}
        for layer in model_layers:
            index.setdefault(layer.name, []).append(layer)
        matched = False
        for k, (name, datasets) in enumerate(saved):
            for layer in index.get(name, []):
                label = f"layer #{k} ({name!r})"
                weights = _legacy_weights(layer)
                matched = matched or bool(weights and datasets)
                _match_layer(label, weights, datasets, where, skip_mismatch, matches)
        if not matched:
            _no_name_matched(model, [n for n, d in saved if d], where)
    else:
        layers = [layer for layer in model_layers if _legacy_weights(layer)]
        saved_with_weights = [(n, d) for n, d in saved if d]
        if len(layers) != len(saved_with_weights):
            raise KerasFileError(
                f"{where} holds weights for {len(saved_with_weights)} layers "
                f"{[n for n, _ in saved_with_weights]} but model {model.name!r} has "
                f"{len(layers)} layers with weights {[layer.name for layer in layers]}. "
                "Build the same layers, or pass by_name=True to match layers by name."
            )
        for k, (layer, (name, datasets)) in enumerate(zip(layers, saved_with_weights, strict=True)):
            label = f"layer #{k} ({layer.name!r} in the model, {name!r} in the file)"
            weights = _legacy_weights(layer)
            if len(weights) != len(datasets):
                raise KerasFileError(_count_message(label, weights, datasets, where))
            _match_layer(label, weights, datasets, where, skip_mismatch, matches)
    top = get_group(root, "top_level_model_weights", where)
    if top is not None:
        datasets = [get_dataset(top, w, where) for w in read_names(top, "weight_names", where)]
        own = own_weights(model)
        if datasets or own:
            label = f"the model's own weights (model {model.name!r})"
            strict = not by_name
            _match_layer(label, own, datasets, where, skip_mismatch, matches, strict_count=strict)
    return matches


def _legacy_weights(layer: Any) -> list:
    """Keras 2's order: trainable weights, then non-trainable ones."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


# ----- Keras 3 layout ------------------------------------------------------------------------


def match_keras3(
    entries: list[KerasEntry], model: Any, f: Any, where: str, skip_mismatch: bool = False
) -> list[_Match]:
    """Pair the weights of `model` with a Keras 3 file, at the paths Keras gives its layers.

    Args:
        entries: the model's layers with the Keras class names that named their groups.
        model: the model; its own weights (rarely any) sit in the root group `vars`.
        f: the open file.
        where: the file, for messages.
        skip_mismatch: warn and skip instead of raising for missing or misshapen weights.
    """
    legacy = LAYERS not in f and LEGACY_LAYERS in f
    slots = keras_slots(model, entries, legacy_names=legacy)
    matches: list[_Match] = []
    _match_slots(slots, f, where, skip_mismatch, matches)
    _check_extra_layers(slots, f, LEGACY_LAYERS if legacy else LAYERS, where, skip_mismatch)
    return matches


def _match_slots(
    slots: list[KerasSlot], root: Any, where: str, skip_mismatch: bool, out: list[_Match]
) -> None:
    for slot in slots:
        group = _group_at(root, slot.path, where)
        vars_group = get_group(group, "vars", where) if group is not None else None
        datasets = _vars_datasets(vars_group, where)
        if not slot.variables and not datasets:
            continue
        if slot.path:
            label = f"layer {slot.layer.name!r} ({slot.class_name}, stored as {slot.path!r})"
        else:
            label = f"the own weights of {slot.class_name} {slot.layer.name!r}"
        if vars_group is None:
            _missing(label, where, skip_mismatch)
            continue
        strict = not slot.path
        _match_layer(label, slot.variables, datasets, where, skip_mismatch, out, strict)


def _group_at(root: Any, path: str, where: str) -> Any:
    group = root
    for name in path.split("/") if path else []:
        group = get_group(group, name, where)
        if group is None:
            return None
    return group


def _check_extra_layers(
    slots: list[KerasSlot], root: Any, container: str, where: str, skip_mismatch: bool
) -> None:
    """Refuse data for layers the model lacks, in the `layers/` group of each model."""

    paths = {slot.path for slot in slots}
    extra = []
    for slot in slots:
        if not isinstance(slot.layer, Model):
            continue
        prefix = f"{slot.path}/{container}" if slot.path else container
        group = _group_at(root, prefix, where)
        for key in group if group is not None else []:
            if f"{prefix}/{key}" not in paths and _holds_data(group[key]):
                extra.append(f"{group.name}/{key}")
    if extra:
        message = (
            f"{where} holds weights for layers the model lacks: {extra}. "
            "Build the same layers as the Keras model, in the same order."
        )
        if not skip_mismatch:
            raise KerasFileError(message)
        warnings.warn(f"Skipping: {message}", stacklevel=4)


def _match_keras3_by_name(model: Any, f: Any, where: str, skip_mismatch: bool) -> list[_Match]:
    """Match layers by the `name` attribute that recent Keras 3 versions set on `vars`.

    The layers of a Sequential or functional model are looked up under `layers/`; a
    subclassed model's, under its attribute names at the root as well.
    """
    index: dict[str, list] = {}
    containers = [get_group(f, LAYERS, where)]
    if not is_graph_model(model):
        containers.append(f)
    for container in containers:
        for key in container if container is not None else []:
            if container is f and key in (LAYERS, "vars", "optimizer"):
                continue
            group = get_group(container, key, where)
            vars_group = get_group(group, "vars", where) if group is not None else None
            name = read_text_attr(vars_group, "name", where) if vars_group is not None else None
            if name is not None:
                index.setdefault(name, []).append(group)
    if not index:
        raise KerasFileError(
            f"{where} is a Keras 3 weights file that records no layer names (Keras names its "
            "groups by class and position, and only recent versions add the layer name), so "
            "it can only be loaded in order. Received: by_name=True"
        )
    matches: list[_Match] = []
    matched = False
    for entry in keras_entries(model):
        layer = entry.layer
        for group in index.get(layer.name, []):
            if not layer.weights:
                continue
            matched = True
            slots = keras_slots(layer, entry.children)
            _match_slots(slots, group, where, skip_mismatch, matches)
    if not matched:
        _no_name_matched(model, sorted(index), where)
    return matches


def _no_name_matched(model: Any, saved: list[str], where: str) -> None:
    mine = [layer.name for layer in model.layers if layer.weights]
    if saved and mine:
        raise KerasFileError(
            f"by_name=True matched no layer: {where} holds weights for layers {saved} and model "
            f"{model.name!r} has layers {mine}. Name the layers as in the Keras model, or load "
            "in order with by_name=False."
        )


def _vars_datasets(group: Any, where: str) -> list:
    if group is None:
        return []
    keys = list(group)
    expected = [str(i) for i in range(len(keys))]
    if sorted(keys, key=_index_key) != expected:
        raise KerasFileError(
            f"{where}: {group.name!r} should hold datasets '0', '1', ... Received: {sorted(keys)}"
        )
    return [get_dataset(group, key, where) for key in expected]


def _index_key(key: str) -> tuple:
    return (0, int(key)) if key.isdigit() else (1, key)


def _holds_data(group: Any) -> bool:
    h5py = require_h5py()
    stack = [group]
    while stack:
        g = stack.pop()
        if isinstance(g, h5py.Dataset):
            return True
        if isinstance(g, h5py.Group):
            stack.extend(g[name] for name in g)
    return False


# ----- shared --------------------------------------------------------------------------------


def _match_layer(
    label: str,
    weights: list,
    datasets: list,
    where: str,
    skip_mismatch: bool,
    out: list[_Match],
    strict_count: bool = False,
) -> None:
    if len(weights) != len(datasets):
        message = _count_message(label, weights, datasets, where)
        if strict_count or not skip_mismatch:
            raise KerasFileError(message)
        warnings.warn(f"Skipping {label}: {message}", stacklevel=4)
        return
    for var, ds in zip(weights, datasets, strict=True):
        if tuple(ds.shape) != tuple(var.shape):
            message = (
                f"{where}: {label}: weight {var.path!r} has shape {tuple(var.shape)} but the "
                f"file holds shape {tuple(ds.shape)} for it ({ds.name!r})."
            )
            if not skip_mismatch:
                raise KerasFileError(message)
            warnings.warn(f"Skipping a weight. {message}", stacklevel=4)
            continue
        out.append(_Match(var, ds))


def _count_message(label: str, weights: list, datasets: list, where: str) -> str:
    return (
        f"{where}: {label} has {len(weights)} weight(s) {[w.path for w in weights]} but the "
        f"file holds {len(datasets)} for it {[d.name for d in datasets]}."
    )


def _missing(label: str, where: str, skip_mismatch: bool) -> None:
    message = f"{where} holds no weights for {label}."
    if not skip_mismatch:
        raise KerasFileError(message)
    warnings.warn(f"Skipping: {message}", stacklevel=4)
