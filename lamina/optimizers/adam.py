"""Adam and AdamW: steps scaled by bias-corrected first and second moment estimates."""

import math
from typing import Any

from lamina.backend import get_xp
from lamina.optimizers.adam_family import AdamFamilyOptimizer
from lamina.optimizers.moments import moving_average_update, squared_average_update
from lamina.variable import Variable


def adam_update(
    grad: Any,
    var: Any,
    m: Any,
    v: Any,
    alpha: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
    scratch: Any,
    v_hat: Any = None,
) -> None:
    """One Adam step on raw arrays, in place (Keras's formulation).

    `m += (g - m) * (1 - beta_1)`; `v += (g**2 - v) * (1 - beta_2)`; with AMSGrad
    `v_hat = max(v_hat, v)` replaces `v` below; `var -= alpha * m / (sqrt(v) + eps)` where
    the caller passes `alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)`.
    """
    xp = get_xp(var)
    s = scratch
    moving_average_update(m, grad, beta_1, s)
    squared_average_update(v, grad, beta_2, s)
    if v_hat is not None:
        xp.maximum(v_hat, v, out=v_hat)
        v = v_hat
    xp.sqrt(v, out=s)
    s += epsilon
    xp.divide(m, s, out=s)
    s *= alpha
    var -= s


def adam_alpha(lr: float, beta_1: float, beta_2: float, step: int) -> float:
    """The bias-corrected step size at 1-based `step`."""
    return lr * math.sqrt(1 - beta_2**step) / (1 - beta_1**step)


class Adam(AdamFamilyOptimizer):
    """Adam (Kingma & Ba, 2014), with optional AMSGrad.

    Args:
        learning_rate: the step size (default 0.001) or a schedule.
        beta_1: the decay of the first-moment estimate, in [0, 1).
        beta_2: the decay of the second-moment estimate, in [0, 1).
        epsilon: added to the denominator (default 1e-7).
        amsgrad: use the running maximum of the second moment (Reddi et al., 2018).
        name: defaults to `"adam"`.
        **kwargs: the base `Optimizer`'s arguments.

    Example:
    >>> opt = Adam(learning_rate=0.1)
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
        amsgrad: bool = False,
        name: str = "adam",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)
        self.amsgrad = bool(amsgrad)

    def build(self, variables: list[Variable]) -> None:
        super().build(variables)
        self._momentums = [self.add_variable_from_reference(v, "momentum") for v in variables]
        self._velocities = [self.add_variable_from_reference(v, "velocity") for v in variables]
        self._velocity_hats = (
            [self.add_variable_from_reference(v, "velocity_hat") for v in variables]
            if self.amsgrad
            else None
        )

    def update_step(self, grad: Any, variable: Variable, learning_rate: float) -> None:
        i, scratch = self.index_and_scratch(variable)
        alpha = adam_alpha(learning_rate, self.beta_1, self.beta_2, self.iterations_int + 1)
        adam_update(
            grad,
            variable.data,
            self._momentums[i].data,
            self._velocities[i].data,
            alpha,
            self.beta_1,
            self.beta_2,
            self.epsilon,
            scratch,
            self._velocity_hats[i].data if self._velocity_hats else None,
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Each step first shrinks the weights by `learning_rate * weight_decay`, then takes an Adam
    step. Use `exclude_from_weight_decay` to spare biases or normalization scales.

    Args:
        learning_rate: the step size (default 0.001) or a schedule.
        weight_decay: the decay rate (default 0.004).
        beta_1, beta_2, epsilon, amsgrad: as for `Adam`.
        name: defaults to `"adamw"`.

    Example:
    >>> opt = AdamW(learning_rate=0.1, weight_decay=0.5)
    >>> w = lamina.Variable([1.0])
    >>> opt.apply([np.array([0.0], dtype="float32")], [w])
    >>> round(float(w.numpy()[0]), 4)
    0.95
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        name: str = "adamw",
        **kwargs: Any,
    ) -> None:
        if weight_decay is None:
            raise ValueError("AdamW needs a weight_decay. Received: weight_decay=None")
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            name=name,
            weight_decay=weight_decay,
            **kwargs,
        )
