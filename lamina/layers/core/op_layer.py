"""OpLayer: an op of `lamina.ops`, a loss or an activation applied to symbolic tensors."""

import inspect
from collections.abc import Callable
from typing import Any

from lamina import activations, ops, tree
from lamina.layers.layer import Layer
from lamina.naming import unique_name
from lamina.serialization.values import decode_value, encode_value, int_leaves


class _Tensor:
    """Where an input tensor goes among an OpLayer's arguments."""

    def __repr__(self) -> str:
        return "TENSOR"


TENSOR = _Tensor()
# How a config writes TENSOR (as Keras marks its tensors among a node's arguments).
_TENSOR_MARKER = {"class_name": "__tensor__", "config": {}}


class OpLayer(Layer):
    """Runs an op with the layer's tensor inputs, in order, where its arguments hold `TENSOR`.

    Made by calling `lamina.ops` functions, losses or activations on symbolic tensors
    (`x[:, 0]`, `a + b`, `ops.concatenate([a, b], axis=-1)`, `losses.mse(y, p)`); rarely by
    hand.

    Args:
        op: the name of a function in `lamina.ops`, or `"losses.<name>"` or
            `"activations.<name>"` for a registered loss or activation function.
        args: the positional arguments, `TENSOR` where an input goes, at any depth. Without
            any `TENSOR` in `args` and `kwargs` (older configs), each None in `args` is one.
        kwargs: the keyword arguments, which may hold `TENSOR` too.
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
        self._fn = self.function(op)
        if not isinstance(args, list | tuple):
            raise ValueError(f"OpLayer: args must be a list. Received: args={args!r:.80}")
        if not isinstance(kwargs, dict | None):
            raise ValueError(f"OpLayer: kwargs must be a dict. Received: kwargs={kwargs!r:.80}")
        args, kwargs = _from_markers((list(args), dict(kwargs or {})))
        if not any(a is TENSOR for a in tree.flatten((args, kwargs))):
            args = [TENSOR if a is None else a for a in args]
        if layer_kwargs.get("name") is None:
            layer_kwargs["name"] = unique_name(op.rpartition(".")[2])
        super().__init__(**layer_kwargs)
        self.op = op
        self.op_args = args
        self.op_kwargs = kwargs
        self._n_inputs = sum(a is TENSOR for a in tree.flatten((args, kwargs)))

    @staticmethod
    def function(op: Any) -> Callable:
        """The function an OpLayer named `op` runs.

        Only public functions of `lamina.ops` and the registered loss and activation
        functions: a saved config names the op, and a name from a file must never reach
        anything else.

        Raises:
            ValueError: for any other name.
        """
        fn = None
        if isinstance(op, str) and op in ops.__all__:
            fn = getattr(ops, op)
        elif isinstance(op, str) and op.startswith(("losses.", "activations.")):
            family, _, name = op.partition(".")
            # Losses sit above layers in the import order.
            from lamina import losses

            try:
                fn = (losses if family == "losses" else activations).get(name)
            except ValueError:
                fn = None
        if not inspect.isfunction(fn):
            raise ValueError(
                "OpLayer: unknown op; expected the name of a function in lamina.ops, or "
                "'losses.<name>' or 'activations.<name>' for a built-in loss or activation "
                f"function. Received: op={op!r:.80}"
            )
        return fn

    def call(self, inputs: Any) -> Any:
        inputs = list(inputs)
        if len(inputs) != self._n_inputs:
            raise ValueError(
                f"OpLayer {self.name!r} ({self.op}) takes {self._n_inputs} input tensor(s). "
                f"Received: {len(inputs)} inputs"
            )
        tensors = iter(inputs)
        args, kwargs = tree.map_structure(
            lambda a: next(tensors) if a is TENSOR else a, (self.op_args, self.op_kwargs)
        )
        return self._fn(*args, **kwargs)

    def _convert_input(self, x: Any) -> Any:
        return x

    def get_config(self) -> dict:
        # Slices, tuples, Ellipsis and arrays (from `x[:, 0]`, `x + np.ones(3)`) become
        # JSON-safe markers that from_config turns back.
        return {
            **super().get_config(),
            "op": self.op,
            "args": encode_value(_to_markers(self.op_args)),
            "kwargs": encode_value(_to_markers(self.op_kwargs)),
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


def _to_markers(value: Any) -> Any:
    return tree.map_structure(lambda a: dict(_TENSOR_MARKER) if a is TENSOR else a, value)


def _from_markers(value: Any) -> Any:
    """`value` with each tensor marker (a config's) turned into `TENSOR`."""
    if type(value) in (list, tuple):
        return type(value)(_from_markers(v) for v in value)
    if isinstance(value, dict):
        if value == _TENSOR_MARKER:
            return TENSOR
        return {k: _from_markers(v) for k, v in value.items()}
    return value
