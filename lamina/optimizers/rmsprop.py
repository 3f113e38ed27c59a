"""RMSprop: divide the step by a running root mean square of recent gradients."""

from typing import Any

from lamina.backend import get_xp
from lamina.optimizers.moments import moving_average_update, squared_average_update
from lamina.optimizers.optimizer import Optimizer
from lamina.validation import check_number
from lamina.variable import Variable


def rmsprop_update(
    grad: Any,
    var: Any,
    velocity: Any,
    lr: float,
    rho: float,
    epsilon: float,
    scratch: Any,
    momentum: float = 0.0,
    momentum_buf: Any = None,
    average_grad: Any = None,
    epsilon_outside_sqrt: bool = False,
) -> None:
    """One RMSprop step on raw arrays, in place (Keras's formulation).

    `v = rho * v + (1 - rho) * g**2`; the denominator is `sqrt(v + eps)`, or
    `sqrt(v - mg**2 + eps)` when centered (`mg` being the running mean gradient), or with
    `epsilon_outside_sqrt` (Keras 2's) `sqrt(v) + eps`; `inc = lr * g / denominator`;
    `var -= inc`, or with momentum `m = momentum * m + inc`, `var -= m`.
    """
    xp = get_xp(var)
    s = scratch
    squared_average_update(velocity, grad, rho, s)
    second_moment = velocity
    if average_grad is not None:
        moving_average_update(average_grad, grad, rho, s)
        xp.multiply(average_grad, average_grad, out=s)
        xp.subtract(velocity, s, out=s)
        second_moment = s
    if epsilon_outside_sqrt:
        xp.sqrt(second_moment, out=s)
        s += epsilon
    else:
        xp.add(second_moment, epsilon, out=s)
        xp.sqrt(s, out=s)
    xp.divide(grad, s, out=s)
    s *= lr
    if momentum_buf is not None:
        momentum_buf *= momentum
        momentum_buf += s
        var -= momentum_buf
    else:
        var -= s


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), with optional momentum and centering.

    Args:
        learning_rate: the step size (default 0.001) or a schedule.
        rho: the decay of the running average of squared gradients, in [0, 1).
        momentum: in [0, 1); 0 disables momentum.
        epsilon: added inside the square root for stability (default 1e-7).
        centered: normalize by the gradient's estimated variance instead of its second moment.
        name: defaults to `"rmsprop"`.
        **kwargs: the base `Optimizer`'s arguments.

    Example:
    >>> opt = RMSprop(learning_rate=0.01)
    >>> w = lamina.Variable([1.0])
    >>> opt.apply([np.array([1.0], dtype="float32")], [w])
    >>> round(float(w.numpy()[0]), 4)
    0.9684
    """

    # `lamina.optimizers.legacy.RMSprop` sets it: Keras 2's `sqrt(v) + epsilon` without momentum.
    _keras2_denominator = False

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        name: str = "rmsprop",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = check_number("rho", rho, low=0.0, high=1.0, high_open=True)
        self.momentum = check_number("momentum", momentum, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_number("epsilon", epsilon, low=0.0)
        self.centered = bool(centered)

    def build(self, variables: list[Variable]) -> None:
        super().build(variables)
        self._velocities = [self.add_variable_from_reference(v, "velocity") for v in variables]
        self._momentums = (
            [self.add_variable_from_reference(v, "momentum") for v in variables]
            if self.momentum
            else None
        )
        self._average_grads = (
            [self.add_variable_from_reference(v, "average_gradient") for v in variables]
            if self.centered
            else None
        )

    def update_step(self, grad: Any, variable: Variable, learning_rate: float) -> None:
        i, scratch = self.index_and_scratch(variable)
        rmsprop_update(
            grad,
            variable.data,
            self._velocities[i].data,
            learning_rate,
            self.rho,
            self.epsilon,
            scratch,
            self.momentum,
            self._momentums[i].data if self._momentums else None,
            self._average_grads[i].data if self._average_grads else None,
            epsilon_outside_sqrt=self._keras2_denominator and not self.momentum,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
