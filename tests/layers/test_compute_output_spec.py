"""compute_output_shape and compute_output_spec of every built-in layer agree with its call."""

import numpy as np
import pytest

import lamina
from lamina import layers

# (layer factory, input shapes without the batch axis: one tuple, or a list for several inputs)
CASES = [
    (lambda: layers.Dense(3), (4,)),
    (lambda: layers.Dense(3), (2, 4)),
    (lambda: layers.Activation("relu"), (4,)),
    (lambda: layers.Activation("softmax"), (2, 4)),
    (lambda: layers.Dropout(0.5), (2, 4)),
    (lambda: layers.Flatten(), (2, 3, 4)),
    (lambda: layers.Flatten(), ()),
    (lambda: layers.Reshape((3, -1)), (2, 6)),
    (lambda: layers.Reshape((2, 2, 3)), (12,)),
    (lambda: layers.Permute((2, 3, 1)), (2, 3, 4)),
    (lambda: layers.RepeatVector(3), (4,)),
    (lambda: layers.ReLU(max_value=1.0), (4,)),
    (lambda: layers.LeakyReLU(), (4,)),
    (lambda: layers.ELU(), (4,)),
    (lambda: layers.Softmax(axis=1), (3, 4)),
    (lambda: layers.Add(), [(3,), (3,)]),
    (lambda: layers.Add(), [(2, 3), (1, 3), (3,)]),
    (lambda: layers.Subtract(), [(3,), (3,)]),
    (lambda: layers.Multiply(), [(2, 1), (2, 3)]),
    (lambda: layers.Average(), [(3,), (3,)]),
    (lambda: layers.Maximum(), [(3,), (3,)]),
    (lambda: layers.Minimum(), [(3,), (3,)]),
    (lambda: layers.Concatenate(), [(2, 3), (2, 4)]),
    (lambda: layers.Concatenate(axis=1), [(2, 3), (5, 3)]),
    (lambda: layers.Dot(axes=1), [(3,), (3,)]),
    (lambda: layers.Dot(axes=(1, 2)), [(3, 5), (4, 3)]),
    (lambda: layers.Dot(axes=-1, normalize=True), [(2, 3), (4, 3)]),
    (lambda: layers.Lambda(lambda x: x[:, :2], output_shape=(2,)), (4,)),
    (lambda: layers.Lambda(lambda x: x[:, :2], output_shape=lambda s: (s[0], 2)), (4,)),
    (lambda: layers.Lambda(lambda x: x[:, :2]), (4,)),
]


def _batch(shapes, n):
    if isinstance(shapes, list):
        return [(n, *s) for s in shapes]
    return (n, *shapes)


def _arrays(shapes, dtype):
    rng = np.random.default_rng(0)
    if isinstance(shapes, list):
        return [_arrays(s, dtype) for s in shapes]
    return (rng.uniform(0.5, 2, shapes) * 3).astype(dtype)


def _inputs(shapes, dtype):
    if isinstance(shapes, list):
        return [_inputs(s, dtype) for s in shapes]
    return lamina.Input(batch_shape=shapes, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
@pytest.mark.parametrize(("make", "shapes"), CASES)
def test_spec_matches_the_eager_call(make, shapes, dtype):
    eager = make()(_arrays(_batch(shapes, 2), dtype))
    layer = make()
    symbolic = layer(_inputs(_batch(shapes, None), dtype))
    assert symbolic.shape == (None, *eager.shape[1:])
    if isinstance(layer, layers.Lambda) and layer.declares_output_shape():
        # As in Keras, a declared Lambda's output has the layer's dtype: the function is opaque.
        assert symbolic.dtype == np.float32
    else:
        assert symbolic.dtype == eager.dtype
    assert make().compute_output_shape(_batch(shapes, None)) == symbolic.shape


def test_keras_shapes_with_unknown_axes():
    assert layers.Reshape((-1, 2)).compute_output_shape((None, None, 4)) == (None, None, 2)
    assert layers.Reshape((-1, 2)).compute_output_shape((8, 3, 4)) == (8, 6, 2)
    assert layers.Flatten().compute_output_shape((None, None, 4)) == (None, None)
    assert layers.Concatenate().compute_output_shape([(None, 2, 3), (None, None, 4)]) == (
        None,
        2,
        7,
    )
    assert layers.Concatenate().compute_output_shape([(None, 3), (None, None)]) == (None, None)
    # An unknown axis meeting a known one must be 1 or that length: the result is the length.
    assert layers.Add().compute_output_shape([(None, None, 3), (None, 5, 3)]) == (None, 5, 3)
    assert layers.Add().compute_output_shape([(None, 1), (4, 3)]) == (4, 3)
    assert layers.Dot(axes=1).compute_output_shape([(None, 3), (None, 3)]) == (None, 1)
    assert layers.Lambda(lambda x: x, output_shape=[(2,), (3,)]).compute_output_shape(
        (None, 4)
    ) == [(None, 2), (None, 3)]
    assert layers.InputLayer((3,)).compute_output_shape((None, 3)) == (None, 3)


@pytest.mark.parametrize(
    ("make", "shapes", "message"),
    [
        (lambda: layers.Reshape((5,)), (None, 2, 3), r"6 values, which cannot take target_shape"),
        (lambda: layers.Reshape((4, -1)), (None, 6), r"Received: input_shape=\(None, 6\)"),
        (lambda: layers.Permute((2, 1)), (None, 2, 3, 4), "expects inputs of rank 3"),
        (lambda: layers.RepeatVector(2), (None, 2, 3), "expects 2-D inputs"),
        (lambda: layers.Add(), [(None, 3)], "list of at least 2 inputs"),
        (lambda: layers.Add(), [(None, 3), (None, 4)], "compatible shapes"),
        (lambda: layers.Subtract(), [(None, 3)] * 3, "exactly 2 inputs"),
        (lambda: layers.Concatenate(), [(None, 2, 3), (None, 4, 3)], "other axes match"),
        (lambda: layers.Concatenate(), [(None, 3), (None, 2, 3)], "other axes match"),
        (lambda: layers.Dot(axes=1), [(None, 3), (None, 4)], "must have the same length"),
        (lambda: layers.Dot(axes=0), [(None, 3), (None, 3)], "batch axis"),
        (lambda: layers.Dot(axes=1), [(None, 3)] * 3, "list of 2 inputs"),
    ],
)
def test_symbolic_calls_refuse_what_the_call_would(make, shapes, message):
    with pytest.raises(ValueError, match=message):
        make().compute_output_shape(shapes)
    inputs = (
        [lamina.Input(batch_shape=s) for s in shapes]
        if isinstance(shapes, list)
        else lamina.Input(batch_shape=shapes)
    )
    with pytest.raises(ValueError, match=message):
        make()(inputs)


def test_a_built_dense_refuses_another_input_width_symbolically():
    dense = layers.Dense(2)
    dense(lamina.Input((3,)))
    with pytest.raises(ValueError, match=r"built for inputs with last axis 3.*\(None, 4\)"):
        dense(lamina.Input((4,)))


def test_text_vectorization_spec_follows_the_output_mode():
    text = lamina.Input(shape=(1,), dtype="string")
    ids = layers.TextVectorization(vocabulary=["a", "b"], output_sequence_length=4)(text)
    assert ids.shape == (None, 4) and ids.dtype == np.int64
    hot = layers.TextVectorization(vocabulary=["a", "b"], output_mode="multi_hot")(text)
    assert hot.shape == (None, 3) and hot.dtype == np.float32
    with pytest.raises(ValueError, match="one string per sample"):
        layers.TextVectorization(vocabulary=["a"])(lamina.Input((2, 3), dtype="string"))
