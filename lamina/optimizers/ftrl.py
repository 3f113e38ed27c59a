"""FTRL-Proximal (McMahan et al., 2013): per-coordinate rates with L1/L2 built into the step."""

from typing import Any

from lamina.backend import get_xp
from lamina.optimizers.optimizer import Optimizer
from lamina.validation import check_number
from lamina.variable import Variable


def ftrl_update(
    grad: Any,
    var: Any,
    accumulator: Any,
    linear: Any,
    lr: float,
    lr_power: float,
    l1: float,
    l2: float,
    l2_shrinkage: float,
) -> None:
    """One FTRL step on raw arrays, in place (Keras's formulation).

    With `n` the accumulator and `z` the linear term:
    `n' = n + g**2`; `z += g + 2 l2_shrinkage w - (n'**-p - n**-p) / lr * w`;
    `w = (clip(z, -l1, l1) - z) / (n'**-p / lr + 2 l2)`; `n = n'`, where `p` is
    `learning_rate_power` and `l2` already includes `beta / (2 lr)`.
    """
    xp = get_xp(var)
    shrunk = grad + (2.0 * l2_shrinkage) * var if l2_shrinkage else grad
    new_accumulator = accumulator + grad * grad
    new_power = xp.power(new_accumulator, -lr_power)
    linear += shrunk - (new_power - xp.power(accumulator, -lr_power)) / lr * var
    quadratic = new_power / lr + 2.0 * l2
    var[...] = (xp.clip(linear, -l1, l1) - linear) / quadratic
    accumulator[...] = new_accumulator


class Ftrl(Optimizer):
    """Follow The Regularized Leader, the proximal variant used for large sparse linear models.

    Each coordinate keeps the sum of its squared gradients `n` and a linear term `z`; the weight
    is then solved in closed form, which sets weights with `|z| <= l1` to exactly 0.

    Args:
        learning_rate: the step size (default 0.001) or a schedule; must be > 0 when used.
        learning_rate_power: how the rate shrinks with `n` (<= 0; -0.5 is Adagrad-like,
            0 a fixed rate).
        initial_accumulator_value: the accumulators' starting value (>= 0, default 0.1).
        l1_regularization_strength: L1 strength (>= 0); gives exact zeros.
        l2_regularization_strength: L2 strength (>= 0) inside the closed-form step.
        l2_shrinkage_regularization_strength: L2 strength (>= 0) applied through the gradient,
            a magnitude penalty rather than a stabilization one.
        beta: adds `beta / (2 lr)` to the L2 strength (>= 0, default 0).
        name: defaults to `"ftrl"`.
        **kwargs: the base `Optimizer`'s arguments.

    Example:
    >>> opt = Ftrl(learning_rate=0.1, initial_accumulator_value=0.0, learning_rate_power=0.0)
    >>> w = lamina.Variable([0.0])
    >>> opt.apply([np.array([1.0], dtype="float32")], [w])
    >>> w.numpy()
    array([-0.1], dtype=float32)
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        name: str = "ftrl",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.learning_rate_power = check_number(
            "learning_rate_power", learning_rate_power, high=0.0
        )
        self.initial_accumulator_value = check_number(
            "initial_accumulator_value", initial_accumulator_value, low=0.0
        )
        self.l1_regularization_strength = check_number(
            "l1_regularization_strength", l1_regularization_strength, low=0.0
        )
        self.l2_regularization_strength = check_number(
            "l2_regularization_strength", l2_regularization_strength, low=0.0
        )
        self.l2_shrinkage_regularization_strength = check_number(
            "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength, low=0.0
        )
        self.beta = check_number("beta", beta, low=0.0)

    def build(self, variables: list[Variable]) -> None:
        super().build(variables)
        init = self.initial_accumulator_value
        self._accumulators = [
            self.add_variable_from_reference(v, "accumulator", fill=init) for v in variables
        ]
        self._linears = [self.add_variable_from_reference(v, "linear") for v in variables]

    def update_step(self, grad: Any, variable: Variable, learning_rate: float) -> None:
        if learning_rate <= 0:
            raise ValueError(
                f"Ftrl divides by the learning rate, so it must be > 0. "
                f"Received: learning_rate={learning_rate}"
            )
        i, _ = self.index_and_scratch(variable)
        ftrl_update(
            grad,
            variable.data,
            self._accumulators[i].data,
            self._linears[i].data,
            learning_rate,
            self.learning_rate_power,
            self.l1_regularization_strength,
            self.l2_regularization_strength + self.beta / (2.0 * learning_rate),
            self.l2_shrinkage_regularization_strength,
        )

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
