"""Where Keras 3 stores each layer's variables in a `.weights.h5` file.

Keras (`keras/src/saving/saving_lib.py`, `_save_state`) walks the model depth first. Each
layer it reaches gets a group `<path>/vars` holding its own variables as datasets `0`, `1`,
... (trainable ones first), with the layer's name in the attribute `name`; the model itself
has the root group `vars`. From each layer the walk goes:

* for a Sequential or functional model, first to its layers, under `layers/`;
* then to its attributes in sorted order, public names before `_private` ones, leaving out
  those every bare `Layer` (or `Model`) has. A layer attribute adds its name to the path
  (`block/proj`); a list, tuple, set or dict (by values) of layers adds the attribute name,
  then the snake-case class name of each layer, numbered among the layers of its class
  (`blocks/dense`, `blocks/dense_1`). A subclassed model's `layers` list is one of those
  attributes, so its layers sit under their attribute names, except those on attributes
  sorted after `layers` (`out`, say), which sit under `layers/dense_1`.

A layer met a second time keeps its first path. `keras_slots` lists those paths for the
writer (`lamina.saving.h5_weights_file`) and the reader (`lamina.saving.keras_import`).
"""

import functools
from dataclasses import dataclass
from typing import Any

from lamina.layers.core.op_layer import OpLayer
from lamina.layers.layer import Layer
from lamina.models.functional import Functional
from lamina.models.model import Model
from lamina.models.sequential import Sequential
from lamina.naming import to_snake_case

LAYERS = "layers"
LEGACY_LAYERS = "_layer_checkpoint_dependencies"


@dataclass
class KerasEntry:
    """A layer as a Keras 3 weights file knows it: the Keras class name decides its group name.

    `children` lists the layers of a nested Sequential or functional model (None otherwise).
    """

    class_name: str
    layer: Any
    children: list["KerasEntry"] | None = None


@dataclass
class KerasSlot:
    """A layer's place in a Keras 3 weights file: the group `<path>/vars` holds `variables`.

    `path` is `""` for the model itself; `class_name` is the Keras class name of `layer`.
    """

    path: str
    layer: Any
    class_name: str
    variables: list


def keras_entries(model: Any) -> list[KerasEntry]:
    """The layers of a lamina model as Keras 3 would list them (ops excluded)."""
    return [_entry(layer) for layer in keras_layer_order(model) if _is_layer(layer)]


def keras_layer_order(model: Any) -> list:
    """`model.layers` in the order Keras 3 lists them, which numbers their weight groups.

    Keras (`keras/src/ops/function.py`, `map_graph`) orders a functional model's layers by
    depth, the most calls between a layer and an output, deepest first; layers of one depth
    in the order a depth-first walk from the outputs first reaches them. lamina lists them
    as it calls them, which differs when branches of unequal depth meet. Ops (OpLayers) count
    in the depths but are left out, as Keras leaves them out of `model.layers`.
    """
    if not isinstance(model, Functional):
        return list(model.layers)
    post_order, reached = [], {}  # nodes after the nodes feeding them; layer id -> first visit
    stack = [(t.node, False) for t in reversed(model.outputs)]
    seen: set[int] = set()
    while stack:
        node, done = stack.pop()
        if done:
            post_order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        reached.setdefault(id(node.layer), len(reached))
        stack.append((node, True))
        stack.extend((parent, False) for parent in reversed(node.parents))
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    for node in reversed(post_order):
        # A shared layer takes its deepest call's depth, and passes it on from every call.
        depth = max(node_depth.get(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        for parent in node.parents:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    # An input the outputs do not use: depth 0, before the other layers of that depth.
    return sorted(
        filter(_is_layer, model.layers),
        key=lambda layer: (-layer_depth.get(id(layer), 0), reached.get(id(layer), -1)),
    )


def own_weights(layer: Any) -> list:
    """A layer's own variables as Keras 3 lists them: trainable, then non-trainable."""
    own = list(getattr(layer, "_own_weights", []))
    return [w for w in own if w.trainable] + [w for w in own if not w.trainable]


def keras_slots(
    model: Any, entries: list[KerasEntry] | None = None, legacy_names: bool = False
) -> list[KerasSlot]:
    """Every layer Keras 3 saves for `model` (the model first), with its path, in Keras's order.

    Args:
        model: a lamina model or layer.
        entries: the layers of a Sequential or functional `model`, with the Keras class names
            that name their groups (a `.keras` file's config may name a class lamina
            translates); `keras_entries(model)` by default.
        legacy_names: store the layers of Sequential and functional models under
            `_layer_checkpoint_dependencies/<layer name>`, as tf.keras 2.13 to 2.15 did.

    Example:
    >>> [s.path for s in keras_slots(lamina.Sequential([lamina.Input((3,)), Dense(2)]))]
    ['', 'layers/dense']
    """
    out: list[KerasSlot] = []
    root = KerasEntry(type(model).__name__, model, entries)
    _visit(root, "", set(), legacy_names, out)
    return out


def is_graph_model(layer: Any) -> bool:
    """Whether Keras lists `layer`'s layers under `layers/` before its attributes."""

    return isinstance(layer, Sequential | Functional)


def _is_layer(value: Any) -> bool:
    # An OpLayer stands for a Keras op in a functional graph, which Keras does not save.
    return isinstance(value, Layer) and not isinstance(value, OpLayer)


def _entry(layer: Any) -> KerasEntry:
    children = keras_entries(layer) if is_graph_model(layer) else None
    return KerasEntry(type(layer).__name__, layer, children)


def _visit(
    entry: KerasEntry, path: str, visited: set[int], legacy: bool, out: list[KerasSlot]
) -> None:
    layer = entry.layer
    if id(layer) in visited:
        return
    visited.add(id(layer))
    out.append(KerasSlot(path, layer, entry.class_name, own_weights(layer)))
    prefix = f"{path}/" if path else ""
    if is_graph_model(layer):
        children = entry.children if entry.children is not None else keras_entries(layer)
        if legacy:
            for child in children:
                _visit(child, f"{prefix}{LEGACY_LAYERS}/{child.layer.name}", visited, legacy, out)
        else:
            _visit_container(children, f"{prefix}{LAYERS}", visited, legacy, out)
    for name, value in _attributes(layer):
        if _is_layer(value):
            _visit(_entry(value), prefix + name, visited, legacy, out)
        elif isinstance(value, list | tuple | set | dict):
            items = value.values() if isinstance(value, dict) else value
            entries = [_entry(v) for v in items if _is_layer(v)]
            _visit_container(entries, prefix + name, visited, legacy, out)


def _visit_container(
    entries: list[KerasEntry], path: str, visited: set[int], legacy: bool, out: list[KerasSlot]
) -> None:
    counts: dict[str, int] = {}
    for entry in entries:
        # Keras counts every layer of the container, those already saved elsewhere too.
        base = to_snake_case(entry.class_name)
        n = counts.get(base, 0)
        counts[base] = n + 1
        _visit(entry, f"{path}/{base if n == 0 else f'{base}_{n}'}", visited, legacy, out)


def _attributes(layer: Any) -> list[tuple[str, Any]]:
    """The attributes Keras's walk visits: sorted, `_private` ones last, base ones left out."""

    is_model = isinstance(layer, Model)
    skip = _bare_names(is_model).union(*_lamina_class_names(type(layer)))
    names = [n for n in dir(layer) if not n.startswith("__") and n not in skip]
    if is_model and not is_graph_model(layer):
        names.append(LAYERS)
    out = []
    for name in sorted(names, key=lambda n: "~" + n if n.startswith("_") else n):
        try:
            value = getattr(layer, name)
        except Exception:  # noqa: BLE001 - as Keras: a property that fails holds no layer
            continue
        out.append((name, value))
    return out


@functools.cache
def _bare_names(is_model: bool) -> frozenset[str]:
    """What a bare lamina Layer (or Model) has, which Keras's walk leaves out as well."""

    bare = Model(name="keras_layout") if is_model else Layer(name="keras_layout")
    return frozenset(dir(bare))


def _lamina_class_names(cls: type) -> list:
    """What lamina's own classes among `cls`'s bases define: methods and properties.

    lamina's layers hold nothing under them that Keras saves, and Sequential and functional
    models hold their layers under `layers/` already.
    """
    return [vars(k).keys() for k in cls.__mro__ if k.__module__.startswith("lamina.")]
