"""Keras 3 op nodes in a functional config (`keras.src.ops.*`), translated into `OpLayer`s.

Keras 3 records an op applied to symbolic tensors as a node of the functional graph; the masks
that `Embedding(mask_zero=True)` and `Masking` make are such ops (`ops.not_equal(x, 0)`,
`ops.any(..., axis=-1)`), passed on as `mask=` to the next layer calls. Only the op classes of
`OPS` are translated, each to the `lamina.ops` function with the same meaning, its settings
checked; any other op class is refused.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lamina.layers import OpLayer
from lamina.saving.keras_import.config_values import (
    Ctx,
    optional,
    to_axes,
    to_bool,
    to_dtype,
    to_str,
)

_Translator = Callable[[Any, str, Ctx], Any]
OP_MODULES = ("keras.src.ops", "keras.ops")


@dataclass(frozen=True)
class OpSpec:
    """How one Keras op class becomes an `OpLayer`.

    Args:
        op: the name of the `lamina.ops` function.
        arity: how many positional arguments the op's node passes.
        settings: Keras config key (besides `name`) -> translator of its value, passed to the
            op as a keyword argument.
    """

    op: str
    arity: int
    settings: dict[str, _Translator] = field(default_factory=dict)


_REDUCE = {"axis": optional(to_axes), "keepdims": to_bool}
OPS: dict[str, OpSpec] = {
    "NotEqual": OpSpec("not_equal", 2),
    "Equal": OpSpec("equal", 2),
    "LogicalAnd": OpSpec("logical_and", 2),
    "LogicalOr": OpSpec("logical_or", 2),
    "LogicalNot": OpSpec("logical_not", 1),
    "Any": OpSpec("any", 1, _REDUCE),
    "All": OpSpec("all", 1, _REDUCE),
    "ExpandDims": OpSpec("expand_dims", 1, {"axis": to_axes}),
    "Squeeze": OpSpec("squeeze", 1, {"axis": optional(to_axes)}),
    "OnesLike": OpSpec("ones_like", 1, {"dtype": to_dtype}),
    "ZerosLike": OpSpec("zeros_like", 1, {"dtype": to_dtype}),
}


def is_op_record(record: dict, custom_objects: dict) -> bool:
    """Whether a functional config's entry is a Keras op: its module one of `keras.src.ops`,
    or, in legacy `.h5` configs (which name no module), its class an op of `OPS` that
    `custom_objects` does not define."""
    module, class_name = record.get("module"), record.get("class_name")
    if module is None:
        return class_name in OPS and class_name not in custom_objects
    return isinstance(module, str) and any(
        module == m or module.startswith(m + ".") for m in OP_MODULES
    )


def op_from_record(record: dict, ctx: Ctx) -> OpLayer:
    """The `OpLayer` that replays a Keras op node, its constant arguments taken from the node.

    Raises:
        KerasFileError: for an op class not in `OPS`, an unknown setting, or a node that does
            not call the op once with its tensors and plain numbers.
    """
    class_name, config = record.get("class_name"), record.get("config") or {}
    name = record.get("name", config.get("name") if isinstance(config, dict) else None)
    octx = Ctx(f"{ctx.where}, op {name!r} ({class_name})", ctx.custom_objects)
    spec = OPS.get(class_name)
    if spec is None:
        raise octx.error(
            f"unknown Keras op class {class_name!r}; lamina translates the ops Keras records "
            f"for masks ({', '.join(sorted(OPS))}). Received: module={record.get('module')!r}"
        )
    if not isinstance(config, dict):
        raise octx.error(f"the config of an op should be a dict. Received: {config!r:.200}")
    unknown = sorted(set(config) - {"name", *spec.settings})
    if unknown:
        raise octx.error(
            f"lamina's {spec.op} has no setting {unknown}. Received: "
            f"{ {k: config[k] for k in unknown}!r:.300}"
        )
    kwargs = {k: spec.settings[k](v, k, octx) for k, v in config.items() if k != "name"}
    name = to_str(name, "name", octx)
    return OpLayer(spec.op, _placeholders(record, spec, octx), kwargs, name=name)


def _placeholders(record: dict, spec: OpSpec, ctx: Ctx) -> list:
    """The node's positional arguments, None where a tensor goes (numbers kept as they are)."""
    nodes = record.get("inbound_nodes")
    if not (isinstance(nodes, list) and len(nodes) == 1 and isinstance(nodes[0], dict)):
        raise ctx.error(
            "an op should be called once, as {'args': [...], 'kwargs': {}}. Received: "
            f"inbound_nodes={nodes!r:.200}"
        )
    args, kwargs = nodes[0].get("args"), nodes[0].get("kwargs") or {}
    if not isinstance(args, list) or len(args) != spec.arity or kwargs:
        raise ctx.error(
            f"{spec.op} takes {spec.arity} positional argument(s) and no keyword arguments. "
            f"Received: args={args!r:.200}, kwargs={kwargs!r:.100}"
        )
    out: list = []
    for arg in args:
        if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
            out.append(None)
        elif isinstance(arg, bool | int | float):
            out.append(arg)
        else:
            raise ctx.error(
                f"{spec.op} is given {arg!r:.100}; lamina translates tensors and plain numbers "
                "as op arguments."
            )
    if None not in out:
        raise ctx.error(f"{spec.op} is given no tensor. Received: args={args!r:.200}")
    return out
