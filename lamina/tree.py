"""Nested structures (`keras.tree`): lists, tuples, namedtuples and dicts of leaves.

Dicts are walked in sorted-key order (an `OrderedDict` in its own order), so a dict and
its flat list line up however the dict was built; rebuilt dicts keep their own key order.
`None` is a leaf, as in Keras 3.
"""

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def is_nested(structure: Any) -> bool:
    """Whether `structure` is a list, tuple (namedtuple included) or dict.

    Example:
    >>> lamina.tree.is_nested([1, 2]), lamina.tree.is_nested("ab")
    (True, False)
    """
    return isinstance(structure, list | tuple | dict)


def _keys(d: dict) -> list:
    if isinstance(d, OrderedDict):
        return list(d)
    try:
        return sorted(d)
    except TypeError:
        raise TypeError(
            "Expected a dict whose keys can be sorted, so that it flattens in a fixed "
            f"order. Received: keys={list(d)!r}"
        ) from None


def _children(structure: Any) -> list:
    if isinstance(structure, dict):
        return [structure[k] for k in _keys(structure)]
    return list(structure)


def _rebuild(structure: Any, children: list) -> Any:
    """A container like `structure` holding `children` (given in flatten order)."""
    if isinstance(structure, dict):
        by_key = dict(zip(_keys(structure), children, strict=True))
        pairs = [(k, by_key[k]) for k in structure]  # the original key order
        if isinstance(structure, defaultdict):
            return defaultdict(structure.default_factory, pairs)
        return type(structure)(pairs)
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):  # a namedtuple
        return type(structure)(*children)
    return type(structure)(children)


def flatten(structure: Any) -> list:
    """The leaves of `structure`, in order; a leaf gives `[leaf]`.

    Example:
    >>> lamina.tree.flatten({"b": [1, 2], "a": (3, None)})
    [3, None, 1, 2]
    """
    out, stack = [], [structure]
    while stack:  # a stack, not recursion: deep structures stay within Python's limit
        item = stack.pop()
        if is_nested(item):
            stack.extend(reversed(_children(item)))
        else:
            out.append(item)
    return out


def assert_same_structure(a: Any, b: Any) -> None:
    """Raise `ValueError` unless `a` and `b` nest the same way (same lengths and dict keys).

    Lists and tuples count as the same kind of container.
    """
    if is_nested(a) != is_nested(b) or isinstance(a, dict) != isinstance(b, dict):
        raise ValueError(
            "Expected two structures that nest the same way. "
            f"Received: a={_short(a)} and b={_short(b)}"
        )
    if not is_nested(a):
        return
    if isinstance(a, dict) and set(a) != set(b) or len(a) != len(b):
        raise ValueError(
            "Expected two structures with the same lengths and keys. "
            f"Received: a={_short(a)} and b={_short(b)}"
        )
    for x, y in zip(_children(a), _children(b), strict=True):
        assert_same_structure(x, y)


def _short(structure: Any) -> str:
    return f"{structure!r:.80}"


def map_structure(func: Callable, *structures: Any) -> Any:
    """Apply `func` to each leaf (to the matching leaves of several same-shaped structures).

    Example:
    >>> lamina.tree.map_structure(lambda x: x * 2, {"a": [1, 2], "b": 3})
    {'a': [2, 4], 'b': 6}
    """
    if not structures:
        raise ValueError("Expected at least one structure. Received: structures=()")
    for other in structures[1:]:
        assert_same_structure(structures[0], other)
    return _map(func, structures, lambda x: not is_nested(x))


def map_shape_structure(func: Callable, structure: Any) -> Any:
    """Like `map_structure`, with tuples and lists of ints and None taken as leaves (shapes).

    Example:
    >>> lamina.tree.map_shape_structure(lambda s: s[1:], [(None, 3), (None, 4, 5)])
    [(3,), (4, 5)]
    """

    def on_leaf(x: Any) -> Any:
        return func(tuple(x)) if is_shape_tuple(x) else func(x)

    return _map(on_leaf, (structure,), lambda x: is_shape_tuple(x) or not is_nested(x))


def _map(func: Callable, structures: tuple, is_leaf: Callable) -> Any:
    first = structures[0]
    if is_leaf(first):
        return func(*structures)
    parts = zip(*(_children(s) for s in structures), strict=True)
    return _rebuild(first, [_map(func, p, is_leaf) for p in parts])


def is_shape_tuple(x: Any) -> bool:
    """Whether `x` is a tuple or list of ints and None (a shape); bools are not dimensions."""
    return isinstance(x, list | tuple) and all(
        e is None or (isinstance(e, int | np.integer) and not isinstance(e, bool)) for e in x
    )


def pack_sequence_as(structure: Any, flat_sequence: Sequence) -> Any:
    """The leaves in `flat_sequence` arranged like `structure` (the inverse of `flatten`).

    Example:
    >>> lamina.tree.pack_sequence_as({"b": 0, "a": 0}, [1, 2])
    {'b': 2, 'a': 1}
    """
    flat = list(flat_sequence)
    expected = len(flatten(structure))
    if len(flat) != expected:
        raise ValueError(
            f"Expected flat_sequence to hold {expected} leaves, one per leaf of structure. "
            f"Received: {len(flat)} leaves for structure={_short(structure)}"
        )
    leaves = iter(flat)

    def pack(s: Any) -> Any:
        if not is_nested(s):
            return next(leaves)
        return _rebuild(s, [pack(c) for c in _children(s)])

    return pack(structure)
