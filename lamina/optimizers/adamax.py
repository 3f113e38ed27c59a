"""Adamax and Nadam: the infinity-norm and the Nesterov variants of Adam."""

import math
from typing import Any

import numpy as np

from lamina.backend import get_xp
from lamina.optimizers.adam_family import AdamFamilyOptimizer
from lamina.optimizers.moments import moving_average_update, squared_average_update
from lamina.variable import Variable


def adamax_update(
    grad: Any,
    var: Any,
    m: Any,
    u: Any,
    lr: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
    step: int,
    scratch: Any,
) -> None:
    """One Adamax step on raw arrays, in place (Kingma & Ba, section 7.1).

    `m = beta_1 m + (1 - beta_1) g`; `u = max(beta_2 u, |g|)`;
    `var -= lr / (1 - beta_1**step) * m / (u + eps)`.
    """
    xp = get_xp(var)
    s = scratch
    moving_average_update(m, grad, beta_1, s)
    u *= beta_2
    xp.abs(grad, out=s)
    xp.maximum(u, s, out=u)
    xp.add(u, epsilon, out=s)
    xp.divide(m, s, out=s)
    s *= lr / (1 - beta_1**step)
    var -= s


def nadam_update(
    grad: Any,
    var: Any,
    m: Any,
    v: Any,
    lr: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
    momentum_coefs: tuple[float, float, float, float],
    step: int,
    scratch: Any,
    scratch2: Any,
) -> None:
    """One Nadam step on raw arrays, in place (Dozat 2016, Keras's momentum schedule).

    With `u_t = beta_1 (1 - 0.5 * 0.96**t)` and `prod_t` the product of the `u`s so far,
    `m_hat = u_{t+1} m / (1 - prod_{t+1}) + (1 - u_t) g / (1 - prod_t)`,
    `v_hat = v / (1 - beta_2**t)`, and `var -= lr * m_hat / (sqrt(v_hat) + eps)`.
    `momentum_coefs` is `(u_t, u_{t+1}, prod_t, prod_{t+1})`.
    """
    xp = get_xp(var)
    u_t, u_next, prod_t, prod_next = momentum_coefs
    s, t = scratch, scratch2
    moving_average_update(m, grad, beta_1, s)
    squared_average_update(v, grad, beta_2, s)
    xp.multiply(m, u_next / (1 - prod_next), out=s)
    xp.multiply(grad, (1 - u_t) / (1 - prod_t), out=t)
    s += t
    xp.sqrt(v, out=t)
    t *= 1 / math.sqrt(1 - beta_2**step)
    t += epsilon
    s /= t
    s *= lr
    var -= s


class Adamax(AdamFamilyOptimizer):
    """Adamax: Adam with the infinity norm in place of the second moment.

    Args:
        learning_rate: the step size (default 0.001) or a schedule.
        beta_1: the decay of the first moment, in [0, 1).
        beta_2: the decay of the infinity norm, in [0, 1).
        epsilon: added to the denominator (default 1e-7).
        name: defaults to `"adamax"`.
        **kwargs: the base `Optimizer`'s arguments.

    Example:
    >>> opt = Adamax(learning_rate=0.1, epsilon=0.0)
    >>> w = lamina.Variable([1.0])
    >>> opt.apply([np.array([2.0], dtype="float32")], [w])
    >>> round(float(w.numpy()[0]), 4)
    0.9
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        name: str = "adamax",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)

    def build(self, variables: list[Variable]) -> None:
        super().build(variables)
        self._m = [self.add_variable_from_reference(v, "momentum") for v in variables]
        self._u = [self.add_variable_from_reference(v, "norm") for v in variables]

    def update_step(self, grad: Any, variable: Variable, learning_rate: float) -> None:
        i, scratch = self.index_and_scratch(variable)
        adamax_update(
            grad,
            variable.data,
            self._m[i].data,
            self._u[i].data,
            learning_rate,
            self.beta_1,
            self.beta_2,
            self.epsilon,
            self.iterations_int + 1,
            scratch,
        )


class Nadam(AdamFamilyOptimizer):
    """Nadam: Adam with Nesterov momentum (Dozat, 2016).

    Args:
        learning_rate: the step size (default 0.001) or a schedule.
        beta_1: the decay of the first moment, in [0, 1).
        beta_2: the decay of the second moment, in [0, 1).
        epsilon: added to the denominator (default 1e-7).
        name: defaults to `"nadam"`.
        **kwargs: the base `Optimizer`'s arguments.

    Example:
    >>> opt = Nadam(learning_rate=0.1)
    >>> w = lamina.Variable([1.0])
    >>> opt.apply([np.array([2.0], dtype="float32")], [w])
    >>> float(w.numpy()[0]) < 1.0
    True
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        name: str = "nadam",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)
        self._coefs: tuple[int, tuple] = (-1, ())

    def build(self, variables: list[Variable]) -> None:
        super().build(variables)
        self._scratch2 = [s.copy() for s in self._scratch]
        # The product of the momentum coefficients so far: state, saved with the slots.
        self._u_product = Variable(
            np.ones((), dtype="float64"), trainable=False, name=f"{self.name}/u_product"
        )
        self._slots.append(self._u_product)
        self._m = [self.add_variable_from_reference(v, "momentum") for v in variables]
        self._v = [self.add_variable_from_reference(v, "velocity") for v in variables]

    def _after_load(self) -> None:
        self._coefs = (-1, ())

    def _momentum_coefs(self, step: int) -> tuple[float, float, float, float]:
        """`(u_t, u_{t+1}, prod_t, prod_{t+1})` for this step, advancing the product once."""
        if self._coefs[0] != step:
            u_t = self.beta_1 * (1 - 0.5 * 0.96**step)
            u_next = self.beta_1 * (1 - 0.5 * 0.96 ** (step + 1))
            self._u_product.data *= u_t
            product = float(self._u_product.data)
            self._coefs = (step, (u_t, u_next, product, product * u_next))
        return self._coefs[1]

    def update_step(self, grad: Any, variable: Variable, learning_rate: float) -> None:
        i, scratch = self.index_and_scratch(variable)
        step = self.iterations_int + 1
        nadam_update(
            grad,
            variable.data,
            self._m[i].data,
            self._v[i].data,
            learning_rate,
            self.beta_1,
            self.beta_2,
            self.epsilon,
            self._momentum_coefs(step),
            step,
            scratch,
            self._scratch2[i],
        )
