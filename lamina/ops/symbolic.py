"""Functions on symbolic tensors: a call with a `KerasTensor` among its arguments (nested in a
list or passed by keyword included) adds a node to the functional graph instead of computing.

Each public function gets a twin with its own parameters (made once, at import), so that an
eager call costs one plain call more and no packing of `*args, **kwargs` (which would cost
three times as much). `lamina.layers.symbolic`, above ops in the import order, calls `bind` on
import; before that no symbolic tensor exists.
"""

import functools
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

graph: ModuleType | None = None
# The argument types worth a closer look: containers, and KerasTensor once bound.
_LOOK = {list, tuple, dict}

# Public ops that never make a node: they answer about a value, or refuse a symbolic one
# (`convert_to_numpy` raises through `KerasTensor.__array__`, as in Keras).
NOT_SYMBOLIC = frozenset({"convert_to_numpy", "is_tensor"})

_P = inspect.Parameter


def bind(module: ModuleType) -> None:
    """Make `module` (lamina.layers.symbolic) the graph that symbolic calls add nodes to."""
    global graph
    graph = module
    _LOOK.add(module.KerasTensor)


def op_fallback(fn: Callable, name: str) -> Callable:
    """`fn` (the op `lamina.ops.<name>`), turned into a graph node when it fails on symbolic
    arguments: an eager call pays for one call more (about 40 ns), never for a check."""
    return _twin(
        fn,
        name,
        "    try:\n"
        "        return _fn({call})\n"
        "    except Exception:\n"
        "        if not _symbolic(({values})):\n"
        "            raise\n"
        # Outside the `except`: a node's own errors are not chained to the eager failure.
        "    return _node(({values}))\n",
    )


def symbolic_function(family: str) -> Callable[[Callable], Callable]:
    """Decorate a public function of `lamina.<family>` (a loss, an activation) so that a call
    on symbolic tensors adds one node that runs it, named `"<family>.<function name>"`.

    Example:
    >>> @symbolic_function("losses")
    ... def mean_squared_error(y_true, y_pred): ...
    """

    def decorate(fn: Callable) -> Callable:
        return _twin(
            fn,
            f"{family}.{fn.__name__}",
            # A type test per argument; only a container or a KerasTensor is looked into.
            "    if {looks}:\n"
            "        if _symbolic(({values})):\n"
            "            return _node(({values}))\n"
            "    return _fn({call})\n",
        )

    return decorate


def _twin(fn: Callable, name: str, body: str) -> Callable:
    """A function with `fn`'s parameters running `body`, where `{call}` passes them on to `fn`,
    `{values}` lists them and `{looks}` asks whether any has a type in `_LOOK`."""
    signature = inspect.signature(fn)
    params, passed = [], []
    # Underscored names only: a parameter (`type`, `threshold`) may shadow any other name.
    namespace: dict[str, Any] = {"_fn": fn, "_LOOK": _LOOK, "_symbolic": _symbolic, "_type": type}
    parameters = list(signature.parameters.values())
    kinds = [p.kind for p in parameters] + [None]
    for i, p in enumerate(parameters):
        if p.kind is _P.KEYWORD_ONLY and _P.VAR_POSITIONAL not in kinds[:i] and "*" not in params:
            params.append("*")
        star = {_P.VAR_POSITIONAL: "*", _P.VAR_KEYWORD: "**"}.get(p.kind, "")
        default = ""
        if p.default is not _P.empty:
            default, namespace[f"_d{i}"] = f"=_d{i}", p.default
        params.append(f"{star}{p.name}{default}")
        if p.kind is _P.POSITIONAL_ONLY and kinds[i + 1] is not _P.POSITIONAL_ONLY:
            params.append("/")
        passed.append(f"{p.name}={p.name}" if p.kind is _P.KEYWORD_ONLY else f"{star}{p.name}")
    names = list(signature.parameters)
    source = f"def {fn.__name__}({', '.join(params)}):\n" + body.format(
        call=", ".join(passed),
        values="".join(f"{n}, " for n in names),
        looks=" or ".join(f"_type({n}) in _LOOK" for n in names) or "False",
    )
    # Tracebacks through the twin name it so: `File "<symbolic twin of mean>", in mean`.
    code = compile(source, f"<symbolic twin of {name}>", "exec")
    exec(code, namespace)  # noqa: S102 - built above from fn's own parameter names
    namespace["_node"] = functools.partial(_node, name, signature)
    return functools.wraps(fn)(namespace[fn.__name__])


def _symbolic(values: tuple) -> bool:
    return graph is not None and graph.has_symbolic(*values)


def _node(name: str, signature: inspect.Signature, values: tuple) -> Any:
    """The graph node for a call of `name` with its parameters' `values`."""
    if name == "shape":  # as Keras: a symbolic tensor's shape, None for unknown sizes
        return values[0].shape
    # The call as the user could have written it: defaults left out, so that the node's
    # config holds only what was given.
    args: list = []
    kwargs: dict = {}
    for i, (p, value) in enumerate(zip(signature.parameters.values(), values, strict=True)):
        if p.kind is _P.VAR_POSITIONAL:
            args = [*values[:i], *value] if value else args
        elif p.kind is _P.VAR_KEYWORD:
            kwargs.update(value)
        elif p.kind is _P.POSITIONAL_ONLY:
            args.append(value)
        elif value is p.default:
            continue
        elif kwargs or len(args) < i or p.kind is _P.KEYWORD_ONLY:  # a default was left out
            kwargs[p.name] = value
        else:
            args.append(value)
    return graph.op_layer_call(name, tuple(args), kwargs)
