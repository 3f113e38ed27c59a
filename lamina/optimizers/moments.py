"""Running averages kept by the adaptive optimizers, updated in place on raw arrays.

Both are written as `(average - value) * decay + value`, which equals
`decay * average + (1 - decay) * value` and needs no temporary array.
"""

from typing import Any

from lamina.backend import get_xp


def moving_average_update(average: Any, value: Any, decay: float) -> None:
    """`average = decay * average + (1 - decay) * value`, in place."""
    average -= value
    average *= decay
    average += value


def squared_average_update(average: Any, value: Any, decay: float, scratch: Any) -> None:
    """`average = decay * average + (1 - decay) * value**2`, in place; overwrites `scratch`."""
    get_xp(value).multiply(value, value, out=scratch)
    moving_average_update(average, scratch, decay)
