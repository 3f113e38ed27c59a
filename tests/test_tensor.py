"""The Tensor and Variable API: attributes, conversion, operators, indexing, assignment."""

import numpy as np
import pytest

import lamina
from lamina import ops


def _t(values, dtype="float64"):
    return ops.convert_to_tensor(np.asarray(values, dtype=dtype))


def _grad(fn, values):
    x = lamina.Variable(np.asarray(values, dtype="float64"))
    with lamina.GradientTape() as tape:
        y = fn(x)
    return tape.gradient(y, x).numpy()


# Attributes and conversion ------------------------------------------------------------------


def test_attributes():
    t = _t(np.zeros((2, 3)))
    assert t.shape == (2, 3)
    assert t.dtype == np.float64
    assert t.ndim == 2
    assert t.size == 6
    assert len(t) == 2
    assert t.T.shape == (3, 2)
    assert _t(5.0).shape == () and _t(5.0).ndim == 0


def test_numpy_and_asarray():
    values = np.arange(6.0).reshape(2, 3)
    t = _t(values)
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(t.numpy(), values)
    np.testing.assert_array_equal(np.asarray(t), values)
    assert np.asarray(t, dtype="float32").dtype == np.float32
    assert np.array(t, copy=True) is not t.data


def test_python_conversions():
    assert float(_t(2.5)) == 2.5
    assert int(_t(3.0, "int32")) == 3
    assert bool(_t(1.0)) and not bool(_t(0.0))
    assert _t([4.0]).item() == 4.0
    assert [float(row[0]) for row in _t([[1.0], [2.0]])] == [1.0, 2.0]
    with pytest.raises(TypeError, match="0-d"):
        len(_t(1.0))


def test_repr():
    assert repr(_t([1.0, 2.0])) == "tensor([1., 2.], dtype=float64)"


def test_astype():
    t = _t([1.7, -2.2])
    assert t.astype("int32").dtype == np.int32
    np.testing.assert_array_equal(t.astype("int32").numpy(), [1, -2])
    assert t.astype("float32").dtype == np.float32
    assert t.astype("float64") is t


def test_tensors_can_be_hashed_despite_elementwise_eq():
    a, b = _t([1.0]), _t([1.0])
    assert len({a, b}) == 2
    assert {a: 1}[a] == 1


# Operators ----------------------------------------------------------------------------------


def test_arithmetic_operators_broadcast():
    a = _t([[1.0], [2.0]])  # (2, 1)
    b = _t([10.0, 20.0, 30.0])  # (3,)
    av, bv = a.numpy(), b.numpy()
    for got, want in [
        (a + b, av + bv),
        (a - b, av - bv),
        (a * b, av * bv),
        (a / b, av / bv),
        (a**2, av**2),
        (-a, -av),
        (abs(-a), av),
        (+a, av),
    ]:
        assert isinstance(got, lamina.Tensor)
        np.testing.assert_allclose(got.numpy(), want)


def test_reflected_operators_with_scalars_and_arrays():
    t = _t([1.0, 2.0])
    np.testing.assert_allclose((1 + t).numpy(), [2.0, 3.0])
    np.testing.assert_allclose((1 - t).numpy(), [0.0, -1.0])
    np.testing.assert_allclose((2 * t).numpy(), [2.0, 4.0])
    np.testing.assert_allclose((2 / t).numpy(), [2.0, 1.0])
    np.testing.assert_allclose((2**t).numpy(), [2.0, 4.0])
    arr = np.array([10.0, 20.0])
    for got in (arr + t, arr * t, arr - t, arr / t):
        assert isinstance(got, lamina.Tensor)
    np.testing.assert_allclose((np.eye(2) @ t).numpy(), [1.0, 2.0])


def test_matmul_operator():
    a, b = _t(np.ones((2, 3))), _t(np.ones((3, 4)))
    assert (a @ b).shape == (2, 4)
    np.testing.assert_allclose((a @ b).numpy(), np.full((2, 4), 3.0))


def test_operator_gradients():
    g = _grad(lambda x: ops.sum(2 / x + x**3 - (1 - x) * x @ np.ones((2, 2))), [1.0, 2.0])
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(g, -2 / x**2 + 3 * x**2 + (2 * x - 1) * 2)


def test_comparison_operators_give_boolean_tensors():
    a, b = _t([1.0, 2.0, 3.0]), _t([2.0, 2.0, 2.0])
    for got, want in [
        (a < b, [True, False, False]),
        (a <= b, [True, True, False]),
        (a > b, [False, False, True]),
        (a >= b, [False, True, True]),
        (a == b, [False, True, False]),
        (a != b, [True, False, True]),
        (a > 1.5, [False, True, True]),
    ]:
        assert isinstance(got, lamina.Tensor) and got.dtype == np.bool_
        np.testing.assert_array_equal(got.numpy(), want)
    mask = (a > 1.5) & ~(a > 2.5) | (a == 1.0)
    np.testing.assert_array_equal(mask.numpy(), [True, True, False])


# Indexing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        1,
        -1,
        slice(1, None),
        (slice(None), 0),
        (Ellipsis, slice(None, None, -1)),
        (None, 1),
        [0, 2, 2],
        (np.array([0, 1]), np.array([2, 2])),
        np.array([True, False, True]),
    ],
    ids=["int", "negative", "slice", "column", "reversed", "newaxis", "list", "pairs", "mask"],
)
def test_indexing_matches_numpy(key):
    values = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(_t(values)[key].numpy(), values[key])


def test_indexing_with_a_tensor_key():
    values = np.arange(6.0)
    idx = ops.convert_to_tensor(np.array([5, 0]))
    np.testing.assert_array_equal(_t(values)[idx].numpy(), [5.0, 0.0])
    np.testing.assert_array_equal(_t(values)[_t(values) > 3].numpy(), [4.0, 5.0])


def test_slice_gradient_is_zero_outside_the_slice():
    g = _grad(lambda x: ops.sum(x[1:, ::2] * 3), np.ones((3, 4)))
    want = np.zeros((3, 4))
    want[1:, ::2] = 3
    np.testing.assert_array_equal(g, want)


def test_fancy_index_gradient_scatter_adds_repeats():
    g = _grad(lambda x: ops.sum(x[[0, 2, 2, 2]]), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(g, [1.0, 0.0, 3.0])
    g = _grad(lambda x: ops.sum(x[np.array([0, 0]), np.array([1, 1])]), np.ones((2, 2)))
    np.testing.assert_array_equal(g, [[0.0, 2.0], [0.0, 0.0]])


def test_boolean_index_gradient():
    values = np.array([[1.0, -2.0], [-3.0, 4.0]])
    g = _grad(lambda x: ops.sum(x[x > 0] ** 2), values)
    np.testing.assert_array_equal(g, [[2.0, 0.0], [0.0, 8.0]])


def test_index_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=r"getitem: .*\(3,\)"):
        _t([1.0, 2.0, 3.0])[3]


# Variables ----------------------------------------------------------------------------------


def test_variable_basics():
    v = lamina.Variable([[1.0, 2.0]], name="kernel")
    assert v.name == "kernel"
    assert v.trainable
    assert v.shape == (1, 2)
    assert v.dtype == np.float32  # Python floats take floatx; arrays keep their dtype
    assert lamina.Variable(np.ones(2)).dtype == np.float64
    assert isinstance(v, lamina.Tensor)
    assert isinstance(v.value, lamina.Tensor) and not isinstance(v.value, lamina.Variable)
    assert "kernel" in repr(v)


def test_variable_keeps_a_0d_shape():
    assert lamina.Variable(1.5).shape == ()
    assert lamina.Variable(np.float32(1.5)).shape == ()
    assert lamina.Variable(np.array(2.0)).shape == ()


def test_variable_copies_its_initial_value():
    init = np.zeros(3)
    v = lamina.Variable(init, dtype="float64")
    v.assign_add(np.ones(3))
    np.testing.assert_array_equal(init, np.zeros(3))


def test_variable_from_a_callable_initializer():
    v = lamina.Variable(lambda shape, dtype: np.full(shape, 0.5, dtype), shape=(2, 3))
    assert v.shape == (2, 3) and v.dtype == np.float32
    with pytest.raises(ValueError, match="shape"):
        lamina.Variable(lambda shape, dtype: np.zeros(shape, dtype))


def test_variable_names_are_unique_by_default():
    a, b = lamina.Variable([1.0]), lamina.Variable([1.0])
    assert a.name != b.name


def test_assign_assign_add_assign_sub_work_in_place():
    v = lamina.Variable(np.array([1.0, 2.0]), dtype="float32")
    data = v.data
    assert v.assign([5.0, 6.0]) is v
    np.testing.assert_array_equal(v.numpy(), [5.0, 6.0])
    v.assign_add(ops.convert_to_tensor([1.0, 1.0]))
    np.testing.assert_array_equal(v.numpy(), [6.0, 7.0])
    v.assign_sub(np.array([0.5, 0.5]))
    np.testing.assert_array_equal(v.numpy(), [5.5, 6.5])
    v.assign(np.array([1.0, 2.0], dtype="float64"))
    assert v.data is data and v.dtype == np.float32
    v.assign_add(1.0)  # scalars broadcast
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])


def test_assign_rejects_another_shape():
    v = lamina.Variable(np.zeros((2, 2)))
    for method in (v.assign, v.assign_add, v.assign_sub):
        with pytest.raises(ValueError, match=r"expects shape \(2, 2\).*\(3,\)"):
            method(np.zeros(3))


def test_gradients_follow_assigned_values():
    v = lamina.Variable(np.array([1.0, 2.0]), dtype="float64")
    v.assign([3.0, 4.0])
    with lamina.GradientTape() as tape:
        y = ops.sum(v * v)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [6.0, 8.0])


def test_setting_trainable_changes_watching():
    v = lamina.Variable(np.array([1.0]))
    v.trainable = False
    with lamina.GradientTape() as tape:
        y = ops.sum(v * 2)
    assert tape.gradient(y, v) is None
    v.trainable = True
    with lamina.GradientTape() as tape:
        y = ops.sum(v * 2)
    assert tape.gradient(y, v) is not None
