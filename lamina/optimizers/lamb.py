"""LAMB (You et al., 2019): Adam steps rescaled per variable by a trust ratio."""

import math
from typing import Any

from lamina.backend import get_xp
from lamina.optimizers.adam_family import AdamFamilyOptimizer
from lamina.variable import Variable


def lamb_update(
    grad: Any,
    var: Any,
    m: Any,
    v: Any,
    lr: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
    step: int,
) -> None:
    """One LAMB step on raw arrays, in place (1-based `step`).

    `m` and `v` are Adam's moments; `update = m_hat / (sqrt(v_hat) + eps)` with the bias
    corrections `m_hat = m / (1 - beta_1**t)`, `v_hat = v / (1 - beta_2**t)`; then
    `var -= lr * ratio * update` with `ratio = ||var|| / ||update||` (1 if either norm is 0).
    """
    xp = get_xp(var)
    m *= beta_1
    m += (1.0 - beta_1) * grad
    v *= beta_2
    v += (1.0 - beta_2) * grad * grad
    m_hat = m / (1.0 - beta_1**step)
    v_hat = v / (1.0 - beta_2**step)
    update = m_hat / (xp.sqrt(v_hat) + epsilon)
    w_norm = math.sqrt(float((var * var).sum()))
    u_norm = math.sqrt(float((update * update).sum()))
    ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
    var -= (lr * ratio) * update


class Lamb(AdamFamilyOptimizer):
    """LAMB: layer-wise adaptive moments, for training with very large batches.

    Each variable takes an Adam step rescaled so that its length is `learning_rate` times the
    variable's own norm.

    Args:
        learning_rate: the step size (default 0.001) or a schedule.
        beta_1: the decay of the first-moment estimate, in [0, 1).
        beta_2: the decay of the second-moment estimate, in [0, 1).
        epsilon: added to the denominator (default 1e-7).
        name: defaults to `"lamb"`.
        **kwargs: the base `Optimizer`'s arguments (`weight_decay` decays decoupled, first).

    Example:
    >>> opt = Lamb(learning_rate=0.1)
    >>> w = lamina.Variable([3.0, 4.0])
    >>> opt.apply([np.array([1.0, 0.0], dtype="float32")], [w])
    >>> w.numpy()
    array([2.5, 4. ], dtype=float32)
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        name: str = "lamb",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name, **kwargs)

    def build(self, variables: list[Variable]) -> None:
        super().build(variables)
        self._momentums = [self.add_variable_from_reference(v, "momentum") for v in variables]
        self._velocities = [self.add_variable_from_reference(v, "velocity") for v in variables]

    def update_step(self, grad: Any, variable: Variable, learning_rate: float) -> None:
        i, _ = self.index_and_scratch(variable)
        lamb_update(
            grad,
            variable.data,
            self._momentums[i].data,
            self._velocities[i].data,
            learning_rate,
            self.beta_1,
            self.beta_2,
            self.epsilon,
            self.iterations_int + 1,
        )
