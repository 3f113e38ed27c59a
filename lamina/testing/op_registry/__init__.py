"""One record per public op of `lamina.ops`, driving the generic op tests.

Each `OpInfo` names the op, how to call it, its NumPy reference, deterministic sample inputs
(broadcasting, 0-d, size-1 and non-contiguous among them) and calls that must raise. The
records live by family in the modules of this package.

Example:
>>> from lamina.testing.op_registry import REGISTRY
>>> info = REGISTRY["add"]
>>> sample = info.sample_inputs()[0]
>>> info.fn(*[lamina.ops.convert_to_tensor(x) for x in sample.inputs], **sample.kwargs)
"""

import dataclasses
import inspect

from lamina import ops
from lamina.testing.op_registry import (
    conv,
    elementwise,
    linalg,
    movement,
    nn,
    nondiff,
    random,
    recurrent,
    reduce,
)
from lamina.testing.op_registry.base import ErrorCase, OpInfo, Sample


def _build() -> dict[str, OpInfo]:
    infos = [
        *elementwise.OPS,
        *reduce.OPS,
        *movement.OPS,
        *linalg.OPS,
        *nn.OPS,
        *conv.OPS,
        *nondiff.OPS,
        *random.OPS,
        *recurrent.OPS,
        dataclasses.replace(random.DROPOUT, name="random.dropout"),
    ]
    registry: dict[str, OpInfo] = {}
    for info in infos:
        if info.name in registry:
            raise ValueError(f"op_registry: two entries for {info.name!r}")
        registry[info.name] = info
    return registry


def public_op_names() -> list[str]:
    """Every public op: the names in `lamina.ops.__all__`, with the `lamina.ops.random`
    module expanded to `random.<function>` for each function it defines."""
    names = [n for n in ops.__all__ if n != "random"]
    for name, obj in vars(ops.random).items():
        if (
            not name.startswith("_")
            and inspect.isfunction(obj)
            and obj.__module__ == ops.random.__name__
        ):
            names.append(f"random.{name}")
    return sorted(names)


REGISTRY: dict[str, OpInfo] = _build()

__all__ = ["REGISTRY", "ErrorCase", "OpInfo", "Sample", "public_op_names"]
