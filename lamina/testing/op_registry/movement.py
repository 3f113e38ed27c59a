"""Registry entries for ops that move or select elements: reshape, concatenate, getitem..."""

import numpy as np

from lamina import ops
from lamina.testing.op_registry.base import (
    ErrorCase,
    OpInfo,
    Sample,
    axis_error,
    spec_samples,
    strided,
    transposed,
    uniform,
)


def _error(inputs, kwargs, error, match) -> tuple[ErrorCase, ...]:
    return (ErrorCase(inputs, kwargs, error, match),)


def _getitem_samples(rng):
    x = uniform(rng, (4, 5))
    cube = uniform(rng, (2, 3, 4))
    return [
        Sample((x,), {"key": 1}, "int"),
        Sample((x,), {"key": -1}, "negative int"),
        Sample((x,), {"key": (slice(1, 3), slice(None, None, 2))}, "slices"),
        Sample((x,), {"key": (slice(None, None, -1), 2)}, "reversed slice"),
        Sample((cube,), {"key": (Ellipsis, 1)}, "ellipsis"),
        Sample((x,), {"key": (None, 0)}, "new axis"),
        Sample((x,), {"key": np.array([0, 2, 2, -1])}, "fancy, repeated"),
        Sample((x,), {"key": (slice(None), np.array([[1, 1], [0, 4]]))}, "fancy 2-d index"),
        Sample((x,), {"key": (np.array([0, 3]), np.array([1, 1]))}, "fancy pairs"),
        Sample((x,), {"key": x > 0}, "boolean mask"),
        Sample((x,), {"key": np.array([True, False, True, True])}, "boolean rows"),
        Sample((uniform(rng, ()),), {"key": ()}, "0-d"),
        Sample((uniform(rng, (1,)),), {"key": 0}, "size-1"),
        Sample((transposed(x),), {"key": (slice(None), 1)}, "transposed"),
        Sample((strided(x),), {"key": np.array([3, 0, 3])}, "strided, fancy"),
        Sample((uniform(rng, (8, 10)),), {"key": (slice(1, None), np.array([0, 0, 9]))}, "large"),
    ]


def _take_samples(rng):
    x = uniform(rng, (4, 5))
    return [
        Sample((x,), {"indices": np.array([0, 3, 3, -1])}, "flattened"),
        Sample((x,), {"indices": np.array([[1, 0], [1, 3]]), "axis": 0}, "2-d indices"),
        Sample((x,), {"indices": np.array([4, 0, 4]), "axis": -1}, "axis -1"),
        Sample((x,), {"indices": np.array(2), "axis": 1}, "0-d index"),
        Sample((uniform(rng, (1,)),), {"indices": np.array([0, 0]), "axis": 0}, "size-1"),
        Sample((transposed(x),), {"indices": np.array([1, 2]), "axis": 1}, "transposed"),
        Sample((uniform(rng, (8, 10)),), {"indices": np.array([9, 1, 1]), "axis": 1}, "large"),
    ]


def _take_along_samples(rng):
    x = uniform(rng, (3, 4))
    return [
        Sample((x,), {"indices": np.array([[0, 3], [1, 1], [2, 0]]), "axis": 1}, "axis 1"),
        Sample((x,), {"indices": np.array([[2, 0, 1, 1]]), "axis": 0}, "broadcast indices"),
        Sample((x,), {"indices": np.argsort(x, axis=-1), "axis": -1}, "argsort"),
        Sample((x,), {"indices": np.array([11, 0, 0])}, "flattened"),
        Sample((uniform(rng, (1,)),), {"indices": np.array([0, 0]), "axis": 0}, "size-1"),
        Sample((transposed(x),), {"indices": np.array([[1], [2], [0]]), "axis": 1}, "transposed"),
    ]


def _repeat_samples(rng):
    x = uniform(rng, (3, 4))
    return [
        Sample((x,), {"repeats": 2}, "flattened"),
        Sample((x,), {"repeats": 3, "axis": 0}, "axis 0"),
        Sample((x,), {"repeats": [1, 0, 2, 3], "axis": 1}, "per element, with zero"),
        Sample((x,), {"repeats": [2, 1, 0], "axis": 0}, "trailing zero"),
        Sample((uniform(rng, ()),), {"repeats": 3}, "0-d"),
        Sample((uniform(rng, (1,)),), {"repeats": 2, "axis": 0}, "size-1"),
        Sample((transposed(x),), {"repeats": 2, "axis": -1}, "transposed"),
    ]


def _concat_samples(rng):
    def u(*shape):
        return uniform(rng, shape)

    return [
        Sample((u(2, 3), u(4, 3)), {}, "axis 0"),
        Sample((u(2, 3), u(2, 1), u(2, 2)), {"axis": -1}, "three, axis -1"),
        Sample((u(1), u(1)), {}, "size-1"),
        Sample((u(2, 3), np.arange(6).reshape(2, 3)), {"axis": 1}, "mixed dtypes"),
        Sample((transposed(u(3, 2)), strided(u(3, 2))), {"axis": 1}, "strided"),
        Sample((u(8, 5), u(8, 6)), {"axis": 1}, "large"),
    ]


def _stack_samples(rng):
    def u(*shape):
        return uniform(rng, shape)

    return [
        Sample((u(2, 3), u(2, 3)), {}, "axis 0"),
        Sample((u(2, 3), u(2, 3), u(2, 3)), {"axis": -1}, "axis -1"),
        Sample((u(2, 3), u(2, 3)), {"axis": 1}, "axis 1"),
        Sample((u(), u()), {}, "0-d"),
        Sample((u(1), u(1)), {"axis": 1}, "size-1"),
        Sample((transposed(u(3, 2)), strided(u(3, 2))), {}, "strided"),
    ]


def _pad_reference(x, pad_width, mode="constant", constant_values=0):
    if mode == "constant":
        return np.pad(x, pad_width, constant_values=constant_values)
    return np.pad(x, pad_width, mode=mode)


def _concatenate(*xs, axis=0):
    return ops.concatenate(list(xs), axis=axis)


def _stack(*xs, axis=0):
    return ops.stack(list(xs), axis=axis)


OPS = [
    OpInfo(
        "copy",
        ops.copy,
        np.copy,
        spec_samples(
            ([(3, 4)], {}, "2-d"),
            ([()], {}, "0-d"),
            ([(1,)], {}, "size-1"),
            ([("T", (3, 4))], {}, "transposed"),
            ([("S", (2, 3))], {}, "strided"),
        ),
    ),
    OpInfo(
        "reshape",
        ops.reshape,
        lambda x, newshape: np.reshape(x, newshape),
        spec_samples(
            ([(3, 4)], {"newshape": (2, 6)}, "2-d"),
            ([(3, 4)], {"newshape": (-1,)}, "flatten"),
            ([(2, 3, 4)], {"newshape": (4, -1)}, "inferred"),
            ([()], {"newshape": (1, 1)}, "0-d"),
            ([(1,)], {"newshape": ()}, "size-1 to 0-d"),
            ([("T", (3, 4))], {"newshape": (12,)}, "transposed"),
            ([("S", (2, 3))], {"newshape": (3, 2)}, "strided"),
            ([(8, 10)], {"newshape": (10, 8)}, "large"),
        ),
        raises=_error((np.ones((3,)),), {"newshape": (2, 2)}, ValueError, r"^reshape: .*\(3,\)"),
    ),
    OpInfo(
        "transpose",
        ops.transpose,
        lambda x, axes=None: np.transpose(x, axes),
        spec_samples(
            ([(3, 4)], {}, "2-d"),
            ([(2, 3, 4)], {"axes": (1, 2, 0)}, "permutation"),
            ([(2, 3, 4)], {"axes": (0, -1, 1)}, "negative axis"),
            ([()], {}, "0-d"),
            ([(1, 1)], {}, "size-1"),
            ([("T", (3, 4))], {}, "transposed"),
            ([(8, 10)], {}, "large"),
        ),
        raises=_error((np.ones((2, 3)),), {"axes": (0,)}, ValueError, r"^transpose: "),
    ),
    OpInfo(
        "swapaxes",
        ops.swapaxes,
        np.swapaxes,
        spec_samples(
            ([(3, 4)], {"axis1": 0, "axis2": 1}, "2-d"),
            ([(2, 3, 4)], {"axis1": -1, "axis2": 0}, "3-d"),
            ([(1, 1)], {"axis1": 0, "axis2": 1}, "size-1"),
            ([("S", (2, 3))], {"axis1": 1, "axis2": 0}, "strided"),
        ),
        raises=_error((np.ones((2, 3)),), {"axis1": 0, "axis2": 2}, ValueError, r"^swapaxes: "),
    ),
    OpInfo(
        "expand_dims",
        ops.expand_dims,
        np.expand_dims,
        spec_samples(
            ([(3, 4)], {"axis": 0}, "front"),
            ([(3, 4)], {"axis": -1}, "back"),
            ([(3, 4)], {"axis": 1}, "middle"),
            ([()], {"axis": 0}, "0-d"),
            ([("T", (3, 4))], {"axis": 2}, "transposed"),
            ([(3, 4)], {"axis": (0, 2)}, "tuple of axes"),
            ([(3, 4)], {"axis": (-1, 0)}, "tuple, negative"),
            ([(1,)], {"axis": (1, 2)}, "size-1, tuple at the end"),
        ),
        raises=(
            ErrorCase((np.ones((3,)),), {"axis": 3}, ValueError, r"^expand_dims: axis 3"),
            ErrorCase((np.ones((3,)),), {"axis": (0, 3)}, ValueError, r"^expand_dims: axis 3"),
            ErrorCase((np.ones((3,)),), {"axis": (1, -2)}, ValueError, r"^expand_dims: repeated"),
        ),
    ),
    OpInfo(
        "squeeze",
        ops.squeeze,
        np.squeeze,
        spec_samples(
            ([(1, 3, 1)], {}, "all"),
            ([(1, 3, 1)], {"axis": 0}, "one axis"),
            ([(1, 3, 1)], {"axis": (0, -1)}, "tuple axis"),
            ([(1,)], {}, "size-1 to 0-d"),
            ([()], {}, "0-d"),
            ([("S", (3, 1))], {"axis": 1}, "strided"),
        ),
        raises=_error((np.ones((2, 3)),), {"axis": 0}, ValueError, r"^squeeze: axis 0"),
    ),
    OpInfo(
        "broadcast_to",
        ops.broadcast_to,
        np.broadcast_to,
        spec_samples(
            ([(3,)], {"shape": (2, 3)}, "new axis"),
            ([(3, 1)], {"shape": (3, 4)}, "size-1 axis"),
            ([()], {"shape": (2, 2)}, "0-d"),
            ([(1,)], {"shape": (1,)}, "same shape"),
            ([("S", (2, 3))], {"shape": (4, 2, 3)}, "strided"),
            ([(10,)], {"shape": (8, 10)}, "large"),
        ),
        raises=_error((np.ones((3,)),), {"shape": (4,)}, ValueError, r"^broadcast_to: .*\(3,\)"),
    ),
    OpInfo(
        "concatenate",
        _concatenate,
        lambda *xs, axis=0: np.concatenate(xs, axis=axis),
        _concat_samples,
        raises=(
            ErrorCase(
                (np.ones((2, 3)), np.ones((2, 4))),
                {},
                ValueError,
                r"^concatenate: .*\(2, 3\), \(2, 4\)",
            ),
            ErrorCase((np.ones(()), np.ones(())), {}, ValueError, r"^concatenate: 0-d"),
            ErrorCase((np.ones((2, 3)), np.ones((2, 3))), {"axis": 2}, ValueError, r"^concat"),
        ),
    ),
    OpInfo(
        "stack",
        _stack,
        lambda *xs, axis=0: np.stack(xs, axis=axis),
        _stack_samples,
        raises=_error((np.ones((3,)), np.ones((4,))), {}, ValueError, r"^stack: .*\(3,\), \(4,\)"),
    ),
    OpInfo(
        "split",
        ops.split,
        lambda x, indices_or_sections, axis=0: np.split(x, indices_or_sections, axis=axis),
        spec_samples(
            ([(6, 4)], {"indices_or_sections": 3}, "sections"),
            ([(6, 4)], {"indices_or_sections": [1, 3], "axis": 1}, "indices"),
            ([(1,)], {"indices_or_sections": 1}, "size-1"),
            ([("T", (4, 6))], {"indices_or_sections": 2, "axis": -1}, "transposed"),
            ([(8, 10)], {"indices_or_sections": [2, 2, 7]}, "empty part"),
        ),
        raises=_error(
            (np.ones((3,)),), {"indices_or_sections": 2}, ValueError, r"^split: axis 0 of length 3"
        ),
    ),
    OpInfo(
        "tile",
        ops.tile,
        lambda x, repeats: np.tile(x, repeats),
        spec_samples(
            ([(2, 3)], {"repeats": (2, 1)}, "2-d"),
            ([(2, 3)], {"repeats": 2}, "int"),
            ([(3,)], {"repeats": (2, 2)}, "more reps than axes"),
            ([(2, 3, 2)], {"repeats": (3,)}, "fewer reps than axes"),
            ([()], {"repeats": 3}, "0-d"),
            ([(1,)], {"repeats": (1,)}, "size-1"),
            ([("T", (2, 3))], {"repeats": (1, 2)}, "transposed"),
        ),
        raises=_error((np.ones((3,)),), {"repeats": -1}, ValueError, r"^tile: "),
    ),
    OpInfo(
        "repeat",
        ops.repeat,
        lambda x, repeats, axis=None: np.repeat(x, repeats, axis=axis),
        _repeat_samples,
        raises=(
            ErrorCase((np.ones((3,)),), {"repeats": -1}, ValueError, r"^repeat: "),
            ErrorCase((np.ones((3,)),), {"repeats": [1, 2]}, ValueError, r"^repeat: .*\(3,\)"),
        ),
    ),
    OpInfo(
        "pad",
        ops.pad,
        _pad_reference,
        spec_samples(
            ([(2, 3)], {"pad_width": ((1, 2), (0, 1))}, "2-d"),
            ([(2, 3)], {"pad_width": 1, "constant_values": 1.5}, "int width, constant"),
            ([(3,)], {"pad_width": (2, 0)}, "1-d"),
            ([(1,)], {"pad_width": ((1, 1),)}, "size-1"),
            ([("T", (2, 3))], {"pad_width": ((0, 1), (1, 0))}, "transposed"),
            ([(3, 4)], {"pad_width": ((1, 2), (3, 0)), "mode": "reflect"}, "reflect"),
            ([(2, 3)], {"pad_width": ((0, 5), (2, 2)), "mode": "reflect"}, "reflect, wider"),
            ([(3, 4)], {"pad_width": ((2, 1), (0, 4)), "mode": "symmetric"}, "symmetric"),
            ([(2, 3)], {"pad_width": 4, "mode": "symmetric"}, "symmetric, wider"),
            ([(1,)], {"pad_width": 2, "mode": "reflect"}, "reflect size-1"),
            ([("S", (3, 2))], {"pad_width": 2, "mode": "symmetric"}, "symmetric, strided"),
            ([(3, 4)], {"pad_width": ((1, 2), (2, 1)), "mode": "edge"}, "edge"),
            ([(3, 4)], {"pad_width": ((1, 4), (5, 1)), "mode": "wrap"}, "wrap"),
        ),
        raises=(
            ErrorCase((np.ones((3,)),), {"pad_width": -1}, ValueError, r"^pad: "),
            ErrorCase((np.ones((3,)),), {"pad_width": 1, "mode": "mean"}, ValueError, r"^pad: "),
            ErrorCase(
                (np.ones((3,)),),
                {"pad_width": 1, "mode": "reflect", "constant_values": 2.0},
                ValueError,
                r"^pad: constant_values .*mode='reflect'",
            ),
            ErrorCase(
                (np.ones((0, 2)),),
                {"pad_width": 1, "mode": "reflect"},
                ValueError,
                r"^pad: mode='reflect' cannot extend an empty axis",
            ),
        ),
    ),
    OpInfo(
        "flip",
        ops.flip,
        lambda x, axis=None: np.flip(x, axis),
        spec_samples(
            ([(3, 4)], {}, "all axes"),
            ([(3, 4)], {"axis": 0}, "axis 0"),
            ([(2, 3, 4)], {"axis": (0, -1)}, "tuple axis"),
            ([()], {}, "0-d"),
            ([(1,)], {"axis": 0}, "size-1"),
            ([("S", (3, 4))], {"axis": 1}, "strided"),
        ),
        raises=(axis_error("flip"),),
    ),
    OpInfo(
        "roll",
        ops.roll,
        lambda x, shift, axis=None: np.roll(x, shift, axis=axis),
        spec_samples(
            ([(3, 4)], {"shift": 2}, "flattened"),
            ([(3, 4)], {"shift": -1, "axis": 1}, "axis 1"),
            ([(2, 3, 4)], {"shift": (1, 2), "axis": (0, 2)}, "tuple"),
            ([(1,)], {"shift": 3, "axis": 0}, "size-1"),
            ([("T", (3, 4))], {"shift": 5, "axis": 0}, "transposed"),
        ),
        raises=(axis_error("roll", shift=1),),
    ),
    OpInfo(
        "getitem",
        ops.getitem,
        lambda x, key: x[key],
        _getitem_samples,
        raises=_error((np.ones((3,)),), {"key": 5}, IndexError, r"^getitem: .*\(3,\)"),
    ),
    OpInfo(
        "take",
        ops.take,
        lambda x, indices, axis=None: np.take(x, indices, axis=axis),
        _take_samples,
        raises=(
            ErrorCase((np.ones((3,)),), {"indices": np.array([3])}, IndexError, r"^take: "),
            ErrorCase((np.ones((3,)),), {"indices": np.array([1.0])}, TypeError, r"^take: "),
        ),
    ),
    OpInfo(
        "take_along_axis",
        ops.take_along_axis,
        lambda x, indices, axis=None: np.take_along_axis(x, indices, axis=axis),
        _take_along_samples,
        raises=(
            ErrorCase(
                (np.ones((2, 3)),),
                {"indices": np.array([1]), "axis": 1},
                ValueError,
                r"^take_along_axis: .*\(1,\).*\(2, 3\)",
            ),
            ErrorCase(
                (np.ones((2, 3)),),
                {"indices": np.array([[3]]), "axis": 1},
                IndexError,
                r"^take_along_axis: ",
            ),
        ),
    ),
]
