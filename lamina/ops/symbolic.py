"""Functions on symbolic tensors: a call with a `KerasTensor` among its arguments (nested in a
list or passed by keyword included) adds a node to the functional graph instead of computing.

`lamina.layers.symbolic` (above ops in the import order) binds itself to `graph` on import;
before that no symbolic tensor exists, so nothing here needs it.
"""

import functools
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

graph: ModuleType | None = None

# Public ops that never make a node: they answer about a value, or refuse a symbolic one
# (`convert_to_numpy` raises through `KerasTensor.__array__`, as in Keras).
NOT_SYMBOLIC = frozenset({"convert_to_numpy", "is_tensor"})

_P = inspect.Parameter


def op_fallback(fn: Callable, name: str) -> Callable:
    """`fn` (the op `lamina.ops.<name>`), turned into a graph node when it fails on symbolic
    arguments.

    The wrapper has `fn`'s own parameters, so that an eager call costs one plain call more
    (about 40 ns) and no check: `(*args, **kwargs)` would cost three times that.
    """
    signature = inspect.signature(fn)
    params, passed = [], []
    namespace: dict[str, Any] = {"_fn": fn, "_failed": _failed, "_node": None}
    for i, p in enumerate(signature.parameters.values()):
        if p.kind not in (_P.POSITIONAL_OR_KEYWORD, _P.VAR_POSITIONAL):
            raise TypeError(f"op_fallback: {name} has a {p.kind.description} parameter {p.name}")
        star = "*" if p.kind is _P.VAR_POSITIONAL else ""
        default = ""
        if p.default is not _P.empty:
            default, namespace[f"_d{i}"] = f"=_d{i}", p.default
        params.append(f"{star}{p.name}{default}")
        passed.append(f"{star}{p.name}")
    values = "".join(f"{p.lstrip('*')}, " for p in passed)
    source = (
        f"def {name}({', '.join(params)}):\n"
        "    try:\n"
        f"        return _fn({', '.join(passed)})\n"
        "    except Exception:\n"
        f"        if not _failed(({values})):\n"
        "            raise\n"
        # Outside the `except`: a node's own errors are not chained to the eager failure.
        f"    return _node(({values}))\n"
    )
    exec(source, namespace)  # noqa: S102 - the source is built above from fn's parameter names
    namespace["_node"] = functools.partial(_node, name, signature)
    return functools.wraps(fn)(namespace[name])


def _failed(values: tuple) -> bool:
    """Whether a failed call had symbolic arguments (and should become a node)."""
    return graph is not None and graph.has_symbolic(*values)


def _node(name: str, signature: inspect.Signature, values: tuple) -> Any:
    if name == "shape":  # as Keras: a symbolic tensor's shape, None for unknown sizes
        return values[0].shape
    # The call as the user could have written it: defaults left out, so the node's config
    # holds only what was given.
    args: list = []
    kwargs: dict = {}
    for i, (p, value) in enumerate(zip(signature.parameters.values(), values, strict=True)):
        if p.kind is _P.VAR_POSITIONAL:
            args = [*values[:i], *value] if value else args
        elif value is p.default:
            continue
        elif kwargs or len(args) < i:  # a default before it was left out
            kwargs[p.name] = value
        else:
            args.append(value)
    return graph.op_layer_call(name, tuple(args), kwargs)


def symbolic_function(family: str) -> Callable[[Callable], Callable]:
    """Decorate a public function of `lamina.<family>` (a loss, an activation) so that a call
    on symbolic tensors adds one node that runs it, named `"<family>.<function name>"`.

    Example:
    >>> @symbolic_function("losses")
    ... def mean_squared_error(y_true, y_pred): ...
    """

    def decorate(fn: Callable) -> Callable:
        name = f"{family}.{fn.__name__}"

        @functools.wraps(fn)
        def function(*args: Any, **kwargs: Any) -> Any:
            if graph is not None and graph.has_symbolic(*args, *kwargs.values()):
                return graph.op_layer_call(name, args, kwargs)
            return fn(*args, **kwargs)

        return function

    return decorate
