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


SEQUENCES = RNG.normal(size=(2, 7, 3))
VOLUMES = RNG.normal(size=(2, 4, 5, 4, 2))
KERNEL_1D = RNG.normal(size=(3, 3, 4))
KERNEL_3D = RNG.normal(size=(2, 3, 2, 2, 3))
DEPTHWISE = RNG.normal(size=(3, 3, 3, 2))
POINTWISE = RNG.normal(size=(1, 1, 6, 4))
TRANSPOSED = RNG.normal(size=(3, 2, 4, 3))  # (rows, cols, filters, in_channels)


def const(value):
    return K.constant(value, dtype="float64")


def conv_nd_reference(x, kernel, dilation=1):
    """Valid N-D convolution (kernel `(*size, in, out)`) by summing shifted slices."""
    size = kernel.shape[:-2]
    out_len = [n - (k - 1) * dilation for n, k in zip(x.shape[1:-1], size, strict=True)]
    out = 0.0
    for offset in np.ndindex(*size):
        window = tuple(
            slice(o * dilation, o * dilation + n) for o, n in zip(offset, out_len, strict=True)
        )
        out = out + x[(slice(None), *window)] @ kernel[offset]
    return out


def depthwise_reference(x, kernel):
    channels, multiplier = kernel.shape[2:]
    per_channel = [
        conv_nd_reference(x[..., c : c + 1], kernel[:, :, c : c + 1]) for c in range(channels)
    ]
    return np.concatenate(per_channel, -1).reshape(
        *per_channel[0].shape[:-1], channels * multiplier
    )


def pool3d_reference(x, size, reduce):
    out = np.empty(
        (x.shape[0], *(n - k + 1 for n, k in zip(x.shape[1:4], size, strict=True)), x.shape[4])
    )
    for i, j, k in np.ndindex(*out.shape[1:4]):
        window = x[:, i : i + size[0], j : j + size[1], k : k + size[2]]
        out[:, i, j, k] = reduce(window, axis=(1, 2, 3))
    return out


def transpose_reference(x, kernel, out_rows, out_cols, stride, padding):
    """TensorFlow's conv2d_transpose: each input pixel adds the kernel times its value at
    its strided place; 'same' crops the top and left by half of the forward conv's padding."""
    (batch, rows, cols, _), (kh, kw, filters, _) = x.shape, kernel.shape
    full = np.zeros(
        (batch, (rows - 1) * stride + kh + stride, (cols - 1) * stride + kw + stride, filters)
    )
    for i in range(rows):
        for j in range(cols):
            full[:, i * stride : i * stride + kh, j * stride : j * stride + kw] += np.einsum(
                "bc,hwfc->bhwf", x[:, i, j], kernel
            )
    top = left = 0
    if padding == "same":
        top = max((rows - 1) * stride + kh - out_rows, 0) // 2
        left = max((cols - 1) * stride + kw - out_cols, 0) // 2
    return full[:, top : top + out_rows, left : left + out_cols]


def nchw(x):
    return np.moveaxis(x, -1, 1)


# name, K call, NumPy reference, input
MORE_CASES = [
    (
        "conv1d",
        lambda x: K.conv1d(x, const(KERNEL_1D)),
        lambda x: conv_nd_reference(x, KERNEL_1D),
        SEQUENCES,
    ),
    (
        "conv1d_causal_dilated",
        lambda x: K.conv1d(x, const(KERNEL_1D), padding="causal", dilation_rate=2),
        lambda x: conv_nd_reference(np.pad(x, ((0, 0), (4, 0), (0, 0))), KERNEL_1D, 2),
        SEQUENCES,
    ),
    (
        "conv1d_causal_channels_first",
        lambda x: K.conv1d(x, const(KERNEL_1D), padding="causal", data_format="channels_first"),
        lambda x: nchw(
            conv_nd_reference(np.pad(np.moveaxis(x, 1, -1), ((0, 0), (2, 0), (0, 0))), KERNEL_1D)
        ),
        nchw(SEQUENCES),
    ),
    (
        "conv3d",
        lambda x: K.conv3d(x, const(KERNEL_3D)),
        lambda x: conv_nd_reference(x, KERNEL_3D),
        VOLUMES,
    ),
    (
        "conv3d_channels_first",
        lambda x: K.conv3d(x, const(KERNEL_3D), data_format="channels_first"),
        lambda x: nchw(conv_nd_reference(np.moveaxis(x, 1, -1), KERNEL_3D)),
        nchw(VOLUMES),
    ),
    (
        "pool3d_max",
        lambda x: K.pool3d(x, (3, 4, 3)),
        lambda x: pool3d_reference(x, (3, 4, 3), np.max),
        VOLUMES,
    ),
    (
        "pool3d_avg",
        lambda x: K.pool3d(x, (3, 4, 3), pool_mode="avg"),
        lambda x: pool3d_reference(x, (3, 4, 3), np.mean),
        VOLUMES,
    ),
    (
        "resize_volumes",
        lambda x: K.resize_volumes(x, 2, 1, 3),
        lambda x: x.repeat(2, 1).repeat(3, 3),
        VOLUMES,
    ),
    (
        "resize_volumes_channels_first",
        lambda x: K.resize_volumes(x, 1, 2, 1, "channels_first"),
        lambda x: x.repeat(2, 3),
        nchw(VOLUMES),
    ),
    (
        "spatial_3d_padding",
        lambda x: K.spatial_3d_padding(x, ((1, 0), (0, 2), (1, 1))),
        lambda x: np.pad(x, ((0, 0), (1, 0), (0, 2), (1, 1), (0, 0))),
        VOLUMES,
    ),
    (
        "spatial_3d_padding_channels_first",
        lambda x: K.spatial_3d_padding(x, data_format="channels_first"),
        lambda x: np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1), (1, 1))),
        nchw(VOLUMES),
    ),
    (
        "depthwise_conv2d",
        lambda x: K.depthwise_conv2d(x, const(DEPTHWISE)),
        lambda x: depthwise_reference(x, DEPTHWISE),
        IMAGES,
    ),
    (
        "separable_conv2d",
        lambda x: K.separable_conv2d(x, const(DEPTHWISE), const(POINTWISE)),
        lambda x: depthwise_reference(x, DEPTHWISE) @ POINTWISE[0, 0],
        IMAGES,
    ),
    (
        "conv2d_transpose_channels_first",
        lambda x: K.conv2d_transpose(
            x, const(TRANSPOSED), (None, 4, 12, 13), (2, 2), data_format="channels_first"
        ),
        lambda x: nchw(transpose_reference(np.moveaxis(x, 1, -1), TRANSPOSED, 12, 13, 2, "valid")),
        nchw(IMAGES),
    ),
]


@pytest.mark.parametrize("name, fn, reference, data", MORE_CASES, ids=[c[0] for c in MORE_CASES])
def test_convolutions_and_pool3d_agree_with_numpy(name, fn, reference, data):
    for value in run_both(fn, data):
        np.testing.assert_allclose(value, reference(data), rtol=1e-6, atol=1e-12)


# The shortest and longest outputs TensorFlow accepts for 5 rows and 6 columns, by stride.
TRANSPOSE_SHAPES = [
    ("valid", 2, (11, 12)),
    ("valid", 2, (12, 13)),
    ("valid", 3, (15, 17)),
    ("valid", 3, (17, 19)),
    ("same", 2, (9, 11)),
    ("same", 2, (10, 12)),
    ("same", 3, (13, 16)),
    ("same", 3, (15, 18)),
    ("same", 1, (5, 6)),
]


@pytest.mark.parametrize("padding, stride, size", TRANSPOSE_SHAPES)
def test_conv2d_transpose_reaches_every_output_shape_tensorflow_accepts(padding, stride, size):
    shape = (2, *size, 4)
    fn = lambda x: K.conv2d_transpose(x, const(TRANSPOSED), shape, (stride, stride), padding)  # noqa: E731
    for value in run_both(fn, IMAGES):
        np.testing.assert_allclose(
            value,
            transpose_reference(IMAGES, TRANSPOSED, *size, stride, padding),
            rtol=1e-6,
            atol=1e-12,
        )


@pytest.mark.parametrize(
    "output_shape, match",
    [
        ((2, 10, 12, 4), r"output_shape=\(2, 10, 12, 4\)"),  # 'valid' with stride 2: 11 or 12 rows
        ((2, 13, 12, 4), "x.shape=\\(2, 5, 6, 3\\)"),
        ((2, 11, 12, 3), r"kernel.shape=\(3, 2, 4, 3\)"),  # filters are 4
        ((3, 11, 12, 4), "batch"),
        ((11, 12, 4), "filters"),
    ],
)
def test_conv2d_transpose_rejects_an_output_shape_it_cannot_give(output_shape, match):
    with pytest.raises(ValueError, match=match):
        K.conv2d_transpose(IMAGES, TRANSPOSED, output_shape, strides=(2, 2))


SMALL_IMAGES = IMAGES[:, :4, :4]
CONV_GRADIENTS = [
    ("conv1d_causal", lambda x: K.conv1d(x, const(KERNEL_1D), padding="causal"), SEQUENCES),
    ("conv3d", lambda x: K.conv3d(x, const(KERNEL_3D), padding="same"), VOLUMES[:1, :3, :3, :3]),
    ("depthwise_conv2d", lambda x: K.depthwise_conv2d(x, const(DEPTHWISE)), SMALL_IMAGES),
    (
        "separable_conv2d",
        lambda x: K.separable_conv2d(x, const(DEPTHWISE), const(POINTWISE), padding="same"),
        SMALL_IMAGES,
    ),
    (
        "conv2d_transpose",
        lambda x: K.conv2d_transpose(x, const(TRANSPOSED), (2, 8, 8, 4), (2, 2), "same"),
        SMALL_IMAGES,
    ),
    ("pool3d_avg", lambda x: K.pool3d(x, (2, 2, 2), pool_mode="avg"), VOLUMES[:1]),
]


@pytest.mark.parametrize("name, fn, value", CONV_GRADIENTS, ids=[c[0] for c in CONV_GRADIENTS])
def test_convolution_gradients_agree_with_central_differences(name, fn, value, check_k_gradients):
    check_k_gradients(fn, value)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="pool_mode"):
        K.pool2d(IMAGES, (2, 2), pool_mode="median")
    with pytest.raises(ValueError, match="data_format='nhwc'"):
        K.resize_images(IMAGES, 2, 2, data_format="nhwc")
    with pytest.raises(ValueError, match=r"K.pool3d: `pool_mode`.*'median'"):
        K.pool3d(VOLUMES, (2, 2, 2), pool_mode="median")
    with pytest.raises(ValueError, match=r"K.conv1d expects a 3D input.*x.shape=\(2, 5, 6, 3\)"):
        K.conv1d(IMAGES, KERNEL_1D)
    with pytest.raises(ValueError, match=r"K.conv3d expects a 5D input"):
        K.conv3d(IMAGES, KERNEL_3D)
