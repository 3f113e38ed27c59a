"""Lion: sign-of-interpolated-momentum updates (Chen et al., 2023)."""

from typing import Any

from lamina.backend import get_xp
from lamina.optimizers.moments import moving_average_update
from lamina.optimizers.optimizer import Optimizer
from lamina.validation import check_number
from lamina.variable import Variable


def lion_update(
    grad: Any, var: Any, m: Any, lr: float, beta_1: float, beta_2: float, scratch: Any
) -> None:
    """One Lion step on raw arrays, in place.

    `var -= lr * sign(beta_1 m + (1 - beta_1) g)`, then `m = beta_2 m + (1 - beta_2) g`.
    """
    xp = get_xp(var)
    s = scratch
    # beta_1 m + (1 - beta_1) g == m + (g - m) (1 - beta_1), the increment computed directly
    xp.subtract(grad, m, out=s)
    s *= 1 - beta_1
    s += m
    xp.sign(s, out=s)
    s *= lr
    var -= s
    moving_average_update(m, grad, beta_2, s)


class Lion(Optimizer):
    """Lion (EvoLved Sign Momentum): every coordinate moves by exactly the learning rate.

    Use a learning rate 3-10 times smaller than for AdamW.

    Args:
        learning_rate: the step size (default 0.001) or a schedule.
        beta_1: the interpolation factor of the update, in (0, 1].
        beta_2: the decay of the momentum, in [0, 1).
        name: defaults to `"lion"`.
        **kwargs: the base `Optimizer`'s arguments.

    Example:
    >>> opt = Lion(learning_rate=0.1)
    >>> w = lamina.Variable([1.0, 1.0])
    >>> opt.apply([np.array([3.0, -0.5], dtype="float32")], [w])
    >>> w.numpy()
    array([0.9, 1.1], dtype=float32)
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
        name: str = "lion",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = check_number("beta_1", beta_1, low=0.0, high=1.0, low_open=True)
        self.beta_2 = check_number("beta_2", beta_2, low=0.0, high=1.0, high_open=True)

    def build(self, variables: list[Variable]) -> None:
        super().build(variables)
        self._m = [self.add_variable_from_reference(v, "momentum") for v in variables]

    def update_step(self, grad: Any, variable: Variable, learning_rate: float) -> None:
        i, scratch = self.index_and_scratch(variable)
        lion_update(
            grad, variable.data, self._m[i].data, learning_rate, self.beta_1, self.beta_2, scratch
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
