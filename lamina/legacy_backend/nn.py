"""The Keras 2 backend's neural-network functions (convolution, pooling, padding, losses),
mapped onto `lamina.ops` and `lamina.losses` with Keras 2.0.8's arguments and defaults.

Like `numeric`, each works on eager tensors and arrays and on symbolic tensors.
"""

from typing import Any

import numpy as np

from lamina import losses, ops
from lamina.layers import Lambda
from lamina.layers.symbolic import KerasTensor, has_symbolic
from lamina.legacy_backend.numeric import _call, repeat_elements, sqrt
from lamina.ops.conv import normalize_padding, normalize_tuple


def _apply(fn: Any, args: tuple, output_shape: Any, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)` on eager values; a `Lambda` node when an argument is symbolic,
    whose output has the shape of the last argument with `output_shape` applied to it."""
    if not has_symbolic(args):
        return fn(*args, **kwargs)
    shape = output_shape(tuple(args[-1].shape))
    places = [i for i, a in enumerate(args) if isinstance(a, KerasTensor)]

    def call(inputs: list) -> Any:
        filled = list(args)
        for i, x in zip(places, inputs, strict=True):
            filled[i] = x
        return fn(*filled, **kwargs)

    return Lambda(call, output_shape=lambda _: shape)([args[i] for i in places])


def _channels_first(data_format: str | None, fn: str) -> bool:
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(
            f'K.{fn}: `data_format` must be "channels_last" or "channels_first". '
            f"Received: data_format={data_format!r}"
        )
    return data_format == "channels_first"


def _check_rank(x: Any, rank: int, fn: str) -> None:
    if len(x.shape) != rank:
        raise ValueError(
            f"K.{fn} expects a {rank}D input (batch, {rank - 2} spatial axes, channels). "
            f"Received: x.shape={tuple(x.shape)}"
        )


def _conv(fn: str, rank: int, op: str, x: Any, *kernels: Any, **kwargs: Any) -> Any:
    _check_rank(x, rank, fn)
    return _call(op, x, *kernels, **kwargs)


def conv1d(
    x: Any,
    kernel: Any,
    strides: Any = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = 1,
) -> Any:
    """1D convolution of `x` with `kernel` (`(length, in_channels, filters)`), no bias;
    `padding="causal"` pads only the start, so that no output sees a later step."""
    if padding == "causal":
        _check_rank(x, 3, "conv1d")
        dilation = dilation_rate if isinstance(dilation_rate, int) else dilation_rate[0]
        pads = [(0, 0)] * 3
        pads[2 if _channels_first(data_format, "conv1d") else 1] = (
            dilation * (kernel.shape[0] - 1),
            0,
        )
        x, padding = _call("pad", x, tuple(pads)), "valid"
    return _conv(
        "conv1d", 3, "conv", x, kernel, strides=strides, padding=padding,
        data_format=data_format, dilation_rate=dilation_rate,
    )  # fmt: skip


def conv2d(
    x: Any,
    kernel: Any,
    strides: Any = (1, 1),
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = (1, 1),
) -> Any:
    """2D convolution of `x` with `kernel` (`(rows, cols, in_channels, filters)`), no bias."""
    return _conv(
        "conv2d", 4, "conv", x, kernel, strides=strides, padding=padding,
        data_format=data_format, dilation_rate=dilation_rate,
    )  # fmt: skip


def conv3d(
    x: Any,
    kernel: Any,
    strides: Any = (1, 1, 1),
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = (1, 1, 1),
) -> Any:
    """3D convolution of `x` with `kernel` (`(depth, rows, cols, in_channels, filters)`)."""
    return _conv(
        "conv3d", 5, "conv", x, kernel, strides=strides, padding=padding,
        data_format=data_format, dilation_rate=dilation_rate,
    )  # fmt: skip


def depthwise_conv2d(
    x: Any,
    depthwise_kernel: Any,
    strides: Any = (1, 1),
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = (1, 1),
) -> Any:
    """Each input channel convolved with its own filters: `depthwise_kernel` is
    `(rows, cols, in_channels, multiplier)`; output channel `c * multiplier + j`."""
    return _conv(
        "depthwise_conv2d", 4, "depthwise_conv", x, depthwise_kernel, strides=strides,
        padding=padding, data_format=data_format, dilation_rate=dilation_rate,
    )  # fmt: skip


def separable_conv2d(
    x: Any,
    depthwise_kernel: Any,
    pointwise_kernel: Any,
    strides: Any = (1, 1),
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = (1, 1),
) -> Any:
    """A depthwise convolution, then a 1x1 convolution with `pointwise_kernel`
    (`(1, 1, in_channels * multiplier, filters)`)."""
    return _conv(
        "separable_conv2d", 4, "separable_conv", x, depthwise_kernel, pointwise_kernel,
        strides=strides, padding=padding, data_format=data_format, dilation_rate=dilation_rate,
    )  # fmt: skip


def _transpose_extra(n: Any, want: Any, k: int, s: int, mode: str) -> int | None:
    """The `output_padding` that makes `conv_transpose` of `n` steps `want` long; None when
    no convolution maps `want` onto `n` steps (TensorFlow's rule for `output_shape`)."""
    if n is None or not isinstance(want, int | np.integer):
        return None
    shortest = (n - 1) * s + (k if mode == "valid" else 1)
    if not shortest <= want < shortest + s:
        return None
    # Without output_padding, conv_transpose gives (n - 1) * s + k, or + k % 2 for 'same'.
    return want - (n - 1) * s - (k if mode == "valid" else k % 2)


def conv2d_transpose(
    x: Any,
    kernel: Any,
    output_shape: Any,
    strides: Any = (1, 1),
    padding: str = "valid",
    data_format: str | None = None,
) -> Any:
    """Transposed 2D convolution (the gradient of `conv2d` with respect to its input) of `x`
    with `kernel` (`(rows, cols, filters, in_channels)`).

    `output_shape` is the whole output shape in `data_format`'s layout (the batch may be
    None). As in TensorFlow, it must be a shape that `conv2d` with these strides and padding
    maps onto the shape of `x`; with strides above 1 several are (the longer ones get the
    extra rows and columns at the end).

    Raises:
        ValueError: when `output_shape` is not such a shape.
    """
    _check_rank(x, 4, "conv2d_transpose")
    first = _channels_first(data_format, "conv2d_transpose")
    mode = normalize_padding("K.conv2d_transpose", padding)
    strides = normalize_tuple("K.conv2d_transpose", "strides", strides, 2)
    shape = tuple(output_shape)
    spatial = slice(2, 4) if first else slice(1, 3)
    extras = [None]
    batch = shape[0] if shape else None
    if (
        len(shape) == 4
        and not (isinstance(batch, int | np.integer) and x.shape[0] not in (None, batch))
        and shape[1 if first else 3] == kernel.shape[2]
    ):
        ins, outs = x.shape[spatial], shape[spatial]
        extras = list(map(_transpose_extra, ins, outs, kernel.shape[:2], strides, [mode] * 2))
    if None in extras:
        raise ValueError(
            "K.conv2d_transpose: `output_shape` must be (batch, rows, cols, filters) "
            "((batch, filters, rows, cols) for channels first), with filters = kernel.shape[2] "
            "and rows and cols that conv2d with these strides and padding maps onto the shape "
            f"of x. Received: output_shape={shape}, x.shape={tuple(x.shape)}, "
            f"kernel.shape={tuple(kernel.shape)}, strides={strides}, padding={padding!r}"
        )
    return _call(
        "conv_transpose", x, kernel, strides=strides, padding=mode, output_padding=tuple(extras),
        data_format=data_format,
    )  # fmt: skip


def _pool(
    fn: str,
    rank: int,
    x: Any,
    pool_size: Any,
    strides: Any,
    padding: str,
    data_format: str | None,
    pool_mode: str,
) -> Any:
    if pool_mode not in ("max", "avg"):
        raise ValueError(f'K.{fn}: `pool_mode` must be "max" or "avg". Received: {pool_mode!r}')
    op = "max_pool" if pool_mode == "max" else "average_pool"
    return _conv(
        fn, rank, op, x, pool_size, strides=strides, padding=padding, data_format=data_format
    )


def pool2d(
    x: Any,
    pool_size: Any,
    strides: Any = (1, 1),
    padding: str = "valid",
    data_format: str | None = None,
    pool_mode: str = "max",
) -> Any:
    """2D pooling (`pool_mode` `"max"` or `"avg"`); strides default to 1, as in Keras 2."""
    return _pool("pool2d", 4, x, pool_size, strides, padding, data_format, pool_mode)


def pool3d(
    x: Any,
    pool_size: Any,
    strides: Any = (1, 1, 1),
    padding: str = "valid",
    data_format: str | None = None,
    pool_mode: str = "max",
) -> Any:
    """3D pooling (`pool_mode` `"max"` or `"avg"`); strides default to 1, as in Keras 2."""
    return _pool("pool3d", 5, x, pool_size, strides, padding, data_format, pool_mode)


def bias_add(x: Any, bias: Any, data_format: str | None = None) -> Any:
    """`x` plus `bias` along the channels axis (the last, or the second with channels first)."""
    if _channels_first(data_format, "bias_add") and len(x.shape) > 2:
        bias = ops.reshape(bias, (-1,) + (1,) * (len(x.shape) - 2))
    return x + bias


def resize_images(
    x: Any, height_factor: int, width_factor: int, data_format: str | None = None
) -> Any:
    """`x` (4D) enlarged by whole factors, each pixel repeated (nearest neighbour)."""
    axis = 2 if _channels_first(data_format, "resize_images") else 1
    return repeat_elements(repeat_elements(x, height_factor, axis), width_factor, axis + 1)


def resize_volumes(
    x: Any, depth_factor: int, height_factor: int, width_factor: int, data_format: str | None = None
) -> Any:
    """`x` (5D) enlarged by whole factors, each voxel repeated (nearest neighbour)."""
    axis = 2 if _channels_first(data_format, "resize_volumes") else 1
    for i, factor in enumerate((depth_factor, height_factor, width_factor)):
        x = repeat_elements(x, factor, axis + i)
    return x


def temporal_padding(x: Any, padding: Any = (1, 1)) -> Any:
    """`x` (3D) with zeros added before and after the middle (time) axis."""
    return _call("pad", x, ((0, 0), tuple(padding), (0, 0)))


def spatial_2d_padding(
    x: Any, padding: Any = ((1, 1), (1, 1)), data_format: str | None = None
) -> Any:
    """`x` (4D) with zeros added around rows and columns: `((top, bottom), (left, right))`."""
    rows, cols = tuple(padding[0]), tuple(padding[1])
    if _channels_first(data_format, "spatial_2d_padding"):
        return _call("pad", x, ((0, 0), (0, 0), rows, cols))
    return _call("pad", x, ((0, 0), rows, cols, (0, 0)))


def spatial_3d_padding(
    x: Any, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None
) -> Any:
    """`x` (5D) with zeros added around its three spatial axes: one `(before, after)` each."""
    pads = tuple(tuple(p) for p in padding)
    if _channels_first(data_format, "spatial_3d_padding"):
        return _call("pad", x, ((0, 0), (0, 0), *pads))
    return _call("pad", x, ((0, 0), *pads, (0, 0)))


def batch_normalization(
    x: Any, mean: Any, var: Any, beta: Any, gamma: Any, epsilon: float = 1e-3
) -> Any:
    """`(x - mean) / sqrt(var + epsilon) * gamma + beta`; None skips `beta` or `gamma`."""
    y = (x - mean) / sqrt(var + epsilon)
    if gamma is not None:
        y = y * gamma
    return y if beta is None else y + beta


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Any:
    """Cross-entropy per sample between one-hot `target` and probabilities (or logits)."""
    return _apply(
        losses.categorical_crossentropy, (target, output), _per_sample, from_logits=from_logits
    )


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Any:
    """Cross-entropy per sample between integer `target` and probabilities (or logits)."""
    return _apply(
        losses.sparse_categorical_crossentropy,
        (target, output),
        _per_sample,
        from_logits=from_logits,
    )


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Any:
    """Binary cross-entropy per element (not averaged, as in Keras 2's backend)."""

    def elementwise(target: Any, output: Any) -> Any:
        # lamina.losses averages over the last axis: give it one of size 1.
        pairs = ops.expand_dims(target, -1), ops.expand_dims(output, -1)
        return losses.binary_crossentropy(*pairs, from_logits=from_logits)

    return _apply(elementwise, (target, output), tuple)


def in_top_k(predictions: Any, targets: Any, k: int) -> Any:
    """Whether each target's score is among the `k` largest of its row; a tie at the
    boundary counts as in, as TensorFlow's `in_top_k`."""

    def count_above(targets: Any, predictions: Any) -> Any:
        indices = ops.expand_dims(ops.cast(targets, "int32"), -1)
        score = ops.take_along_axis(predictions, indices, axis=-1)
        return ops.less(ops.sum(ops.cast(ops.greater(predictions, score), "int32"), axis=-1), k)

    return _apply(count_above, (targets, predictions), _per_sample)


def _per_sample(shape: tuple) -> tuple:
    return shape[:-1]
