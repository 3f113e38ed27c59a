"""Adafactor (Shazeer & Stern, 2018): Adam-like steps with factored second moments.

For a matrix (or any variable of rank >= 2) the second-moment estimate is kept as a row mean
`r` and a column mean `c` over the last two axes, and rebuilt as `outer(r / mean(r), c)`: memory
grows with rows + columns instead of rows * columns. Vectors keep a full estimate.
"""

import math
from typing import Any

from lamina.backend import get_xp
from lamina.optimizers.optimizer import Optimizer
from lamina.validation import check_number
from lamina.variable import Variable


def _rms(x: Any) -> float:
    xp = get_xp(x)
    return float(xp.sqrt(xp.mean(x * x))) if x.size else 0.0


def adafactor_update(
    grad: Any,
    var: Any,
    r: Any,
    c: Any,
    v: Any,
    lr: float,
    step: int,
    beta_2_decay: float,
    epsilon_1: float,
    epsilon_2: float,
    clip_threshold: float,
) -> None:
    """One Adafactor step on raw arrays, in place (Keras's formulation, 1-based `step`).

    `rho = min(lr, 1 / sqrt(step))`; `alpha = max(epsilon_2, rms(var)) * rho`;
    `beta_2 = 1 - step**beta_2_decay`; the second moment of `g**2 + epsilon_1` is averaged
    with weight `1 - beta_2` (factored for rank >= 2); `u = g / sqrt(v)` (v floored at the
    dtype's smallest normal number);
    `var -= alpha * u / max(1, rms(u) / clip_threshold)`.
    """
    xp = get_xp(var)
    rho = min(lr, 1.0 / math.sqrt(step))
    alpha = max(epsilon_2, _rms(var)) * rho
    beta_2 = 1.0 - step**beta_2_decay
    g2 = grad * grad + epsilon_1
    if var.ndim >= 2:
        r *= beta_2
        r += (1.0 - beta_2) * g2.mean(axis=-1)
        c *= beta_2
        c += (1.0 - beta_2) * g2.mean(axis=-2)
        v[...] = (r / r.mean(axis=-1, keepdims=True))[..., :, None] * c[..., None, :]
    else:
        v *= beta_2
        v += (1.0 - beta_2) * g2
    # A row and a column of zero gradients (a dead input against a dead unit) can underflow
    # v to 0 in float32; flooring it gives those entries a zero update instead of 0/0.
    u = grad / xp.sqrt(xp.maximum(v, xp.finfo(v.dtype).tiny))
    u /= max(1.0, _rms(u) / clip_threshold)
    var -= alpha * u


class Adafactor(Optimizer):
    """Adafactor: memory-light adaptive steps scaled by the size of the weights.

    The step is relative: about `learning_rate` times the root mean square of the variable
    (at least `epsilon_2`), capped at `1 / sqrt(step)` with `relative_step`.

    Args:
        learning_rate: the relative step size (default 0.001) or a schedule.
        beta_2_decay: the second-moment average uses `1 - step**beta_2_decay` (< 0 so it
            tends to 1; default -0.8).
        epsilon_1: added to the squared gradients (default 1e-30).
        epsilon_2: the smallest weight scale a step is relative to (default 1e-3).
        clip_threshold: the largest root mean square an update may have (default 1.0).
        relative_step: cap the rate at `1 / sqrt(step)`, as the paper does (default True).
        name: defaults to `"adafactor"`.
        **kwargs: the base `Optimizer`'s arguments.

    Example:
    >>> opt = Adafactor(learning_rate=0.1)
    >>> w = lamina.Variable([3.0, 4.0])
    >>> opt.apply([np.array([1.0, -1.0], dtype="float32")], [w])
    >>> np.round(w.numpy(), 4)
    array([2.6464, 4.3536], dtype=float32)
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
        name: str = "adafactor",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_2_decay = check_number("beta_2_decay", beta_2_decay, high=0.0)
        self.epsilon_1 = check_number("epsilon_1", epsilon_1, low=0.0)
        self.epsilon_2 = check_number("epsilon_2", epsilon_2, low=0.0)
        self.clip_threshold = check_number("clip_threshold", clip_threshold, low=0.0, low_open=True)
        self.relative_step = bool(relative_step)

    def _zeros(self, reference: Variable, shape: tuple, name: str) -> Variable:
        xp = get_xp(reference.data)
        slot = Variable(
            xp.zeros(shape, dtype=reference.data.dtype),
            trainable=False,
            name=f"{reference.name}/{name}",
        )
        self._slots.append(slot)
        return slot

    def build(self, variables: list[Variable]) -> None:
        super().build(variables)
        self._r, self._c, self._v = [], [], []
        for var in variables:
            shape = var.data.shape
            factored = len(shape) >= 2
            self._r.append(self._zeros(var, shape[:-1] if factored else (), "r"))
            self._c.append(self._zeros(var, shape[:-2] + shape[-1:] if factored else (), "c"))
            self._v.append(self.add_variable_from_reference(var, "v"))

    def update_step(self, grad: Any, variable: Variable, learning_rate: float) -> None:
        i, _ = self.index_and_scratch(variable)
        step = self.iterations_int + 1
        # Without relative_step the rate still passes through min(lr, 1/sqrt(step)), as in Keras.
        adafactor_update(
            grad,
            variable.data,
            self._r[i].data,
            self._c[i].data,
            self._v[i].data,
            learning_rate,
            step,
            self.beta_2_decay,
            self.epsilon_1,
            self.epsilon_2,
            self.clip_threshold,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }
