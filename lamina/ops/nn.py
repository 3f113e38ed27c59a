"""Activation functions, softmax and log-softmax, written to stay finite for large inputs."""

import math
from typing import Any

from lamina.backend import get_xp
from lamina.function import Function
from lamina.ops.core import float_input, normalize_axis
from lamina.tensor import Tensor


class Relu(Function):
    def forward(self, x):
        self.out = get_xp(x).maximum(x, 0)
        return self.out

    def backward(self, grad):
        # relu'(x) = 1 for x > 0, else 0
        return (grad * (self.out > 0),)


class LeakyRelu(Function):
    def forward(self, x):
        self.positive = x > 0
        return get_xp(x).where(self.positive, x, x * self.slope)

    def backward(self, grad):
        # 1 for x > 0, the slope elsewhere
        return (get_xp(grad).where(self.positive, grad, grad * self.slope),)


class Elu(Function):
    def forward(self, x):
        xp = get_xp(x)
        self.positive = x > 0
        self.neg = self.alpha * xp.expm1(xp.minimum(x, 0))
        return xp.where(self.positive, x, self.neg)

    def backward(self, grad):
        # 1 for x > 0, alpha * exp(x) = elu(x) + alpha elsewhere
        return (get_xp(grad).where(self.positive, grad, grad * (self.neg + self.alpha)),)


class Sigmoid(Function):
    def forward(self, x):
        # 0.5 (1 + tanh(x/2)) never overflows, unlike 1 / (1 + exp(-x)).
        self.out = 0.5 * (1 + get_xp(x).tanh(0.5 * x))
        return self.out

    def backward(self, grad):
        # sigmoid' = s (1 - s)
        return (grad * self.out * (1 - self.out),)


class Tanh(Function):
    def forward(self, x):
        self.out = get_xp(x).tanh(x)
        return self.out

    def backward(self, grad):
        # tanh' = 1 - tanh^2
        return (grad * (1 - self.out * self.out),)


class Softplus(Function):
    def forward(self, x):
        self.x = x
        return get_xp(x).logaddexp(0, x)

    def backward(self, grad):
        # softplus' = sigmoid(x)
        return (grad * 0.5 * (1 + get_xp(grad).tanh(0.5 * self.x)),)


class Softsign(Function):
    def forward(self, x):
        self.denom = 1 + get_xp(x).abs(x)
        return x / self.denom

    def backward(self, grad):
        # softsign' = 1 / (1 + |x|)^2
        return (grad / (self.denom * self.denom),)


class Gelu(Function):
    def forward(self, x):
        xp = get_xp(x)
        self.x = x
        if self.approximate:
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
            self.t = xp.tanh(inner)
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * (1 + erf(x * _SQRT_HALF))
        return x * self.cdf

    def backward(self, grad):
        xp = get_xp(grad)
        x = self.x
        if self.approximate:
            # d/dx 0.5 x (1 + t) = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 * 0.044715 x^2)
            dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return (grad * (0.5 * (1 + self.t) + 0.5 * x * (1 - self.t * self.t) * dinner),)
        # d/dx x Phi(x) = Phi(x) + x phi(x)
        pdf = xp.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return (grad * (self.cdf + x * pdf),)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def erf(x: Any) -> Any:
    """The error function on raw arrays (Abramowitz and Stegun 7.1.26, error below 1.5e-7)."""
    xp = get_xp(x)
    s = xp.sign(x)
    a = xp.abs(x)
    t = 1 / (1 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return s * (1 - poly * xp.exp(-a * a))


class Softmax(Function):
    def forward(self, x):
        xp = get_xp(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.out = e / e.sum(axis=self.axis, keepdims=True)
        return self.out

    def backward(self, grad):
        # ds_i = s_i (dx_i - sum_j s_j dx_j)
        s = self.out
        return (s * (grad - (grad * s).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    def forward(self, x):
        xp = get_xp(x)
        shifted = x - x.max(axis=self.axis, keepdims=True)
        self.out = shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))
        return self.out

    def backward(self, grad):
        # d log_softmax = dx - softmax * sum(dx)
        xp = get_xp(grad)
        return (grad - xp.exp(self.out) * grad.sum(axis=self.axis, keepdims=True),)


def relu(x: Any) -> Tensor:
    """Rectified linear unit: `max(x, 0)`.

    Example:
    >>> lamina.ops.relu([-1.0, 2.0]).numpy()
    array([0., 2.], dtype=float32)
    """
    return Relu.apply(float_input("relu", x))


def relu6(x: Any) -> Tensor:
    """`min(max(x, 0), 6)`."""
    from lamina.ops.elementwise import clip

    return clip(float_input("relu6", x), 0.0, 6.0)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """`x` for positive x, `negative_slope * x` otherwise."""
    return LeakyRelu.apply(float_input("leaky_relu", x), slope=negative_slope)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: `x` if x > 0 else `alpha * (exp(x) - 1)`."""
    return Elu.apply(float_input("elu", x), alpha=alpha)


def selu(x: Any) -> Tensor:
    """Scaled ELU with the self-normalizing constants (alpha 1.6733, scale 1.0507)."""
    return Elu.apply(float_input("selu", x), alpha=_SELU_ALPHA) * _SELU_SCALE


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def sigmoid(x: Any) -> Tensor:
    """Logistic sigmoid `1 / (1 + exp(-x))`, finite for any input."""
    return Sigmoid.apply(float_input("sigmoid", x))


def hard_sigmoid(x: Any) -> Tensor:
    """Piecewise-linear sigmoid: `relu6(x + 3) / 6`."""
    return relu6(float_input("hard_sigmoid", x) + 3.0) / 6.0


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh.apply(float_input("tanh", x))


def softplus(x: Any) -> Tensor:
    """`log(1 + exp(x))`, finite for any input."""
    return Softplus.apply(float_input("softplus", x))


def softsign(x: Any) -> Tensor:
    """`x / (1 + |x|)`."""
    return Softsign.apply(float_input("softsign", x))


def silu(x: Any) -> Tensor:
    """Sigmoid linear unit (swish): `x * sigmoid(x)`."""
    x = float_input("silu", x)
    return x * sigmoid(x)


def gelu(x: Any, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit; `approximate=True` uses the tanh formula (Keras's default)."""
    return Gelu.apply(float_input("gelu", x), approximate=bool(approximate))


def softmax(x: Any, axis: int = -1) -> Tensor:
    """Softmax over `axis`, shifted by the maximum so large inputs stay finite.

    Example:
    >>> lamina.ops.softmax([1e4, 0.0]).numpy()
    array([1., 0.], dtype=float32)
    """
    x = float_input("softmax", x)
    return Softmax.apply(x, axis=normalize_axis("softmax", axis, x.ndim))


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """Logarithm of the softmax over `axis`, computed without forming the softmax."""
    x = float_input("log_softmax", x)
    return LogSoftmax.apply(x, axis=normalize_axis("log_softmax", axis, x.ndim))


class SoftmaxCrossEntropy(Function):
    """Fused `-sum(labels * log_softmax(logits))` over `axis`; labels get no gradient."""

    def forward(self, labels, logits):
        xp = get_xp(logits)
        shifted = logits - logits.max(axis=self.axis, keepdims=True)
        exp = xp.exp(shifted)
        total = exp.sum(axis=self.axis, keepdims=True)
        log_probs = shifted - xp.log(total)
        self.probs = exp / total
        self.labels = labels
        return -(labels * log_probs).sum(axis=self.axis)

    def backward(self, grad):
        # d/dz -sum(y * log_softmax(z)) = softmax(z) * sum(y) - y
        g = xp_expand(grad, self.axis)
        label_mass = self.labels.sum(axis=self.axis, keepdims=True)
        return None, g * (self.probs * label_mass - self.labels)


def xp_expand(grad: Any, axis: int) -> Any:
    """Give a reduced gradient its reduced axis back (length 1)."""
    return get_xp(grad).expand_dims(grad, axis)


def softmax_cross_entropy(labels: Tensor, logits: Tensor, axis: int = -1) -> Tensor:
    """Cross-entropy of `labels` with `softmax(logits)` along `axis`, fused for stability and
    speed (one op instead of log-softmax, multiply and sum); the same values as composing them.
    """
    axis = normalize_axis("softmax_cross_entropy", axis, logits.ndim)
    return SoftmaxCrossEntropy.apply(labels, logits, axis=axis)


def softmax_logits(probs: Tensor, axis: int) -> Tensor | None:
    """The logits behind `probs` if a recorded softmax over `axis` produced it, else None.

    Cross-entropy on such probabilities is computed from the logits, as Keras's TensorFlow
    backend does: it is exact where clipping the probabilities would cap the loss.
    """
    node = probs._node
    if isinstance(node, Softmax) and node.axis == axis % probs.ndim:
        return node.inputs[0]
    return None
