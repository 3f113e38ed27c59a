"""Running averages kept by the adaptive optimizers, updated in place on raw arrays.

Both are written as Keras writes them, `average += (value - average) * (1 - decay)`: the
increment is computed directly, so it keeps its precision while the average is still far
from the values (the form `(average - value) * decay + value` loses about three digits of
Adam's second moment to cancellation at beta_2 = 0.999). The increment goes through a
caller-provided scratch array, so no temporary array is allocated.
"""

from typing import Any

from lamina.backend import get_xp


def moving_average_update(average: Any, value: Any, decay: float, scratch: Any) -> None:
    """`average = decay * average + (1 - decay) * value`, in place; overwrites `scratch`."""
    get_xp(value).subtract(value, average, out=scratch)
    scratch *= 1 - decay
    average += scratch


def squared_average_update(average: Any, value: Any, decay: float, scratch: Any) -> None:
    """`average = decay * average + (1 - decay) * value**2`, in place; overwrites `scratch`."""
    get_xp(value).multiply(value, value, out=scratch)
    scratch -= average
    scratch *= 1 - decay
    average += scratch
