"""The reverse-mode engine: graph shapes, depth, broadcasting, recording and freeing."""

import gc
import sys
import time
import tracemalloc
import weakref

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.function import Function
from lamina.testing import check_gradients


def _var(values, dtype="float64"):
    return lamina.Variable(np.asarray(values, dtype=dtype))


def _grad(fn, *values):
    xs = [_var(v) for v in values]
    with lamina.GradientTape() as tape:
        y = fn(*xs)
    grads = tape.gradient(y, xs)
    return [None if g is None else g.numpy() for g in grads]


# Graph shapes -------------------------------------------------------------------------------


def test_a_value_used_twice_gets_both_gradients():
    (g,) = _grad(lambda x: ops.sum(x * x), [1.0, -2.0, 3.0])
    np.testing.assert_allclose(g, [2.0, -4.0, 6.0])


def test_a_value_used_many_times_accumulates():
    (g,) = _grad(lambda x: ops.sum(x + x + x * x + 3 * x), [1.0, 2.0])
    np.testing.assert_allclose(g, [2 + 2 + 3, 2 + 4 + 3])


def test_diamond_graph():
    # x -> a = 2x, b = exp(x) -> c = a * b: dc/dx = 2 exp(x) + 2x exp(x)
    x0 = np.array([0.5, -1.0, 2.0])
    (g,) = _grad(lambda x: ops.sum((2 * x) * ops.exp(x)), x0)
    np.testing.assert_allclose(g, 2 * np.exp(x0) * (1 + x0))


def test_nested_diamonds_match_central_differences():
    def fn(x, w):
        h = ops.tanh(ops.matmul(x, w))
        a, b = h * h, ops.sigmoid(h)
        return ops.sum(a * b + ops.log1p(a) - h)

    rng = np.random.default_rng(0)
    check_gradients(fn, [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))])


def test_intermediate_tensors_can_be_sources():
    x = _var([1.0, 2.0])
    with lamina.GradientTape() as tape:
        h = x * 3
        y = ops.sum(h * h)
    gh, gx = tape.gradient(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(gx.numpy(), [18.0, 36.0])


def test_several_targets_sum_their_gradients():
    x = _var([1.0, 2.0])
    with lamina.GradientTape() as tape:
        a, b = ops.sum(x * x), ops.sum(3 * x)
    np.testing.assert_allclose(tape.gradient([a, b], x).numpy(), [5.0, 7.0])


def test_100000_op_chain_needs_no_recursion_and_little_time():
    limit = sys.getrecursionlimit()
    # This process's CPU time: other jobs on a shared machine do not count against it.
    start = time.process_time()
    x = _var(np.ones(3))
    with lamina.GradientTape() as tape:
        y = x
        for _ in range(100_000):
            y = y * 1.0
        loss = ops.sum(y)
    grad = tape.gradient(loss, x)
    del y, loss
    elapsed = time.process_time() - start
    np.testing.assert_allclose(grad.numpy(), np.ones(3))
    assert sys.getrecursionlimit() == limit
    assert elapsed < 15, f"100,000 ops took {elapsed:.1f} s of CPU time"


def test_a_deep_graph_nobody_differentiates_is_freed_without_recursion():
    x = _var(np.ones(2))
    with lamina.GradientTape(persistent=True):
        y = x
        for _ in range(100_000):
            y = y + 1.0
        ref = weakref.ref(y._node)
    del y  # deallocating 100,000 nested nodes must not overflow the C stack
    assert ref() is None


# Broadcasting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x_shape, y_shape",
    [((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (3,)), ((3, 4), ()), ((1,), (2, 1, 5))],
)
def test_broadcast_gradients_sum_back_to_each_input(x_shape, y_shape):
    rng = np.random.default_rng(1)
    xv, yv = rng.standard_normal(x_shape), rng.standard_normal(y_shape)
    gx, gy = _grad(lambda x, y: ops.sum(x * y), xv, yv)
    full = np.broadcast_shapes(x_shape, y_shape)
    assert gx.shape == x_shape and gy.shape == y_shape
    np.testing.assert_allclose(gx, _sum_to(np.broadcast_to(yv, full), x_shape))
    np.testing.assert_allclose(gy, _sum_to(np.broadcast_to(xv, full), y_shape))


def _sum_to(a, shape):
    while a.ndim > len(shape):
        a = a.sum(axis=0)
    return a.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True).reshape(shape)


def test_broadcasting_against_an_untracked_array_or_scalar():
    (g,) = _grad(lambda x: ops.sum(x * np.arange(3.0) + 2.0), [[1.0], [2.0]])
    np.testing.assert_allclose(g, [[3.0], [3.0]])


def test_max_shares_the_gradient_between_ties():
    (g,) = _grad(lambda x: ops.max(x), [1.0, 3.0, 3.0])
    np.testing.assert_allclose(g, [0.0, 0.5, 0.5])
    (g,) = _grad(lambda x: ops.sum(ops.min(x, axis=1)), [[2.0, 2.0], [1.0, 5.0]])
    np.testing.assert_allclose(g, [[0.5, 0.5], [1.0, 0.0]])


def test_prod_gradient_with_zeros():
    (g,) = _grad(lambda x: ops.prod(x), [2.0, 0.0, 3.0])
    np.testing.assert_allclose(g, [0.0, 6.0, 0.0])


# Recording ----------------------------------------------------------------------------------


def test_nothing_is_recorded_outside_a_tape():
    x = _var([1.0, 2.0])
    y = ops.exp(x * 2) + x
    assert y._node is None
    assert ops.sum(ops.matmul(ops.reshape(x, (1, 2)), ops.reshape(x, (2, 1))))._node is None


def test_no_grad_inside_a_tape_records_nothing():
    x = _var([1.0, 2.0])
    with lamina.GradientTape() as tape:
        with lamina.no_grad():
            frozen = x * 3
        assert frozen._node is None
        live = x * 3
        assert live._node is not None
        loss = ops.sum(frozen * live)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), [9.0, 18.0])


def test_no_grad_restores_recording_and_nests():
    x = _var([1.0])
    with lamina.GradientTape():
        with lamina.no_grad():
            with lamina.no_grad():
                pass
            assert (x * 2)._node is None
        assert (x * 2)._node is not None


def test_untracked_inputs_record_nothing_even_inside_a_tape():
    with lamina.GradientTape():
        y = ops.exp(ops.convert_to_tensor([1.0, 2.0]))
    assert y._node is None


# Freeing ------------------------------------------------------------------------------------


def test_the_graph_is_freed_after_gradient_even_while_the_loss_is_alive():
    x = _var(np.ones(250_000))  # 2 MB per float64 intermediate
    tracemalloc.start()
    try:
        with lamina.GradientTape() as tape:
            loss = ops.sum(ops.exp(x * 2.0) * 3.0)
        before = tracemalloc.get_traced_memory()[0]
        grad = tape.gradient(loss, x)
        del grad
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert loss._node.inputs is None
    assert before - after > 3_000_000, "the intermediates saved for backward were kept"


def test_nodes_die_with_their_outputs():
    x = _var([1.0, 2.0])
    with lamina.GradientTape() as tape:
        y = ops.sum(ops.tanh(x) * x)
    refs = [weakref.ref(y._node)]
    tape.gradient(y, x)
    del y, tape
    gc.collect()
    assert all(r() is None for r in refs)


def _live_functions() -> int:
    return sum(isinstance(o, Function) for o in gc.get_objects())


def test_memory_stays_flat_over_1000_training_steps():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 8)).astype("float32")
    labels = rng.integers(0, 3, 32)
    onehot = ops.one_hot(labels, 3)
    w1 = lamina.Variable(rng.standard_normal((8, 16)) * 0.3, name="w1")
    b1 = lamina.Variable(np.zeros(16), name="b1")
    w2 = lamina.Variable(rng.standard_normal((16, 3)) * 0.3, name="w2")
    weights = [w1, b1, w2]

    def step():
        with lamina.GradientTape() as tape:
            h = ops.relu(ops.matmul(x, w1) + b1)
            logp = ops.log_softmax(ops.matmul(h, w2))
            loss = -ops.mean(ops.sum(onehot * logp, axis=-1))
        for w, g in zip(weights, tape.gradient(loss, weights), strict=True):
            w.assign_sub(0.1 * g.numpy())
        return float(loss)

    first = step()
    for _ in range(99):
        step()
    gc.collect()
    functions_at_100 = _live_functions()
    tracemalloc.start()
    try:
        for _ in range(100):
            step()
        baseline = tracemalloc.get_traced_memory()[0]
        for _ in range(800):
            last = step()
        growth = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    gc.collect()
    assert _live_functions() == functions_at_100
    # Bounded noise (free lists, caches) stays well below this; a leaked graph per step does not.
    assert growth < 400_000, f"memory grew by {growth} bytes over 800 steps"
    assert last < first


# Dtypes -------------------------------------------------------------------------------------


def test_float32_is_the_default():
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == np.float32
    assert lamina.Variable([1.0]).dtype == np.float32
    assert ops.ones((2,)).dtype == np.float32
    assert (ops.convert_to_tensor([1, 2]) * 0.5).dtype == np.float32
    assert ops.mean(ops.convert_to_tensor([1, 2])).dtype == np.float32


def test_float64_is_preserved_through_ops_and_gradients():
    x = _var([0.5, 1.5])
    with lamina.GradientTape() as tape:
        y = ops.sum(ops.softmax(x * 2.0 + 1) * ops.sqrt(x))
    assert y.dtype == np.float64
    assert tape.gradient(y, x).dtype == np.float64


def test_python_scalars_do_not_upcast_float32():
    x = lamina.Variable(np.ones(2, "float32"))
    with lamina.GradientTape() as tape:
        y = ops.sum((x * 2.5 + 1) / 3 - x**2)
    assert y.dtype == np.float32
    assert tape.gradient(y, x).dtype == np.float32


def test_set_floatx_changes_the_defaults():
    assert lamina.backend.floatx() == "float32"
    lamina.backend.set_floatx("float64")
    try:
        assert ops.convert_to_tensor([1.0]).dtype == np.float64
        assert lamina.Variable([1.0]).dtype == np.float64
        assert ops.zeros((1,)).dtype == np.float64
        assert ops.exp(ops.convert_to_tensor([1])).dtype == np.float64
    finally:
        lamina.backend.set_floatx("float32")
    with pytest.raises(ValueError, match="floatx"):
        lamina.backend.set_floatx("int8")


def test_mixed_float_dtypes_promote():
    a = ops.convert_to_tensor(np.ones(2, "float32"))
    b = ops.convert_to_tensor(np.ones(2, "float64"))
    assert (a + b).dtype == np.float64


# Numerical stability ------------------------------------------------------------------------

_BIG = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4 + 1, -1e4 + 2]])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_and_log_softmax_are_finite_for_huge_inputs(dtype):
    x = ops.convert_to_tensor(_BIG.astype(dtype))
    e = np.exp(np.array([0.0, 1.0, 2.0]))
    np.testing.assert_allclose(ops.softmax(x).numpy(), [[1, 0, 0], e / e.sum()], atol=1e-6)
    log = ops.log_softmax(x).numpy()
    np.testing.assert_allclose(log[0], [0.0, -2e4, -1e4], rtol=1e-6)
    np.testing.assert_allclose(log[1], np.log(e / e.sum()), rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_softplus_logsumexp_are_finite_for_huge_inputs(dtype):
    x = ops.convert_to_tensor(np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype))
    np.testing.assert_allclose(ops.sigmoid(x).numpy(), [0, 0, 0.5, 1, 1], atol=1e-7)
    np.testing.assert_allclose(
        ops.softplus(x).numpy(), [0, np.log1p(np.exp(-50.0)), np.log(2), 50, 1e4], atol=1e-7
    )
    np.testing.assert_allclose(ops.logsumexp(x).numpy(), 1e4, rtol=1e-7)
    both = ops.convert_to_tensor(np.array([1e4, 1e4], dtype))
    np.testing.assert_allclose(ops.logsumexp(both).numpy(), 1e4 + np.log(2), rtol=1e-7)
    low = ops.convert_to_tensor(np.array([-1e4, -1e4], dtype))
    np.testing.assert_allclose(ops.logsumexp(low).numpy(), -1e4 + np.log(2), rtol=1e-7)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: ops.sum(ops.softmax(x) * np.arange(3.0)),
        lambda x: ops.sum(ops.log_softmax(x) * np.arange(3.0)),
        lambda x: ops.sum(ops.sigmoid(x)),
        lambda x: ops.sum(ops.softplus(x)),
        lambda x: ops.logsumexp(x),
    ],
    ids=["softmax", "log_softmax", "sigmoid", "softplus", "logsumexp"],
)
def test_gradients_are_finite_for_huge_inputs(fn):
    (g,) = _grad(fn, [1e4, -1e4, 0.0])
    assert np.isfinite(g).all()


def test_fused_ops_agree_with_their_composed_forms():
    x = np.random.default_rng(2).standard_normal((3, 5))
    t = ops.convert_to_tensor(x)
    np.testing.assert_allclose(ops.log_softmax(t).numpy(), ops.log(ops.softmax(t)).numpy())
    np.testing.assert_allclose(
        ops.logsumexp(t, axis=1).numpy(), ops.log(ops.sum(ops.exp(t), axis=1)).numpy()
    )
    np.testing.assert_allclose(ops.softplus(t).numpy(), ops.log1p(ops.exp(t)).numpy())
    np.testing.assert_allclose(ops.sigmoid(t).numpy(), (1 / (1 + ops.exp(-t))).numpy())
    (g_fused,) = _grad(lambda v: ops.sum(ops.log_softmax(v) * x), x)
    (g_composed,) = _grad(lambda v: ops.sum(ops.log(ops.softmax(v)) * x), x)
    np.testing.assert_allclose(g_fused, g_composed, atol=1e-12)


# Errors -------------------------------------------------------------------------------------


def test_matmul_error_names_the_op_and_the_shapes():
    message = (
        "matmul: expected the last axis of x (784) to match the second-to-last axis of y (512); "
        "received shapes (128, 784) and (512, 10)"
    )
    with pytest.raises(ValueError) as err:
        ops.matmul(np.ones((128, 784)), np.ones((512, 10)))
    assert str(err.value) == message
    with pytest.raises(ValueError, match=r"^matmul: .*\(128, 784\) and \(512, 10\)"):
        ops.convert_to_tensor(np.ones((128, 784))) @ np.ones((512, 10))


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: ops.add(np.ones(3), np.ones(4)), ValueError, r"^add: .*\(3,\) and \(4,\)"),
        (lambda: ops.ones((2, 3)) * ops.ones((3, 2)), ValueError, r"^multiply: .*\(2, 3\)"),
        (lambda: ops.add(np.ones(2), np.array(["a", "b"])), TypeError, r"^add: .*<U1"),
        (lambda: ops.exp(np.array(["a"])), TypeError, r"^exp: .*<U1"),
        (lambda: ops.reshape(np.ones(6), (4, 2)), ValueError, r"^reshape: .*\(6,\).*\(4, 2\)"),
        (lambda: ops.concatenate([np.ones((2, 2)), np.ones((3, 3))]), ValueError, r"^concat"),
        (lambda: ops.sum(np.ones((2, 2)), axis=3), ValueError, r"^sum: axis 3 .* rank 2"),
        (lambda: ops.softmax(np.ones(3), axis=1), ValueError, r"^softmax: axis 1"),
        (lambda: ops.dot(np.ones((2, 3)), np.ones(4)), ValueError, r"^dot: .*\(2, 3\)"),
    ],
)
def test_errors_name_the_op_and_what_was_received(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# Custom ops ---------------------------------------------------------------------------------


class _Cube(Function):
    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, grad):
        # d(x^3) = 3x^2 dx
        return (3 * self.x**2 * grad,)


class _BadShape(Function):
    def forward(self, x):
        return x.sum()

    def backward(self, grad):
        # deliberately the wrong shape
        return (grad,)


def test_a_user_defined_function_is_differentiable():
    check_gradients(lambda x: _Cube.apply(x), [np.array([0.5, -1.5, 2.0])])


def test_backward_returning_a_wrong_shape_is_caught():
    x = lamina.Variable(np.ones(3))
    with lamina.GradientTape() as tape:
        y = _BadShape.apply(x)
    with pytest.raises(RuntimeError, match=r"_BadShape.backward .* shape \(\) .* shape \(3,\)"):
        tape.gradient(y, x)


def test_inputs_nobody_needs_get_no_gradient_computed():
    seen = []

    class Spy(Function):
        def forward(self, x, y):
            return x * y

        def backward(self, grad):
            # d(xy) = y dx + x dy
            seen.append(self.needs_grad)
            return grad, grad

    x = lamina.Variable(np.ones(2))
    with lamina.GradientTape() as tape:
        y = Spy.apply(x, ops.convert_to_tensor(np.ones(2)))
    tape.gradient(y, x)
    assert seen == [(True, False)]


def test_ops_with_no_source_behind_them_run_no_backward():
    calls = []

    class Spy(Function):
        def forward(self, x, y):
            return x * y

        def backward(self, grad):
            # d(xy) = y dx + x dy
            calls.append(self.needs_grad)
            return grad, grad

    frozen, trained = lamina.Variable(np.ones(2)), lamina.Variable(np.ones(2))
    with lamina.GradientTape(persistent=True) as tape:
        features = Spy.apply(Spy.apply(ops.convert_to_tensor(np.ones(2)), frozen), frozen)
        y = Spy.apply(features, trained)
    tape.gradient(y, trained)
    assert calls == [(False, True)]
    calls.clear()
    tape.gradient(y, frozen)  # the same graph, other sources: the whole chain runs
    assert calls == [(True, False), (True, True), (False, True)]
