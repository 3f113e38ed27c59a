"""The base of Adam and its variants: the `beta_1`, `beta_2` and `epsilon` they all take."""

from typing import Any

from lamina.optimizers.optimizer import Optimizer
from lamina.validation import check_number


class AdamFamilyOptimizer(Optimizer):
    """An optimizer with Adam's moment decays and denominator epsilon, checked and configured.

    Args:
        learning_rate: the step size or a schedule.
        beta_1: the decay of the first-moment estimate, in [0, 1).
        beta_2: the decay of the second-moment estimate, in [0, 1).
        epsilon: added to the denominator (>= 0).
        name: the optimizer's name.
        **kwargs: the base `Optimizer`'s arguments.
    """

    def __init__(
        self,
        learning_rate: Any,
        beta_1: float,
        beta_2: float,
        epsilon: float,
        name: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = check_number("beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_number("beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_number("epsilon", epsilon, low=0.0)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
