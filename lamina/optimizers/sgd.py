"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from typing import Any

from lamina.backend import get_xp
from lamina.optimizers.optimizer import Optimizer
from lamina.validation import check_number
from lamina.variable import Variable


def sgd_update(
    grad: Any,
    var: Any,
    lr: float,
    momentum: float,
    nesterov: bool,
    velocity: Any,
    scratch: Any,
) -> None:
    """One SGD step on raw arrays, in place.

    Without momentum `var -= lr * g`. With it, `m = momentum * m - lr * g`, then
    `var += m`, or `var += momentum * m - lr * g` with Nesterov momentum.
    """
    xp = get_xp(var)
    xp.multiply(grad, lr, out=scratch)
    if velocity is None:
        var -= scratch
        return
    velocity *= momentum
    velocity -= scratch
    if nesterov:
        var -= scratch
        xp.multiply(velocity, momentum, out=scratch)
        var += scratch
    else:
        var += velocity


class SGD(Optimizer):
    """Gradient descent with momentum.

    Args:
        learning_rate: the step size (default 0.01) or a schedule.
        momentum: in [0, 1]; 0 is plain gradient descent.
        nesterov: use Nesterov momentum.
        name: defaults to `"SGD"`.
        **kwargs: the base `Optimizer`'s arguments (clipping, weight decay, `lr`, `decay`, ...).

    Example:
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> w = lamina.Variable([1.0])
    >>> opt.apply([np.array([1.0], dtype="float32")], [w])
    >>> w.numpy()
    array([0.9], dtype=float32)
    """

    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        name: str = "SGD",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = check_number("momentum", momentum, low=0.0, high=1.0)
        self.nesterov = bool(nesterov)
        self._velocities: list[Any] = []

    def build(self, variables: list[Variable]) -> None:
        super().build(variables)
        if self.momentum:
            self._velocities = [self.add_variable_from_reference(v, "momentum") for v in variables]

    def update_step(self, grad: Any, variable: Variable, learning_rate: float) -> None:
        i, scratch = self.index_and_scratch(variable)
        velocity = self._velocities[i].data if self.momentum else None
        sgd_update(
            grad, variable.data, learning_rate, self.momentum, self.nesterov, velocity, scratch
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
