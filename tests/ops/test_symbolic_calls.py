"""`lamina.ops`, losses and activations on symbolic tensors make graph nodes, as in Keras 3."""

import inspect

import numpy as np
import pytest

import lamina
from lamina import activations, layers, losses, ops
from lamina.layers.symbolic import KerasTensor
from lamina.ops import symbolic

RNG = np.random.default_rng(0)
A = RNG.uniform(0.1, 1.0, size=(3, 4)).astype("float32")
B = RNG.uniform(0.1, 1.0, size=(3, 4)).astype("float32")

# Each entry runs on symbolic inputs (in a model) and on the eager values: both must agree.
CASES = {
    "add": lambda a, b: ops.add(a, b),
    "mean_axis_kw": lambda a, b: ops.mean((a - b) ** 2, axis=1),
    "sum_positional_none": lambda a, b: ops.sum(a, None, True),
    "max_min": lambda a, b: ops.max(a, axis=-1) - ops.min(b, axis=-1),
    "argmax": lambda a, b: ops.argmax(a, axis=1),
    "exp_log_sqrt": lambda a, b: ops.exp(a) + ops.log(b) + ops.sqrt(a),
    "clip": lambda a, b: ops.clip(a, 0.2, 0.8),
    "where": lambda a, b: ops.where(ops.greater(a, b), a, b),
    "concatenate_list": lambda a, b: ops.concatenate([a, b], axis=-1),
    "stack_list": lambda a, b: ops.stack([a, b, a], axis=1),
    "reshape_transpose": lambda a, b: ops.transpose(ops.reshape(a, (-1, 2, 2)), (0, 2, 1)),
    "expand_squeeze": lambda a, b: ops.squeeze(ops.expand_dims(a, 1), axis=1),
    "matmul": lambda a, b: ops.matmul(a, np.ones((4, 2), "float32")),
    "einsum_varargs": lambda a, b: ops.einsum("ij,ij->i", a, b),
    "take": lambda a, b: ops.take(a, [0, 2], axis=1),
    "take_along_axis": lambda a, b: ops.take_along_axis(a, ops.argmax(b, axis=1)[:, None], 1),
    "split_list_out": lambda a, b: ops.split(a, 2, axis=1)[1],
    "softmax_logsumexp": lambda a, b: ops.softmax(a) + ops.logsumexp(b, axis=1, keepdims=True),
    "cumsum": lambda a, b: ops.cumsum(a, axis=1),
    "std_var": lambda a, b: ops.std(a, axis=1) + ops.var(b, axis=1),
    "one_hot_kw_after_default": lambda a, b: ops.one_hot(ops.argmax(a, axis=1), 4, dtype="int32"),
    "cast": lambda a, b: ops.cast(a > b, "float32"),
    "pad": lambda a, b: ops.pad(a, [[0, 0], [1, 2]]),
    "tile_repeat": lambda a, b: ops.repeat(ops.tile(a, (1, 2)), 2, axis=1),
    "full_like": lambda a, b: ops.full_like(a, 3.0) * b,
    "convert_to_tensor": lambda a, b: ops.convert_to_tensor(a) + 1.0,
    "stop_gradient": lambda a, b: ops.stop_gradient(a),
    "nn": lambda a, b: ops.relu(a - 0.5) + ops.sigmoid(b) + ops.gelu(a),
    "tensor_plus_symbolic": lambda a, b: ops.convert_to_tensor(np.arange(4.0, dtype="float32")) + a,
    "bce": lambda a, b: losses.binary_crossentropy(a, b),
    "mse_alias": lambda a, b: losses.mse(a, b),
    "categorical_crossentropy": lambda a, b: losses.categorical_crossentropy(
        ops.softmax(a), b, from_logits=True
    ),
    "sparse_categorical": lambda a, b: losses.sparse_categorical_crossentropy(
        ops.argmax(a, axis=1), b
    ),
    "kl_huber_kwargs": lambda a, b: (
        losses.kl_divergence(a, b) + losses.huber(y_true=a, y_pred=b, delta=0.5)
    ),
    "activations": lambda a, b: (
        activations.relu(a, max_value=0.5) + activations.swish(b) + activations.softmax(a, axis=-1)
    ),
}


def _run(fn):
    a, b = lamina.Input((4,)), lamina.Input((4,))
    out = fn(a, b)
    assert isinstance(out, KerasTensor)
    model = lamina.Model([a, b], out)
    return out, model


@pytest.mark.parametrize("name", sorted(CASES))
def test_symbolic_ops_in_a_model_match_eager(name):
    out, model = _run(CASES[name])
    eager = ops.convert_to_numpy(CASES[name](ops.convert_to_tensor(A), ops.convert_to_tensor(B)))
    got = model.predict([A, B], verbose=0)
    np.testing.assert_allclose(got, eager, rtol=1e-6, atol=1e-6)
    # The node's spec (Keras: compute_output_spec) is the value's, None for the batch's sizes.
    assert len(out.shape) == eager.ndim and out.dtype == eager.dtype
    assert all(n in (None, m) for n, m in zip(out.shape, eager.shape, strict=True))
    assert (out.shape[0] is None) == (eager.shape[0] == len(A))


def test_every_public_op_is_wrapped_and_keeps_its_signature():
    for name in ops.__all__:
        fn = getattr(ops, name)
        if inspect.ismodule(fn) or name in symbolic.NOT_SYMBOLIC:
            continue
        assert fn.__name__ == fn.__wrapped__.__name__ and fn.__doc__ == fn.__wrapped__.__doc__
        assert inspect.signature(fn) == inspect.signature(fn.__wrapped__), name


def test_shape_of_a_symbolic_tensor_is_its_shape_and_numpy_refuses_it():
    x = lamina.Input((4, 2))
    assert ops.shape(x) == (None, 4, 2)
    with pytest.raises(ValueError, match="is symbolic: a placeholder"):
        ops.convert_to_numpy(x)
    assert not ops.is_tensor(x)


def test_eager_errors_are_untouched():
    with pytest.raises(ValueError, match="mean: axis 3 is out of range"):
        ops.mean(np.ones((2, 2)), axis=3)


def test_a_symbolic_op_that_fails_names_the_op_and_the_problem():
    x = lamina.Input((4,))
    with pytest.raises(ValueError, match="mean: axis 3 is out of range for a tensor of rank 2"):
        ops.mean(x, axis=3)
    with pytest.raises(ValueError, match="mean_squared_error"):
        losses.mean_squared_error(x, lamina.Input((3,)))


def test_nodes_record_only_the_arguments_given():
    x = lamina.Input((4,))
    layer = ops.one_hot(ops.argmax(x, axis=1), 4, dtype="int32").node.layer
    assert (layer.op, layer.op_kwargs) == ("one_hot", {"dtype": "int32"})
    assert layer.op_args[1] == 4 and len(layer.op_args) == 2
    assert losses.huber(y_true=x, y_pred=x, delta=0.5).node.layer.op == "losses.huber"


def test_gradients_flow_through_op_nodes_in_fit():
    lamina.utils.set_random_seed(0)
    x = lamina.Input((4,))
    d1, d2 = layers.Dense(3)(x), layers.Dense(3)(x)
    both = ops.concatenate([d1, ops.stack([d2, d2], axis=1)[:, 0]], axis=-1)
    out = ops.mean(both, axis=1, keepdims=True)
    model = lamina.Model(x, out)
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    data = RNG.normal(size=(64, 4)).astype("float32")
    target = data.sum(axis=1, keepdims=True)
    history = model.fit(data, target, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert all(not np.allclose(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_a_model_whose_output_is_a_loss_trains_and_round_trips(tmp_path):
    lamina.utils.set_random_seed(0)
    x = lamina.Input((4,))
    prob = layers.Dense(4, activation="sigmoid")(x)
    loss = losses.binary_crossentropy(x, prob)
    model = lamina.Model(x, [loss, ops.concatenate([prob, x], axis=-1)])
    eager = losses.binary_crossentropy(A, model.layers[1](A)).numpy()
    np.testing.assert_allclose(model.predict(A, verbose=0)[0], eager, rtol=1e-6)

    clone = lamina.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = lamina.models.load_model(path)
    for other in (clone, loaded):
        for got, want in zip(other.predict(A, verbose=0), model.predict(A, verbose=0), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-6)


def test_ops_on_closure_tensors_get_their_values_in_a_keras_2_layer():
    x = lamina.Input((4,))
    hidden = layers.Dense(4)(x)

    class AddMean(layers.Layer):
        def call(self, inputs):
            return inputs + ops.mean(hidden, axis=1, keepdims=True)  # reads `hidden`, symbolic

    model = lamina.Model(x, AddMean()(hidden))
    h = model.layers[1](A).numpy()
    np.testing.assert_allclose(model.predict(A, verbose=0), h + h.mean(1, keepdims=True), 1e-6)


def test_symbolic_function_decorates_losses_and_activations_by_name():
    assert losses.get("mse") is losses.mean_squared_error
    assert activations.get("swish") is activations.silu
    y = lamina.Input((4,))
    assert activations.silu(y).node.layer.op == "activations.silu"
    assert activations.relu(np.array([-1.0, 2.0])).numpy().tolist() == [0.0, 2.0]
    for fn in (losses.huber, activations.relu, losses.sparse_categorical_crossentropy):
        assert inspect.signature(fn) == inspect.signature(fn.__wrapped__)
    assert losses.mse([[0.0, 1.0]], [[0.5, 0.5]]).numpy().tolist() == [0.25]  # lists: eager


def test_twins_keep_every_kind_of_parameter():
    def f(a, /, b, *rest, c, d=2, **kw):
        return a, b, rest, c, d, kw

    for twin in (symbolic.op_fallback(f, "f"), symbolic.symbolic_function("test")(f)):
        assert inspect.signature(twin) == inspect.signature(f) and twin.__wrapped__ is f
        assert twin(1, 2, 3, c=4, e=5) == (1, 2, (3,), 4, 2, {"e": 5})
        assert twin(1, b=[2], c=4, d=6) == (1, [2], (), 4, 6, {})
