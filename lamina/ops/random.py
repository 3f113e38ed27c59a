"""Random tensors from seeded generators, and dropout."""

from typing import Any

from lamina.backend import as_array_like, floatx, get_xp, to_device
from lamina.backend.random import resolve_rng, truncated_standard_normal
from lamina.function import Function
from lamina.ops.core import convert_to_tensor, float_input
from lamina.ops.creation import _shape
from lamina.tensor import Tensor


def normal(
    shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None
) -> Tensor:
    """Draw from a normal distribution.

    Args:
        shape: the output shape.
        mean: the mean.
        stddev: the standard deviation.
        dtype: float type (floatx by default).
        seed: None, an int, or a `SeedGenerator` for a reproducible stream.

    Example:
    >>> lamina.ops.random.normal((2, 2), seed=1).shape
    (2, 2)
    """
    rng = resolve_rng(seed)
    x = rng.standard_normal(_shape("normal", shape), dtype="float64")
    return Tensor(to_device((x * stddev + mean).astype(dtype or floatx())))


def uniform(
    shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None
) -> Tensor:
    """Draw uniformly from `[minval, maxval)`."""
    if maxval < minval:
        raise ValueError(
            f"uniform: maxval must be >= minval. Received: minval={minval}, maxval={maxval}"
        )
    rng = resolve_rng(seed)
    x = rng.random(_shape("uniform", shape), dtype="float64")
    return Tensor(to_device((x * (maxval - minval) + minval).astype(dtype or floatx())))


def truncated_normal(
    shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None
) -> Tensor:
    """Draw from a normal distribution, redrawing values more than two stddevs from the mean."""
    rng = resolve_rng(seed)
    shape = _shape("truncated_normal", shape)
    x = truncated_standard_normal(rng, shape)
    return Tensor(to_device((x * stddev + mean).astype(dtype or floatx())))


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> Tensor:
    """Draw class ids from the categorical distributions given by each row of `logits`.

    Returns:
        A tensor of shape `(batch, num_samples)`.
    """
    logits = float_input("categorical", logits)
    if logits.ndim != 2:
        raise ValueError(
            f"categorical: logits must be 2-D (batch, classes). Received: shape={logits.shape}"
        )
    rng = resolve_rng(seed)
    xp = get_xp(logits.data)
    z = logits.data.astype("float64")
    # Gumbel-max: argmax(logits + Gumbel noise) is a draw from softmax(logits).
    u = as_array_like(rng.random((z.shape[0], int(num_samples), z.shape[1])), z)
    gumbel = -xp.log(-xp.log(xp.clip(u, 1e-300, 1.0)))
    return Tensor((z[:, None, :] + gumbel).argmax(axis=-1).astype(dtype))


class DropoutOp(Function):
    mask: Any  # 0 or 1 / (1 - rate), broadcastable to x

    def forward(self, x):
        return x * self.mask

    def backward(self, grad):
        # Dropped units pass no gradient; kept ones are scaled like the forward.
        return (grad * self.mask,)


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> Tensor:
    """Zero elements with probability `rate` and scale the rest by `1 / (1 - rate)`.

    Args:
        inputs: the tensor.
        rate: the fraction to drop, in [0, 1).
        noise_shape: a shape broadcastable to the input's, to drop whole rows or channels.
        seed: None, an int or a `SeedGenerator`.
    """
    x = convert_to_tensor(inputs)
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1). Received: rate={rate}")
    if rate == 0:
        return x
    shape = (
        x.shape
        if noise_shape is None
        else tuple(x.shape[i] if n is None else n for i, n in enumerate(noise_shape))
    )
    rng = resolve_rng(seed)
    keep = as_array_like(rng.random(shape, dtype="float32") >= rate, x.data)
    mask = keep.astype(x.dtype) * x.dtype.type(1 / (1 - rate))
    return DropoutOp.apply(x, mask=mask)
