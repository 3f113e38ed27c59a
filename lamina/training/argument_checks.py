"""Checks of the arguments of fit, evaluate and predict, made before the first batch runs."""

from typing import Any

import numpy as np

from lamina.backend import is_array
from lamina.tensor import Tensor
from lamina.validation import check_int


def check_optional_int(name: str, value: Any, method: str) -> int | None:
    """None, or a positive integer (batch sizes and step counts)."""
    return check_int(name, value, minimum=1, allow_none=True, owner=method)


def check_verbose(verbose: Any, method: str) -> int:
    """The progress mode as 0, 1 or 2; "auto" (and True) mean 1, False means 0."""
    if isinstance(verbose, str) and verbose == "auto":
        return 1
    if isinstance(verbose, bool | int | np.integer) and int(verbose) in (0, 1, 2):
        return int(verbose)
    raise ValueError(
        f"{method}: Expected verbose to be 'auto', 0 (silent), 1 (progress bar) or 2 (one line "
        f"per epoch). Received: verbose={verbose!r}"
    )


def check_class_weight(class_weight: Any, num_outputs: int) -> None:
    """`class_weight` maps integer class indices to numbers, for a model with one output."""
    if class_weight is None:
        return
    if not isinstance(class_weight, dict):
        raise TypeError(
            "fit: Expected class_weight to be a dict mapping class indices to weights, e.g. "
            f"{{0: 1.0, 1: 5.0}}. Received: class_weight={class_weight!r:.80}"
        )
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, int | np.integer) or key < 0:
            raise ValueError(
                "fit: class_weight keys must be the classes' integer indices (>= 0), the values "
                "of the labels in y; encode string classes as integers first (e.g. "
                "np.unique(y, return_inverse=True)). Received: class_weight with key "
                f"{key!r} ({type(key).__name__})"
            )
        if isinstance(weight, bool) or not isinstance(weight, int | float | np.number):
            raise ValueError(
                "fit: class_weight values must be numbers. Received: class_weight"
                f"[{key!r}]={weight!r:.60}"
            )
    if num_outputs > 1:
        raise ValueError(
            "fit: class_weight is only supported for models with a single output; weight the "
            f"samples of each output with sample_weight instead. Received: a model with "
            f"{num_outputs} outputs and class_weight={class_weight!r:.80}"
        )


def describe(value: Any) -> str:
    """A short description of a value for error messages: its type and shape or length."""
    if isinstance(value, Tensor) or is_array(value):
        return f"an array of shape {tuple(value.shape)}"
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(map(str, value))}"
    return f"a {type(value).__name__}"


def split_validation_data(validation_data: Any, needs_targets: bool) -> tuple[Any, Any, Any]:
    """`validation_data` as `(x_val, y_val, val_sample_weight)`; `x_val` alone when it is a
    generator or dataset yielding its own batches.

    A tuple or list must be `(x_val, y_val)` or `(x_val, y_val, val_sample_weight)`; an array
    or `(x_val,)` holds no targets, which only a model without a compiled loss can use.
    """
    if isinstance(validation_data, list | tuple):
        n = len(validation_data)
        if not 0 < n <= 3 or needs_targets and (n == 1 or validation_data[1] is None):
            raise ValueError(
                "fit: Expected validation_data to be (x_val, y_val) or (x_val, y_val, "
                "val_sample_weight), or a generator or dataset yielding such batches. "
                f"Received: validation_data={describe(validation_data)}"
                + (" with y_val=None" if n in (2, 3) else "")
            )
        return (*validation_data, None, None)[:3]
    if needs_targets and (isinstance(validation_data, Tensor | dict) or is_array(validation_data)):
        raise ValueError(
            "fit: validation_data holds no targets: the model's loss compares its outputs "
            "with y_val. Pass validation_data=(x_val, y_val) or (x_val, y_val, "
            f"val_sample_weight). Received: validation_data={describe(validation_data)}"
        )
    return validation_data, None, None


def require_targets(data: Any, first_y: Any, method: str) -> None:
    """Refuse data without targets (`first_y`: those of its first batch) when the compiled
    loss needs them; `data` is the adapter, whose `x` attribute marks arrays."""
    if first_y is not None:
        return
    if hasattr(data, "x"):  # arrays
        raise ValueError(
            f"{method}: y is missing. The model was compiled with a loss, which compares its "
            f"outputs with targets: pass them, as in model.{method}(x, y). Received: y=None"
        )
    raise ValueError(
        f"{method}: the batches of the data hold no targets. The model was compiled with a "
        "loss, which compares its outputs with targets: yield (x, y) or (x, y, sample_weight) "
        "batches. Received: a first batch with x only"
    )


def check_target_count(y: Any, num_outputs: int, output_names: list[str], method: str) -> None:
    """A list or array `y` gives one target per output (a dict is matched by name elsewhere)."""
    if y is None or isinstance(y, dict):
        return
    count = len(y) if isinstance(y, list | tuple) else 1
    if count == num_outputs:
        return
    names = f" {output_names}" if len(output_names) == num_outputs else ""
    given = "1 array"
    if isinstance(y, list | tuple):
        given = f"a {type(y).__name__} of {count} target(s)"
    raise ValueError(
        f"{method}: the model has {num_outputs} output(s){names}, so y needs one target per "
        f"output: a list of {num_outputs} arrays in the order of the outputs, or a dict keyed "
        f"by output name. Received: y as {given}"
    )
