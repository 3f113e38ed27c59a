"""OpLayer: an op of `lamina.ops` applied to symbolic tensors (slicing, arithmetic)."""

import inspect
from typing import Any

from lamina import ops
from lamina.layers.layer import Layer
from lamina.naming import unique_name
from lamina.serialization.values import decode_value, encode_value, int_leaves


class OpLayer(Layer):
    """Runs `lamina.ops.<op>` with the layer's tensor inputs placed where `args` holds None.

    Made by arithmetic and slicing on symbolic tensors (`x[:, 0]`, `a + b`); rarely by hand.

    Args:
        op: the name of a function in `lamina.ops`.
        args: the op's positional arguments, None where a tensor input goes.
        kwargs: the op's keyword arguments.
    """

    # Ops whose integer arguments set how many values they make (`zeros`, `tile`, ...): a
    # config (from a file, say) may not make them build more than MAX_CONFIG_VALUES values.
    sizing_ops = frozenset(
        (
            "arange",
            "broadcast_to",
            "eye",
            "full",
            "ones",
            "zeros",
            "one_hot",
            "pad",
            "repeat",
            "tile",
        )
    )
    MAX_CONFIG_VALUES = 1 << 26

    def __init__(self, op: str, args: list, kwargs: dict | None = None, **layer_kwargs: Any):
        # Only the public functions of lamina.ops: a saved config names the op, and a name
        # from a file must never reach anything else.
        if not isinstance(op, str) or op not in ops.__all__ or inspect.ismodule(getattr(ops, op)):
            raise ValueError(f"OpLayer: unknown op. Received: op={op!r:.80}")
        if not isinstance(args, list | tuple):
            raise ValueError(f"OpLayer: args must be a list. Received: args={args!r:.80}")
        if layer_kwargs.get("name") is None:
            layer_kwargs["name"] = unique_name(op)
        super().__init__(**layer_kwargs)
        self.op = op
        self.op_args = list(args)
        self.op_kwargs = dict(kwargs or {})

    def call(self, inputs: Any) -> Any:
        tensors = iter(inputs)
        args = [next(tensors) if a is None else a for a in self.op_args]
        return getattr(ops, self.op)(*args, **self.op_kwargs)

    def _convert_input(self, x: Any) -> Any:
        return x

    def get_config(self) -> dict:
        # Slices, tuples, Ellipsis and arrays (from `x[:, 0]`, `x + np.ones(3)`) become
        # JSON-safe markers that from_config turns back.
        return {
            **super().get_config(),
            "op": self.op,
            "args": encode_value(self.op_args),
            "kwargs": encode_value(self.op_kwargs),
        }

    @classmethod
    def from_config(cls, config: dict) -> "OpLayer":
        """Rebuild the layer, refusing a sizing op asked for more than `MAX_CONFIG_VALUES`.

        Raises:
            ValueError: for such sizes, or a malformed marker in `args` or `kwargs`.
        """
        config = dict(config)
        for key in ("args", "kwargs"):
            if key in config:
                config[key] = decode_value(config[key], f"OpLayer {config.get('name')!r}")
        op = config.get("op")
        if op in cls.sizing_ops:
            size = 1
            for value in int_leaves((config.get("args"), config.get("kwargs"))):
                size *= max(abs(value), 1)
                if size > cls.MAX_CONFIG_VALUES:
                    raise ValueError(
                        f"OpLayer {op!r} is given sizes ({value} among them) that would make "
                        f"more than {cls.MAX_CONFIG_VALUES:,} values; refusing to allocate them."
                    )
        return cls(**config)
