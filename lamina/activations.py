"""Activation functions by name, as in `keras.activations`; each is built from `lamina.ops`.

Example:
>>> act = lamina.activations.get("relu")
>>> act(lamina.ops.convert_to_tensor([-1.0, 2.0])).numpy()
array([0., 2.], dtype=float32)
"""

from collections.abc import Callable
from typing import Any

from lamina import ops
from lamina.ops.symbolic import symbolic_function
from lamina.serialization import Registry
from lamina.tensor import Tensor

_REGISTRY = Registry("activation", "lamina.activations")


@symbolic_function("activations")
def relu(
    x: Any, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> Tensor:
    """Rectified linear unit, with Keras's optional slope, ceiling and threshold.

    Returns `x` for `x > threshold` (capped at `max_value`), else
    `negative_slope * (x - threshold)`.

    Example:
    >>> relu([-10.0, -5.0, 0.0, 5.0, 10.0], max_value=5.0).numpy()
    array([0., 0., 0., 5., 5.], dtype=float32)
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    if max_value is not None and max_value < 0:
        raise ValueError(f"relu: max_value must be non-negative. Received: max_value={max_value}")
    x = ops.convert_to_tensor(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    above = ops.greater(x, threshold)
    out = ops.where(above, x, 0.0)
    if max_value is not None:
        out = ops.minimum(out, max_value)
    if negative_slope != 0.0:
        out = out + ops.where(above, 0.0, (x - threshold) * negative_slope)
    return out


@symbolic_function("activations")
def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """`x` for positive x, `negative_slope * x` otherwise."""
    return ops.leaky_relu(x, negative_slope=negative_slope)


@symbolic_function("activations")
def relu6(x: Any) -> Tensor:
    """`min(max(x, 0), 6)`."""
    return ops.relu6(x)


@symbolic_function("activations")
def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: `x` if x > 0 else `alpha * (exp(x) - 1)`."""
    return ops.elu(x, alpha=alpha)


@symbolic_function("activations")
def selu(x: Any) -> Tensor:
    """Scaled exponential linear unit (self-normalizing constants of Klambauer et al.)."""
    return ops.selu(x)


@symbolic_function("activations")
def gelu(x: Any, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit; exact (erf) by default as in `keras.activations.gelu`."""
    return ops.gelu(x, approximate=approximate)


@symbolic_function("activations")
def sigmoid(x: Any) -> Tensor:
    """Logistic sigmoid `1 / (1 + exp(-x))`."""
    return ops.sigmoid(x)


@symbolic_function("activations")
def hard_sigmoid(x: Any) -> Tensor:
    """Piecewise-linear sigmoid `relu6(x + 3) / 6` (Keras 3's definition)."""
    return ops.hard_sigmoid(x)


@symbolic_function("activations")
def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent."""
    return ops.tanh(x)


@symbolic_function("activations")
def softplus(x: Any) -> Tensor:
    """`log(1 + exp(x))`."""
    return ops.softplus(x)


@symbolic_function("activations")
def softsign(x: Any) -> Tensor:
    """`x / (1 + |x|)`."""
    return ops.softsign(x)


@symbolic_function("activations")
def silu(x: Any) -> Tensor:
    """Sigmoid linear unit, also called swish: `x * sigmoid(x)`."""
    return ops.silu(x)


swish = silu


@symbolic_function("activations")
def hard_silu(x: Any) -> Tensor:
    """Hard SiLU (hard swish): `x * hard_sigmoid(x)`."""
    x = ops.convert_to_tensor(x)
    return x * ops.hard_sigmoid(x)


hard_swish = hard_silu


@symbolic_function("activations")
def mish(x: Any) -> Tensor:
    """Mish: `x * tanh(softplus(x))`."""
    x = ops.convert_to_tensor(x)
    return x * ops.tanh(ops.softplus(x))


@symbolic_function("activations")
def softmax(x: Any, axis: int = -1) -> Tensor:
    """Softmax over `axis` (the last one by default).

    Example:
    >>> softmax([[1.0, 1.0]]).numpy()
    array([[0.5, 0.5]], dtype=float32)
    """
    return ops.softmax(x, axis=axis)


@symbolic_function("activations")
def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """Logarithm of the softmax over `axis`."""
    return ops.log_softmax(x, axis=axis)


@symbolic_function("activations")
def exponential(x: Any) -> Tensor:
    """`exp(x)`."""
    return ops.exp(x)


@symbolic_function("activations")
def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """Continuously differentiable ELU: `x` if x >= 0 else `alpha * (exp(x / alpha) - 1)`."""
    return ops.celu(x, alpha=alpha)


@symbolic_function("activations")
def glu(x: Any, axis: int = -1) -> Tensor:
    """Gated linear unit: `a * sigmoid(b)`, `a` and `b` the halves of `x` along `axis`."""
    return ops.glu(x, axis=axis)


@symbolic_function("activations")
def hard_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """`x` where `|x| > threshold`, 0 elsewhere."""
    return ops.hard_shrink(x, threshold=threshold)


@symbolic_function("activations")
def hard_tanh(x: Any) -> Tensor:
    """`x` clipped to `[-1, 1]`."""
    return ops.hard_tanh(x)


@symbolic_function("activations")
def log_sigmoid(x: Any) -> Tensor:
    """`log(sigmoid(x))`, finite for any input."""
    return ops.log_sigmoid(x)


@symbolic_function("activations")
def soft_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, 0 between."""
    return ops.soft_shrink(x, threshold=threshold)


@symbolic_function("activations")
def sparse_plus(x: Any) -> Tensor:
    """0 for x <= -1, `(x + 1)^2 / 4` for -1 < x < 1, `x` for x >= 1."""
    return ops.sparse_plus(x)


@symbolic_function("activations")
def sparse_sigmoid(x: Any) -> Tensor:
    """0 for x <= -1, `(x + 1) / 2` for -1 < x < 1, 1 for x >= 1."""
    return ops.sparse_sigmoid(x)


@symbolic_function("activations")
def sparsemax(x: Any, axis: int = -1) -> Tensor:
    """Sparsemax over `axis`: the projection of `x` onto the probability simplex.

    Example:
    >>> sparsemax([0.5, 0.3, -1.0]).numpy()
    array([0.6, 0.4, 0. ], dtype=float32)
    """
    return ops.sparsemax(x, axis=axis)


@symbolic_function("activations")
def squareplus(x: Any, b: float = 4) -> Tensor:
    """`(x + sqrt(x^2 + b)) / 2`, a smooth ReLU."""
    return ops.squareplus(x, b=b)


@symbolic_function("activations")
def tanh_shrink(x: Any) -> Tensor:
    """`x - tanh(x)`."""
    return ops.tanh_shrink(x)


@symbolic_function("activations")
def threshold(x: Any, threshold: float, default_value: float) -> Tensor:
    """`x` where `x > threshold`, `default_value` elsewhere; both are required, as in Keras."""
    return ops.threshold(x, threshold, default_value)


def linear(x: Any) -> Any:
    """The identity; what `get(None)` returns."""
    return x


for _fn in (
    relu,
    leaky_relu,
    relu6,
    elu,
    selu,
    gelu,
    sigmoid,
    hard_sigmoid,
    tanh,
    softplus,
    softsign,
    softmax,
    log_softmax,
    exponential,
    linear,
    mish,
    celu,
    glu,
    hard_shrink,
    hard_tanh,
    log_sigmoid,
    soft_shrink,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    tanh_shrink,
    threshold,
):
    _REGISTRY.add(_fn)
_REGISTRY.add(silu, "swish")
_REGISTRY.add(hard_silu, "hard_swish")


def get(identifier: Any) -> Callable[[Any], Any]:
    """Return the activation function for a name, a callable, a config, or None (linear).

    Raises:
        ValueError: for an unknown name; the message lists the known ones.

    Example:
    >>> lamina.activations.get("swish") is lamina.activations.silu
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return _REGISTRY.lookup(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        "Could not interpret activation identifier: expected a name, a callable or None. "
        f"Received: {identifier!r}"
    )


def serialize(activation: Callable[[Any], Any]) -> str:
    """Return the name of an activation function (`"silu"` for swish)."""
    name = _REGISTRY.name_of(activation)
    if name is not None:
        return name
    if hasattr(activation, "get_config"):
        return {
            "module": _REGISTRY.module,
            "class_name": type(activation).__name__,
            "config": activation.get_config(),
        }
    return getattr(activation, "__name__", repr(activation))


def deserialize(config: Any, custom_objects: dict | None = None) -> Callable[[Any], Any]:
    """Return the activation named by `config` (a name, or a dict with a `class_name`)."""
    if isinstance(config, dict):
        name = config.get("class_name") or config.get("config", {}).get("name")
        if name is None:
            raise ValueError(f"Expected a dict with a 'class_name'. Received: config={config!r}")
        obj = _REGISTRY.lookup(name, custom_objects)
        inner = config.get("config") or {}
        return obj.from_config(inner) if hasattr(obj, "from_config") else obj
    if not isinstance(config, str):
        raise ValueError(f"Expected an activation name. Received: config={config!r}")
    return _REGISTRY.lookup(config, custom_objects)


__all__ = [
    "celu",
    "deserialize",
    "elu",
    "exponential",
    "gelu",
    "get",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
]
