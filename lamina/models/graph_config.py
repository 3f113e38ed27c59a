"""A functional model's graph to and from a JSON-safe config (the Keras 3 layout).

The config lists the layers, each with its `inbound_nodes`: one `{"args": [...], "kwargs":
{...}}` per call of the layer inside this model, where every symbolic tensor is written as
`{"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history": [layer
name, node index, tensor index]}}`. Node indices count only the calls inside this model.
`input_layers` and `output_layers` hold the same `[name, node, tensor]` triples, in the
structure (single, list or dict) the model was made with.

Rebuilding calls each layer on the rebuilt tensors, a node only once the tensors it reads
exist and its layer's earlier nodes are made, so the order of the layer list does not matter.
"""

from typing import Any

from lamina import tree
from lamina.layers.core.input_layer import InputLayer
from lamina.layers.layer import Layer
from lamina.layers.serialization import deserialize_layer, serialize_layer
from lamina.layers.symbolic import KerasTensor
from lamina.serialization.errors import ModelFileError
from lamina.serialization.values import check_json_safe, decode_value, encode_value

TENSOR = "__keras_tensor__"


def functional_config(model: Any) -> dict:
    """The config of a functional model: its layers, their calls, its inputs and outputs.

    Raises:
        ValueError: for two layers with one name, or a call argument JSON cannot hold.
    """
    # An input the outputs do not use has no node in model._nodes, yet it is an input.
    in_model = {id(n) for n in model._nodes} | {id(t.node) for t in model.inputs}
    node_index: dict[int, int] = {}
    names: set[str] = set()
    for layer in model.layers:
        if layer.name in names:
            raise ValueError(
                f"Model {model.name!r} has two layers named {layer.name!r}; a saved graph names "
                "layers, so give them distinct names. Received: duplicate name "
                f"{layer.name!r}"
            )
        names.add(layer.name)
        nodes = [n for n in layer._inbound_nodes if id(n) in in_model]
        node_index.update((id(n), i) for i, n in enumerate(nodes))
    entries = []
    for layer in model.layers:
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        nodes = [n for n in layer._inbound_nodes if id(n) in in_model]
        entry["inbound_nodes"] = (
            []
            if isinstance(layer, InputLayer)
            else [
                {
                    "args": _encode([n.input_value, *n.args], node_index, layer),
                    "kwargs": _encode(n.kwargs, node_index, layer),
                }
                for n in nodes
            ]
        )
        entries.append(entry)
    return {
        **Layer.get_config(model),
        "layers": entries,
        "input_layers": _encode_refs(model._input_struct, node_index),
        "output_layers": _encode_refs(model._output_struct, node_index),
    }


def functional_from_config(cls: type, config: dict) -> Any:
    """Rebuild a functional model of class `cls` from `functional_config`'s output.

    Raises:
        ModelFileError: for a malformed config, unknown layers, or a graph that cannot be
            rebuilt (a tensor no node makes, a cycle).
    """
    if not isinstance(config, dict):
        raise ModelFileError(
            f"A functional model's config is a dict. Received: config of type "
            f"{type(config).__name__}"
        )
    where = f"the config of model {config.get('name')!r}"
    entries = config.get("layers")
    if not isinstance(entries, list):
        raise ModelFileError(f"{where}: 'layers' must be a list.")
    layers: dict[str, Layer] = {}
    pending: list[tuple[str, int, Any]] = []  # (layer name, node index, node config)
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ModelFileError(f"{where}: layer {i} is not an object.")
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ModelFileError(f"{where}: layer {i} has no 'name'.")
        if name in layers:
            raise ModelFileError(f"{where}: two layers are named {name!r}.")
        layers[name] = deserialize_layer(entry, where)
        nodes = entry.get("inbound_nodes", [])
        if not isinstance(nodes, list):
            raise ModelFileError(f"{where}: 'inbound_nodes' of layer {name!r} must be a list.")
        if nodes and isinstance(layers[name], InputLayer):
            raise ModelFileError(f"{where}: input layer {name!r} cannot have inbound nodes.")
        pending.extend((name, k, node) for k, node in enumerate(nodes))
    tensors: dict[tuple, KerasTensor] = {}
    for name, layer in layers.items():
        if isinstance(layer, InputLayer):
            tensors[(name, 0, 0)] = layer._inbound_nodes[0].output_value
    for name, k, node in _schedule(pending, layers, where):
        _call_node(layers[name], name, k, node, tensors, where)
    inputs = _decode_refs(config.get("input_layers"), tensors, where)
    outputs = _decode_refs(config.get("output_layers"), tensors, where)
    kwargs = {k: config[k] for k in ("name", "trainable", "dtype") if k in config}
    try:
        return cls(inputs, outputs, **kwargs)
    except (TypeError, ValueError) as e:
        raise ModelFileError(f"{where}: the model cannot be rebuilt: {e}") from e


# ----- encoding ---------------------------------------------------------------------------


def _encode(value: Any, node_index: dict, layer: Any) -> Any:
    def walk(v: Any) -> Any:
        if isinstance(v, KerasTensor):
            return {
                "class_name": TENSOR,
                "config": {
                    "shape": list(v.shape),
                    "dtype": v.dtype.name,
                    "keras_history": [v.node.layer.name, node_index[id(v.node)], v.index],
                },
            }
        if isinstance(v, tuple):
            return {"class_name": "__tuple__", "config": {"value": [walk(x) for x in v]}}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        return encode_value(v)

    out = walk(value)
    check_json_safe(out, f"a call of layer {layer.name!r}")
    return out


def _encode_refs(struct: Any, node_index: dict) -> Any:
    if isinstance(struct, KerasTensor):
        return [struct.node.layer.name, node_index[id(struct.node)], struct.index]
    if isinstance(struct, dict):
        return {k: _encode_refs(v, node_index) for k, v in struct.items()}
    return [_encode_refs(v, node_index) for v in struct]


# ----- decoding ---------------------------------------------------------------------------


def _history(item: Any, where: str) -> tuple:
    inner = item.get("config")
    history = inner.get("keras_history") if isinstance(inner, dict) else None
    if not _is_ref(history):
        raise ModelFileError(
            f"{where}: a tensor needs 'keras_history': [layer name, node index, tensor index]."
        )
    return tuple(history)


def _is_ref(x: Any) -> bool:
    return (
        isinstance(x, list)
        and len(x) == 3
        and isinstance(x[0], str)
        and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in x[1:])
    )


def _refs(value: Any, where: str) -> list[tuple]:
    out, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("class_name") == TENSOR:
                out.append(_history(item, where))
            else:
                stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return out


def _schedule(pending: list, layers: dict, where: str) -> list:
    """The nodes in an order where each runs after the nodes it reads and its layer's earlier
    nodes (Kahn's algorithm: linear in the size of the graph, whatever the config's order).

    Raises:
        ModelFileError: for a malformed node, a tensor of a node that does not exist, or a
            cycle.
    """
    nodes = {(name, k): node for name, k, node in pending}
    for name, layer in layers.items():
        if isinstance(layer, InputLayer):
            nodes[(name, 0)] = None
    users: dict[tuple, list] = {}
    missing: dict[tuple, int] = {}
    for name, k, node in pending:
        if not isinstance(node, dict) or not isinstance(node.get("args"), list) or not node["args"]:
            raise ModelFileError(f"{where}: each inbound node needs a non-empty 'args' list.")
        if not isinstance(node.get("kwargs", {}), dict):
            raise ModelFileError(f"{where}: an inbound node's 'kwargs' must be an object.")
        needs = {(ref[0], ref[1]) for ref in _refs(node, where)}
        if k > 0:
            needs.add((name, k - 1))
        for need in needs:
            if need not in nodes:
                raise ModelFileError(
                    f"{where}: node {k} of layer {name!r} reads a tensor of node {need[1]} of "
                    f"layer {need[0]!r}, which does not exist."
                )
            if nodes[need] is not None:  # not an input layer's node, which exists already
                users.setdefault(need, []).append((name, k))
        missing[(name, k)] = sum(nodes[need] is not None for need in needs)
    ready = [key for key, count in missing.items() if count == 0]
    order = []
    while ready:
        key = ready.pop()
        order.append((*key, nodes[key]))
        for user in users.get(key, ()):
            missing[user] -= 1
            if missing[user] == 0:
                ready.append(user)
    if len(order) != len(pending):
        name, k = next(key for key, count in missing.items() if count)
        raise ModelFileError(
            f"{where}: node {k} of layer {name!r} depends on itself through a cycle, so the "
            "model cannot be rebuilt."
        )
    return order


def _call_node(layer: Layer, name: str, k: int, node: dict, tensors: dict, where: str) -> None:
    def walk(v: Any) -> Any:
        if isinstance(v, list):
            return [walk(x) for x in v]
        if not isinstance(v, dict):
            return v
        kind = v.get("class_name")
        if kind == TENSOR:
            return tensors[_history(v, where)]
        if kind == "__tuple__":
            inner = v.get("config")
            if not isinstance(inner, dict) or not isinstance(inner.get("value"), list):
                raise ModelFileError(f"{where}: a __tuple__ marker needs a 'value' list.")
            return tuple(walk(x) for x in inner["value"])
        if kind in ("__slice__", "__numpy__", "__ellipsis__"):
            return decode_value(v, where)
        return {key: walk(x) for key, x in v.items()}

    try:
        args = walk(node["args"])
        kwargs = walk(node.get("kwargs", {}))
    except KeyError as e:
        raise ModelFileError(
            f"{where}: node {k} of layer {name!r} reads tensor {e}, which its node does not make."
        ) from None
    try:
        outputs = layer(args[0], *args[1:], **kwargs)
    except ModelFileError:
        raise
    except (TypeError, ValueError, KeyError, IndexError) as e:
        raise ModelFileError(
            f"{where}: calling layer {name!r} (node {k}) on its saved inputs failed: {e}"
        ) from e
    for t in tree.flatten(outputs):
        if isinstance(t, KerasTensor):
            tensors[(name, k, t.index)] = t


def _decode_refs(struct: Any, tensors: dict, where: str) -> Any:
    if _is_ref(struct):
        ref = tuple(struct)
        if ref not in tensors:
            raise ModelFileError(f"{where}: the model input/output {struct} is never made.")
        return tensors[ref]
    if isinstance(struct, dict):
        return {k: _decode_refs(v, tensors, where) for k, v in struct.items()}
    if isinstance(struct, list) and struct:
        return [_decode_refs(v, tensors, where) for v in struct]
    raise ModelFileError(f"{where}: 'input_layers' and 'output_layers' must name tensors.")
