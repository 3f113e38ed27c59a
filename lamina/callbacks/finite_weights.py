"""The check that keeps a diverged model (NaN or infinite weights) out of checkpoints."""

from typing import Any

from lamina.backend import get_xp


def first_nonfinite_weight(model: Any) -> str | None:
    """Return the name of the model's first weight holding a NaN or infinity, else None.

    One pass over the floating-point weights, stopping at the first bad one.
    """
    for weight in model.weights:
        data = weight.data
        if data.dtype.kind in "fc" and not bool(get_xp(data).isfinite(data).all()):
            return weight.name
    return None
