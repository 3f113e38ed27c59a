"""Functional: a model defined by a graph of layer calls from `Input`s to outputs."""

from typing import Any

from lamina import tree
from lamina.layers.core.input_layer import InputLayer
from lamina.layers.symbolic import KerasTensor, bound_values
from lamina.models.graph_config import functional_config, functional_from_config
from lamina.models.model import Model
from lamina.serialization.object_registry import custom_object_scope


def _topological_nodes(outputs: list[KerasTensor]) -> list:
    """The nodes behind `outputs`, each after the nodes that feed it (iterative DFS)."""
    order, seen = [], set()
    stack = [(t.node, False) for t in reversed(outputs)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in reversed(node.parents) if id(p) not in seen)
    return order


def _last_uses(nodes: list, outputs: Any) -> list[list[int]]:
    """For each node, the ids of the symbolic tensors that no later node reads and that are no
    output: `call` drops their values there, so that a forward pass without a tape holds only
    the activations still to be read (MobileNetV2's 2.7 GB at batch 32 were every layer's)."""
    last = {}
    for i, node in enumerate(nodes):
        # `closure_reads`: the graph's tensors its call read from a closure (the book's VAE).
        for t in tree.flatten((node.input_value, node.args, node.kwargs, node.closure_reads)):
            if isinstance(t, KerasTensor):
                last[id(t)] = i
    kept = {id(t) for t in tree.flatten(outputs)}
    freed: list[list[int]] = [[] for _ in nodes]
    for key, i in last.items():
        if key not in kept:
            freed[i].append(key)
    return freed


class Functional(Model):
    """A model made from symbolic inputs and outputs: `Model(inputs, outputs)`.

    Args:
        inputs: an `Input` tensor, or a list or dict of them.
        outputs: a symbolic tensor, or a list or dict of them.
        name: the model name.

    Example:
    >>> inputs = lamina.Input(shape=(784,))
    >>> x = lamina.layers.Dense(512, activation="relu")(inputs)
    >>> model = lamina.Model(inputs, lamina.layers.Dense(10, activation="softmax")(x))
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        for t in tree.flatten(inputs) + tree.flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise TypeError(
                    "Model(inputs, outputs) expects symbolic tensors made from lamina.Input and "
                    f"layer calls. Received: {type(t).__name__}"
                )
        for t in tree.flatten(inputs):
            if not isinstance(t.node.layer, InputLayer):
                raise ValueError(
                    "Model inputs must come straight from lamina.Input(...). "
                    f"Received: a tensor made by layer {t.node.layer.name!r}"
                )
        self._input_struct = inputs
        self._output_struct = outputs
        self._nodes = _topological_nodes(tree.flatten(outputs))
        self._freed_after = _last_uses(self._nodes, outputs)
        # Keras 2's `model.add_loss(symbolic_tensor)`: the losses, and the order of the nodes
        # that every call runs, the outputs' and then those the losses add.
        self._symbolic_losses: list[KerasTensor] = []
        self._run_nodes, self._run_freed = self._nodes, self._freed_after
        missing = [
            n.layer.name
            for n in self._nodes
            if isinstance(n.layer, InputLayer)
            and all(n is not t.node for t in tree.flatten(inputs))
        ]
        if missing:
            raise ValueError(
                f"The outputs depend on inputs not passed to Model(): {missing}. "
                "Add them to `inputs`."
            )
        layers = []
        for t in tree.flatten(inputs):
            if all(t.node.layer is not lay for lay in layers):
                layers.append(t.node.layer)
        for n in self._nodes:
            if all(n.layer is not lay for lay in layers):
                layers.append(n.layer)
        self._graph_layers = layers
        for layer in layers:
            self._track(layer)
        self.built = True

    @property
    def layers(self) -> list:
        return list(self._graph_layers)

    @property
    def inputs(self) -> list:
        return tree.flatten(self._input_struct)

    @property
    def outputs(self) -> list:
        return tree.flatten(self._output_struct)

    @property
    def input(self) -> Any:
        return self._input_struct

    @property
    def output(self) -> Any:
        return self._output_struct

    @property
    def output_names(self) -> list[str]:
        if isinstance(self._output_struct, dict):
            return list(self._output_struct)
        return [t.node.layer.name for t in self.outputs]

    @property
    def input_names(self) -> list[str]:
        if isinstance(self._input_struct, dict):
            return list(self._input_struct)
        return [t.node.layer.name for t in self.inputs]

    def _bind_inputs(self, inputs: Any) -> dict:
        """Map each `Input` to the value given for it: by position, or by name in a dict."""
        symbols = self.inputs
        if isinstance(inputs, dict):
            names = self.input_names
            if isinstance(self._input_struct, dict):
                values = tree.flatten({k: inputs.get(k) for k in self._input_struct})
            else:
                values = [inputs.get(n) for n in names]
            if any(v is None for v in values):
                raise ValueError(
                    f"Model {self.name!r} expects inputs named {names}. "
                    f"Received: a dict with keys {sorted(inputs)}"
                )
        else:
            values = tree.flatten(inputs) if isinstance(inputs, list | tuple) else [inputs]
        if len(values) != len(symbols):
            raise ValueError(
                f"Model {self.name!r} expects {len(symbols)} input(s). "
                f"Received: {len(values)} input(s)"
            )
        return {id(s): v for s, v in zip(symbols, values, strict=True)}

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        values = self._bind_inputs(inputs)
        with bound_values(values):  # for layers whose call uses the graph's tensors directly
            for node, freed in zip(self._run_nodes, self._run_freed, strict=True):
                layer = node.layer
                if isinstance(layer, InputLayer):
                    continue
                sub = lambda t: values[id(t)] if isinstance(t, KerasTensor) else t  # noqa: E731
                args = tree.map_structure(sub, node.args)
                kwargs = tree.map_structure(sub, node.kwargs)
                out = layer(tree.map_structure(sub, node.input_value), *args, **kwargs)
                for t, v in zip(tree.flatten(node.output_value), tree.flatten(out), strict=True):
                    values[id(t)] = v
                del args, kwargs, out
                for key in freed:
                    del values[key]
        for t in self._symbolic_losses:
            super().add_loss(values[id(t)])
        return tree.map_structure(lambda t: values[id(t)], self._output_struct)

    def add_loss(self, loss: Any, inputs: Any = None) -> None:
        """Add a loss: a tensor computed in `call`, or (Keras 2) a symbolic tensor of this model.

        A symbolic loss, made from the model's inputs and layer outputs, is computed on each
        call from that call's values (Keras 2's `vae.add_loss(vae_loss)`; Keras 3 drops it).
        It is not saved with the model: add it again after loading.

        Example:
        >>> inputs = lamina.Input((4,))
        >>> outputs = lamina.layers.Dense(4)(inputs)
        >>> model = lamina.Model(inputs, outputs)
        >>> model.add_loss(lamina.backend.mean((outputs - inputs) ** 2))
        >>> model.compile("adam")  # fit(x, None) minimizes the added loss
        """
        symbolic = [t for t in tree.flatten(loss) if isinstance(t, KerasTensor)]
        if not symbolic:
            super().add_loss(loss, inputs)
            return
        if len(symbolic) != len(tree.flatten(loss)):
            raise TypeError(
                f"add_loss on model {self.name!r}: pass symbolic tensors and computed values in "
                f"separate calls. Received: {loss!r}"
            )
        own_inputs = {id(t.node) for t in self.inputs}
        for t in symbolic:
            foreign = [
                n.layer.name
                for n in _topological_nodes([t])
                if isinstance(n.layer, InputLayer) and id(n) not in own_inputs
            ]
            if foreign:
                raise ValueError(
                    f"add_loss on model {self.name!r}: the loss depends on inputs that are not "
                    f"the model's: {foreign}. Build the loss from this model's inputs and layer "
                    f"outputs, or add those inputs to Model(inputs=...). Received: {t!r}"
                )
        self._symbolic_losses += symbolic
        in_graph = {id(n) for n in self._nodes}
        loss_nodes = [n for n in _topological_nodes(symbolic) if id(n) not in in_graph]
        self._run_nodes = self._nodes + loss_nodes
        self._run_freed = _last_uses(self._run_nodes, (self._output_struct, self._symbolic_losses))

    def compute_output_spec(
        self, inputs: Any, training: bool | None = None, mask: Any = None
    ) -> Any:
        """The symbolic outputs, from each layer's `compute_output_spec` along the graph."""
        if type(self).call is not Functional.call:  # a subclass with its own forward pass
            return super().compute_output_spec(inputs, training=training, mask=mask)
        values = self._bind_inputs(inputs)
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            sub = lambda t: values[id(t)] if isinstance(t, KerasTensor) else t  # noqa: E731
            out = node.layer.compute_output_spec(
                tree.map_structure(sub, node.input_value),
                *tree.map_structure(sub, node.args),
                **tree.map_structure(sub, node.kwargs),
            )
            for t, v in zip(tree.flatten(node.output_value), tree.flatten(out), strict=True):
                values[id(t)] = v
        return tree.map_structure(lambda t: values[id(t)], self._output_struct)

    def _convert_input(self, x: Any) -> Any:
        return x

    def get_config(self) -> dict:
        """The graph: each layer's config and calls, and the model's inputs and outputs."""
        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Functional":
        """Rebuild the graph that `get_config` describes (with fresh weights)."""
        with custom_object_scope(custom_objects):
            return functional_from_config(cls, config)
