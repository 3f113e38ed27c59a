"""The fused dense op agrees with matmul + bias, forward and backward, for 2-D and 3-D inputs."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.ops.linalg import DenseOp, dense
from lamina.testing import check_gradients


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4), (4,)])
def test_matches_composed_forward_and_backward(x_shape, relu):
    rng = np.random.default_rng(0)
    x = lamina.Variable(rng.normal(size=x_shape))
    kernel = lamina.Variable(rng.normal(size=(4, 3)))
    bias = lamina.Variable(rng.normal(size=(3,)))
    results = []
    composed = lambda a, k, b: ops.matmul(a, k) + b  # noqa: E731
    if relu:
        fused = lambda a, k, b: dense(a, k, b, relu=True)  # noqa: E731
        reference = lambda a, k, b: ops.relu(composed(a, k, b))  # noqa: E731
    else:
        fused, reference = dense, composed
    for fn in (fused, reference):
        with lamina.GradientTape() as tape:
            out = fn(x, kernel, bias)
            loss = ops.sum(out * out)
        results.append((out.numpy(), *[g.numpy() for g in tape.gradient(loss, [x, kernel, bias])]))
    for fused, composed in zip(*results, strict=True):
        np.testing.assert_allclose(fused, composed, rtol=1e-12)


def test_gradient_check_and_one_recorded_op():
    rng = np.random.default_rng(1)
    args = [rng.normal(size=(3, 2, 4)), rng.normal(size=(4, 5)), rng.normal(size=(5,))]
    check_gradients(lambda x, k, b: dense(x, k, b), args)
    check_gradients(lambda x, k, b: dense(x, k, b, relu=True), args)
    with lamina.GradientTape() as tape:
        x = ops.convert_to_tensor(args[0])
        tape.watch(x)
        out = dense(x, *args[1:])
    assert isinstance(out._node, DenseOp)


def test_shape_mismatch_names_the_op():
    with pytest.raises(ValueError, match=r"dense: expected the last axis of x \(3\)"):
        dense(np.ones((2, 3)), np.ones((4, 5)), np.zeros(5))
