"""plot_model and model_to_dot: a model's graph of layers drawn with pydot and Graphviz.

Each layer is a box with its name and class (and, when asked, its input and output shapes,
output dtype, activation and trainable state); arrows follow the calls of a functional graph;
nested models are one box, or a dashed cluster of their layers with `expand_nested=True`.
pydot (`pip install pydot`) and the Graphviz `dot` program are optional, loaded only here.
"""

import html
import os
import shutil
from typing import Any

from lamina import tree
from lamina.io.atomic import atomic_write
from lamina.layers.core.input_layer import InputLayer
from lamina.layers.symbolic import KerasTensor
from lamina.models.functional import Functional
from lamina.models.sequential import Sequential

_IMAGE_FORMATS = ("png", "svg", "svgz", "pdf", "jpg", "jpeg", "gif", "ps", "eps", "webp")
_GRAPHVIZ_HELP = (
    "Install Graphviz, which provides the `dot` program: `apt-get install graphviz` (Debian, "
    "Ubuntu), `brew install graphviz` (macOS), `conda install graphviz`, or the installer "
    "from https://graphviz.org/download/ (Windows); then make sure `dot` is on the PATH."
)


def _require_pydot() -> Any:
    try:
        import pydot
    except ImportError as err:
        raise ImportError(
            "plot_model and model_to_dot need pydot. Install it with `pip install pydot` (or "
            "`pip install lamina[viz]`), and Graphviz for the images: " + _GRAPHVIZ_HELP
        ) from err
    return pydot


def _graph_nodes(model: Any) -> list | None:
    """The graph nodes (layer calls) of `model` in order, or None for a model drawn as one box.

    A Sequential model's nodes are its chain of calls without the `Input` (Keras draws no input
    box for it); a functional model's are all its nodes, `Input`s included.
    """
    if isinstance(model, Functional):
        return list(model._nodes)
    if isinstance(model, Sequential) and type(model).call is Sequential.call:
        chain, tensor = [], model._output
        while tensor is not None and tensor is not model._input:
            chain.append(tensor.node)
            tensor = _call_inputs(tensor.node)[0]
        return chain[::-1]
    return None


def _call_inputs(node: Any) -> list[KerasTensor]:
    """The symbolic tensors a layer call received, in argument order."""
    leaves = tree.flatten((node.input_value, node.args, node.kwargs))
    return [t for t in leaves if isinstance(t, KerasTensor)]


def _is_graph_model(layer: Any) -> bool:
    return _graph_nodes(layer) is not None


def _shape_text(tensors: Any) -> str:
    if tensors is None:
        return "?"
    shapes = tree.map_structure(lambda t: t.shape, tensors)
    if isinstance(shapes, dict):
        return ", ".join(f"{k}: {v}" for k, v in shapes.items())
    return str(shapes)


def _activation_name(activation: Any) -> str:
    return str(getattr(activation, "name", None) or getattr(activation, "__name__", activation))


def _cell(text: str, color: str = "white", font: str = "") -> str:
    return f'<td bgcolor="{color}"><font point-size="14"{font}>{text}</font></td>'


def _layer_label(layer: Any, node: Any, options: dict) -> str:
    """Graphviz HTML label: a black title row (name and class), then rows of details."""
    name, class_name = html.escape(layer.name), type(layer).__name__
    rows = []
    if options["show_layer_activations"] and getattr(layer, "activation", None) is not None:
        activation = html.escape(_activation_name(layer.activation))
        rows.append([_cell(f"Activation: <b>{activation}</b>")])
    cells = []
    if options["show_shapes"]:
        inputs = None if node is None else node.input_value
        outputs = None if node is None else node.output_value
        if not isinstance(layer, InputLayer):
            cells.append(_cell(f"Input shape: <b>{html.escape(_shape_text(inputs))}</b>"))
        cells.append(_cell(f"Output shape: <b>{html.escape(_shape_text(outputs))}</b>"))
    if options["show_dtype"]:
        dtypes = "?"
        if node is not None:
            names = [t.dtype.name for t in tree.flatten(node.output_value)]
            dtypes = names[0] if len(names) == 1 else f"[{', '.join(names)}]"
        cells.append(_cell(f"Output dtype: <b>{dtypes}</b>"))
    if options["show_trainable"] and layer.weights:
        trainable = layer.trainable
        color = "forestgreen" if trainable else "firebrick"
        text = "<b>Trainable</b>" if trainable else "<b>Non-trainable</b>"
        cells.append(_cell(text, color, ' color="white"'))
    if cells:
        rows.append(cells)
    span = max([1] + [len(r) for r in rows])
    title = f"<b>{class_name}</b>"
    if options["show_layer_names"]:
        title = f"<b>{name}</b> ({class_name})"
    lines = [
        f'<tr><td colspan="{span}" bgcolor="black">'
        f'<font point-size="16" color="white">{title}</font></td></tr>'
    ]
    for row in rows:
        if len(row) == 1 and span > 1:
            row = [row[0].replace("<td ", f'<td colspan="{span}" ', 1)]
        lines.append(f"<tr>{''.join(row)}</tr>")
    table = '<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    return f"<{table}{''.join(lines)}</table>>"


def _add_node(pydot: Any, dot: Any, layer: Any, node: Any, options: dict) -> None:
    box = pydot.Node(str(id(layer)), label=_layer_label(layer, node, options))
    box.set("fontname", "Helvetica")
    box.set("border", "0")
    box.set("margin", "0")
    dot.add_node(box)


def _add_edge(pydot: Any, dot: Any, source: Any, destination: Any) -> None:
    src, dst = str(id(source)), str(id(destination))
    if not dot.get_edge(src, dst):
        edge = pydot.Edge(src, dst)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _edge_source(tensor: KerasTensor) -> Any:
    """The layer inside (nested) models that produced `tensor`."""
    layer = tensor.node.layer
    while _is_graph_model(layer):
        tensor = layer.outputs[tensor.index]
        layer = tensor.node.layer
    return layer


def _edge_destination(layer: Any, input_index: int) -> Any:
    """The box inside (nested) models that receives input `input_index` of a call of `layer`."""
    while _is_graph_model(layer):
        if isinstance(layer, Functional):
            layer = layer.inputs[input_index].node.layer
        else:
            layer = _graph_nodes(layer)[0].layer
            input_index = 0
    return layer


def _check_options(rankdir: Any, dpi: Any) -> None:
    if rankdir not in ("TB", "LR"):
        raise ValueError(
            'model_to_dot: Expected rankdir to be "TB" (top to bottom) or "LR" (left to right). '
            f"Received: rankdir={rankdir!r}"
        )
    if isinstance(dpi, bool) or not isinstance(dpi, int | float) or dpi <= 0:
        raise ValueError(
            f"model_to_dot: Expected dpi to be a positive number. Received: dpi={dpi!r}"
        )


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
) -> Any:
    """Convert a model to a `pydot.Dot` graph: a box per layer, an arrow per connection.

    Args:
        model: a built model (Sequential, functional, or subclassed: drawn as one box).
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's output dtype.
        show_layer_names: show layer names beside their classes.
        rankdir: `"TB"` for a vertical plot, `"LR"` for a horizontal one.
        expand_nested: draw nested Sequential and functional models as clusters of their
            layers instead of one box each.
        dpi: image resolution in dots per inch.
        subgraph: return a `pydot.Cluster` (used for nested models).
        show_layer_activations: show the activation of layers that have one.
        show_trainable: show whether each layer with weights is trainable.
        splines: how Graphviz draws the edges (`"ortho"`, `"curved"`, `"polyline"`, `"spline"`,
            `"line"`).

    Returns:
        A `pydot.Dot`, or a `pydot.Cluster` when `subgraph=True`.

    Raises:
        ValueError: the model is not built, or `rankdir`/`dpi` is invalid.
        ImportError: pydot is not installed.

    Example:
    >>> dot = lamina.utils.model_to_dot(model, show_shapes=True)
    >>> print(dot.to_string())
    """
    if not getattr(model, "built", False):
        raise ValueError(
            f"model_to_dot: the model {getattr(model, 'name', model)!r} is not built yet. Build "
            "it first: give its first layer an input shape, call `model.build(input_shape)`, "
            "or call it on a batch of data."
        )
    _check_options(rankdir, dpi)
    pydot = _require_pydot()
    if subgraph:
        dot = pydot.Cluster(graph_name=model.name, style="dashed", label=model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    options = {
        "show_shapes": show_shapes,
        "show_dtype": show_dtype,
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_trainable": show_trainable,
    }
    nodes = _graph_nodes(model)
    if nodes is None:
        _add_node(pydot, dot, model, (model._inbound_nodes or [None])[-1], options)
        return dot
    drawn = set()
    for node in nodes:
        layer = node.layer
        if id(layer) in drawn:  # a shared layer: one box for all its calls
            continue
        drawn.add(id(layer))
        if expand_nested and _is_graph_model(layer):
            dot.add_subgraph(
                model_to_dot(layer, rankdir=rankdir, expand_nested=True, subgraph=True, **options)
            )
        else:
            _add_node(pydot, dot, layer, node, options)
    sequential = not isinstance(model, Functional)
    for position, node in enumerate(nodes):
        if sequential:  # a chain: each call takes the previous one's output
            sources = [nodes[position - 1].output_value] if position else []
        else:
            sources = _call_inputs(node)
        for input_index, tensor in enumerate(sources):
            source = _edge_source(tensor) if expand_nested else tensor.node.layer
            destination = node.layer
            if expand_nested:
                destination = _edge_destination(destination, input_index)
            _add_edge(pydot, dot, source, destination)
    return dot


def plot_model(
    model: Any,
    to_file: str | os.PathLike = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
) -> None:
    """Draw a model's graph of layers to an image file (PNG, SVG, PDF, or `.dot` source).

    The format comes from the extension of `to_file` (PNG when it has none); a `.dot` file is
    the Graphviz source and needs no Graphviz. The file is written atomically.

    Args:
        model: a built model.
        to_file: the file to write.
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's output dtype.
        show_layer_names: show layer names beside their classes.
        rankdir: `"TB"` for a vertical plot, `"LR"` for a horizontal one.
        expand_nested: draw nested models as clusters of their layers.
        dpi: image resolution in dots per inch.
        show_layer_activations: show the activation of layers that have one.
        show_trainable: show whether each layer with weights is trainable.
        splines: how Graphviz draws the edges (`"ortho"`, `"curved"`, `"line"`, ...).

    Raises:
        ValueError: the model is not built, or an argument is invalid.
        ImportError: pydot or Graphviz is not installed (the message says how to install them).

    Example:
    >>> lamina.utils.plot_model(model, to_file="model.png", show_shapes=True)
    """
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    if extension != "dot" and extension not in _IMAGE_FORMATS:
        raise ValueError(
            f"plot_model: Expected to_file to end in .dot or an image extension "
            f"({', '.join('.' + f for f in _IMAGE_FORMATS)}). Received: to_file={to_file!r}"
        )
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
    )
    if extension == "dot":
        atomic_write(to_file, lambda f: f.write(dot.to_string()), mode="w")
        return
    if shutil.which("dot") is None:
        raise ImportError(
            f"plot_model needs the Graphviz `dot` program to write {to_file!r}, and it is not on "
            f"the PATH. {_GRAPHVIZ_HELP} (A `.dot` file needs no Graphviz.)"
        )
    try:
        image = dot.create(format=extension)
    except AssertionError as err:  # pydot's report of a failed `dot` run, with its stderr
        raise ValueError(
            f"plot_model: Graphviz could not write a {extension!r} image ({err}). Try .png, .svg, "
            f".pdf or .dot. Received: to_file={to_file!r}"
        ) from err
    atomic_write(to_file, lambda f: f.write(image))
