"""Activation functions, softmax and log-softmax, written to stay finite for large inputs."""

import math
from typing import Any

from lamina.backend import get_xp
from lamina.function import Function
from lamina.ops.compare import greater
from lamina.ops.core import float_input, normalize_axis
from lamina.ops.elementwise import clip, where
from lamina.ops.movement import split
from lamina.ops.special import erfc
from lamina.tensor import Tensor


class ReluOp(Function):
    def forward(self, x):
        self.out = get_xp(x).maximum(x, 0)
        return self.out

    def backward(self, grad):
        # relu'(x) = 1 for x > 0, else 0
        return (grad * (self.out > 0),)


class LeakyReluOp(Function):
    slope: float

    def forward(self, x):
        self.positive = x > 0
        return get_xp(x).where(self.positive, x, x * self.slope)

    def backward(self, grad):
        # 1 for x > 0, the slope elsewhere
        return (get_xp(grad).where(self.positive, grad, grad * self.slope),)


class EluOp(Function):
    alpha: float

    def forward(self, x):
        xp = get_xp(x)
        self.positive = x > 0
        self.neg = self.alpha * xp.expm1(xp.minimum(x, 0))
        return xp.where(self.positive, x, self.neg)

    def backward(self, grad):
        # 1 for x > 0, alpha * exp(x) = elu(x) + alpha elsewhere
        return (get_xp(grad).where(self.positive, grad, grad * (self.neg + self.alpha)),)


class SigmoidOp(Function):
    def forward(self, x):
        # 0.5 (1 + tanh(x/2)) never overflows, unlike 1 / (1 + exp(-x)).
        self.out = 0.5 * (1 + get_xp(x).tanh(0.5 * x))
        return self.out

    def backward(self, grad):
        # sigmoid' = s (1 - s)
        return (grad * self.out * (1 - self.out),)


class TanhOp(Function):
    def forward(self, x):
        self.out = get_xp(x).tanh(x)
        return self.out

    def backward(self, grad):
        # tanh' = 1 - tanh^2
        return (grad * (1 - self.out * self.out),)


class SoftplusOp(Function):
    def forward(self, x):
        self.x = x
        return get_xp(x).logaddexp(0, x)

    def backward(self, grad):
        # softplus' = sigmoid(x)
        return (grad * 0.5 * (1 + get_xp(grad).tanh(0.5 * self.x)),)


class SoftsignOp(Function):
    def forward(self, x):
        self.denom = 1 + get_xp(x).abs(x)
        return x / self.denom

    def backward(self, grad):
        # softsign' = 1 / (1 + |x|)^2
        return (grad / (self.denom * self.denom),)


class GeluOp(Function):
    approximate: bool

    def forward(self, x):
        xp = get_xp(x)
        self.x = x
        if self.approximate:
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
            self.t = xp.tanh(inner)
            return 0.5 * x * (1 + self.t)
        # Phi(x) = erfc(-x / sqrt(2)) / 2 keeps its relative precision in the left tail.
        self.cdf = 0.5 * erfc(x * -_SQRT_HALF)
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


class SoftmaxOp(Function):
    axis: int

    def forward(self, x):
        xp = get_xp(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.out = e / e.sum(axis=self.axis, keepdims=True)
        return self.out

    def backward(self, grad):
        # ds_i = s_i (dx_i - sum_j s_j dx_j)
        s = self.out
        return (s * (grad - (grad * s).sum(axis=self.axis, keepdims=True)),)


class LogSoftmaxOp(Function):
    axis: int

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
    return ReluOp.apply(float_input("relu", x))


class Relu6Op(Function):
    def forward(self, x):
        # The mask of the 0 < x < 6 region is left to backward: three passes fewer in inference.
        self.y = get_xp(x).clip(x, 0, 6)
        return self.y

    def backward(self, grad):
        # relu6'(x) = 1 for 0 < x < 6, else 0 (0 at both kinks, as relu's at 0 and Keras's)
        return (grad * ((self.y > 0) & (self.y < 6)),)


def relu6(x: Any) -> Tensor:
    """`min(max(x, 0), 6)`; the gradient is 0 at the kinks 0 and 6."""
    return Relu6Op.apply(float_input("relu6", x))


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """`x` for positive x, `negative_slope * x` otherwise."""
    return LeakyReluOp.apply(float_input("leaky_relu", x), slope=negative_slope)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: `x` if x > 0 else `alpha * (exp(x) - 1)`."""
    return EluOp.apply(float_input("elu", x), alpha=alpha)


def selu(x: Any) -> Tensor:
    """Scaled ELU with the self-normalizing constants (alpha 1.6733, scale 1.0507)."""
    return EluOp.apply(float_input("selu", x), alpha=_SELU_ALPHA) * _SELU_SCALE


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def sigmoid(x: Any) -> Tensor:
    """Logistic sigmoid `1 / (1 + exp(-x))`, finite for any input."""
    return SigmoidOp.apply(float_input("sigmoid", x))


def hard_sigmoid(x: Any) -> Tensor:
    """Piecewise-linear sigmoid: `relu6(x + 3) / 6`; slope 1/6 strictly between -3 and 3."""
    return relu6(float_input("hard_sigmoid", x) + 3.0) / 6.0


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent."""
    return TanhOp.apply(float_input("tanh", x))


def softplus(x: Any) -> Tensor:
    """`log(1 + exp(x))`, finite for any input."""
    return SoftplusOp.apply(float_input("softplus", x))


def softsign(x: Any) -> Tensor:
    """`x / (1 + |x|)`."""
    return SoftsignOp.apply(float_input("softsign", x))


def silu(x: Any) -> Tensor:
    """Sigmoid linear unit (swish): `x * sigmoid(x)`."""
    x = float_input("silu", x)
    return x * sigmoid(x)


def gelu(x: Any, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit; `approximate=True` uses the tanh formula (Keras's default)."""
    return GeluOp.apply(float_input("gelu", x), approximate=bool(approximate))


class SoftmaxOutput(Tensor):
    """Softmax probabilities that keep the logits they came from and the axis, whether or not
    a tape records, so that cross-entropy on them can use the stable log-softmax form in
    training, evaluation and plain calls alike (as Keras's TensorFlow backend does)."""

    __slots__ = ("logits", "axis")


def softmax(x: Any, axis: int = -1) -> Tensor:
    """Softmax over `axis`, shifted by the maximum so large inputs stay finite.

    The result remembers `x`: `categorical_crossentropy` on it is computed from the logits.

    Example:
    >>> lamina.ops.softmax([1e4, 0.0]).numpy()
    array([1., 0.], dtype=float32)
    """
    x = float_input("softmax", x)
    axis = normalize_axis("softmax", axis, x.ndim)
    out = SoftmaxOp.apply(x, axis=axis)
    probs = SoftmaxOutput(out.data)
    probs._node = out._node  # gradients are keyed by the op, so the new tensor takes its place
    probs.logits, probs.axis = x, axis
    return probs


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """Logarithm of the softmax over `axis`, computed without forming the softmax."""
    x = float_input("log_softmax", x)
    return LogSoftmaxOp.apply(x, axis=normalize_axis("log_softmax", axis, x.ndim))


class SoftmaxCrossEntropyOp(Function):
    """Fused `-sum(labels * log_softmax(logits))` over `axis`; labels get no gradient."""

    axis: int

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
    return SoftmaxCrossEntropyOp.apply(labels, logits, axis=axis)


def softmax_logits(probs: Tensor, axis: int) -> Tensor | None:
    """The logits behind `probs` if `softmax` over `axis` produced it, else None.

    Cross-entropy on such probabilities is computed from the logits, as Keras's TensorFlow
    backend does: it is exact where clipping the probabilities would cap the loss.
    """
    if isinstance(probs, SoftmaxOutput) and probs.axis == axis % probs.ndim:
        return probs.logits
    return None


# ----- Keras 3.6+ activations ---------------------------------------------------------------


class CeluOp(Function):
    alpha: float

    def forward(self, x):
        xp = get_xp(x)
        self.positive = x >= 0
        self.neg = self.alpha * xp.expm1(xp.minimum(x, 0) / self.alpha)
        return xp.where(self.positive, x, self.neg)

    def backward(self, grad):
        # 1 for x >= 0, exp(x / alpha) = celu(x) / alpha + 1 elsewhere
        return (get_xp(grad).where(self.positive, grad, grad * (self.neg / self.alpha + 1)),)


class HardShrinkOp(Function):
    threshold: float

    def forward(self, x):
        xp = get_xp(x)
        self.keep = xp.abs(x) > self.threshold
        return xp.where(self.keep, x, 0)

    def backward(self, grad):
        # 1 where |x| > threshold, 0 elsewhere
        return (grad * self.keep,)


class SoftShrinkOp(Function):
    threshold: float

    def forward(self, x):
        xp = get_xp(x)
        t = self.threshold
        above, below = x > t, x < -t
        self.keep = above | below
        return xp.where(above, x - t, xp.where(below, x + t, 0))

    def backward(self, grad):
        # 1 where x > threshold or x < -threshold, 0 elsewhere
        return (grad * self.keep,)


class SparsePlusOp(Function):
    def forward(self, x):
        xp = get_xp(x)
        # sparse_sigmoid(x), which is both the derivative and the square root of the middle piece
        self.half = 0.5 * (xp.clip(x, -1, 1) + 1)
        return xp.where(x >= 1, x, self.half * self.half)

    def backward(self, grad):
        # sparse_plus' = sparse_sigmoid(x) = clip((x + 1) / 2, 0, 1)
        return (grad * self.half,)


class SquareplusOp(Function):
    b: float

    def forward(self, x):
        xp = get_xp(x)
        self.root = xp.hypot(x, math.sqrt(self.b))  # sqrt(x^2 + b) without overflowing x^2
        # For x < 0, (x + root) / 2 cancels to nothing; b / (2 (root - x)) is the same value.
        denom = xp.where(x < 0, self.root - x, 1)
        self.out = xp.where(x < 0, 0.5 * self.b / denom, 0.5 * (x + self.root))
        return self.out

    def backward(self, grad):
        # squareplus' = (1 + x / root) / 2 = squareplus(x) / root (0 at the kink of b = 0, x = 0)
        xp = get_xp(grad)
        return (grad * self.out / xp.where(self.root > 0, self.root, 1),)


class SparsemaxOp(Function):
    """Euclidean projection onto the probability simplex (Martins & Astudillo, 2016)."""

    axis: int

    def forward(self, x):
        xp = get_xp(x)
        axis, n = self.axis, x.shape[self.axis]
        if n == 0:
            self.support = xp.zeros(x.shape, dtype=bool)
            self.count = xp.ones(x.shape, dtype=x.dtype)
            return x.copy()
        z = -xp.sort(-x, axis=axis)
        shape = [1] * x.ndim
        shape[axis] = n
        k = xp.arange(1, n + 1, dtype=x.dtype).reshape(shape)
        cums = xp.cumsum(z, axis=axis)
        # The support size k(z): the largest k with 1 + k z_(k) > sum_{j <= k} z_(j).
        k_z = (1 + k * z > cums).sum(axis=axis, keepdims=True)
        tau = (xp.take_along_axis(cums, k_z - 1, axis=axis) - 1) / k_z.astype(x.dtype)
        out = xp.maximum(x - tau, 0)
        self.support = out > 0
        self.count = xp.maximum(self.support.sum(axis=axis, keepdims=True), 1).astype(x.dtype)
        return out

    def backward(self, grad):
        # J = diag(s) - s s^T / |S| with s the support indicator: dx = s (dy - sum(s dy) / |S|)
        s = self.support
        g = grad * s
        return (g - s * (g.sum(axis=self.axis, keepdims=True) / self.count),)


def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """Continuously differentiable ELU: `x` if x >= 0 else `alpha * (exp(x / alpha) - 1)`.

    Raises:
        ValueError: if `alpha` is 0.

    Example:
    >>> lamina.ops.celu([-1.0, 0.0, 1.0]).numpy()
    array([-0.63212055,  0.        ,  1.        ], dtype=float32)
    """
    x = float_input("celu", x)
    alpha = float(alpha)
    if alpha == 0:
        raise ValueError(f"celu: alpha must not be 0 (it divides x). Received: alpha={alpha}")
    return CeluOp.apply(x, alpha=alpha)


def glu(x: Any, axis: int = -1) -> Tensor:
    """Gated linear unit: `a * sigmoid(b)`, where `a` and `b` are the halves of `x` along `axis`.

    Raises:
        ValueError: if the length of `x` along `axis` is odd.

    Example:
    >>> lamina.ops.glu([-1.0, 0.0, 1.0, 1.0]).numpy()
    array([-0.7310586,  0.       ], dtype=float32)
    """

    x = float_input("glu", x)
    axis = normalize_axis("glu", axis, x.ndim)
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu: the length of axis {axis} must be even to split it in halves. "
            f"Received: x.shape={x.shape}, axis={axis}"
        )
    a, b = split(x, 2, axis=axis)
    return a * sigmoid(b)


def hard_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """`x` where `|x| > threshold`, 0 elsewhere.

    Example:
    >>> lamina.ops.hard_shrink([-0.5, 0.0, 1.0]).numpy()
    array([0., 0., 1.], dtype=float32)
    """
    return HardShrinkOp.apply(float_input("hard_shrink", x), threshold=float(threshold))


def hard_tanh(x: Any) -> Tensor:
    """`x` clipped to `[-1, 1]`."""

    return clip(float_input("hard_tanh", x), -1.0, 1.0)


def log_sigmoid(x: Any) -> Tensor:
    """`log(sigmoid(x)) = -softplus(-x)`, finite for any input.

    Example:
    >>> lamina.ops.log_sigmoid([-1e4, 0.0, 1e4]).numpy()
    array([-1.0000000e+04, -6.9314718e-01, -0.0000000e+00], dtype=float32)
    """
    return -SoftplusOp.apply(-float_input("log_sigmoid", x))


def soft_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """`x - threshold` above `threshold`, `x + threshold` below `-threshold`, 0 between.

    Example:
    >>> lamina.ops.soft_shrink([-1.0, 0.0, 1.0]).numpy()
    array([-0.5,  0. ,  0.5], dtype=float32)
    """
    return SoftShrinkOp.apply(float_input("soft_shrink", x), threshold=float(threshold))


def sparse_plus(x: Any) -> Tensor:
    """0 for x <= -1, `(x + 1)^2 / 4` for -1 < x < 1, `x` for x >= 1: a sparse softplus.

    Example:
    >>> lamina.ops.sparse_plus([-1.0, 0.0, 1.0]).numpy()
    array([0.  , 0.25, 1.  ], dtype=float32)
    """
    return SparsePlusOp.apply(float_input("sparse_plus", x))


def sparse_sigmoid(x: Any) -> Tensor:
    """0 for x <= -1, `(x + 1) / 2` for -1 < x < 1, 1 for x >= 1; the derivative of sparse_plus.

    Example:
    >>> lamina.ops.sparse_sigmoid([-6.0, 0.0, 6.0]).numpy()
    array([0. , 0.5, 1. ], dtype=float32)
    """

    return (clip(float_input("sparse_sigmoid", x), -1.0, 1.0) + 1.0) * 0.5


def sparsemax(x: Any, axis: int = -1) -> Tensor:
    """Sparsemax over `axis`: `max(x - tau, 0)`, with `tau` chosen so the result sums to 1.

    The Euclidean projection of `x` onto the probability simplex (Martins & Astudillo, 2016):
    like softmax, but small entries become exactly 0.

    Example:
    >>> lamina.ops.sparsemax([0.5, 0.3, -1.0]).numpy()
    array([0.6, 0.4, 0. ], dtype=float32)
    """
    x = float_input("sparsemax", x)
    return SparsemaxOp.apply(x, axis=normalize_axis("sparsemax", axis, x.ndim))


def squareplus(x: Any, b: float = 4) -> Tensor:
    """`(x + sqrt(x^2 + b)) / 2`, a smooth ReLU; `b` (>= 0) sets the width of the bend.

    Raises:
        ValueError: if `b` is negative.

    Example:
    >>> lamina.ops.squareplus([-2.0, 0.0, 2.0]).numpy()
    array([0.41421354, 1.        , 2.4142137 ], dtype=float32)
    """
    x = float_input("squareplus", x)
    b = float(b)
    if not b >= 0:
        raise ValueError(f"squareplus: b must be non-negative. Received: b={b}")
    return SquareplusOp.apply(x, b=b)


def tanh_shrink(x: Any) -> Tensor:
    """`x - tanh(x)`."""
    x = float_input("tanh_shrink", x)
    return x - tanh(x)


def threshold(x: Any, threshold: float, default_value: float) -> Tensor:
    """`x` where `x > threshold`, `default_value` elsewhere.

    Example:
    >>> lamina.ops.threshold([-1.0, 0.0, 1.0, 2.0], 1.0, 0.0).numpy()
    array([0., 0., 0., 2.], dtype=float32)
    """

    x = float_input("threshold", x)
    return where(greater(x, threshold), x, default_value)
