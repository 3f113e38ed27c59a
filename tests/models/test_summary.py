"""model.summary(): layer names, output shapes and parameter counts."""

import lamina
from lamina import layers


def summary_text(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "\n".join(lines)


def test_mnist_network_summary():
    model = lamina.Sequential(
        [
            layers.Dense(512, activation="relu", input_shape=(784,), name="hidden"),
            layers.Dense(10, activation="softmax", name="probs"),
        ],
        name="book",
    )
    text = summary_text(model)
    assert 'Model: "book"' in text
    assert "hidden (Dense)" in text and "probs (Dense)" in text
    assert "(None, 512)" in text and "(None, 10)" in text
    assert "401,920" in text and "5,130" in text
    assert "Total params: 407,050" in text
    assert "Trainable params: 407,050" in text
    assert "Non-trainable params: 0" in text


def test_functional_summary_lists_inputs_and_connections():
    a = lamina.Input((3,), name="left")
    b = lamina.Input((3,), name="right")
    out = layers.Dense(2, name="head")(layers.add([a, b], name="sum"))
    text = summary_text(lamina.Model([a, b], out))
    assert "left (InputLayer)" in text and "sum (Add)" in text
    assert "left[0][0], right[0][0]" in text
    assert "Total params: 8" in text


def test_frozen_layers_count_as_non_trainable():
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(3), layers.Dense(2)])
    model.layers[0].trainable = False
    text = summary_text(model)
    assert "Total params: 23" in text
    assert "Trainable params: 8" in text and "Non-trainable params: 15" in text


def test_unbuilt_model_summary_says_so():
    text = summary_text(lamina.Sequential([layers.Dense(2, name="later")]))
    assert "later (Dense)" in text and "unbuilt" in text


def test_line_length_and_default_print(capsys):
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(3)])
    model.summary(line_length=60)
    out = capsys.readouterr().out
    assert "Total params: 15" in out
    assert max(len(line) for line in out.splitlines()) <= 64


def test_functional_chain_has_no_connected_to_column():
    inputs = lamina.Input((4,), name="x")
    outputs = layers.Dense(2, name="head")(layers.Dense(3, name="hidden")(inputs))
    text = summary_text(lamina.Model(inputs, outputs))
    assert "Connected to" not in text and "x[0][0]" not in text
    assert "x (InputLayer)" in text and "hidden (Dense)" in text and "head (Dense)" in text


def test_branches_and_shared_layers_keep_connected_to():
    inputs = lamina.Input((4,), name="x")
    hidden = layers.Dense(3, name="hidden")(inputs)
    merged = layers.concatenate([layers.Dense(2, name="a")(hidden), hidden], name="cat")
    assert "Connected to" in summary_text(lamina.Model(inputs, merged))
    shared = layers.Dense(4, name="shared")
    assert "Connected to" in summary_text(lamina.Model(inputs, shared(shared(inputs))))
