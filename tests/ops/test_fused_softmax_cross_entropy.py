"""The fused softmax cross-entropy agrees with the composed ops, forward and backward."""

import numpy as np

import lamina
from lamina import losses, ops
from lamina.ops.nn import SoftmaxCrossEntropyOp, softmax_cross_entropy
from lamina.testing import check_gradients


def _data(seed=0, shape=(6, 5)):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=shape) * 3
    labels = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    return labels, logits


def _grads(fn, labels, logits):
    z = lamina.Variable(logits)
    with lamina.GradientTape() as tape:
        loss = ops.sum(fn(ops.convert_to_tensor(labels), z))
    return loss.numpy(), tape.gradient(loss, z).numpy()


def test_matches_composed_log_softmax_forward_and_backward():
    labels, logits = _data()
    fused = _grads(lambda y, z: softmax_cross_entropy(y, z), labels, logits)
    composed = _grads(lambda y, z: -ops.sum(y * ops.log_softmax(z), axis=-1), labels, logits)
    np.testing.assert_allclose(fused[0], composed[0], rtol=1e-12)
    np.testing.assert_allclose(fused[1], composed[1], rtol=1e-10, atol=1e-12)


def test_gradient_check_on_other_axis():
    labels, logits = _data(1, shape=(3, 4, 2))
    labels = np.moveaxis(labels, -1, 1)
    logits = np.moveaxis(logits, -1, 1)
    check_gradients(
        lambda z: softmax_cross_entropy(ops.convert_to_tensor(labels), z, axis=1), [logits]
    )


def test_stable_for_huge_logits():
    labels = np.array([[0.0, 1.0]])
    value = softmax_cross_entropy(
        ops.convert_to_tensor(labels), ops.convert_to_tensor([[1e4, 0.0]])
    )
    np.testing.assert_allclose(value.numpy(), [1e4])


def test_categorical_crossentropy_on_a_recorded_softmax_uses_the_logits():
    labels, logits = _data(2)
    z = lamina.Variable(logits)
    with lamina.GradientTape() as tape:
        probs = ops.softmax(z)
        loss = losses.categorical_crossentropy(labels, probs)
    assert isinstance(loss._node, SoftmaxCrossEntropyOp)
    grad = tape.gradient(loss, z, output_gradients=np.ones(6))
    expected = _grads(lambda y, t: -ops.sum(y * ops.log_softmax(t), axis=-1), labels, logits)
    np.testing.assert_allclose(grad.numpy(), expected[1], rtol=1e-10, atol=1e-12)
    # Outside a tape the softmax output carries its logits too: the very same values.
    eager = losses.categorical_crossentropy(labels, ops.softmax(logits)).numpy()
    np.testing.assert_array_equal(eager, loss.numpy())


def _saturated():
    """Logits whose softmax gives the true class less than epsilon: clipping would cap the loss
    at -log(1e-7) = 16.12, the logits give 40."""
    z = np.array([[30.0, -10.0, 0.0], [0.0, 2.0, -1.0]], dtype=np.float32)
    y = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    return y, z


def test_crossentropy_of_a_softmax_is_the_same_in_and_out_of_a_tape():
    y, z = _saturated()
    plain = losses.categorical_crossentropy(y, ops.softmax(z)).numpy()
    with lamina.no_grad():
        blocked = losses.categorical_crossentropy(y, ops.softmax(z)).numpy()
    t = ops.convert_to_tensor(z)
    with lamina.GradientTape() as tape:
        tape.watch(t)
        taped = losses.categorical_crossentropy(y, ops.softmax(t)).numpy()
    expected = -ops.sum(y * ops.log_softmax(z), axis=-1).numpy()
    np.testing.assert_allclose(plain[0], 40.0, rtol=1e-6)
    np.testing.assert_array_equal(plain, expected)
    np.testing.assert_array_equal(blocked, expected)
    np.testing.assert_array_equal(taped, expected)


def test_a_softmax_over_another_axis_is_not_taken_for_the_class_axis():
    y, z = _saturated()
    probs = ops.softmax(z.T, axis=0).T  # a transposed copy is a plain tensor
    clipped = losses.categorical_crossentropy(y, probs).numpy()
    np.testing.assert_allclose(clipped[0], -np.log(1e-7), rtol=1e-5)


def test_evaluate_and_the_loss_fit_logs_use_the_logits_of_a_softmax_output():
    y, z = _saturated()
    x = np.eye(2, dtype=np.float32)
    model = lamina.Sequential([lamina.layers.Dense(3, activation="softmax", use_bias=False)])
    model.build((None, 2))
    model.layers[0].kernel.assign(z)  # x = I: the logits are z
    model.compile(
        optimizer=lamina.optimizers.SGD(learning_rate=0.0), loss="categorical_crossentropy"
    )
    expected = float(np.mean(-ops.sum(y * ops.log_softmax(z), axis=-1).numpy()))
    evaluated = model.evaluate(x, y, batch_size=2, verbose=0)
    history = model.fit(x, y, batch_size=2, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(evaluated, expected, rtol=1e-6)
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-6)
