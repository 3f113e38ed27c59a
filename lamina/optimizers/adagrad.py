"""Adagrad and Adadelta: per-coordinate step sizes from accumulated squared gradients."""

from typing import Any

from lamina.backend import get_xp
from lamina.optimizers.moments import squared_average_update
from lamina.optimizers.optimizer import Optimizer
from lamina.validation import check_number
from lamina.variable import Variable


def adagrad_update(
    grad: Any, var: Any, accumulator: Any, lr: float, epsilon: float, scratch: Any
) -> None:
    """One Adagrad step on raw arrays, in place: `acc += g**2; var -= lr * g / sqrt(acc + eps)`."""
    xp = get_xp(var)
    s = scratch
    xp.multiply(grad, grad, out=s)
    accumulator += s
    xp.add(accumulator, epsilon, out=s)
    xp.sqrt(s, out=s)
    xp.divide(grad, s, out=s)
    s *= lr
    var -= s


def adadelta_update(
    grad: Any,
    var: Any,
    accumulated_grad: Any,
    accumulated_delta: Any,
    lr: float,
    rho: float,
    epsilon: float,
    scratch: Any,
    scratch2: Any,
) -> None:
    """One Adadelta step on raw arrays, in place (Zeiler 2012, with Keras's learning rate).

    `E[g2] = rho E[g2] + (1 - rho) g**2`; `d = sqrt(E[dx2] + eps) / sqrt(E[g2] + eps) * g`;
    `E[dx2] = rho E[dx2] + (1 - rho) d**2`; `var -= lr * d`.
    """
    xp = get_xp(var)
    s, t = scratch, scratch2
    squared_average_update(accumulated_grad, grad, rho, s)
    xp.add(accumulated_delta, epsilon, out=s)
    xp.add(accumulated_grad, epsilon, out=t)
    xp.divide(s, t, out=s)
    xp.sqrt(s, out=s)
    s *= grad  # s is now the update d
    squared_average_update(accumulated_delta, s, rho, t)
    s *= lr
    var -= s


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): steps shrink with the sum of past squared gradients.

    Args:
        learning_rate: the step size (default 0.001) or a schedule.
        initial_accumulator_value: the accumulators' starting value (>= 0, default 0.1).
        epsilon: added inside the square root (default 1e-7).
        name: defaults to `"adagrad"`.
        **kwargs: the base `Optimizer`'s arguments.

    Example:
    >>> opt = Adagrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=0.0)
    >>> w = lamina.Variable([1.0])
    >>> opt.apply([np.array([2.0], dtype="float32")], [w])
    >>> w.numpy()
    array([0.9], dtype=float32)
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        name: str = "adagrad",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = check_number(
            "initial_accumulator_value", initial_accumulator_value, low=0.0
        )
        self.epsilon = check_number("epsilon", epsilon, low=0.0)

    def build(self, variables: list[Variable]) -> None:
        super().build(variables)
        self._accumulators = [
            self.add_variable_from_reference(v, "accumulator", self.initial_accumulator_value)
            for v in variables
        ]

    def update_step(self, grad: Any, variable: Variable, learning_rate: float) -> None:
        i, scratch = self.index_and_scratch(variable)
        adagrad_update(
            grad, variable.data, self._accumulators[i].data, learning_rate, self.epsilon, scratch
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): steps scaled by the ratio of running RMS of updates and
    gradients.

    Args:
        learning_rate: the step size (default 0.001; Zeiler's original is 1.0) or a schedule.
        rho: the decay of both running averages, in [0, 1).
        epsilon: added inside the square roots (default 1e-7).
        name: defaults to `"adadelta"`.
        **kwargs: the base `Optimizer`'s arguments.

    Example:
    >>> opt = Adadelta(learning_rate=1.0)
    >>> w = lamina.Variable([1.0])
    >>> opt.apply([np.array([1.0], dtype="float32")], [w])
    >>> float(w.numpy()[0]) < 1.0
    True
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
        name: str = "adadelta",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = check_number("rho", rho, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_number("epsilon", epsilon, low=0.0)

    def build(self, variables: list[Variable]) -> None:
        super().build(variables)
        self._scratch2 = [s.copy() for s in self._scratch]
        self._grads = [self.add_variable_from_reference(v, "accumulated_grad") for v in variables]
        self._deltas = [
            self.add_variable_from_reference(v, "accumulated_delta_var") for v in variables
        ]

    def update_step(self, grad: Any, variable: Variable, learning_rate: float) -> None:
        i, scratch = self.index_and_scratch(variable)
        adadelta_update(
            grad,
            variable.data,
            self._grads[i].data,
            self._deltas[i].data,
            learning_rate,
            self.rho,
            self.epsilon,
            scratch,
            self._scratch2[i],
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
