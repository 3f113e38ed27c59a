"""The graph side of the Keras 2 backend: placeholders, `gradients`, `function`, learning phase.

Symbolic tensors are the functional API's `KerasTensor`s. `gradients` adds a node that stands
for the gradient of a loss with respect to other symbolic tensors (or variables); `function`
orders the nodes behind its outputs once and, on each call, runs them eagerly, under a
`GradientTape` when a gradient node is among them.
"""

import warnings
from typing import Any

import numpy as np

from lamina import naming, ops, tree
from lamina.function import no_grad
from lamina.gradient_tape import GradientTape
from lamina.layers.core.input_layer import Input, InputLayer
from lamina.layers.symbolic import KerasTensor, Node
from lamina.legacy_backend.numeric import switch
from lamina.tensor import Tensor
from lamina.variable import Variable

_PHASE: dict[str, Any] = {"value": None, "placeholder": None}


def placeholder(
    shape: Any = None, ndim: int | None = None, dtype: Any = None, name: str | None = None
) -> KerasTensor:
    """A symbolic input to feed through `function`; `shape` includes the batch axis.

    Args:
        shape: the full shape, None for an unknown size (`(None, 28, 28, 1)`).
        ndim: the rank, when `shape` is not given (every size unknown).
        dtype: the dtype (floatx by default).
        name: the placeholder's name, used in error messages.

    Example:
    >>> x = K.placeholder((None, 3))
    >>> f = K.function([x], [K.sum(x, axis=1)])
    """
    if shape is None:
        if ndim is None:
            raise ValueError(
                "K.placeholder needs a `shape` (with None for unknown sizes) or an `ndim`. "
                "Received: shape=None, ndim=None"
            )
        shape = (None,) * int(ndim)
    return Input(
        batch_shape=tuple(shape), dtype=dtype, name=name or naming.unique_name("placeholder")
    )


def is_placeholder(x: Any) -> bool:
    """Whether `x` is a symbolic input (from `placeholder` or `Input`)."""
    return isinstance(x, KerasTensor) and isinstance(x.node.layer, InputLayer)


def learning_phase() -> Any:
    """The learning phase: the value `set_learning_phase` gave (0 test, 1 train), or else a
    placeholder that `function` may take among its inputs (0 when not fed)."""
    if _PHASE["value"] is not None:
        return _PHASE["value"]
    if _PHASE["placeholder"] is None:
        _PHASE["placeholder"] = Input(batch_shape=(), dtype="bool", name="keras_learning_phase")
    return _PHASE["placeholder"]


def set_learning_phase(value: int) -> None:
    """Fix the learning phase: 0 (test: dropout off, batch statistics frozen) or 1 (train).

    Call it before building models, as in Keras 2, where layers built earlier kept the phase
    they were built with; lamina warns when a model was already built (every `function` called
    afterwards uses the new phase).

    Raises:
        ValueError: for a value other than 0 or 1.
    """
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1. Received: value={value!r}")
    if naming.was_handed_out("input_layer"):
        warnings.warn(
            f"K.set_learning_phase({int(value)}) was called after a model was built. In Keras 2 "
            "the layers built before kept the learning phase they were built with; call "
            "set_learning_phase before building the model (lamina applies the new phase to "
            "every K.function call from now on).",
            UserWarning,
            stacklevel=2,
        )
    _PHASE["value"] = int(value)


def in_train_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """`x` in the training phase, else `alt` (each may be a function giving it).

    Args:
        x: what to give when training.
        alt: what to give otherwise.
        training: 0/1 or a bool to decide now; None reads `learning_phase()` (decided when a
            `K.function` is called if the phase is its placeholder).
    """
    if training is None:
        training = learning_phase()
    if isinstance(training, KerasTensor):
        x, alt = (v() if callable(v) else v for v in (x, alt))
        return switch(training, x, alt)
    chosen = x if training else alt
    return chosen() if callable(chosen) else chosen


def in_test_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """`x` in the test phase, else `alt` (see `in_train_phase`)."""
    return in_train_phase(alt, x, training=training)


def clear_session() -> None:
    """Forget the names handed out (`dense`, `dense_1`, ...) and the learning phase."""
    naming.reset_names()
    _PHASE["value"] = None
    _PHASE["placeholder"] = None


class _Gradients:
    """What a gradient node computes: d(sum of `loss`)/d(each source)."""

    name = "gradients"

    def __init__(self, loss: KerasTensor, sources: list) -> None:
        self.loss = loss
        self.sources = sources


def _node_inputs(node: Node) -> list[KerasTensor]:
    return [
        t
        for t in tree.flatten((node.input_value, node.args, node.kwargs))
        if isinstance(t, KerasTensor)
    ]


def _plan(outputs: list[KerasTensor], fed: set[int]) -> list[Node]:
    """The nodes behind `outputs` that compute something not fed, each after its inputs."""
    order, seen = [], set()
    stack = [(t.node, False) for t in reversed(outputs) if id(t) not in fed]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for t in reversed(_node_inputs(node)):
            if id(t) not in fed and id(t.node) not in seen:
                stack.append((t.node, False))
    return order


def _depends_on(loss: KerasTensor, source: Any, plan: list[Node]) -> bool:
    if isinstance(source, KerasTensor):
        return any(source is t for node in plan for t in tree.flatten(node.output_value))
    for node in plan:  # a Variable: a layer's weight, or a constant in an op on symbols
        layer = node.layer
        held = list(getattr(layer, "weights", ())) + list(getattr(layer, "op_args", ()))
        if any(v is source for v in held):
            return True
    return False


def gradients(loss: KerasTensor, variables: Any) -> list:
    """Symbolic gradients of `loss` (summed over its elements) with respect to `variables`.

    Args:
        loss: a symbolic tensor (from a model's outputs and `K` functions).
        variables: a symbolic tensor (`model.input`, a layer's `output`, a placeholder), a
            `Variable`, or a list of them.

    Returns:
        A list with one symbolic tensor per variable, of the variable's shape, to evaluate
        with `function`; None for a variable `loss` does not depend on.

    Example:
    >>> loss = K.mean(model.output[:, 3])
    >>> grads = K.gradients(loss, model.input)[0]
    >>> f = K.function([model.input], [loss, grads])
    """
    if not isinstance(loss, KerasTensor):
        raise TypeError(
            "K.gradients expects a symbolic loss (built from a model's outputs, layer outputs "
            "or placeholders). For eager tensors use lamina.GradientTape. "
            f"Received: loss={type(loss).__name__}"
        )
    sources = list(variables) if isinstance(variables, list | tuple) else [variables]
    for i, v in enumerate(sources):
        if not isinstance(v, KerasTensor | Variable):
            raise TypeError(
                "K.gradients expects variables to be symbolic tensors or Variables. "
                f"Received: variables[{i}]={type(v).__name__}"
            )
    plan = _plan([loss], set())
    wanted = [v for v in sources if _depends_on(loss, v, plan)]
    if not wanted:
        return [None] * len(sources)
    outputs = [KerasTensor(v.shape, v.dtype, name=f"gradients/{i}") for i, v in enumerate(wanted)]
    node = Node(
        _Gradients(loss, wanted),
        [loss, *(v for v in wanted if isinstance(v, KerasTensor))],
        (),
        {},
        outputs,
    )
    for i, t in enumerate(outputs):
        t.node, t.index = node, i
    found = iter(outputs)
    return [next(found) if any(v is w for w in wanted) else None for v in sources]


def _reader(structure: Any) -> Any:
    """A function of the values by tensor id that gives `structure` with its symbolic tensors
    replaced; made once per node so that calls skip walking structures without symbols."""
    if isinstance(structure, KerasTensor):
        key = id(structure)
        return lambda values: values[key]
    leaves = tree.flatten(structure)
    if not any(isinstance(t, KerasTensor) for t in leaves):
        return lambda values: structure
    if isinstance(structure, list) and len(leaves) == len(structure):
        keys = [id(t) if isinstance(t, KerasTensor) else None for t in structure]
        if None not in keys:
            return lambda values: [values[k] for k in keys]

    def sub(t: Any, values: dict) -> Any:
        return values[id(t)] if isinstance(t, KerasTensor) else t

    return lambda values: tree.map_structure(lambda t: sub(t, values), structure)


class _Step:
    """One node of a `Function`'s plan, with what its call reads and writes worked out."""

    __slots__ = ("args", "inputs", "kwargs", "layer", "outputs", "sets_training", "single")

    def __init__(self, node: Node) -> None:
        self.layer = node.layer
        self.inputs = _reader(node.input_value)
        self.args = _reader(list(node.args))
        self.kwargs = _reader(dict(node.kwargs))
        self.sets_training = "training" not in node.kwargs
        self.single = isinstance(node.output_value, KerasTensor)
        self.outputs = [id(t) for t in tree.flatten(node.output_value)]


class Function:
    """A callable made by `function`: `f([array, ...])` returns a list of NumPy arrays."""

    def __init__(self, inputs: list, outputs: Any) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self._flat_outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
        fed = {id(t) for t in inputs}
        self._nodes = _plan(list(self._flat_outputs), fed)
        phase = _PHASE["placeholder"]
        for node in self._nodes:
            if isinstance(node.layer, InputLayer) and node.output_value is not phase:
                t = node.output_value
                raise ValueError(
                    f"K.function: the outputs depend on placeholder {t.name!r} (shape "
                    f"{t.shape}), which is not among the inputs, so it would never be fed. "
                    f"Add it to `inputs`. Received: inputs={[t.name for t in inputs]}"
                )
        grads = [n for n in self._nodes if isinstance(n.layer, _Gradients)]
        self._watch = {id(s) for n in grads for s in n.layer.sources if isinstance(s, KerasTensor)}
        self._watch_variables = [
            s for n in grads for s in n.layer.sources if isinstance(s, Variable)
        ]
        self._records = bool(grads)
        self._steps = [_Step(node) for node in self._nodes]

    def __call__(self, inputs: Any) -> Any:
        if not isinstance(inputs, list | tuple):
            inputs = [inputs] if len(self.inputs) == 1 else inputs
        if not isinstance(inputs, list | tuple) or len(inputs) != len(self.inputs):
            count = len(inputs) if isinstance(inputs, list | tuple) else type(inputs).__name__
            raise ValueError(
                f"K.function expects a list of {len(self.inputs)} array(s), one per input "
                f"{[t.name for t in self.inputs]}. Received: {count}"
            )
        values = {
            id(t): _feed(t, v, i) for i, (t, v) in enumerate(zip(self.inputs, inputs, strict=True))
        }
        phase = _PHASE["placeholder"]
        training = bool(_PHASE["value"] or 0)
        if phase is not None and id(phase) in values:
            training = bool(values[id(phase)])
        if self._records:
            with GradientTape(persistent=True) as tape:
                tape.watch(self._watch_variables)
                tape.watch([values[k] for k in self._watch if k in values])
                self._run(values, training, tape)
        else:
            with no_grad():
                self._run(values, training, None)
        # Copies: an output may be a view of a fed array or of a weight (`x[:, 0]`).
        results = [np.array(ops.convert_to_numpy(values[id(t)])) for t in self._flat_outputs]
        return results if isinstance(self.outputs, list | tuple) else results[0]

    def _run(self, values: dict, training: bool, tape: GradientTape | None) -> None:
        watch = self._watch
        for step in self._steps:
            layer = step.layer
            if isinstance(layer, InputLayer):  # the unfed learning-phase placeholder
                values[step.outputs[0]] = ops.convert_to_tensor(training)
                continue
            if isinstance(layer, _Gradients):
                sources = [
                    values[id(s)] if isinstance(s, KerasTensor) else s for s in layer.sources
                ]
                grads = tape.gradient(values[id(layer.loss)], sources, unconnected_gradients="zero")
                values.update(zip(step.outputs, grads, strict=True))
                continue
            kwargs = step.kwargs(values)
            if step.sets_training:
                kwargs = {**kwargs, "training": training}
            out = layer(step.inputs(values), *step.args(values), **kwargs)
            for key, v in zip(
                step.outputs, [out] if step.single else tree.flatten(out), strict=True
            ):
                values[key] = v
                if key in watch:
                    tape.watch(v)


def _feed(t: KerasTensor, value: Any, index: int) -> Tensor:
    if isinstance(value, KerasTensor):
        raise TypeError(
            f"K.function: inputs[{index}] (placeholder {t.name!r}) must be fed an array. "
            f"Received: a symbolic tensor {value!r}"
        )
    shape = np.shape(value)
    if len(shape) != len(t.shape) or any(
        n is not None and n != m for n, m in zip(t.shape, shape, strict=False)
    ):
        raise ValueError(
            f"K.function: placeholder {t.name!r} (inputs[{index}]) expects an array of shape "
            f"{t.shape} (None: any size). Received: an array of shape {shape}"
        )
    return ops.convert_to_tensor(value, dtype=t.dtype)


def function(inputs: Any, outputs: Any, updates: Any = None, **kwargs: Any) -> Function:
    """Make a callable that feeds arrays to placeholders and returns the outputs' values.

    Args:
        inputs: a list of placeholders (`model.input`, `K.placeholder(...)`, and
            `K.learning_phase()` to feed 0 or 1).
        outputs: a symbolic tensor or a list of them (model outputs, layer outputs, `K`
            expressions, gradients from `K.gradients`).
        updates: not supported (Keras 2's variable updates); update variables eagerly instead.

    Returns:
        A callable taking a list of arrays, one per input, and returning a list of NumPy
        arrays (one array when `outputs` is a single tensor).

    Example:
    >>> f = K.function([model.input], [model.layers[1].output])
    >>> activations = f([x])[0]
    """
    if updates:
        raise NotImplementedError(
            "K.function(updates=...) is not supported: lamina runs eagerly, so update "
            "variables with `variable.assign(...)` (or an optimizer) after calling the function. "
            f"Received: updates={updates!r:.80}"
        )
    if kwargs:
        raise TypeError(f"K.function got unexpected arguments. Received: {sorted(kwargs)}")
    inputs = list(inputs) if isinstance(inputs, list | tuple) else [inputs]
    for i, t in enumerate(inputs):
        if not isinstance(t, KerasTensor):
            raise TypeError(
                "K.function expects symbolic inputs (placeholders, `model.input`, layer "
                f"outputs). Received: inputs[{i}]={type(t).__name__}"
            )
    flat = outputs if isinstance(outputs, list | tuple) else [outputs]
    for i, t in enumerate(flat):
        if t is None:
            raise ValueError(
                f"K.function: outputs[{i}] is None (K.gradients gives None for a variable the "
                "loss does not depend on). Remove it or check the loss."
            )
        if not isinstance(t, KerasTensor):
            raise TypeError(
                "K.function expects symbolic outputs (model or layer outputs, K expressions). "
                f"Received: outputs[{i}]={type(t).__name__}"
            )
    return Function(inputs, outputs)
