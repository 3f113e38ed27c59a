"""Layer: the unit that holds weights and computes outputs from inputs."""

import contextlib
import functools
import inspect
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from lamina import constraints, initializers, ops, regularizers, tree
from lamina.backend import floatx, is_array
from lamina.layers.symbolic import KerasTensor, has_symbolic, probe_output, symbolic_call
from lamina.metrics import Mean
from lamina.metrics.metric import Metric
from lamina.naming import to_snake_case, unique_name
from lamina.ops.core import result_dtype
from lamina.tensor import Tensor
from lamina.variable import Variable


class _CallContext(threading.local):
    """The `training` flag an outer call hands down to the layers it calls, per thread."""

    training: bool | None = None


_CALL_CONTEXT = _CallContext()


_ACCEPTS_TRAINING: dict[type, bool] = {}
_ACCEPTS_MASK: dict[type, bool] = {}
_FIRST_ARGUMENT: dict[type, str] = {}


class AllocationCheck:
    """Checks that refuse sizes before anything of that size is allocated.

    A loader builds layers from a file whose config chooses every size (`"units": 10**9`),
    so it installs a check (`allocation_check`) that `add_weight` and symbolic calls consult
    first; each method raises to refuse. This base class accepts everything.
    """

    def weight(self, layer: "Layer", name: str, shape: tuple, dtype: np.dtype) -> None:
        """Called by `add_weight` before it creates weight `name` of `shape` and `dtype`."""

    def symbolic_inputs(self, layer: "Layer", inputs: Any, args: tuple, kwargs: dict) -> None:
        """Called before a call on symbolic inputs builds `layer` or works out its output."""

    def symbolic_outputs(self, layer: "Layer", outputs: Any) -> None:
        """Called with the symbolic outputs of that call."""


class _ActiveCheck(threading.local):
    check: AllocationCheck | None = None


_ACTIVE_CHECK = _ActiveCheck()


@contextlib.contextmanager
def allocation_check(check: AllocationCheck) -> Iterator[AllocationCheck]:
    """Make `check` vet every weight created and every symbolic call in the block (this thread).

    Example:
    >>> with allocation_check(budget):
    ...     model = Sequential.from_config(config)
    """
    outer = _ACTIVE_CHECK.check
    _ACTIVE_CHECK.check = check
    try:
        yield check
    finally:
        _ACTIVE_CHECK.check = outer


def active_allocation_check() -> AllocationCheck | None:
    """The check installed by the innermost `allocation_check` of this thread, if any."""
    return _ACTIVE_CHECK.check


class _Scopes(threading.local):
    def __init__(self) -> None:
        self.layers: list[Layer] = []


_SCOPES = _Scopes()


@contextlib.contextmanager
def layer_scope(layer: "Layer") -> Iterator[None]:
    """Name the weights made in the block after `layer` and the layers around it (Keras 3's
    variable paths: a weight made while `block` builds its `dense` is `block/dense/kernel`).
    """
    stack = _SCOPES.layers
    if stack and stack[-1] is layer:
        yield
        return
    stack.append(layer)
    try:
        yield
    finally:
        stack.pop()


def _weight_path(layer: "Layer", name: str) -> str:
    outer = [scope.name for scope in _SCOPES.layers if scope is not layer]
    return "/".join([*outer, layer.name, name])


def _call_accepts_training(cls: type) -> bool:
    if cls not in _ACCEPTS_TRAINING:
        params = inspect.signature(cls.call).parameters
        _ACCEPTS_TRAINING[cls] = "training" in params or any(
            p.kind is p.VAR_KEYWORD for p in params.values()
        )
    return _ACCEPTS_TRAINING[cls]


def _call_accepts_mask(cls: type) -> bool:
    if cls not in _ACCEPTS_MASK:
        _ACCEPTS_MASK[cls] = "mask" in inspect.signature(cls.call).parameters
    return _ACCEPTS_MASK[cls]


def _holds_tensors(args: tuple, kwargs: dict) -> bool:
    values = [*args, *(v for k, v in kwargs.items() if k != "mask")]
    return any(isinstance(t, Tensor | KerasTensor) for t in tree.flatten(values))


def input_mask(inputs: Any) -> Any:
    """The mask attached to `inputs` by a masking layer (a list for several inputs), or None."""
    if isinstance(inputs, Tensor):
        return getattr(inputs, "_keras_mask", None)
    if isinstance(inputs, list | tuple):
        masks = [getattr(t, "_keras_mask", None) for t in inputs]
        return masks if any(m is not None for m in masks) else None
    return None


def _attach_masks(outputs: Any, masks: Any) -> None:
    # As Keras 3, an output that has a mask keeps it: it may be an input returned as it is.
    leaves = tree.flatten(outputs)
    masks = list(masks) if isinstance(masks, list | tuple) else [masks] * len(leaves)
    for t, m in zip(leaves, masks, strict=False):
        if isinstance(t, Tensor) and getattr(t, "_keras_mask", None) is None:
            t._keras_mask = m


def _first_call_argument(cls: type) -> str:
    if cls not in _FIRST_ARGUMENT:
        params = list(inspect.signature(cls.call).parameters.values())[1:]
        first = params[0] if params else None
        named = first is not None and first.kind in (
            first.POSITIONAL_OR_KEYWORD,
            first.KEYWORD_ONLY,
        )
        _FIRST_ARGUMENT[cls] = first.name if named else "inputs"
    return _FIRST_ARGUMENT[cls]


class Layer:
    """Base class of all layers: holds weights (`build`) and computes (`call`).

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name; defaults to the snake-cased class name (`dense`, `dense_1`, ...).
        dtype: the dtype of the weights and computations (floatx by default).
        input_shape: the shape of one sample, for the first layer of a `Sequential` model.

    Example:
    >>> class Scale(lamina.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
    ...     def call(self, x):
    ...         return x * self.w
    """

    # Whether the output has the input's dtype (layers that only move or select values:
    # Reshape, Dropout, ...) rather than the layer's own (layers that compute: Dense, ...).
    # Float inputs are cast to the layer's dtype on the way in, so they give it either way.
    keeps_input_dtype: bool = False
    # Whether the layer passes a mask on (Keras's `supports_masking`): the outputs get
    # `compute_mask(inputs, mask)`; otherwise a mask stops at this layer, with Keras 3's
    # warning unless `call` takes the mask (and so uses it up, as a model's layers do).
    supports_masking: bool = False

    def __init__(
        self,
        trainable: bool = True,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        shape = kwargs.pop("input_shape", None)
        batch_shape = kwargs.pop("batch_input_shape", None) or kwargs.pop("batch_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        kwargs.pop("autocast", None)
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unknown keyword argument(s) {sorted(kwargs)}. "
                f"Received: {_short_items(kwargs)}"
            )
        if input_dim is not None and shape is None:
            shape = (input_dim,)
        if shape is not None:
            batch_shape = (None, *_as_shape(shape, "input_shape"))
        self._input_batch_shape = tuple(batch_shape) if batch_shape is not None else None
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.dtype = standardize_dtype(dtype) if dtype is not None else floatx()
        self.built = False
        self._trainable = bool(trainable)
        self._own_weights: list[Variable] = []
        self._sublayers: list[Layer] = []
        self._activity_losses: list[Tensor] = []
        self._metrics: list[Metric] = []
        self._inbound_nodes: list = []
        self._build_shapes: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_marks_built", False):
            # `layer.build(shape)` called by hand must mark the layer built too, or its first
            # call would build it again and make a second set of weights.
            @functools.wraps(build)
            def build_and_mark(self: "Layer", *args: Any, **kwargs: Any) -> Any:
                with layer_scope(self):
                    result = build(self, *args, **kwargs)
                self.built = True
                return result

            build_and_mark._marks_built = True  # type: ignore[attr-defined]
            cls.build = build_and_mark

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Metric):
            if "_metrics" not in self.__dict__:
                raise RuntimeError(
                    f"{type(self).__name__}: call super().__init__() before setting metrics as "
                    "attributes."
                )
            old = self.__dict__.get(name)
            self._metrics = [m for m in self._metrics if m is not old]
            if all(value is not m for m in self._metrics):
                self._metrics.append(value)
        elif isinstance(value, Layer | Variable) or (
            isinstance(value, list | tuple | dict)
            and value
            and all(isinstance(v, Layer) for v in _items(value))
        ):
            self._track(value)
        object.__setattr__(self, name, value)

    def _track(self, value: Any) -> None:
        if "_sublayers" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() before setting layers or "
                "weights as attributes."
            )
        for v in _items(value) if isinstance(value, list | tuple | dict) else [value]:
            if isinstance(v, Layer) and v is not self and all(v is not s for s in self._sublayers):
                self._sublayers.append(v)
            elif isinstance(v, Variable) and all(v is not w for w in self._own_weights):
                self._own_weights.append(v)

    # ----- weights -------------------------------------------------------------------------

    def add_weight(
        self,
        shape: Any = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> Variable:
        """Create a weight of this layer.

        Args:
            shape: the weight's shape.
            initializer: a name (`"glorot_uniform"`, `"zeros"`, ...), an initializer or a callable
                `(shape, dtype)`; defaults to glorot_uniform for floats, zeros otherwise.
            dtype: defaults to the layer's dtype.
            trainable: whether training updates it.
            regularizer: a name or regularizer whose penalty joins `layer.losses`.
            constraint: a name or constraint applied after each optimizer update.
            name: the weight's name (Keras 2's first positional argument is accepted too).
        """

        if isinstance(shape, str):  # Keras 2 order: add_weight(name, shape, ...)
            name, shape = shape, initializer if not callable(initializer) else kwargs.get("shape")
            initializer = kwargs.pop("initializer", None) if callable(shape) else initializer
        shape = kwargs.pop("shape", shape)
        initializer = kwargs.pop("initializer", initializer)
        kwargs.pop("autocast", None)
        kwargs.pop("aggregation", None)
        if kwargs:
            raise TypeError(f"add_weight: unknown argument(s) {sorted(kwargs)}. Received: {kwargs}")
        shape = _as_shape(() if shape is None else shape, "shape")
        dtype = np.dtype(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        if _ACTIVE_CHECK.check is not None:
            _ACTIVE_CHECK.check.weight(self, name or "weight", shape, dtype)
        init = initializers.get(initializer)
        name = name or "weight"
        var = Variable(init(shape, dtype=dtype), dtype=dtype, trainable=trainable, name=name)
        var.path = _weight_path(self, name)
        var.regularizer = regularizers.get(regularizer) if regularizer is not None else None
        var.constraint = constraints.get(constraint) if constraint is not None else None
        self._own_weights.append(var)
        return var

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._sublayers:
            layer.trainable = value

    @property
    def weights(self) -> list[Variable]:
        """Every weight of this layer and its sublayers, in creation order."""
        seen: set[int] = set()
        out = []
        for w in self._all_weights():
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    def _all_weights(self):
        yield from self._own_weights
        for layer in self._sublayers:
            yield from layer._all_weights()

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        own = [w for w in self._own_weights if w.trainable]
        sub = [w for layer in self._sublayers for w in layer.trainable_weights]
        return _unique(own + sub)

    @property
    def non_trainable_weights(self) -> list[Variable]:
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self) -> list[np.ndarray]:
        """Return the weights as a list of NumPy arrays (copies)."""
        return [w.numpy().copy() for w in self.weights]

    def set_weights(self, weights: list) -> None:
        """Set the weights from a list of arrays in the order of `get_weights()`."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f"Layer {self.name!r} expects {len(own)} weight arrays. "
                f"Received: a list of {len(weights)}"
            )
        for w, value in zip(own, weights, strict=True):
            if tuple(np.shape(value)) != w.shape:
                raise ValueError(
                    f"Layer {self.name!r}: weight {w.name!r} has shape {w.shape}. "
                    f"Received: an array of shape {np.shape(value)}"
                )
            w.assign(np.asarray(value))

    def count_params(self) -> int:
        """The number of scalars in all weights."""
        if not self.built:
            raise ValueError(
                f"Layer {self.name!r} is not built yet, so its weights do not exist. "
                "Call it on data or call build(input_shape) first."
            )
        return int(sum(w.size for w in self.weights))

    # ----- losses --------------------------------------------------------------------------

    def add_loss(self, loss: Any, inputs: Any = None) -> None:
        """Add a scalar loss term (an activity penalty, say) to the training loss.

        Args:
            loss: a scalar tensor, or a list of them.
            inputs: ignored; Keras 2's argument for losses that depend on the inputs (every
                loss added in `call` does here, as it is recomputed on each call).
        """
        for value in tree.flatten(loss):
            if isinstance(value, KerasTensor):
                raise TypeError(
                    f"add_loss on {type(self).__name__} {self.name!r} got a symbolic tensor, which "
                    "has no value to add. Compute the loss in a layer's call() and add it there "
                    "(self.add_loss(value)), or add it to the functional Model built from it "
                    f"(model.add_loss(tensor), Keras 2's way). Received: {value!r}"
                )
            self._activity_losses.append(ops.convert_to_tensor(value))

    def add_metric(self, value: Any, name: str | None = None) -> None:
        """Log `value` (Keras 2's `add_metric`): its mean over the epoch shows in fit's logs.

        Keras 3 drops this method; there, hold a `lamina.metrics.Metric` as an attribute and
        call its `update_state` in `call` (it shows in the logs the same way).

        Args:
            value: a number or tensor computed in `call`; tensors are averaged.
            name: the key in the logs and `History`.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"add_metric in layer {self.name!r} needs the name to show the value under in "
                f"the logs. Received: name={name!r}"
            )
        metric = next((m for m in self._metrics if m.name == name), None)
        if metric is None:
            metric = Mean(name=name)
            self._metrics.append(metric)
        metric.update_state(value.data if isinstance(value, Tensor) else value)

    def _tracked_metrics(self) -> list[Metric]:
        """The metrics this layer and its sublayers hold (attributes and `add_metric`'s)."""
        found: list = []
        layers, seen = [self], {id(self)}
        for layer in layers:
            found += [m for m in layer._metrics if all(m is not f for f in found)]
            for sub in layer._sublayers:
                if id(sub) not in seen:
                    seen.add(id(sub))
                    layers.append(sub)
        return found

    @property
    def losses(self) -> list[Tensor]:
        """Losses added by `add_loss` in the last call plus the weight regularization penalties."""
        out = list(self._activity_losses)
        out += [w.regularizer(w) for w in self._own_weights if w.regularizer is not None]
        for layer in self._sublayers:
            out += layer.losses
        return out

    # ----- calling -------------------------------------------------------------------------

    def build(self, input_shape: Any) -> None:
        """Create the weights, given the input shape (batch axis first, may be None)."""
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The computation; override it."""
        return inputs

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The mask of the outputs, given the inputs and their mask: passed on unchanged by
        default (when `supports_masking`); override to make or change one."""
        return mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for `input_shape` (batch axis first, None where unknown; a list of
        shapes for several inputs). Override it: otherwise it is worked out by a probe call."""

        spec = tree.map_shape_structure(lambda s: KerasTensor(s, self.dtype), input_shape)
        out = probe_output(self, spec, (), {})
        return tree.map_structure(lambda t: t.shape, out)

    def declares_output_shape(self) -> bool:
        """Whether `compute_output_shape` works the shape out without calling the layer."""
        return type(self).compute_output_shape is not Layer.compute_output_shape

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The symbolic output (`KerasTensor`s: shape and dtype) of a call on symbolic `inputs`.

        From `compute_output_shape` with the dtype `keeps_input_dtype` says, for a layer that
        declares its output shape; otherwise the layer is called on zeros (a probe).
        """
        # Imported here: lamina.models builds on this module (KerasTensor lives there).

        if not self.declares_output_shape():
            return probe_output(self, inputs, args, kwargs)
        shapes = self.compute_output_shape(
            tree.map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t, inputs)
        )
        dtype = self._output_dtype(inputs)

        def spec(shape: Any) -> KerasTensor:
            if not tree.is_shape_tuple(shape):
                raise TypeError(
                    f"Layer {self.name!r}: compute_output_shape must return a shape (a tuple of "
                    f"ints and None) or a list or dict of them. Received: {shapes!r:.200}"
                )
            return KerasTensor(shape, dtype)

        return tree.map_shape_structure(spec, shapes)

    def _output_dtype(self, inputs: Any) -> Any:

        dtypes = [
            np.dtype(self.dtype) if t.dtype.kind == "f" else t.dtype
            for t in tree.flatten(inputs)
            if isinstance(t, KerasTensor)
        ]
        if not self.keeps_input_dtype or not dtypes:
            return self.dtype
        return functools.reduce(result_dtype, dtypes)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args:
            inputs, args = args[0], args[1:]
        else:  # the first input given by name: `layer(inputs=x)`, `layer(logits=x, targets=y)`
            first = _first_call_argument(type(self))
            if first not in kwargs:
                raise TypeError(
                    f"Layer {self.name!r} was called without inputs: pass them first, or by the "
                    f"name of call()'s first argument ({first!r}). Received: keyword "
                    f"arguments {sorted(kwargs)}"
                )
            inputs = kwargs.pop(first)
        if not isinstance(inputs, Tensor) and not is_array(inputs):
            return self._call_structure(inputs, args, kwargs)
        return self._call_eager(inputs, args, kwargs)

    def _call_structure(self, inputs: Any, args: tuple, kwargs: dict) -> Any:
        """A call on symbolic tensors (recorded into a graph) or on a list/dict of inputs."""

        if has_symbolic(inputs, args, kwargs):
            return symbolic_call(self, inputs, args, kwargs)
        return self._call_eager(inputs, args, kwargs)

    def _call_eager(self, inputs: Any, args: tuple, kwargs: dict) -> Any:
        inputs = tree.map_structure(self._convert_input, inputs)
        if not self.built:
            # The first call builds the sublayers that `build` left to it, in this layer's scope.
            with layer_scope(self):
                self._build_for(tree.map_structure(lambda t: t.shape, inputs))
                return self._run_call(inputs, args, kwargs)
        return self._run_call(inputs, args, kwargs)

    def _run_call(self, inputs: Any, args: tuple, kwargs: dict) -> Any:
        mask = kwargs.get("mask")
        if mask is None:
            mask = input_mask(inputs)
            # As Keras 3, the inputs' mask reaches `call` only when no other argument holds
            # tensors (an RNN started from `initial_state` runs unmasked); outputs still get it.
            if (
                mask is not None
                and _call_accepts_mask(type(self))
                and not _holds_tensors(args, kwargs)
            ):
                kwargs["mask"] = mask
        outputs = self._run_call_with_training(inputs, args, kwargs)
        if self.supports_masking:
            _attach_masks(outputs, self.compute_mask(inputs, mask))
        elif mask is not None and not _call_accepts_mask(type(self)):
            warnings.warn(
                f"Layer {self.name!r} (of type {type(self).__name__}) was passed an input with "
                "a mask attached to it. However, this layer does not support masking and will "
                "therefore destroy the mask information. Downstream layers will not see the mask.",
                stacklevel=2,
            )
        return outputs

    def _run_call_with_training(self, inputs: Any, args: tuple, kwargs: dict) -> Any:
        if self._activity_losses:
            self._activity_losses.clear()
        accepts = _call_accepts_training(type(self))
        training = kwargs.pop("training", None) if not accepts else kwargs.get("training")
        if training is None:
            outer = _CALL_CONTEXT.training
            if outer is not None and accepts:
                kwargs["training"] = outer
            return self.call(inputs, *args, **kwargs)
        outer = _CALL_CONTEXT.training
        _CALL_CONTEXT.training = bool(training)
        try:
            return self.call(inputs, *args, **kwargs)
        finally:
            _CALL_CONTEXT.training = outer

    def _convert_input(self, x: Any) -> Any:
        if isinstance(x, Tensor):
            if x.dtype.kind == "f" and x.dtype != self.dtype:
                return ops.cast(x, self.dtype)
            return x
        if is_array(x) or isinstance(x, list | int | float | np.generic):
            t = ops.convert_to_tensor(x)
            return ops.cast(t, self.dtype) if t.dtype.kind == "f" else t
        return x

    def _build_for(self, shapes: Any) -> None:
        self._build_shapes = shapes
        self.build(shapes)
        self.built = True

    # ----- configuration -------------------------------------------------------------------

    def get_config(self) -> dict:
        """The constructor arguments as a JSON-safe dict; `from_config` rebuilds the layer."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._input_batch_shape is not None:
            config["batch_input_shape"] = list(self._input_batch_shape)
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        """Create a layer from the dict `get_config()` returned.

        Layers the config holds as descriptions (`get_config` returned a layer, or
        `lamina.layers.serialize(layer)`) are rebuilt first.
        """
        # serialization builds on Layer: it reads and writes layers.
        from lamina.layers.serialization import deserialize_keras_object, is_layer_entry

        return cls(
            **{
                k: deserialize_keras_object(v) if is_layer_entry(v) else v
                for k, v in config.items()
            }
        )

    @property
    def input(self) -> Any:
        """The symbolic input of this layer in the graph it was first called in."""
        return self._node_attr("input", 0)

    @property
    def output(self) -> Any:
        """The symbolic output of this layer in the graph it was first called in."""
        return self._node_attr("output", 0)

    def _node_attr(self, kind: str, index: int) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer {self.name!r} has never been called on a symbolic input, so it has no "
                f"{kind}. Call it on `lamina.Input(...)` (or build the model) first."
            )
        node = self._inbound_nodes[index]
        return node.input_value if kind == "input" else node.output_value

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def standardize_dtype(dtype: Any) -> str:
    """A dtype's name; text of any kind (`str`, `"string"`, `<U7`, object) is `"string"`."""
    if dtype in ("string", str, bytes):
        return "string"
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"Unknown dtype. Received: dtype={dtype!r}") from None
    return "string" if dt.kind in "USO" else dt.name


def _short_items(kwargs: dict) -> str:
    """`name=value` pairs with each value cut to 60 characters, for error messages."""
    return ", ".join(f"{k}={v!r:.60}" for k, v in sorted(kwargs.items()))


def _unique(items: list) -> list:
    seen: set[int] = set()
    out = []
    for w in items:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


def _as_shape(shape: Any, arg: str) -> tuple:
    if isinstance(shape, int | np.integer):
        return (int(shape),)
    try:
        return tuple(None if n is None else int(n) for n in shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"Expected {arg} to be a tuple of ints. Received: {arg}={shape!r}"
        ) from None


def _items(container: list | tuple | dict) -> list:
    """The items of a list or tuple, the values of a dict (Keras tracks layers in both)."""
    return list(container.values()) if isinstance(container, dict) else list(container)
