"""GradientTape: watching, persistence, output gradients, structures, stop_gradient."""

import threading

import numpy as np
import pytest

import lamina
from lamina import ops


def _var(values, **kwargs):
    return lamina.Variable(np.asarray(values, dtype="float64"), **kwargs)


def test_trainable_variables_are_watched_by_themselves():
    w = lamina.Variable([1.0, 2.0])
    with lamina.GradientTape() as tape:
        loss = ops.sum(w * w)
    np.testing.assert_allclose(tape.gradient(loss, w).numpy(), [2.0, 4.0])


def test_watch_a_plain_tensor():
    x = ops.convert_to_tensor([1.0, -3.0])
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(ops.square(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, -6.0])


def test_an_unwatched_tensor_gets_none():
    x = ops.convert_to_tensor([1.0, 2.0])
    with lamina.GradientTape() as tape:
        y = ops.sum(x * 2)
    assert tape.gradient(y, x) is None


def test_watching_ends_with_the_tape():
    x = ops.convert_to_tensor([1.0])
    with lamina.GradientTape() as tape:
        tape.watch(x)
    with lamina.GradientTape():
        assert (x * 2)._node is None


def test_watch_rejects_non_tensors():
    with lamina.GradientTape() as tape, pytest.raises(TypeError, match="watch"):
        tape.watch(np.ones(2))


def test_non_trainable_variables_are_not_watched_unless_asked():
    w = _var([1.0, 2.0], trainable=False)
    with lamina.GradientTape() as tape:
        y = ops.sum(w * 3)
    assert tape.gradient(y, w) is None
    with lamina.GradientTape() as tape:
        tape.watch(w)
        y = ops.sum(w * 3)
    np.testing.assert_allclose(tape.gradient(y, w).numpy(), [3.0, 3.0])


def test_watch_accessed_variables_false_only_differentiates_watched_tensors():
    w, v = _var([2.0]), _var([5.0])
    with lamina.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(v)
        y = ops.sum(w * v)
    gw, gv = tape.gradient(y, [w, v])
    assert gw is None
    np.testing.assert_allclose(gv.numpy(), [2.0])


def test_a_source_the_target_does_not_depend_on_gives_none_or_zeros():
    x, unused = _var([1.0, 2.0]), _var([[3.0]])
    with lamina.GradientTape(persistent=True) as tape:
        y = ops.sum(x)
    assert tape.gradient(y, [x, unused])[1] is None
    zero = tape.gradient(y, unused, unconnected_gradients="zero")
    np.testing.assert_array_equal(zero.numpy(), [[0.0]])
    assert zero.dtype == unused.dtype
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tape.gradient(y, x, unconnected_gradients="nan")


def test_a_target_that_depends_on_nothing_gives_none():
    x = _var([1.0])
    with lamina.GradientTape() as tape:
        y = ops.convert_to_tensor([2.0]) * 3
    assert tape.gradient(y, x) is None


def test_persistent_tape_allows_several_gradient_calls():
    x = _var([1.0, 2.0])
    with lamina.GradientTape(persistent=True) as tape:
        y = ops.sum(x * x)
        z = ops.sum(ops.exp(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), np.exp([1.0, 2.0]))


def test_a_second_call_on_a_non_persistent_tape_raises():
    x = _var([1.0])
    with lamina.GradientTape() as tape:
        y = ops.sum(x * x)
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, x)


def test_a_graph_freed_by_another_tape_raises_a_clear_error():
    x = _var([1.0])
    with lamina.GradientTape() as first:
        y = ops.sum(x * x)
    first.gradient(y, x)
    with lamina.GradientTape() as second:
        z = y * 2
    with pytest.raises(RuntimeError, match="freed"):
        second.gradient(z, x)


def test_gradient_inside_the_with_block():
    x = _var([3.0])
    with lamina.GradientTape() as tape:
        y = ops.sum(x * x)
        g = tape.gradient(y, x)
    np.testing.assert_allclose(g.numpy(), [6.0])


def test_output_gradients_weight_a_non_scalar_target():
    x, w = _var([1.0, 2.0, 3.0]), _var([4.0, 5.0, 6.0])
    upstream = np.array([1.0, 0.0, -2.0])
    with lamina.GradientTape() as tape:
        y = x * w
    gx, gw = tape.gradient(y, [x, w], output_gradients=upstream)
    np.testing.assert_allclose(gx.numpy(), upstream * w.numpy())
    np.testing.assert_allclose(gw.numpy(), upstream * x.numpy())


def test_output_gradients_one_per_target():
    x = _var([1.0, 2.0])
    with lamina.GradientTape() as tape:
        a, b = x * 2, x * x
    g = tape.gradient([a, b], x, output_gradients=[np.ones(2), ops.convert_to_tensor([1.0, 3.0])])
    np.testing.assert_allclose(g.numpy(), [2 + 2, 2 + 12])


def test_output_gradients_must_fit_the_targets():
    x = _var([1.0, 2.0])
    with lamina.GradientTape(persistent=True) as tape:
        y = x * 2
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        tape.gradient(y, x, output_gradients=np.ones(3))
    with pytest.raises(ValueError, match="one output gradient per target"):
        tape.gradient([y, y], x, output_gradients=[np.ones(2)])


def test_an_infinite_target_still_seeds_ones():
    x = _var([1.0, 2.0])
    with lamina.GradientTape() as tape:
        y = x * np.array([np.inf, 1.0])
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [np.inf, 1.0])


def test_sources_keep_their_structure():
    a, b = _var([1.0]), _var([2.0])
    with lamina.GradientTape(persistent=True) as tape:
        y = ops.sum(a * b)
    as_dict = tape.gradient(y, {"a": a, "b": b})
    assert set(as_dict) == {"a", "b"}
    np.testing.assert_allclose(as_dict["b"].numpy(), [1.0])
    assert isinstance(tape.gradient(y, (a, b)), tuple)
    assert isinstance(tape.gradient(y, [a, b]), list)
    assert isinstance(tape.gradient(y, a), lamina.Tensor)


def test_gradient_rejects_non_tensors():
    x = _var([1.0])
    with lamina.GradientTape() as tape:
        y = ops.sum(x)
    with pytest.raises(TypeError, match="tensors"):
        tape.gradient(y, np.ones(1))


def test_returned_gradients_are_writable_and_not_shared():
    x, y = _var(np.ones((2, 3))), _var(np.ones((2, 3)))
    with lamina.GradientTape() as tape:
        loss = ops.sum(x + y)  # the sum's gradient is a broadcast view; add passes it on twice
    gx, gy = tape.gradient(loss, [x, y])
    gx.numpy()[0, 0] = 5.0
    assert gy.numpy()[0, 0] == 1.0


def test_stop_gradient_blocks_the_gradient():
    x = _var([2.0, 3.0])
    with lamina.GradientTape() as tape:
        y = ops.sum(lamina.stop_gradient(x) * x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 3.0])


def test_stop_recording_pauses_the_tape():
    x = _var([2.0])
    with lamina.GradientTape() as tape:
        with tape.stop_recording():
            frozen = x * x
        y = ops.sum(frozen * x)
        assert frozen._node is None
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [4.0])


def test_nested_tapes_each_give_their_gradient():
    x = _var([3.0])
    with lamina.GradientTape() as outer:
        with lamina.GradientTape() as inner:
            y = ops.sum(x * x)
        g_inner = inner.gradient(y, x)
        z = y * 2
    np.testing.assert_allclose(g_inner.numpy(), [6.0])
    np.testing.assert_allclose(outer.gradient(z, x).numpy(), [12.0])


def test_a_tape_closed_by_an_exception_stops_recording():
    x = _var([1.0])
    with pytest.raises(KeyError), lamina.GradientTape():
        raise KeyError("boom")
    assert (x * 2)._node is None


def test_gradient_of_a_gradient_raises_instead_of_none():
    x = _var([3.0])
    with lamina.GradientTape() as outer:
        with lamina.GradientTape() as inner:
            y = ops.sum(x * x * x)
        g = inner.gradient(y, x)
        penalty = ops.sum(g * g)
    np.testing.assert_allclose(g.numpy(), [27.0])  # the first-order value is still right
    with pytest.raises(NotImplementedError, match="second-order.*not supported yet"):
        outer.gradient(penalty, x)


def test_gradient_of_a_gradient_taken_inside_the_inner_block_raises():
    x = _var([3.0])
    with lamina.GradientTape() as outer:
        with lamina.GradientTape() as inner:
            y = ops.sum(x * x)
            g = inner.gradient(y, x)
    with pytest.raises(NotImplementedError, match="gradient of a gradient"):
        outer.gradient(g, x)


def test_a_taken_gradient_can_still_be_a_source():
    x = _var([3.0])
    with lamina.GradientTape() as outer:
        with lamina.GradientTape() as inner:
            y = ops.sum(x * x)
        g = inner.gradient(y, x)
        z = ops.sum(g * g)
    np.testing.assert_allclose(outer.gradient(z, g).numpy(), [12.0])  # dz/dg = 2g


def test_gradients_taken_with_no_outer_tape_carry_no_graph():
    x = _var([3.0])
    with lamina.GradientTape() as tape:
        y = ops.sum(x * x)
    g = tape.gradient(y, x)
    assert g._node is None
    with lamina.GradientTape(persistent=True) as tape:
        y = ops.sum(x * x)
        g = tape.gradient(y, x)
    assert g._node is None


def test_no_grad_in_one_thread_leaves_a_tape_in_another_recording():
    x = _var([2.0])
    entered, release = threading.Event(), threading.Event()

    def hold_no_grad():
        with lamina.no_grad():
            entered.set()
            release.wait(10)

    other = threading.Thread(target=hold_no_grad)
    with lamina.GradientTape() as tape:
        other.start()
        assert entered.wait(10)
        y = ops.sum(x * x * x)  # recorded while the other thread is inside no_grad
        release.set()
    other.join()
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [12.0])


def test_a_tape_in_one_thread_records_nothing_in_another():
    x = _var([2.0])
    nodes = []
    with lamina.GradientTape():
        worker = threading.Thread(target=lambda: nodes.append((x * x)._node))
        worker.start()
        worker.join()
    assert nodes == [None]
