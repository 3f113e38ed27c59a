"""The numeric Keras 2 backend functions, eager and on symbolic tensors through K.function."""

import numpy as np
import pytest

import lamina
from lamina import backend as K

X = np.random.default_rng(0).uniform(0.5, 2.0, size=(2, 3, 4))
Y = np.random.default_rng(1).uniform(0.5, 2.0, size=(2, 3, 4))

# name, K call on one tensor, NumPy reference
UNARY = [
    ("mean", lambda x: K.mean(x, axis=1), lambda x: x.mean(axis=1)),
    (
        "mean_keepdims",
        lambda x: K.mean(x, axis=[1, 2], keepdims=True),
        lambda x: x.mean((1, 2), keepdims=True),
    ),
    ("sum", lambda x: K.sum(x), lambda x: x.sum()),
    ("max", lambda x: K.max(x, axis=-1), lambda x: x.max(-1)),
    ("min", lambda x: K.min(x, axis=0), lambda x: x.min(0)),
    ("prod", lambda x: K.prod(x, axis=2), lambda x: x.prod(2)),
    ("var", lambda x: K.var(x, axis=1), lambda x: x.var(1)),
    ("std", lambda x: K.std(x, axis=1), lambda x: x.std(1)),
    ("logsumexp", lambda x: K.logsumexp(x, axis=1), lambda x: np.log(np.exp(x).sum(1))),
    ("any", lambda x: K.any(K.greater(x, 1.5), axis=1), lambda x: (x > 1.5).any(1)),
    ("all", lambda x: K.all(K.greater(x, 0.6), axis=1), lambda x: (x > 0.6).all(1)),
    ("square", K.square, np.square),
    ("abs", lambda x: K.abs(-x), np.abs),
    ("sqrt", K.sqrt, np.sqrt),
    ("exp", K.exp, np.exp),
    ("log", K.log, np.log),
    ("sign", lambda x: K.sign(x - 1), lambda x: np.sign(x - 1)),
    ("sigmoid", K.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    (
        "hard_sigmoid",
        lambda x: K.hard_sigmoid(x - 1.5),
        lambda x: np.clip((x - 1.5) / 6 + 0.5, 0, 1),
    ),
    ("tanh", K.tanh, np.tanh),
    ("softplus", K.softplus, lambda x: np.log1p(np.exp(x))),
    ("softsign", K.softsign, lambda x: x / (1 + np.abs(x))),
    ("relu", lambda x: K.relu(x - 1), lambda x: np.maximum(x - 1, 0)),
    (
        "relu_alpha_max",
        lambda x: K.relu(x - 1, alpha=0.1, max_value=0.5),
        lambda x: np.minimum(np.where(x > 1, x - 1, 0.1 * (x - 1)), 0.5),
    ),
    (
        "elu",
        lambda x: K.elu(x - 1, alpha=0.5),
        lambda x: np.where(x > 1, x - 1, 0.5 * np.expm1(x - 1)),
    ),
    ("softmax", K.softmax, lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    ("stop_gradient", K.stop_gradient, lambda x: x),
    ("pow", lambda x: K.pow(x, 3), lambda x: x**3),
    ("clip", lambda x: K.clip(x, 0.8, 1.5), lambda x: np.clip(x, 0.8, 1.5)),
    ("maximum", lambda x: K.maximum(x, 1.2), lambda x: np.maximum(x, 1.2)),
    ("minimum", lambda x: K.minimum(x, 1.2), lambda x: np.minimum(x, 1.2)),
    ("equal", lambda x: K.equal(x, x), lambda x: x == x),
    ("not_equal", lambda x: K.not_equal(x, 1.0), lambda x: x != 1.0),
    ("greater_equal", lambda x: K.greater_equal(x, 1.0), lambda x: x >= 1.0),
    ("less", lambda x: K.less(x, 1.0), lambda x: x < 1.0),
    ("less_equal", lambda x: K.less_equal(x, 1.0), lambda x: x <= 1.0),
    ("cast", lambda x: K.cast(x, "int32"), lambda x: x.astype("int32")),
    ("reshape", lambda x: K.reshape(x, (-1, 12)), lambda x: x.reshape(-1, 12)),
    (
        "permute_dimensions",
        lambda x: K.permute_dimensions(x, (0, 2, 1)),
        lambda x: x.transpose(0, 2, 1),
    ),
    ("transpose", K.transpose, lambda x: x.transpose()),
    ("flatten", K.flatten, lambda x: x.reshape(-1)),
    ("batch_flatten", K.batch_flatten, lambda x: x.reshape(2, -1)),
    ("expand_dims", lambda x: K.expand_dims(x, 1), lambda x: x[:, None]),
    ("squeeze", lambda x: K.squeeze(x[:, :1], 1), lambda x: x[:, 0]),
    ("tile", lambda x: K.tile(x, (1, 2, 1)), lambda x: np.tile(x, (1, 2, 1))),
    ("repeat_elements", lambda x: K.repeat_elements(x, 2, axis=1), lambda x: np.repeat(x, 2, 1)),
    ("reverse", lambda x: K.reverse(x, 1), lambda x: x[:, ::-1]),
    ("gather", lambda x: K.gather(x, [1, 0, 1]), lambda x: x[[1, 0, 1]]),
    ("argmax", K.argmax, lambda x: x.argmax(-1)),
    ("argmin", lambda x: K.argmin(x, axis=1), lambda x: x.argmin(1)),
    ("cumsum", lambda x: K.cumsum(x, axis=1), lambda x: x.cumsum(1)),
    ("cumprod", lambda x: K.cumprod(x, axis=1), lambda x: x.cumprod(1)),
    ("cumprod_default_axis", K.cumprod, lambda x: x.cumprod(0)),
    ("sin", K.sin, np.sin),
    ("cos", K.cos, np.cos),
    ("round", lambda x: K.round(x * 4), lambda x: np.round(x * 4)),
    ("round_halves_to_even", lambda x: K.round(x * 0 + 2.5), lambda x: x * 0 + 2.0),
    ("identity", K.identity, lambda x: x),
    (
        "l2_normalize",
        lambda x: K.l2_normalize(x, axis=-1),
        lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True),
    ),
    (
        "dot",
        lambda x: K.dot(x, K.constant(np.arange(8.0).reshape(4, 2), dtype="float64")),
        lambda x: x @ np.arange(8.0).reshape(4, 2),
    ),
    ("switch", lambda x: K.switch(K.greater(x, 1.0), x, -x), lambda x: np.where(x > 1, x, -x)),
    ("zeros_like", K.zeros_like, np.zeros_like),
    ("ones_like", K.ones_like, np.ones_like),
    ("concatenate", lambda x: K.concatenate([x, x * 2]), lambda x: np.concatenate([x, x * 2], -1)),
    ("one_hot", lambda x: K.one_hot(K.argmax(x), 4), lambda x: np.eye(4)[x.argmax(-1)]),
]


@pytest.mark.parametrize("name, fn, reference", UNARY, ids=[u[0] for u in UNARY])
def test_eager_and_symbolic_agree_with_numpy(name, fn, reference):
    expected = reference(X)
    eager = K.eval(fn(lamina.ops.convert_to_tensor(X)))
    np.testing.assert_allclose(eager, expected, rtol=1e-6, atol=1e-12)
    x = K.placeholder((None, 3, 4), dtype="float64")
    symbolic = fn(x)
    assert K.is_keras_tensor(symbolic)
    fed = K.function([x], [symbolic])([X])[0]
    np.testing.assert_allclose(fed, expected, rtol=1e-6, atol=1e-12)


WITH_ZEROS = X.copy()
WITH_ZEROS[0, 1, :] = WITH_ZEROS[1, 0, 2] = WITH_ZEROS[1, 2, 2] = 0.0

GRADIENTS = [
    ("sin", K.sin, X),
    ("cos", K.cos, X),
    ("identity", K.identity, X),
    ("cumprod", lambda x: K.cumprod(x, axis=1), X),
    ("cumprod_with_zeros", lambda x: K.cumprod(x, axis=1), WITH_ZEROS),
    ("cumprod_with_zeros_last_axis", lambda x: K.cumprod(x, axis=-1), WITH_ZEROS),
]


@pytest.mark.parametrize("name, fn, value", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_gradients_agree_with_central_differences(name, fn, value, check_k_gradients):
    check_k_gradients(fn, value)


def test_round_passes_no_gradient():
    x = K.placeholder((None, 3, 4), dtype="float64")
    grad = K.gradients(K.sum(x * 2.0 + K.round(x)), [x])[0]
    np.testing.assert_array_equal(K.function([x], [grad])([X])[0], np.full(X.shape, 2.0))


def test_binary_arithmetic_mixes_variables_constants_and_symbols():
    x = K.placeholder((None, 4), dtype="float64")
    total = K.variable(0.0, dtype="float64")
    total += K.sum(x * K.constant(2.0, dtype="float64"))  # a Variable += a symbolic tensor
    total = total + K.constant(1.0, dtype="float64") * K.mean(x)
    assert K.is_keras_tensor(total)
    value = K.function([x], [total])([Y[0]])[0]
    np.testing.assert_allclose(value, 2 * Y[0].sum() + Y[0].mean())


def test_variables_values_and_shapes():
    v = K.variable(np.arange(6.0).reshape(2, 3))
    assert isinstance(v, lamina.Variable) and K.dtype(v) == K.floatx() == "float32"
    assert K.int_shape(v) == (2, 3) and K.ndim(v) == 2 and K.count_params(v) == 6
    K.set_value(v, np.ones((2, 3)))
    np.testing.assert_array_equal(K.get_value(v), np.ones((2, 3)))
    K.batch_set_value([(v, np.zeros((2, 3)))])
    np.testing.assert_array_equal(K.batch_get_value([v])[0], np.zeros((2, 3)))
    v2 = v + 1  # Keras 2: a tensor, the variable unchanged
    assert not isinstance(v2, lamina.Variable) and K.eval(v).sum() == 0
    for make, value in ((K.zeros, 0.0), (K.ones, 1.0)):
        made = make((2, 2))
        assert isinstance(made, lamina.Variable)
        np.testing.assert_array_equal(K.eval(made), np.full((2, 2), value))
    np.testing.assert_array_equal(K.eval(K.eye(3)), np.eye(3))
    np.testing.assert_array_equal(K.eval(K.constant(2.0, shape=(2, 2))), np.full((2, 2), 2.0))
    np.testing.assert_array_equal(K.eval(K.arange(1, 7, 2)), [1, 3, 5])
    assert K.cast_to_floatx([1, 2]).dtype == np.float32
    np.testing.assert_array_equal(K.eval(K.stack([K.constant(1.0), K.constant(2.0)])), [1, 2])
    with pytest.raises(TypeError, match="K.function"):
        K.eval(K.placeholder((None, 2)))
    with pytest.raises(TypeError, match="Variable"):
        K.set_value(K.constant(1.0), 2.0)


def test_shape_is_dynamic_and_int_shape_static():
    x = K.placeholder((None, 5))
    assert K.int_shape(x) == (None, 5)
    batch = K.shape(x)[0]
    f = K.function([x], [K.shape(x), batch])
    shape, size = f([np.zeros((3, 5), dtype="float32")])
    np.testing.assert_array_equal(shape, [3, 5])
    assert size == 3
    np.testing.assert_array_equal(K.eval(K.shape(np.zeros((2, 7)))), [2, 7])


def test_random_normal_with_a_dynamic_batch_dimension():
    z_mean = K.placeholder((None, 2))
    eps = K.random_normal(shape=(K.shape(z_mean)[0], 2), mean=1.0, stddev=0.5)
    assert K.int_shape(eps) == (None, 2)
    sample = K.function([z_mean], [z_mean + eps])([np.zeros((4000, 2), dtype="float32")])[0]
    assert sample.shape == (4000, 2)
    assert abs(sample.mean() - 1.0) < 0.05 and abs(sample.std() - 0.5) < 0.05


def test_random_functions_eager():
    lamina.utils.set_random_seed(0)
    n = K.eval(K.random_normal((20000,), mean=2.0, stddev=3.0))
    assert abs(n.mean() - 2.0) < 0.1 and abs(n.std() - 3.0) < 0.1
    u = K.eval(K.random_uniform((20000,), minval=-1.0, maxval=3.0))
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05
    t = K.eval(K.truncated_normal((20000,), stddev=1.0))
    assert np.abs(t).max() <= 2.0
    b = K.eval(K.random_binomial((20000,), p=0.3))
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.02
    u2 = K.eval(K.random_uniform((K.shape(np.zeros((3, 1)))[0], 2)))
    assert u2.shape == (3, 2)


def test_dropout_scales_the_kept_values():
    x = np.ones((1000,), dtype="float32")
    y = K.eval(K.dropout(lamina.ops.convert_to_tensor(x), 0.25))
    kept = y[y != 0]
    np.testing.assert_allclose(kept, 1 / 0.75, rtol=1e-6)
    assert 0.2 < 1 - kept.size / 1000 < 0.3


def test_settings():
    assert K.epsilon() == 1e-7 and K.floatx() == "float32"
    assert K.image_data_format() == "channels_last" and K.backend() == "lamina"


def test_concatenate_joins_constants_and_placeholders():
    # Neural style transfer's input: two constant images and the placeholder being optimized.
    target, style = K.constant(X[:1]), K.constant(Y[:1])
    combination = K.placeholder((1, 3, 4), dtype="float64")
    batch = K.concatenate([target, style, combination], axis=0)
    assert K.int_shape(batch) == (3, 3, 4)
    grad = K.gradients(K.sum(K.square(batch)), combination)[0]
    value, grad_value = K.function([combination], [batch, grad])([X[1:]])
    np.testing.assert_allclose(value, np.concatenate([X[:1], Y[:1], X[1:]]), rtol=1e-6)
    np.testing.assert_allclose(grad_value, 2 * X[1:], rtol=1e-6)
    unknown = K.concatenate([K.placeholder((None, 4), dtype="float64"), K.constant(X[0])], 0)
    assert K.int_shape(unknown) == (None, 4)


@pytest.mark.parametrize(
    "x_shape, y_shape, axes, equation",
    [
        ((2, 5), (2, 5), 1, "bi,bi->b"),
        ((2, 3, 5), (2, 5, 4), None, "bij,bjk->bik"),
        ((2, 3, 5), (2, 4, 5), (2, 2), "bij,bkj->bik"),
        ((2, 3, 5), (2, 3, 4), 1, "bij,bik->bjk"),
        ((2, 3, 5), (2, 5), None, "bij,bj->bi"),
    ],
)
def test_batch_dot_contracts_per_sample(x_shape, y_shape, axes, equation):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=x_shape), rng.normal(size=y_shape)
    expected = np.einsum(equation, x, y)
    expected = expected[:, None] if expected.ndim == 1 else expected  # Keras 2: (batch, 1)
    np.testing.assert_allclose(K.eval(K.batch_dot(x, y, axes=axes)), expected, rtol=1e-10)
    px = K.placeholder((None, *x_shape[1:]), dtype="float64")
    py = K.placeholder((None, *y_shape[1:]), dtype="float64")
    fed = K.function([px, py], [K.batch_dot(px, py, axes=axes)])([x, y])
    np.testing.assert_allclose(fed[0], expected, rtol=1e-10)
    with pytest.raises(ValueError, match="batch axis"):
        K.batch_dot(x, y, axes=0)


def test_print_tensor_prints_when_computed(capsys):
    x = K.placeholder((None, 2))
    f = K.function([x], [K.print_tensor(x * 2, message="doubled:")])
    assert capsys.readouterr().out == ""
    np.testing.assert_array_equal(f([np.ones((1, 2), "float32")])[0], [[2, 2]])
    assert capsys.readouterr().out.strip() == "doubled: [[2. 2.]]"
    assert K.eval(K.print_tensor(K.constant([1.0]), "eager:")) == 1
    assert capsys.readouterr().out.strip() == "eager: [1.]"


def test_random_variables():
    lamina.utils.set_random_seed(0)
    n = K.random_normal_variable((20000,), mean=2.0, scale=3.0, name="n")
    assert isinstance(n, lamina.Variable) and K.dtype(n) == "float32"
    assert abs(K.eval(n).mean() - 2.0) < 0.1 and abs(K.eval(n).std() - 3.0) < 0.1
    u = K.random_uniform_variable((2, 10000), low=-1.0, high=3.0, dtype="float64", seed=1)
    assert isinstance(u, lamina.Variable) and K.int_shape(u) == (2, 10000)
    assert K.eval(u).min() >= -1 and K.eval(u).max() < 3 and K.dtype(u) == "float64"
    again = K.random_uniform_variable((2, 10000), low=-1.0, high=3.0, dtype="float64", seed=1)
    np.testing.assert_array_equal(K.eval(again), K.eval(u))
