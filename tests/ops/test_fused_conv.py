"""The fused conv + bias (+ relu) op agrees with conv, add and relu, forward and backward."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.ops.conv import ConvBiasOp, conv_bias
from lamina.testing import check_gradients


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize(
    ("x_shape", "kwargs"),
    [
        ((2, 6, 5, 3), {}),
        ((2, 6, 5, 3), {"strides": 2, "padding": "same"}),
        ((2, 3, 6, 5), {"data_format": "channels_first", "dilation_rate": 2}),
        ((2, 7, 3), {"padding": "same"}),
    ],
)
def test_matches_composed_forward_and_backward(x_shape, kwargs, relu):
    rng = np.random.default_rng(0)
    nd = len(x_shape) - 2
    x = lamina.Variable(rng.normal(size=x_shape))
    kernel = lamina.Variable(rng.normal(size=(*(3,) * nd, 3, 4)))
    bias = lamina.Variable(rng.normal(size=(4,)))
    channels_first = kwargs.get("data_format") == "channels_first"
    bias_shape = (1, 4, *(1,) * nd) if channels_first else (4,)

    def composed(a, k, b):
        y = ops.conv(a, k, **kwargs) + ops.reshape(b, bias_shape)
        return ops.relu(y) if relu else y

    results = []
    for fn in (lambda a, k, b: conv_bias(a, k, b, relu=relu, **kwargs), composed):
        with lamina.GradientTape() as tape:
            out = fn(x, kernel, bias)
            loss = ops.sum(out * out)
        results.append((out.numpy(), *[g.numpy() for g in tape.gradient(loss, [x, kernel, bias])]))
    for fused, reference in zip(*results, strict=True):
        np.testing.assert_allclose(fused, reference, rtol=1e-10, atol=1e-12)


def test_gradient_check_and_one_recorded_op():
    rng = np.random.default_rng(1)
    args = [rng.normal(size=(2, 5, 4, 2)), rng.normal(size=(3, 3, 2, 3)), rng.normal(size=(3,))]
    check_gradients(lambda x, k, b: conv_bias(x, k, b, relu=True, padding="same"), args)
    with lamina.GradientTape() as tape:
        x = ops.convert_to_tensor(args[0])
        tape.watch(x)
        out = conv_bias(x, *args[1:])
    assert isinstance(out._node, ConvBiasOp)


def test_bias_of_the_wrong_shape_names_the_op():
    with pytest.raises(ValueError, match=r"conv: expected a bias of shape \(2,\).*\(3,\)"):
        conv_bias(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 2)), np.zeros(3))


def test_conv2d_layer_with_relu_records_the_fused_op():
    layer = lamina.layers.Conv2D(2, 3, activation="relu")
    x = ops.convert_to_tensor(np.ones((1, 5, 5, 1), dtype="float32"))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
    assert isinstance(y._node, ConvBiasOp) and y._node.relu
