"""`clone_model`: a new model with the same architecture and fresh weights."""

from collections.abc import Callable
from typing import Any

from lamina.layers.core.input_layer import Input, InputLayer
from lamina.layers.layer import Layer
from lamina.layers.serialization import deserialize_layer, serialize_layer
from lamina.layers.symbolic import KerasTensor
from lamina.models.functional import Functional
from lamina.models.model import Model
from lamina.models.sequential import Sequential
from lamina.tree import flatten, map_structure


def clone_model(
    model: Model,
    input_tensors: Any = None,
    clone_function: Callable[[Layer], Layer] | None = None,
) -> Model:
    """Return a copy of a Sequential or functional model with newly initialized weights.

    Each layer is rebuilt from its config (as `model.get_config()` describes it), so the
    clone computes the same function once given the same weights.

    Args:
        model: the model to copy.
        input_tensors: optional `Input` tensors (one, a list or a dict, as the model's inputs)
            to build the clone on instead of new ones.
        clone_function: `layer -> new layer`, called on every layer except the inputs;
            `lambda layer: layer` shares a layer (and its weights) between the two models.

    Returns:
        The new model, not compiled.

    Raises:
        TypeError: for a model that is not a Model, or a `clone_function` that does not return
            a Layer.
        ValueError: for `input_tensors` that do not fit the model's inputs, or a subclassed
            model given `input_tensors` or `clone_function`.

    Example:
    >>> copy = lamina.models.clone_model(model)
    >>> copy.set_weights(model.get_weights())
    """
    if not isinstance(model, Model):
        raise TypeError(
            f"clone_model expects a Model. Received: model of type {type(model).__name__}"
        )
    clone = _checked(clone_function or _clone_layer)
    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, clone)
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, clone)
    if input_tensors is not None or clone_function is not None:
        raise ValueError(
            f"clone_model copies a subclassed model ({type(model).__name__}) from its config "
            "only; it takes no input_tensors or clone_function. Received: "
            f"input_tensors={input_tensors!r:.40}, clone_function={clone_function!r:.40}"
        )
    return _clone_layer(model)


def _clone_layer(layer: Layer) -> Layer:
    return deserialize_layer(serialize_layer(layer), f"cloning layer {layer.name!r}")


def _checked(clone: Callable[[Layer], Layer]) -> Callable[[Layer], Layer]:
    def run(layer: Layer) -> Layer:
        new = clone(layer)
        if not isinstance(new, Layer):
            raise TypeError(
                f"clone_function must return a Layer. Received: {new!r:.60} for layer "
                f"{layer.name!r}"
            )
        return new

    return run


def _new_input(tensor: KerasTensor) -> KerasTensor:
    layer = tensor.node.layer
    return Input(batch_shape=tensor.shape, dtype=tensor.dtype.name, name=layer.name)


def _given_inputs(model: Model, input_tensors: Any) -> list[KerasTensor]:
    given = flatten(input_tensors)
    if isinstance(input_tensors, dict) and isinstance(model._input_struct, dict):
        given = [input_tensors.get(k) for k in model._input_struct]
    ok = len(given) == len(model.inputs) and all(
        isinstance(t, KerasTensor) and isinstance(t.node.layer, InputLayer) for t in given
    )
    if not ok:
        raise ValueError(
            f"clone_model: input_tensors must be {len(model.inputs)} lamina.Input tensor(s), "
            f"as the inputs of model {model.name!r}. Received: input_tensors={input_tensors!r:.80}"
        )
    return given


def _clone_sequential(model: Sequential, input_tensors: Any, clone: Callable) -> Sequential:
    layers: list = []
    if input_tensors is not None:
        layers.append(_given_inputs(model, input_tensors)[0])
    elif model._input is not None:
        layers.append(_new_input(model._input))
    layers += [clone(layer) for layer in model.layers]
    return Sequential(layers, name=model.name, trainable=model.trainable)


def _clone_functional(model: Functional, input_tensors: Any, clone: Callable) -> Functional:
    if input_tensors is not None:
        new_inputs = _given_inputs(model, input_tensors)
    else:
        new_inputs = [_new_input(t) for t in model.inputs]
    values = {id(old): new for old, new in zip(model.inputs, new_inputs, strict=True)}
    clones: dict[int, Layer] = {}
    sub = lambda t: values[id(t)] if isinstance(t, KerasTensor) else t  # noqa: E731
    for node in model._nodes:
        layer = node.layer
        if isinstance(layer, InputLayer):
            continue
        if id(layer) not in clones:
            clones[id(layer)] = clone(layer)
        out = clones[id(layer)](
            map_structure(sub, node.input_value),
            *map_structure(sub, node.args),
            **map_structure(sub, node.kwargs),
        )
        for t, v in zip(flatten(node.output_value), flatten(out), strict=True):
            values[id(t)] = v
    inputs = map_structure(lambda t: values[id(t)], model._input_struct)
    outputs = map_structure(lambda t: values[id(t)], model._output_struct)
    return Functional(inputs, outputs, name=model.name, trainable=model.trainable)
