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
    # Outside a tape the probabilities are clipped as Keras does; the values agree closely.
    eager = losses.categorical_crossentropy(labels, ops.softmax(logits)).numpy()
    np.testing.assert_allclose(eager, loss.numpy(), rtol=1e-6)
