"""Symbolic tensors: calling layers on them records the graph a functional model runs."""

import contextlib
import itertools
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from lamina import tree
from lamina.backend import default_xp
from lamina.function import no_grad
from lamina.ops import symbolic as ops_symbolic
from lamina.tensor import Tensor

_SERIALS = itertools.count()


class KerasTensor:
    """A placeholder with a shape (batch axis None) and dtype, made by `Input` and by calling
    layers on other placeholders. Python operators and slicing on it add ops to the graph.

    Example:
    >>> x = lamina.Input(shape=(784,))
    >>> y = lamina.layers.Dense(10)(x)
    >>> y.shape
    (None, 10)
    """

    __array_priority__ = 1001

    def __init__(
        self,
        shape: tuple,
        dtype: Any = "float32",
        node: Any = None,
        index: int = 0,
        name: str | None = None,
    ) -> None:
        self.shape = tuple(shape)
        self.dtype = np.dtype(object) if dtype == "string" else np.dtype(dtype)
        self.node = node
        self.index = index
        self.name = name
        self.serial = next(_SERIALS)  # creation order, for `bound_values`

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype.name}, name={self.name}>"

    def __hash__(self) -> int:
        return id(self)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise ValueError(
            f"{self!r} is symbolic: a placeholder for a shape and a dtype, with no value to "
            "make a NumPy array of. Build a model with it (`lamina.Model(inputs, outputs)`) "
            "and call the model on data instead."
        )

    def _op(self, op: str, *args: Any, **kwargs: Any) -> "KerasTensor":
        return op_layer_call(op, (self, *args), kwargs)

    def _rop(self, op: str, other: Any) -> "KerasTensor":
        return op_layer_call(op, (other, self), {})

    def __add__(self, o):
        return self._op("add", o)  # noqa: E704

    def __radd__(self, o):
        return self._rop("add", o)  # noqa: E704

    def __sub__(self, o):
        return self._op("subtract", o)  # noqa: E704

    def __rsub__(self, o):
        return self._rop("subtract", o)  # noqa: E704

    def __mul__(self, o):
        return self._op("multiply", o)  # noqa: E704

    def __rmul__(self, o):
        return self._rop("multiply", o)  # noqa: E704

    def __truediv__(self, o):
        return self._op("divide", o)  # noqa: E704

    def __rtruediv__(self, o):
        return self._rop("divide", o)  # noqa: E704

    def __pow__(self, o):
        return self._op("power", o)  # noqa: E704

    def __matmul__(self, o):
        return self._op("matmul", o)  # noqa: E704

    def __neg__(self):
        return self._op("negative")  # noqa: E704

    def __abs__(self):
        return self._op("abs")  # noqa: E704

    def __lt__(self, o):
        return self._op("less", o)  # noqa: E704

    def __le__(self, o):
        return self._op("less_equal", o)  # noqa: E704

    def __gt__(self, o):
        return self._op("greater", o)  # noqa: E704

    def __ge__(self, o):
        return self._op("greater_equal", o)  # noqa: E704

    def __getitem__(self, key):
        return self._op("getitem", key)  # noqa: E704


class Node:
    """One call of a layer in a graph: the layer, its arguments and its symbolic outputs."""

    def __init__(self, layer: Any, inputs: Any, args: tuple, kwargs: dict, outputs: Any) -> None:
        self.layer = layer
        self.input_value = inputs
        self.args = args
        self.kwargs = kwargs
        self.output_value = outputs
        # The graph's tensors that the call read from a closure, not from its arguments.
        self.closure_reads: list[KerasTensor] = []
        self.parents = [
            t.node for t in tree.flatten((inputs, args, kwargs)) if isinstance(t, KerasTensor)
        ]


class _Bindings(threading.local):
    def __init__(self) -> None:
        # Innermost last: a dict `id(KerasTensor) -> value` for each functional model running
        # now, or `(batch size, serial)` for each probe call.
        self.frames: list[dict | tuple[int, int]] = []
        # One dict per layer being traced: the symbolic tensors its probe read from a closure.
        self.closure_reads: list[dict[int, KerasTensor]] = []


_BINDINGS = _Bindings()
_UNBOUND = object()


@contextlib.contextmanager
def bound_values(frame: dict | int) -> Iterator[None]:
    """Give the model's symbolic tensors their values for the block (this thread).

    `frame` maps `id(KerasTensor)` to the value it has in the model running now; an int
    (a probe's batch size) gives every symbolic tensor made before the block zeros of that
    batch size. A layer whose `call` works on symbolic tensors of the model it runs in (Keras 2
    programs: a loss on `z_mean` held in a closure) then computes on their values.
    """
    _BINDINGS.frames.append(frame if isinstance(frame, dict) else (frame, next(_SERIALS)))
    try:
        yield
    finally:
        _BINDINGS.frames.pop()


def bound_value(t: KerasTensor) -> Any:
    """The value `t` has in the innermost `bound_values` block that knows it, else `_UNBOUND`."""
    for frame in reversed(_BINDINGS.frames):
        if isinstance(frame, tuple):
            fill, serial = frame
            # Tensors the call makes itself (a model built inside it) stay symbolic.
            if t.serial >= serial:
                return _UNBOUND
            for reads in _BINDINGS.closure_reads:
                reads[id(t)] = t
            return _concrete(t, fill)
        if id(t) in frame:
            return frame[id(t)]
    return _UNBOUND


_NESTED = (list, tuple, dict)  # built once: `list | tuple | dict` costs a union per call


def has_symbolic(*structures: Any) -> bool:
    """Whether any leaf is a `KerasTensor`."""
    for s in structures:
        if isinstance(s, KerasTensor):
            return True
        if isinstance(s, _NESTED) and any(isinstance(t, KerasTensor) for t in tree.flatten(s)):
            return True
    return False


def _concrete(t: KerasTensor, fill: int) -> Tensor:
    shape = tuple(fill if n is None else n for n in t.shape)
    if t.dtype.kind in "USO":  # text inputs (TextVectorization) are NumPy string arrays
        return Tensor(np.full(shape, "", dtype=object))
    return Tensor(default_xp().zeros(shape, dtype=t.dtype))


def probe_output(layer: Any, inputs: Any, args: tuple, kwargs: dict) -> Any:
    """Work out a layer's symbolic outputs by calling it on zeros of two batch sizes.

    Axes whose length follows the unknown input sizes come out as None.
    """
    runs = []
    # A probe is no real call: the metrics that `call` updates get their state back after it.
    states = {id(m): m.get_state() for m in layer._tracked_metrics()}
    # Only shapes matter: zeros may divide by zero (`a / b` on placeholders) without warning.
    with no_grad(), np.errstate(all="ignore"):
        for fill in (2, 3):
            sub = lambda v, f=fill: _concrete(v, f) if isinstance(v, KerasTensor) else v  # noqa: E731
            call_kwargs = {**tree.map_structure(sub, kwargs), "training": False}
            # layer.py imports this module: Layer calls into the symbolic machinery.
            from lamina.layers.layer import _call_accepts_training

            if not _call_accepts_training(type(layer)):
                call_kwargs.pop("training")
            with bound_values(fill):
                out = layer(
                    tree.map_structure(sub, inputs), *tree.map_structure(sub, args), **call_kwargs
                )
            runs.append(out)
    for m in layer._tracked_metrics():
        if id(m) in states:
            m.set_state(states[id(m)])
        else:  # made by the probe (`add_metric`'s first call)
            m.reset_state()
    outs = []
    for a, b in zip(tree.flatten(runs[0]), tree.flatten(runs[1]), strict=True):
        if not isinstance(a, Tensor):
            raise TypeError(
                f"Layer {layer.name!r} returned {type(a).__name__}, not a tensor, when called on "
                "symbolic inputs."
            )
        shape = tuple(None if m != n else m for m, n in zip(a.shape, b.shape, strict=True))
        outs.append(KerasTensor(shape, a.dtype))
    leaves = iter(outs)
    return tree.map_structure(lambda _: next(leaves), runs[0])


def symbolic_call(layer: Any, inputs: Any, args: tuple, kwargs: dict) -> Any:
    """Record a call of `layer` on symbolic inputs and return its symbolic outputs.

    The layer is built for the input shapes, then `layer.compute_output_spec` gives the
    outputs: from `compute_output_shape` for layers that declare it, by a probe call on zeros
    for the others.
    """
    # Imported here: lamina.layers imports this module when a layer is first called.
    from lamina.layers.layer import _call_accepts_training, active_allocation_check, layer_scope

    check = active_allocation_check()
    if check is not None:
        check.symbolic_inputs(layer, inputs, args, kwargs)
    with layer_scope(layer):  # sublayers built here or by a probe's calls are named inside it
        if not layer.built:
            layer._build_for(
                tree.map_structure(
                    lambda t: t.shape if isinstance(t, KerasTensor) else None, inputs
                )
            )
        spec_kwargs = dict(kwargs)
        if not _call_accepts_training(type(layer)):
            spec_kwargs.pop("training", None)  # as the call itself never sees it
        closure_reads: dict[int, KerasTensor] = {}
        _BINDINGS.closure_reads.append(closure_reads)
        try:
            specs = layer.compute_output_spec(inputs, *args, **spec_kwargs)
        finally:
            _BINDINGS.closure_reads.pop()
    # Fresh tensors: a spec may be one of the inputs (an identity layer), whose node must stay.
    outputs = tree.map_structure(lambda t: _fresh_output(layer, t), specs)
    if check is not None:
        check.symbolic_outputs(layer, outputs)
    node = Node(layer, inputs, args, kwargs, outputs)
    node.closure_reads = list(closure_reads.values())
    for i, t in enumerate(tree.flatten(outputs)):
        t.node, t.index, t.name = node, i, layer.name
    layer._inbound_nodes.append(node)
    return outputs


def _fresh_output(layer: Any, spec: Any) -> KerasTensor:
    if not isinstance(spec, KerasTensor):
        raise TypeError(
            f"Layer {layer.name!r}: compute_output_spec must return KerasTensors (or a list or "
            f"dict of them). Received: {type(spec).__name__} ({spec!r:.80})"
        )
    return KerasTensor(spec.shape, spec.dtype)


def op_layer_call(op: str, args: tuple, kwargs: dict) -> Any:
    """Apply `lamina.ops.<op>` (or a loss or activation named `"losses.<name>"`, ...) to
    arguments holding symbolic tensors, at any depth, through an `OpLayer`."""
    # OpLayer is a Layer, and layer.py imports this module.
    from lamina.layers.core.op_layer import TENSOR, OpLayer

    leaves = [t for t in tree.flatten((args, kwargs)) if isinstance(t, KerasTensor)]
    if _BINDINGS.frames:
        values = {id(t): bound_value(t) for t in leaves}
        if all(v is not _UNBOUND for v in values.values()):
            args, kwargs = tree.map_structure(
                lambda a: values[id(a)] if isinstance(a, KerasTensor) else a, (args, kwargs)
            )
            return OpLayer.function(op)(*args, **kwargs)
    args, kwargs = tree.map_structure(
        lambda a: TENSOR if isinstance(a, KerasTensor) else a, (list(args), kwargs)
    )
    return OpLayer(op=op, args=args, kwargs=kwargs)(leaves)


ops_symbolic.bind(sys.modules[__name__])
