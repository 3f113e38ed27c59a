"""lamina.tree: Keras 3's nested-structure helpers."""

from collections import OrderedDict, defaultdict, namedtuple

import numpy as np
import pytest

import lamina
from lamina import tree

Point = namedtuple("Point", ["x", "y"])


def test_flatten_leaves_and_order():
    assert tree.flatten([[1, 2, 3], [4, [5], [[6]]]]) == [1, 2, 3, 4, 5, 6]
    assert tree.flatten(None) == [None]
    assert tree.flatten(1) == [1]
    assert tree.flatten("abc") == ["abc"]
    a = np.zeros(3)
    assert tree.flatten((a, None)) == [a, None]


def test_dicts_flatten_in_sorted_key_order_ordered_dicts_in_their_own():
    assert tree.flatten({100: "world!", 6: "Hello"}) == ["Hello", "world!"]
    assert tree.flatten({"b": [1, 2], "a": (3, None)}) == [3, None, 1, 2]
    assert tree.flatten(OrderedDict([("b", 1), ("a", 2)])) == [1, 2]


def test_unsortable_keys_are_refused_by_name():
    with pytest.raises(TypeError, match="keys can be sorted.*Received: keys="):
        tree.flatten({1: "a", "b": 2})


def test_flatten_of_a_deep_structure_does_not_recurse():
    deep: list = [7]
    for _ in range(5000):
        deep = [deep]
    assert tree.flatten(deep) == [7]


def test_pack_sequence_as_inverts_flatten_and_keeps_key_order():
    structure = {"key3": {"c": ("alpha", "beta"), "a": "gamma"}, "key1": {"e": 0, "d": 0}}
    packed = tree.pack_sequence_as(structure, ["val2", "val1", 3.0, 1.0, 2.0])
    assert packed == {"key3": {"c": (1.0, 2.0), "a": 3.0}, "key1": {"e": "val1", "d": "val2"}}
    assert list(packed) == ["key3", "key1"]
    assert tree.pack_sequence_as(((0, 0), (0, 0, 0), 0), range(6)) == ((0, 1), (2, 3, 4), 5)
    assert tree.pack_sequence_as("leaf", [9]) == 9


def test_pack_sequence_as_refuses_a_wrong_count():
    with pytest.raises(ValueError, match="hold 2 leaves.*Received: 3 leaves"):
        tree.pack_sequence_as([0, 0], [1, 2, 3])


def test_map_structure_keeps_containers():
    out = tree.map_structure(lambda v: v * 10, {"b": [1, (2, Point(3, 4))], "a": 5})
    assert out == {"b": [10, (20, Point(30, 40))], "a": 50}
    assert isinstance(out["b"][1][1], Point)
    assert list(out) == ["b", "a"]
    d = defaultdict(list, {"k": 1})
    mapped = tree.map_structure(lambda v: v + 1, d)
    assert isinstance(mapped, defaultdict) and mapped == {"k": 2}
    assert tree.map_structure(lambda v: v, None) is None


def test_map_structure_over_several_structures():
    assert tree.map_structure(lambda a, b: a + b, [1, {"x": 2}], [10, {"x": 20}]) == [11, {"x": 22}]
    with pytest.raises(ValueError, match="same lengths and keys"):
        tree.map_structure(lambda a, b: a, [1, 2], [1])
    with pytest.raises(ValueError, match="nest the same way"):
        tree.map_structure(lambda a, b: a, [1, 2], 3)


def test_map_structure_calls_func_in_flatten_order():
    seen: list = []
    tree.map_structure(seen.append, {"b": 1, "a": [2, 3]})
    assert seen == [2, 3, 1]


def test_map_shape_structure_takes_shapes_as_leaves():
    assert tree.map_shape_structure(lambda s: s[1:], [(None, 3), [None, 4, 5]]) == [(3,), (4, 5)]
    assert tree.map_shape_structure(len, (2, 3)) == 2
    assert tree.map_shape_structure(len, {"a": (np.int64(1),), "b": ()}) == {"a": 1, "b": 0}
    assert not tree.is_shape_tuple((True, 2))


def test_is_nested():
    assert tree.is_nested([]) and tree.is_nested((1,)) and tree.is_nested({"a": 1})
    assert tree.is_nested(Point(1, 2))
    assert not tree.is_nested("ab") and not tree.is_nested(np.zeros(2)) and not tree.is_nested(None)


def test_exposed_as_lamina_tree():
    assert lamina.tree is tree
