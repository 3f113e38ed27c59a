"""The Keras 2 backend's neural-network functions (convolution, pooling, padding, losses),
mapped onto `lamina.ops` and `lamina.losses` with Keras 2.0.8's arguments and defaults.

Like `numeric`, each works on eager tensors and arrays and on symbolic tensors.
"""

from typing import Any

from lamina import losses, ops
from lamina.layers import Lambda
from lamina.layers.symbolic import KerasTensor, has_symbolic
from lamina.legacy_backend.numeric import _call, repeat_elements, sqrt


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


def conv2d(
    x: Any,
    kernel: Any,
    strides: Any = (1, 1),
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: Any = (1, 1),
) -> Any:
    """2D convolution of `x` with `kernel` (`(rows, cols, in_channels, filters)`), no bias."""
    return _call(
        "conv", x, kernel, strides=strides, padding=padding, data_format=data_format,
        dilation_rate=dilation_rate,
    )  # fmt: skip


def pool2d(
    x: Any,
    pool_size: Any,
    strides: Any = (1, 1),
    padding: str = "valid",
    data_format: str | None = None,
    pool_mode: str = "max",
) -> Any:
    """2D pooling (`pool_mode` `"max"` or `"avg"`); strides default to 1, as in Keras 2."""
    if pool_mode not in ("max", "avg"):
        raise ValueError(f'K.pool2d: `pool_mode` must be "max" or "avg". Received: {pool_mode!r}')
    op = "max_pool" if pool_mode == "max" else "average_pool"
    return _call(op, x, pool_size, strides=strides, padding=padding, data_format=data_format)


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
