"""`model.summary()`: the table of layers, output shapes and parameter counts."""

import shutil
import sys
from typing import Any

from lamina import tree


def _shape_text(model: Any, layer: Any) -> str:
    nodes = [n for n in layer._inbound_nodes if _node_in_model(model, n)] or layer._inbound_nodes
    if not nodes:
        return "?"
    shapes = [t.shape for t in tree.flatten(nodes[0].output_value)]
    text = ", ".join(str(s).replace(",)", ")") for s in shapes)
    return text if len(shapes) == 1 else f"[{text}]"


def _node_in_model(model: Any, node: Any) -> bool:
    nodes = getattr(model, "_nodes", None)
    return nodes is None or any(node is n for n in nodes)


def _is_chain(nodes: list) -> bool:
    """Whether the graph is a plain chain: each layer called once, on the previous one's output
    alone (Keras then leaves out the "Connected to" column, as for a Sequential model)."""
    layers = [n.layer for n in nodes]
    if any(layers.count(layer) > 1 for layer in layers):
        return False
    return (
        all(n.parents == [prev] for prev, n in zip(nodes, nodes[1:], strict=False))
        and not nodes[0].parents
    )


def _params(layer: Any) -> str:
    try:
        return f"{layer.count_params():,}"
    except ValueError:
        return "0 (unbuilt)"


def _connections(model: Any, layer: Any) -> str:
    nodes = [n for n in layer._inbound_nodes if _node_in_model(model, n)]
    parents = []
    for node in nodes:
        for p in node.parents:
            idx = [n for n in p.layer._inbound_nodes].index(p) if p in p.layer._inbound_nodes else 0
            parents.append(f"{p.layer.name}[{idx}][0]")
    return ", ".join(parents) if parents else "-"


def _size(n_params: int, bytes_per: int = 4) -> str:
    size = float(n_params * bytes_per)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def print_summary(model: Any, line_length: int | None = None, print_fn: Any = None) -> None:
    """Print the summary table of `model` with `print_fn` (default: print)."""
    print_fn = print_fn or print
    functional = hasattr(model, "_nodes") and not _is_chain(model._nodes)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if functional else [])
    rows = []
    for layer in model.layers:
        row = [f"{layer.name} ({type(layer).__name__})", _shape_text(model, layer), _params(layer)]
        if functional:
            row.append(_connections(model, layer))
        rows.append(row)
    total = sum(w.size for w in model.weights)
    trainable = sum(w.size for w in model.trainable_weights)
    width = line_length or min(shutil.get_terminal_size((98, 20)).columns, 120)
    shares = [0.35, 0.27, 0.15, 0.23] if functional else [0.45, 0.33, 0.22]
    cols = [max(len(h) + 2, int(width * s) - 1) for h, s in zip(headers, shares, strict=True)]
    for row in rows:
        cols = [max(c, len(cell) + 2) for c, cell in zip(cols, row, strict=True)]
    box = _box_chars()

    def line(left: str, mid: str, right: str, fill: str) -> str:
        return left + mid.join(fill * c for c in cols) + right

    def cells(values: list, edge: str) -> str:
        parts = []
        for i, (v, c) in enumerate(zip(values, cols, strict=True)):
            parts.append(f" {v:>{c - 2}} " if i == 2 else f" {v:<{c - 2}} ")
        return edge + edge.join(parts) + edge

    print_fn(f'Model: "{model.name}"')
    print_fn(line(box[0], box[1], box[2], box[3]))
    print_fn(cells(headers, box[4]))
    print_fn(line(box[5], box[6], box[7], box[8]))
    for i, row in enumerate(rows):
        print_fn(cells(row, box[9]))
        if i < len(rows) - 1:
            print_fn(line(box[10], box[11], box[12], box[13]))
    print_fn(line(box[14], box[15], box[16], box[13]))
    print_fn(f" Total params: {total:,} ({_size(total)})")
    print_fn(f" Trainable params: {trainable:,} ({_size(trainable)})")
    print_fn(f" Non-trainable params: {total - trainable:,} ({_size(total - trainable)})")


def _box_chars() -> str:
    fancy = "┏┳┓━┃┡╇┩━│├┼┤─└┴┘"
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        fancy.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "+++-|+++=|+++-+++"
    return fancy
