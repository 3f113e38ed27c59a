"""The Keras 2 backend's convolution, pooling, padding and loss functions, eager and symbolic."""

import numpy as np
import pytest

import lamina
from lamina import backend as K

RNG = np.random.default_rng(0)
IMAGES = RNG.normal(size=(2, 5, 6, 3))
KERNEL = RNG.normal(size=(3, 3, 3, 4))
PROBS = RNG.dirichlet(np.ones(4), size=3)
LABELS = np.eye(4)[[0, 3, 1]]


def conv_reference(x, kernel):
    rows, cols = kernel.shape[:2]
    out = np.zeros((x.shape[0], x.shape[1] - rows + 1, x.shape[2] - cols + 1, kernel.shape[3]))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = np.einsum("bhwc,hwcf->bf", x[:, i : i + rows, j : j + cols], kernel)
    return out


def windows(x, size, stride):
    for i in range(0, x.shape[1] - size + 1, stride):
        yield [x[:, i : i + size, j : j + size] for j in range(0, x.shape[2] - size + 1, stride)]


# name, K call on the images (or probabilities), NumPy reference
CASES = [
    (
        "conv2d",
        lambda x: K.conv2d(x, K.constant(KERNEL, dtype="float64")),
        lambda x: conv_reference(x, KERNEL),
    ),
    (
        "pool2d_max",
        lambda x: K.pool2d(x, (2, 2)),
        lambda x: np.array(
            [[w.max(axis=(1, 2)) for w in row] for row in windows(x, 2, 1)]
        ).transpose(2, 0, 1, 3),
    ),
    (
        "pool2d_avg_stride_2",
        lambda x: K.pool2d(x, (2, 2), strides=(2, 2), pool_mode="avg"),
        lambda x: np.array(
            [[w.mean(axis=(1, 2)) for w in row] for row in windows(x, 2, 2)]
        ).transpose(2, 0, 1, 3),
    ),
    (
        "bias_add",
        lambda x: K.bias_add(x, K.constant([1.0, 2.0, 3.0], dtype="float64")),
        lambda x: x + [1, 2, 3],
    ),
    (
        "bias_add_channels_first",
        lambda x: K.bias_add(
            x, K.constant(np.arange(5.0), dtype="float64"), data_format="channels_first"
        ),
        lambda x: x + np.arange(5.0)[:, None, None],
    ),
    ("resize_images", lambda x: K.resize_images(x, 2, 3), lambda x: x.repeat(2, 1).repeat(3, 2)),
    (
        "resize_images_channels_first",
        lambda x: K.resize_images(x, 2, 1, "channels_first"),
        lambda x: x.repeat(2, 2),
    ),
    (
        "spatial_2d_padding",
        lambda x: K.spatial_2d_padding(x, ((1, 0), (2, 1))),
        lambda x: np.pad(x, ((0, 0), (1, 0), (2, 1), (0, 0))),
    ),
    (
        "temporal_padding",
        lambda x: K.temporal_padding(x[:, 0], (2, 1)),
        lambda x: np.pad(x[:, 0], ((0, 0), (2, 1), (0, 0))),
    ),
    (
        "batch_normalization",
        lambda x: K.batch_normalization(
            x, 0.5, 4.0, K.constant(1.0, dtype="float64"), 2.0, epsilon=0.0
        ),
        lambda x: (x - 0.5) / 2.0 * 2.0 + 1.0,
    ),
]

LOSSES = [
    (
        "categorical_crossentropy",
        lambda p: K.categorical_crossentropy(K.constant(LABELS, dtype="float64"), p),
        lambda p: -np.log((p * LABELS).sum(-1)),
    ),
    (
        "categorical_crossentropy_logits",
        lambda p: K.categorical_crossentropy(
            K.constant(LABELS, dtype="float64"), p, from_logits=True
        ),
        lambda p: -((p - np.log(np.exp(p).sum(-1, keepdims=True))) * LABELS).sum(-1),
    ),
    (
        "sparse_categorical_crossentropy",
        lambda p: K.sparse_categorical_crossentropy(K.constant([0, 3, 1], dtype="int32"), p),
        lambda p: -np.log(p[[0, 1, 2], [0, 3, 1]]),
    ),
    (
        "binary_crossentropy",
        lambda p: K.binary_crossentropy(K.constant(LABELS, dtype="float64"), p),
        lambda p: -(LABELS * np.log(p) + (1 - LABELS) * np.log(1 - p)),
    ),
    (
        "in_top_k",
        lambda p: K.in_top_k(p, K.constant([0, 3, 1], dtype="int32"), 2),
        lambda p: (p > p[[0, 1, 2], [0, 3, 1]][:, None]).sum(-1) < 2,
    ),
]


def run_both(fn, data):
    eager = K.eval(fn(lamina.ops.convert_to_tensor(data)))
    x = K.placeholder((None, *data.shape[1:]), dtype="float64")
    symbolic = fn(x)
    assert K.is_keras_tensor(symbolic)
    return eager, K.function([x], [symbolic])([data])[0]


@pytest.mark.parametrize("name, fn, reference", CASES, ids=[c[0] for c in CASES])
def test_image_functions_agree_with_numpy(name, fn, reference):
    for value in run_both(fn, IMAGES):
        np.testing.assert_allclose(value, reference(IMAGES), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name, fn, reference", LOSSES, ids=[c[0] for c in LOSSES])
def test_losses_and_in_top_k_agree_with_numpy(name, fn, reference):
    for value in run_both(fn, PROBS):
        np.testing.assert_allclose(value, reference(PROBS), rtol=1e-6, atol=1e-12)


def test_in_top_k_counts_a_tie_at_the_boundary_as_in():
    scores = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    np.testing.assert_array_equal(K.eval(K.in_top_k(scores, np.array([1, 1]), 1)), [True, False])


def test_conv2d_gradient_reaches_the_kernel_variable():
    kernel = K.variable(KERNEL, dtype="float64")
    x = K.placeholder((None, 5, 6, 3), dtype="float64")
    grad = K.gradients(K.sum(K.conv2d(x, kernel, padding="same")), kernel)[0]
    value = K.function([x], [grad])([IMAGES])[0]
    # d sum(conv)/d kernel[i, j, c, f]: the sum of the inputs each tap sees.
    padded = np.pad(IMAGES, ((0, 0), (1, 1), (1, 1), (0, 0)))
    taps = np.array(
        [[padded[:, i : i + 5, j : j + 6].sum((0, 1, 2)) for j in range(3)] for i in range(3)]
    )
    np.testing.assert_allclose(value, np.repeat(taps[..., None], 4, -1), rtol=1e-6)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="pool_mode"):
        K.pool2d(IMAGES, (2, 2), pool_mode="median")
    with pytest.raises(ValueError, match="data_format='nhwc'"):
        K.resize_images(IMAGES, 2, 2, data_format="nhwc")
