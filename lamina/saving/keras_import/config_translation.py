"""Translating a Keras 3 model config (`config.json` of a `.keras` file) into lamina objects.

Only classes on a whitelist (`LAYERS`) become lamina layers: each Keras class name maps to the
lamina class with the same meaning, and each config key to a checked constructor argument. The
checks come from the lamina constructor's signature (`layer_spec`): an argument's name
(`activation`, `*_initializer`, `*_regularizer`, `*_constraint`, `dtype`) or its annotation or
default (`bool`, `int`, `float`, `str`, optional when `None` is allowed) picks its translator,
so the table lists only where Keras and lamina differ: shapes and lists, stricter checks,
renamed keys, and keys Keras adds that change nothing. Adding a layer is one line,
`"Conv2D": layer_spec(Conv2D, kernel_size=to_axes, ...)`, with an override for each argument
whose translator cannot be derived (`layer_spec` raises a TypeError naming it).

Keys a layer does not know are refused rather than dropped, so a model never loads with a
setting silently lost (the few keys Keras adds that change nothing, like `autocast` or a
`lora_rank` whose effect is already merged into the saved kernel, are ignored). Other class
names resolve through `custom_objects` only. Sequential and functional models (nested ones
too) are rebuilt by calling the layers on symbolic inputs, as Keras does.
"""

import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lamina import tree
from lamina.layers import (
    ELU,
    GRU,
    LSTM,
    RNN,
    Activation,
    Add,
    Average,
    AveragePooling1D,
    AveragePooling2D,
    BatchNormalization,
    Bidirectional,
    Concatenate,
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Cropping1D,
    Cropping2D,
    Dense,
    DepthwiseConv1D,
    DepthwiseConv2D,
    Dot,
    Dropout,
    Embedding,
    Flatten,
    GaussianDropout,
    GaussianNoise,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GroupNormalization,
    GRUCell,
    InputLayer,
    Layer,
    LayerNormalization,
    LeakyReLU,
    LSTMCell,
    Masking,
    Maximum,
    MaxPooling1D,
    MaxPooling2D,
    Minimum,
    Multiply,
    Permute,
    PReLU,
    ReLU,
    RepeatVector,
    Reshape,
    SeparableConv1D,
    SeparableConv2D,
    SimpleRNN,
    SimpleRNNCell,
    Softmax,
    SpatialDropout1D,
    SpatialDropout2D,
    StackedRNNCells,
    Subtract,
    TimeDistributed,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from lamina.layers.recurrent.cells import RNNCellBase
from lamina.models.functional import Functional
from lamina.models.model import Model
from lamina.models.sequential import Sequential
from lamina.saving.allocation_budget import AllocationBudget, allocation_budget
from lamina.saving.keras_import.config_values import (
    Ctx,
    custom_name,
    is_keras_module,
    one_of,
    optional,
    to_activation,
    to_axes,
    to_bool,
    to_constraint,
    to_dtype,
    to_float,
    to_initializer,
    to_int,
    to_int_list,
    to_regularizer,
    to_shape,
    to_str,
)
from lamina.saving.keras_import.errors import KerasFileError
from lamina.saving.keras_import.h5_weights import KerasEntry
from lamina.saving.keras_import.keras_ops import is_op_record, op_from_record

Translator = Callable[[Any, str, Ctx], Any]


def _positive_int(value: Any, key: str, ctx: Ctx) -> int:
    return to_int(value, key, ctx, low=1)


def _nested_ints(value: Any, key: str, ctx: Ctx) -> Any:
    """An int, or a list of ints or of int pairs (padding and cropping); the layer checks."""
    if isinstance(value, list):
        return [_nested_ints(v, key, ctx) for v in value]
    return to_int(value, key, ctx)


def _wrapped_layer(value: Any, key: str, ctx: Ctx) -> Layer:
    """The layer a wrapper (Bidirectional, TimeDistributed) holds, translated as any layer."""
    return layer_from_record(value, Ctx(f"{ctx.where}, its {key}", ctx.custom_objects))[0]


def _no_weights(value: Any, key: str, ctx: Ctx) -> Any:
    raise ctx.error(
        f"lamina reads weights from the weights file, not from a config. Received: {key}="
        f"{value!r:.80}"
    )


def _is_none(value: Any) -> bool:
    return value is None


def _is_false(value: Any) -> bool:
    return value is None or value is False


def _anything(value: Any) -> bool:
    return True


@dataclass(frozen=True)
class LayerSpec:
    """How one Keras layer class becomes a lamina layer.

    Args:
        cls: the lamina class.
        args: Keras config key -> translator of its value into the lamina argument.
        rename: Keras key -> lamina argument name, where they differ.
        ignore: keys dropped when their value passes the check (they change nothing).
    """

    cls: type
    args: dict[str, Translator] = field(default_factory=dict)
    rename: dict[str, str] = field(default_factory=dict)
    ignore: dict[str, Callable[[Any], bool]] = field(default_factory=dict)


# Arguments whose values are objects or names, by argument name (or its ending).
_BY_NAME: tuple[tuple[str, Translator], ...] = (
    ("dtype", to_dtype),
    ("activation", to_activation),
    ("_initializer", to_initializer),
    ("_regularizer", to_regularizer),
    ("_constraint", to_constraint),
)
_BY_TYPE: dict[type, Translator] = {bool: to_bool, int: to_int, float: to_float, str: to_str}
# Keras keys that lamina's Layer takes in **kwargs (Keras 2 spellings included).
_SHAPE_ARGS: dict[str, Translator] = {
    "batch_input_shape": optional(to_shape),
    "batch_shape": optional(to_shape),
    "input_shape": optional(to_shape),
    "input_dim": optional(_positive_int),
}
_BASE_IGNORE: dict[str, Callable[[Any], bool]] = {
    "autocast": _anything,
    "activity_regularizer": _is_none,
}


def layer_spec(
    cls: type,
    rename: dict[str, str] | None = None,
    ignore: dict[str, Callable[[Any], bool]] | None = None,
    **overrides: Translator,
) -> LayerSpec:
    """The `LayerSpec` of `cls`, its translators derived from the constructor's signature.

    Each argument of `cls.__init__` (and of `Layer.__init__`) gets a translator from its name
    (`dtype`, `activation`, `*_initializer`, `*_regularizer`, `*_constraint`), else from its
    annotation or the type of its default (`bool`, `int`, `float`, `str`; optional when
    `None` is allowed). `overrides` give the translator of an argument that neither decides
    (a shape, a list, a stricter check); `rename` maps a Keras key to a lamina argument.

    Raises:
        TypeError: when an argument's translator cannot be derived (add an override).
    """
    args, given = dict(_SHAPE_ARGS), {**_SHAPE_ARGS, **overrides}
    for owner in (Layer, cls):
        parameters = inspect.signature(owner.__init__, eval_str=True).parameters
        for param in list(parameters.values())[1:]:
            if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                args[param.name] = given.get(param.name) or _derived(cls, param)
    unused = sorted(set(overrides) - set(args))
    if unused:
        raise TypeError(f"{cls.__name__} has no arguments {unused}; fix the override.")
    rename = rename or {}
    args.update({keras: args[lamina] for keras, lamina in rename.items()})
    return LayerSpec(cls, args, rename, {**_BASE_IGNORE, **(ignore or {})})


def _derived(cls: type, param: inspect.Parameter) -> Translator:
    for name, translator in _BY_NAME:
        if param.name == name or (name.startswith("_") and param.name.endswith(name)):
            return translator
    annotation = param.annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = kinds[0] if len(kinds) == 1 else Any
    if annotation in (Any, param.empty) and param.default not in (None, param.empty):
        annotation = type(param.default)
    translator = _BY_TYPE.get(annotation)
    if translator is None:
        raise TypeError(
            f"Cannot derive how to translate {cls.__name__}'s argument {param.name!r} (annotation "
            f"{param.annotation!r}, default {param.default!r}); give it an override in LAYERS."
        )
    return optional(translator) if param.default is None else translator


_MERGES = (Add, Subtract, Multiply, Average, Maximum, Minimum)
# Keras merges a LoRA update into the kernel it saves, so the rank changes nothing here.
_LORA = {"lora_rank": _anything, "lora_alpha": _anything}
# Keras's choice of kernel (cuDNN or not, the Keras 2 implementation mode) changes no result.
_RNN_EXTRAS = {"use_cudnn": _anything, "implementation": _anything, "time_major": _is_false}
# Batch renormalization (Keras 3.12+ writes its settings); the others apply only with it on.
_RENORM = {"renorm": _is_false, "renorm_clipping": _anything, "renorm_momentum": _anything}


def _cell(value: Any, key: str, ctx: Ctx) -> Layer:
    """An RNN's cell: a nested layer record (a Keras cell, StackedRNNCells or a custom one)."""
    return layer_from_record(value, ctx)[0]


def _cell_spec(cls: type) -> LayerSpec:
    """A built-in cell's spec: its own arguments and those it hands to `RNNCellBase`."""
    base, own = layer_spec(RNNCellBase, units=_positive_int), layer_spec(cls, units=_positive_int)
    return LayerSpec(cls, {**base.args, **own.args}, own.rename, own.ignore)


def _cells(value: Any, key: str, ctx: Ctx) -> list:
    if not isinstance(value, list) or not value:
        raise ctx.error(f"{key} should be a non-empty list of cells. Received: {value!r:.200}")
    return [_cell(v, key, ctx) for v in value]


_CONV_SHAPES = {"kernel_size": to_axes, "strides": to_axes, "dilation_rate": to_axes}
_TRANSPOSE_SHAPES = {**_CONV_SHAPES, "output_padding": optional(to_axes)}
_POOL_SHAPES = {"pool_size": to_axes, "strides": optional(to_axes)}
LAYERS: dict[str, LayerSpec] = {
    "Dense": layer_spec(
        Dense, units=_positive_int, ignore={"quantization_config": _is_none, **_LORA}
    ),
    "Activation": layer_spec(Activation),
    "Dropout": layer_spec(Dropout, noise_shape=optional(to_shape)),
    "Flatten": layer_spec(Flatten, data_format=optional(one_of("channels_last", "channels_first"))),
    "Embedding": layer_spec(
        Embedding,
        input_dim=_positive_int,
        output_dim=_positive_int,
        ignore={"quantization_config": _is_none, **_LORA},
    ),
    "Masking": layer_spec(Masking),
    "SimpleRNN": layer_spec(SimpleRNN, units=_positive_int, ignore=_RNN_EXTRAS),
    "LSTM": layer_spec(LSTM, units=_positive_int, ignore=_RNN_EXTRAS),
    "GRU": layer_spec(GRU, units=_positive_int, ignore=_RNN_EXTRAS),
    "Bidirectional": layer_spec(
        Bidirectional,
        layer=_wrapped_layer,
        backward_layer=optional(_wrapped_layer),
        merge_mode=optional(one_of("concat", "sum", "mul", "ave")),
        weights=optional(_no_weights),
    ),
    "TimeDistributed": layer_spec(TimeDistributed, layer=_wrapped_layer),
    "RNN": layer_spec(RNN, cell=_cell),
    "SimpleRNNCell": _cell_spec(SimpleRNNCell),
    "LSTMCell": _cell_spec(LSTMCell),
    "GRUCell": _cell_spec(GRUCell),
    "StackedRNNCells": layer_spec(StackedRNNCells, cells=_cells),
    "Reshape": layer_spec(Reshape, target_shape=to_int_list),
    "Permute": layer_spec(Permute, dims=to_int_list),
    "RepeatVector": layer_spec(RepeatVector, n=_positive_int),
    "ReLU": layer_spec(ReLU),
    "LeakyReLU": layer_spec(LeakyReLU, rename={"alpha": "negative_slope"}),  # Keras 2's key
    "ELU": layer_spec(ELU),
    "Softmax": layer_spec(Softmax),
    **{cls.__name__: layer_spec(cls) for cls in _MERGES},
    "Concatenate": layer_spec(Concatenate),
    "Dot": layer_spec(Dot, axes=to_axes),
    "BatchNormalization": layer_spec(
        BatchNormalization, axis=to_axes, ignore={"synchronized": _is_false, **_RENORM}
    ),
    "LayerNormalization": layer_spec(LayerNormalization, axis=to_axes),
    "GroupNormalization": layer_spec(GroupNormalization),
    "SpatialDropout1D": layer_spec(SpatialDropout1D),
    "SpatialDropout2D": layer_spec(
        SpatialDropout2D, data_format=optional(one_of("channels_last", "channels_first"))
    ),
    "GaussianNoise": layer_spec(GaussianNoise),
    "GaussianDropout": layer_spec(GaussianDropout),
    "PReLU": layer_spec(PReLU, shared_axes=optional(to_int_list)),
    "UpSampling1D": layer_spec(UpSampling1D, size=_positive_int),
    "UpSampling2D": layer_spec(UpSampling2D, size=to_axes, data_format=optional(to_str)),
    "ZeroPadding1D": layer_spec(ZeroPadding1D, padding=_nested_ints, data_format=optional(to_str)),
    "ZeroPadding2D": layer_spec(ZeroPadding2D, padding=_nested_ints, data_format=optional(to_str)),
    "Cropping1D": layer_spec(Cropping1D, cropping=_nested_ints),
    "Cropping2D": layer_spec(Cropping2D, cropping=_nested_ints, data_format=optional(to_str)),
    "Conv1D": layer_spec(Conv1D, ignore=_LORA, **_CONV_SHAPES),
    "Conv2D": layer_spec(Conv2D, ignore=_LORA, **_CONV_SHAPES),
    "DepthwiseConv1D": layer_spec(DepthwiseConv1D, ignore=_LORA, **_CONV_SHAPES),
    "DepthwiseConv2D": layer_spec(DepthwiseConv2D, ignore=_LORA, **_CONV_SHAPES),
    "SeparableConv1D": layer_spec(SeparableConv1D, ignore=_LORA, **_CONV_SHAPES),
    "SeparableConv2D": layer_spec(SeparableConv2D, ignore=_LORA, **_CONV_SHAPES),
    "Conv1DTranspose": layer_spec(Conv1DTranspose, **_TRANSPOSE_SHAPES),
    "Conv2DTranspose": layer_spec(Conv2DTranspose, **_TRANSPOSE_SHAPES),
    "MaxPooling1D": layer_spec(MaxPooling1D, **_POOL_SHAPES),
    "MaxPooling2D": layer_spec(MaxPooling2D, **_POOL_SHAPES),
    "AveragePooling1D": layer_spec(AveragePooling1D, **_POOL_SHAPES),
    "AveragePooling2D": layer_spec(AveragePooling2D, **_POOL_SHAPES),
    "GlobalMaxPooling1D": layer_spec(GlobalMaxPooling1D),
    "GlobalMaxPooling2D": layer_spec(GlobalMaxPooling2D),
    "GlobalAveragePooling1D": layer_spec(GlobalAveragePooling1D),
    "GlobalAveragePooling2D": layer_spec(GlobalAveragePooling2D),
}
_MODELS = ("Sequential", "Functional", "Model")
_WEIGHT_SLACK = 1 << 20
_CODE_LAYERS = {
    "Lambda": "a Keras Lambda layer, which stores Python code",
    "TFOpLambda": "a TensorFlow op recorded by tf.keras, which names a Python function",
    "SlicingOpLambda": "a TensorFlow slicing op recorded by tf.keras",
}


def known_layers() -> list[str]:
    """The Keras layer classes lamina translates."""
    return sorted([*LAYERS, "InputLayer", *_MODELS])


def model_from_config(
    record: Any,
    custom_objects: dict | None = None,
    where: str = "config.json",
    max_weight_values: int | None = None,
) -> tuple[Any, list[KerasEntry]]:
    """Build a lamina model from the top-level object of a Keras `config.json`.

    Args:
        record: the parsed config.
        custom_objects: class name -> lamina class or function.
        where: how messages name the config.
        max_weight_values: when given, the layers may create no more weight values in all
            (a bound the weights file gives: each weight is filled from it; a margin of 2**20
            is added so a small mismatch reaches the clearer shape check), so a config asking
            for `units: 10**9` fails before anything is allocated.

    Returns:
        The model and its layers as `KerasEntry` items, in the order (and with the Keras class
        names) that name their groups in the archive's weights file.

    Raises:
        KerasFileError: for a config lamina cannot translate; the message names the layer.
    """
    if not isinstance(record, dict) or not isinstance(record.get("class_name"), str):
        raise KerasFileError(
            f"{where} should hold a serialized model: a dict with 'class_name' and 'config'."
        )
    class_name = record["class_name"]
    if class_name not in _MODELS or not is_keras_module(record.get("module")):
        raise KerasFileError(
            f"{where} describes a {class_name!r} (module {record.get('module')!r}); lamina "
            "rebuilds Keras Sequential and functional models only. For a subclassed model, "
            "build it in lamina and load the weights with load_keras_h5_weights."
        )
    if max_weight_values is None:
        return _model(record, Ctx(where, custom_objects))
    budget = AllocationBudget(
        max_weight_values + _WEIGHT_SLACK, lambda message: KerasFileError(f"{where}: {message}")
    )
    try:
        with allocation_budget(budget):
            return _model(record, Ctx(where, custom_objects))
    except MemoryError as e:  # sizes in the config too large for this machine
        raise KerasFileError(
            f"{where}: building the model needs more memory than is available (MemoryError: "
            f"{e}); its config asks for very large layers."
        ) from None


def _model(record: dict, ctx: Ctx) -> tuple[Any, list[KerasEntry]]:
    config = record.get("config")
    if not isinstance(config, dict):
        raise ctx.error(f"the {record['class_name']} config should be a dict.")
    name = config.get("name")
    sub = Ctx(f"{ctx.where}, model {name!r}", ctx.custom_objects)
    if record["class_name"] == "Sequential":
        model, entries = _sequential(config, record, sub)
    else:
        model, entries = _functional(config, sub)
    if config.get("trainable") is False:
        model.trainable = False
    return model, entries


# ----- layers ----------------------------------------------------------------------------------


def layer_from_record(record: Any, ctx: Ctx) -> tuple[Layer, KerasEntry]:
    """Make the lamina layer a Keras layer record describes (a whitelisted or custom class)."""
    if not isinstance(record, dict) or not isinstance(record.get("class_name"), str):
        raise ctx.error(f"a layer should be a dict with 'class_name'. Received: {record!r:.200}")
    class_name = record["class_name"]
    config = record.get("config")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ctx.error(f"the config of a {class_name!r} layer should be a dict.")
    name = record.get("name", config.get("name"))
    lctx = Ctx(f"{ctx.where}, layer {name!r} ({class_name})", ctx.custom_objects)
    custom = custom_name(record, ctx.custom_objects)
    if custom is not None:
        layer = _custom_layer(ctx.custom_objects[custom], class_name, config, lctx)
        return layer, KerasEntry(class_name, layer)
    module = record.get("module")
    if not is_keras_module(module):
        raise lctx.error(
            f"the class {class_name!r} is given module {module!r}; lamina never imports modules "
            f"named in a file. It translates Keras's own layers ({', '.join(known_layers())}); "
            f"pass any other class in custom_objects={{{class_name!r}: YourLayer}}."
        )
    if class_name in _MODELS:
        model, children = _model(record, lctx)
        return model, KerasEntry(class_name, model, children)
    if class_name == "InputLayer":
        layer = _input_layer(config, lctx)
        return layer, KerasEntry(class_name, layer)
    spec = LAYERS.get(class_name)
    if spec is None:
        if class_name in _CODE_LAYERS:
            raise lctx.error(
                f"this is {_CODE_LAYERS[class_name]}; lamina never loads code from a file. "
                "Write the computation as a Layer subclass and pass it in "
                f"custom_objects={{{class_name!r}: YourLayer}}."
            )
        raise lctx.error(
            f"unknown layer class {class_name!r}. lamina translates "
            f"{', '.join(known_layers())}; pass any other class in "
            f"custom_objects={{{class_name!r}: YourLayer}}."
        )
    layer = _construct(spec, config, lctx)
    return layer, KerasEntry(class_name, layer)


def _translate(spec: LayerSpec, config: dict, ctx: Ctx) -> dict:
    args, ignore = spec.args, spec.ignore
    kwargs: dict = {}
    unknown = []
    for key, value in config.items():
        if key in args:
            translated = args[key](value, key, ctx)
            if key in ("batch_input_shape", "batch_shape", "input_shape") and translated is None:
                continue
            kwargs[spec.rename.get(key, key)] = translated
        elif key in ignore and ignore[key](value):
            continue
        else:
            unknown.append(key)
    if unknown:
        shown = {k: config[k] for k in unknown}
        raise ctx.error(
            f"lamina's {spec.cls.__name__} has no setting {sorted(unknown)}, so it cannot "
            f"reproduce this layer. Received: {shown!r:.300}"
        )
    return kwargs


def _construct(spec: LayerSpec, config: dict, ctx: Ctx) -> Layer:
    kwargs = _translate(spec, config, ctx)
    try:
        return spec.cls(**kwargs)
    except (ValueError, TypeError) as e:
        raise ctx.error(f"lamina's {spec.cls.__name__} refused the config: {e}") from None


_INPUT_SPEC = layer_spec(
    InputLayer,
    # Sparse, ragged and optional inputs do not exist in lamina: only their defaults pass.
    ignore={"sparse": _is_false, "ragged": _is_false, "optional": _is_false},
    shape=optional(to_shape),
)


def _input_layer(config: dict, ctx: Ctx) -> InputLayer:
    kwargs = _translate(_INPUT_SPEC, config, ctx)
    shape = kwargs.pop("batch_shape", None)
    legacy_shape = kwargs.pop("batch_input_shape", None)
    shape = shape if shape is not None else legacy_shape
    if shape is None:
        raise ctx.error("an InputLayer needs a batch_shape. Received: none")
    try:
        return InputLayer(batch_shape=shape, **kwargs)
    except (ValueError, TypeError) as e:
        raise ctx.error(f"lamina's InputLayer refused the config: {e}") from None


def _custom_layer(cls: Any, class_name: str, config: dict, ctx: Ctx) -> Layer:
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ctx.error(
            f"custom_objects[{class_name!r}] should be a lamina Layer subclass. Received: {cls!r}"
        )
    config = dict(config)
    if "dtype" in config:
        config["dtype"] = to_dtype(config["dtype"], "dtype", ctx)
    try:
        layer = cls.from_config(config)
    except (ValueError, TypeError) as e:
        raise ctx.error(f"{cls.__name__}.from_config refused the config: {e}") from None
    if not isinstance(layer, Layer):
        raise ctx.error(f"{cls.__name__}.from_config returned {type(layer).__name__}, not a Layer.")
    return layer


# ----- Sequential ------------------------------------------------------------------------------

_SEQUENTIAL_KEYS = {"name", "trainable", "dtype", "layers", "build_input_shape"}


def _sequential(config: dict, record: dict, ctx: Ctx) -> tuple[Any, list[KerasEntry]]:

    _check_keys(config, _SEQUENTIAL_KEYS, "Sequential", ctx)
    records = config.get("layers")
    if not isinstance(records, list):
        raise ctx.error("a Sequential config should list its layers.")
    name = config.get("name")
    model = Sequential(name=to_str(name, "name", ctx) if name is not None else None)
    entries = []
    for i, layer_record in enumerate(records):
        layer, entry = layer_from_record(layer_record, ctx)
        if isinstance(layer, InputLayer) and i != 0:
            raise ctx.error(f"an InputLayer can only come first; it is layer #{i}.")
        try:
            model.add(layer)
        except (ValueError, TypeError) as e:
            raise ctx.error(f"adding layer {layer.name!r} failed: {e}") from None
        if not isinstance(layer, InputLayer):
            entries.append(entry)
    if not model.built:
        shape = config.get("build_input_shape")
        if shape is None:
            shape = (record.get("build_config") or {}).get("input_shape")
        if shape is not None:
            shape = to_shape(shape, "build_input_shape", ctx)
            try:
                model.build(tuple(shape))
            except (ValueError, TypeError) as e:
                raise ctx.error(f"building for input shape {shape} failed: {e}") from None
    if not model.built:
        raise ctx.error(
            "the Sequential model has no input shape (no InputLayer, no build_input_shape), so "
            "its weights cannot be made."
        )
    return model, entries


# ----- Functional ------------------------------------------------------------------------------

_FUNCTIONAL_KEYS = {"name", "trainable", "dtype", "layers", "input_layers", "output_layers"}
_CALL_KWARGS: dict[str, Callable[[Any], bool]] = {
    "training": lambda v: v is None or isinstance(v, bool),
    "mask": _is_none,
}
# Call arguments that carry layer outputs: an RNN's starting states (as in seq2seq models), and
# the masks Keras 3 passes on explicitly (outputs of op nodes such as `NotEqual`).
_TENSOR_KWARGS = ("initial_state", "mask")


@dataclass
class _Pending:
    name: str
    layer: Layer
    nodes: list
    op: bool = False


def _functional(config: dict, ctx: Ctx) -> tuple[Any, list[KerasEntry]]:

    _check_keys(config, _FUNCTIONAL_KEYS, "functional", ctx)
    records = config.get("layers")
    if not isinstance(records, list):
        raise ctx.error("a functional config should list its layers.")
    created: dict[str, Layer] = {}
    pending: list[_Pending] = []
    entries = []
    for record in records:
        op = isinstance(record, dict) and is_op_record(record, ctx.custom_objects)
        # An op (Keras saves no weights for it) becomes an OpLayer, as ops on symbolic tensors.
        layer, entry = (op_from_record(record, ctx), None) if op else layer_from_record(record, ctx)
        name = record.get("name", layer.name)
        if not isinstance(name, str):
            raise ctx.error(f"a layer name should be a string. Received: {name!r}")
        if name in created:
            raise ctx.error(f"two layers are named {name!r}.")
        created[name] = layer
        if entry is not None:
            entries.append(entry)
        nodes = record.get("inbound_nodes", [])
        if not isinstance(nodes, list):
            raise ctx.error(f"the inbound_nodes of layer {name!r} should be a list.")
        pending.append(_Pending(name, layer, list(nodes), op))
    _connect(pending, created, ctx)
    inputs = _single(_tensors(config.get("input_layers"), created, "input_layers", ctx))
    outputs = _single(_tensors(config.get("output_layers"), created, "output_layers", ctx))
    name = config.get("name")
    try:
        model = Model(inputs, outputs, name=to_str(name, "name", ctx) if name else None)
    except (ValueError, TypeError) as e:
        raise ctx.error(f"the graph does not make a model: {e}") from None
    return model, entries


def _connect(pending: list[_Pending], created: dict[str, Layer], ctx: Ctx) -> None:
    """Call each layer on its inputs, deferring calls whose inputs do not exist yet.

    A layer shared at different depths can be listed before the layer that feeds its later
    call, so calls are retried until a pass makes no progress.
    """
    progress = True
    while progress and any(p.nodes for p in pending):
        progress = False
        for p in pending:
            while p.nodes:
                call = _node_call(p.nodes[0], created, p.name, ctx, p.op)
                if call is None:
                    break
                inputs, kwargs = call
                try:
                    p.layer(inputs, **kwargs)
                except (ValueError, TypeError) as e:
                    raise ctx.error(f"calling layer {p.name!r} on its inputs failed: {e}") from None
                p.nodes.pop(0)
                progress = True
    stuck = [p.name for p in pending if p.nodes]
    if stuck:
        raise ctx.error(
            f"the inputs of layers {stuck} refer to layer calls that never happen; the graph "
            "is incomplete or cyclic."
        )


def _node_call(node: Any, created: dict[str, Layer], owner: str, ctx: Ctx, op: bool) -> Any:
    """The (inputs, kwargs) of one recorded call, or None while an input is not made yet.

    An op's inputs are the tensors among its arguments (its OpLayer holds the constants)."""
    where = f"an inbound node of layer {owner!r}"
    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        args, kwargs = node.get("args", []), node.get("kwargs", {})
        if set(node) - {"args", "kwargs"} or not isinstance(args, list):
            raise ctx.error(f"{where} should be {{'args': [...], 'kwargs': {{...}}}}.")
        if op:
            args = [[a for a in args if isinstance(a, dict)]]
        if len(args) != 1:
            raise ctx.error(
                f"{where} passes {len(args)} positional arguments; lamina layers take their "
                "inputs as one argument."
            )
        structure = args[0]
    elif isinstance(node, list):  # Keras 2: [[layer, node, tensor, kwargs], ...]
        kwargs = {}
        refs = []
        for item in node:
            if not (isinstance(item, list) and len(item) in (3, 4)):
                raise ctx.error(f"{where} should list [layer, node, tensor] references.")
            if len(item) == 4:
                if not isinstance(item[3] or {}, dict):
                    raise ctx.error(f"the call arguments in {where} should be a dict.")
                kwargs.update(item[3] or {})
            refs.append({"class_name": "__keras_tensor__", "config": {"keras_history": item[:3]}})
        structure = refs[0] if len(refs) == 1 else refs
    else:
        raise ctx.error(f"{where} has an unknown form: {node!r:.200}")
    if not isinstance(kwargs, dict):
        raise ctx.error(f"the kwargs of {where} should be a dict.")
    tensor_kwargs = {}
    for key, value in kwargs.items():
        if key in _TENSOR_KWARGS and value is not None:
            tensor_kwargs[key] = _resolve(value, created, where, ctx, none_ok=key == "mask")
            continue
        check = _CALL_KWARGS.get(key)
        if check is None or not check(value):
            raise ctx.error(
                f"{where} passes {key}={value!r:.100}; lamina translates only training=True/False, "
                f"and layer outputs (or null) as {' or '.join(_TENSOR_KWARGS)} in layer calls."
            )
    inputs = _resolve(structure, created, where, ctx)
    if any(v is _NOT_YET for v in (inputs, *tensor_kwargs.values())):
        return None
    # Keras records the `training` value resolved when the graph was built, and overrides it
    # with the caller's whenever one is given (fit, predict); replaying it in lamina would pin
    # Dropout off during fit. A null mask is no argument at all; a mask tensor is passed on.
    return inputs, tensor_kwargs


_NOT_YET = object()


def _resolve(structure: Any, created: dict, where: str, ctx: Ctx, none_ok: bool = False) -> Any:
    """Replace every tensor reference in `structure` with the symbolic tensor it names (and
    null with None where `none_ok`: a list of masks, one per input, may have gaps)."""
    if isinstance(structure, dict) and structure.get("class_name") == "__keras_tensor__":
        history = (structure.get("config") or {}).get("keras_history")
        return _tensor(history, created, where, ctx, False)
    if structure is None and none_ok:
        return None
    if isinstance(structure, list):
        items = [_resolve(s, created, where, ctx, none_ok) for s in structure]
        return _NOT_YET if any(i is _NOT_YET for i in items) else items
    raise ctx.error(
        f"{where} passes {structure!r:.200} where lamina expects layer outputs; constant "
        "arguments in layer calls are not translated."
    )


def _tensor(history: Any, created: dict, where: str, ctx: Ctx, offset: bool) -> Any:

    if not (
        isinstance(history, list)
        and len(history) == 3
        and isinstance(history[0], str)
        and all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in history[1:])
    ):
        raise ctx.error(
            f"{where} refers to a tensor as {history!r}; expected [layer name, node index, "
            "tensor index]."
        )
    name, node_index, tensor_index = history
    layer = created.get(name)
    if layer is None:
        raise ctx.error(f"{where} refers to a layer {name!r} that the config does not define.")
    if offset and isinstance(layer, Functional):
        # Keras counts a nested functional model's own graph as its node 0 in these lists.
        node_index -= 1
    if node_index >= len(layer._inbound_nodes):
        return _NOT_YET
    outputs = tree.flatten(layer._inbound_nodes[node_index].output_value)
    if tensor_index >= len(outputs):
        raise ctx.error(
            f"{where} refers to output {tensor_index} of layer {name!r}, which has "
            f"{len(outputs)} output(s)."
        )
    return outputs[tensor_index]


def _tensors(spec: Any, created: dict, key: str, ctx: Ctx) -> Any:
    """The model inputs or outputs: a [layer, node, tensor] leaf, or a list or dict of them."""
    where = f"the model's {key}"
    if spec is None:
        raise ctx.error(f"a functional config needs {key}.")
    if _is_history(spec):
        out = _tensor(spec, created, where, ctx, offset=True)
    elif isinstance(spec, list):
        out = [_tensors(s, created, key, ctx) for s in spec]
    elif isinstance(spec, dict):
        out = {str(k): _tensors(v, created, key, ctx) for k, v in spec.items()}
    else:
        raise ctx.error(f"{where} should list [layer, node, tensor] references. Received: {spec!r}")
    if out is _NOT_YET:
        raise ctx.error(f"{where} refer to a layer call that never happens: {spec!r}")
    return out


def _single(structure: Any) -> Any:
    """A list of one tensor as that tensor: Keras 3 models return a lone output unwrapped."""
    return structure[0] if isinstance(structure, list) and len(structure) == 1 else structure


def _is_history(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)


def _check_keys(config: dict, allowed: set, kind: str, ctx: Ctx) -> None:
    extra = sorted(set(config) - allowed)
    if extra:
        raise ctx.error(
            f"the {kind} model config has settings lamina does not know: {extra}. Received: "
            f"{ {k: config[k] for k in extra}!r:.300}"
        )
