"""plot_model and model_to_dot: the boxes, arrows and labels of Keras's model plots."""

import shutil
import sys

import pytest

import lamina
from lamina import layers

pytest.importorskip("pydot", reason="model_to_dot needs pydot (pip install pydot)")
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="the Graphviz `dot` program is not installed (apt-get install graphviz)",
)


def _names(model):
    """str(id(layer)) -> layer name, for the layers of `model` and of the models nested in it."""
    names, stack = {}, [model]
    while stack:
        layer = stack.pop()
        names[str(id(layer))] = layer.name
        stack.extend(getattr(layer, "layers", []))
    return names


def _graph(dot, model):
    """The box names (clusters included) and the arrows of `dot` as (source, target) names."""
    names = _names(model)
    boxes, graphs = [], [dot]
    while graphs:
        graph = graphs.pop()
        boxes += [names[n.get_name()] for n in graph.get_nodes() if n.get_name() in names]
        graphs += graph.get_subgraphs()
    edges = {(names[e.get_source()], names[e.get_destination()]) for e in dot.get_edges()}
    for cluster in dot.get_subgraphs():
        edges |= _graph(cluster, model)[1]
    return sorted(boxes), edges


def _labels(dot):
    return [n.get("label") for n in dot.get_nodes() if n.get("label")]


def test_sequential_is_a_chain_without_an_input_box():
    model = lamina.Sequential(
        [
            lamina.Input((784,)),
            layers.Dense(512, activation="relu", name="hidden"),
            layers.Dense(10, activation="softmax", name="probs"),
        ],
        name="mnist",
    )
    dot = lamina.utils.model_to_dot(model)
    assert _graph(dot, model) == (["hidden", "probs"], {("hidden", "probs")})
    assert dot.get("rankdir") == "TB" and dot.get("dpi") == 200
    assert "<b>hidden</b> (Dense)" in _labels(dot)[0]


def test_two_inputs_concatenated():
    # The book's chapter 7: a title and a text body, concatenated, then a dense head.
    title = lamina.Input((100,), name="title")
    body = lamina.Input((200,), name="text_body")
    features = layers.Concatenate(name="concat")([title, body])
    features = layers.Dense(64, activation="relu", name="features")(features)
    priority = layers.Dense(1, activation="sigmoid", name="priority")(features)
    model = lamina.Model([title, body], priority)
    boxes, edges = _graph(lamina.utils.model_to_dot(model), model)
    assert boxes == ["concat", "features", "priority", "text_body", "title"]
    assert edges == {
        ("title", "concat"),
        ("text_body", "concat"),
        ("concat", "features"),
        ("features", "priority"),
    }


def test_one_input_several_heads():
    posts = lamina.Input((50,), name="posts")
    x = layers.Dense(16, activation="relu", name="shared")(posts)
    heads = [layers.Dense(1, name="age")(x), layers.Dense(3, name="income")(x)]
    heads.append(layers.Dense(1, activation="sigmoid", name="gender")(x))
    model = lamina.Model(posts, heads)
    boxes, edges = _graph(lamina.utils.model_to_dot(model), model)
    assert boxes == ["age", "gender", "income", "posts", "shared"]
    assert edges == {("posts", "shared")} | {("shared", h) for h in ("age", "income", "gender")}


def _residual():
    inputs = lamina.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, padding="same", name="conv_a")(inputs)
    y = layers.Conv2D(4, 3, padding="same", name="conv_b")(x)
    x = layers.Add(name="skip")([x, y])
    return lamina.Model(inputs, layers.GlobalAveragePooling2D(name="pool")(x))


def test_residual_connection_has_two_arrows_into_add():
    model = _residual()
    _, edges = _graph(lamina.utils.model_to_dot(model), model)
    assert {e for e in edges if e[1] == "skip"} == {("conv_a", "skip"), ("conv_b", "skip")}
    assert ("conv_a", "conv_b") in edges and ("skip", "pool") in edges


def _nested():
    block = lamina.Sequential(
        [layers.Dense(4, activation="relu", name="d1"), layers.Dense(2, name="d2")], name="block"
    )
    head_in = lamina.Input((2,), name="head_in")
    head = lamina.Model(head_in, layers.Dense(3, name="head_dense")(head_in), name="head")
    inputs = lamina.Input((3,), name="x")
    return lamina.Model(inputs, layers.Dense(1, name="out")(head(block(inputs))), name="outer")


def test_nested_models_are_one_box_each_by_default():
    model = _nested()
    dot = lamina.utils.model_to_dot(model)
    assert dot.get_subgraphs() == []
    assert _graph(dot, model) == (
        ["block", "head", "out", "x"],
        {("x", "block"), ("block", "head"), ("head", "out")},
    )
    assert any("<b>block</b> (Sequential)" in label for label in _labels(dot))


def test_expand_nested_draws_clusters_with_arrows_to_inner_layers():
    model = _nested()
    dot = lamina.utils.model_to_dot(model, expand_nested=True)
    clusters = dot.get_subgraphs()
    assert sorted(c.get("label") for c in clusters) == ["block", "head"]
    assert all(c.get("style") == "dashed" for c in clusters)
    assert _graph(dot, model) == (
        ["d1", "d2", "head_dense", "head_in", "out", "x"],
        {
            ("x", "d1"),
            ("d1", "d2"),
            ("d2", "head_in"),
            ("head_in", "head_dense"),
            ("head_dense", "out"),
        },
    )


def test_shapes_dtype_activation_and_trainable_in_labels():
    model = _residual()
    model.get_layer("conv_b").trainable = False
    dot = lamina.utils.model_to_dot(
        model, show_shapes=True, show_dtype=True, show_layer_activations=True, show_trainable=True
    )
    labels = {lab.split("<b>")[1].split("</b>")[0]: lab for lab in _labels(dot)}
    assert "Input shape" not in labels["image"]
    assert "Output shape: <b>(None, 8, 8, 3)</b>" in labels["image"]
    skip = labels["skip"]
    assert "Input shape: <b>[(None, 8, 8, 4), (None, 8, 8, 4)]</b>" in skip
    assert "Output shape: <b>(None, 8, 8, 4)</b>" in skip and "Output dtype: <b>float32</b>" in skip
    assert "Activation: <b>linear</b>" in labels["conv_a"]
    assert ">Trainable<" in labels["conv_a"] and ">Non-trainable<" in labels["conv_b"]
    assert "rainable" not in skip  # no weights, nothing to say
    plain = _labels(lamina.utils.model_to_dot(model, show_layer_names=False))
    assert "Shape" not in "".join(plain) and "<b>Add</b>" in "".join(plain)


def test_subclassed_model_is_one_box():
    class Tiny(lamina.Model):
        def __init__(self):
            super().__init__(name="tiny")
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Tiny()
    model.build((None, 3))
    dot = lamina.utils.model_to_dot(model)
    assert _graph(dot, model) == (["tiny"], set())


def test_unbuilt_model_and_bad_options_are_refused():
    with pytest.raises(ValueError, match="not built yet"):
        lamina.utils.model_to_dot(lamina.Sequential([layers.Dense(2)]))
    model = _residual()
    with pytest.raises(ValueError, match="Received: rankdir='BT'"):
        lamina.utils.model_to_dot(model, rankdir="BT")
    with pytest.raises(ValueError, match=r"Received: to_file='model\.bmpx'"):
        lamina.utils.plot_model(model, to_file="model.bmpx")


def test_missing_pydot_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)  # makes `import pydot` raise ImportError
    with pytest.raises(ImportError, match=r"pip install pydot.*apt-get install graphviz"):
        lamina.utils.plot_model(_residual(), to_file="unused.png")


def test_missing_graphviz_names_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ImportError, match=r"Graphviz `dot`.*brew install graphviz"):
        lamina.utils.plot_model(_residual(), to_file=tmp_path / "model.png")
    assert list(tmp_path.iterdir()) == []
    lamina.utils.plot_model(_residual(), to_file=tmp_path / "model.dot")  # source: no Graphviz
    assert (tmp_path / "model.dot").read_text().startswith("digraph")


@needs_dot
@pytest.mark.parametrize(("name", "magic"), [("m.png", b"\x89PNG"), ("m.svg", b"<?xml")])
def test_plot_model_writes_the_format_of_the_extension(tmp_path, name, magic):
    path = tmp_path / name
    lamina.utils.plot_model(_nested(), to_file=path, show_shapes=True, expand_nested=True)
    assert path.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left
