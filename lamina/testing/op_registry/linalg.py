"""Registry entries for matrix products: matmul, dot, tensordot, einsum."""

import numpy as np

from lamina import ops
from lamina.testing.op_registry.base import ErrorCase, OpInfo, spec_samples


def _pairs(*specs):
    """Samples from `(x shape, y shape, kwargs, desc)` specs, as for `spec_samples`."""
    return spec_samples(*((shapes, kwargs, desc) for *shapes, kwargs, desc in specs))


def _einsum(*xs, subscripts):
    return ops.einsum(subscripts, *xs)


def _einsum_reference(*xs, subscripts):
    return np.einsum(subscripts, *xs)


_MATMUL_ERROR = ErrorCase(
    (np.ones((128, 784)), np.ones((512, 10))),
    {},
    ValueError,
    r"^matmul: expected the last axis of x \(784\) to match the second-to-last axis of y "
    r"\(512\); received shapes \(128, 784\) and \(512, 10\)$",
)

OPS = [
    OpInfo(
        "matmul",
        ops.matmul,
        np.matmul,
        _pairs(
            ((3, 4), (4, 5), {}, "2-d"),
            ((2, 3, 4), (4, 5), {}, "batch @ 2-d"),
            ((2, 3, 4), (2, 4, 5), {}, "batch @ batch"),
            ((2, 1, 3, 4), (3, 4, 2), {}, "broadcast batch"),
            ((3, 4), (2, 4, 5), {}, "2-d @ batch"),
            ((4,), (4, 5), {}, "vector @ matrix"),
            ((3, 4), (4,), {}, "matrix @ vector"),
            ((4,), (4,), {}, "vector @ vector"),
            ((4,), (2, 4, 3), {}, "vector @ batch"),
            ((1, 1), (1, 1), {}, "size-1"),
            (("T", (3, 4)), ("S", (4, 2)), {}, "non-contiguous"),
            ((8, 10), (10, 7), {}, "large"),
        ),
        raises=(
            _MATMUL_ERROR,
            ErrorCase((np.ones(()), np.ones((3,))), {}, ValueError, r"^matmul: .*1-D"),
            ErrorCase(
                (np.ones((2, 3, 4)), np.ones((3, 4, 5))),
                {},
                ValueError,
                r"^matmul: the batch shapes \(2,\) and \(3,\)",
            ),
            ErrorCase((np.ones((2, 2)), np.array([["a"]])), {}, TypeError, r"^matmul: "),
        ),
    ),
    OpInfo(
        "dot",
        ops.dot,
        np.dot,
        _pairs(
            ((3, 4), (4, 5), {}, "2-d"),
            ((4,), (4,), {}, "vectors"),
            ((), (3, 4), {}, "0-d"),
            ((2, 3, 4), (4,), {}, "N-d and vector"),
            ((2, 3, 4), (5, 4, 2), {}, "N-d and N-d"),
            ((1,), (1, 1), {}, "size-1"),
            (("T", (3, 4)), ("S", (4, 2)), {}, "non-contiguous"),
        ),
        raises=(
            ErrorCase(
                (np.ones((2, 3)), np.ones((4, 5))), {}, ValueError, r"^dot: .*\(2, 3\) and \(4, 5\)"
            ),
            ErrorCase(
                (np.ones((2, 3)), np.ones((5, 4, 2))), {}, ValueError, r"^dot: .*\(3\).*\(4\)"
            ),
            ErrorCase((np.ones(3), np.ones(4)), {}, ValueError, r"^dot: "),
        ),
    ),
    OpInfo(
        "tensordot",
        ops.tensordot,
        lambda x1, x2, axes=2: np.tensordot(x1, x2, axes=axes),
        _pairs(
            ((2, 3, 4), (3, 4, 5), {}, "axes=2"),
            ((3, 4), (4, 2), {"axes": 1}, "axes=1"),
            ((3, 4, 2), (4, 3), {"axes": ([1, 0], [0, 1])}, "explicit axes"),
            ((3,), (2,), {"axes": 0}, "outer product"),
            ((1, 1), (1, 1), {"axes": 1}, "size-1"),
            (("T", (3, 4)), ("S", (4, 2)), {"axes": 1}, "non-contiguous"),
        ),
        raises=(
            ErrorCase(
                (np.ones((2, 3)), np.ones((4, 5))),
                {"axes": 1},
                ValueError,
                r"^tensordot: .*\[3\] and \[4\].*\(2, 3\) and \(4, 5\)",
            ),
        ),
    ),
    OpInfo(
        "einsum",
        _einsum,
        _einsum_reference,
        _pairs(
            ((3, 4), (4, 5), {"subscripts": "ij,jk->ik"}, "matmul"),
            ((2, 3, 4), (2, 4, 5), {"subscripts": "bij,bjk->bik"}, "batched"),
            ((4,), (4,), {"subscripts": "i,i->"}, "inner"),
            ((3,), (2,), {"subscripts": "i,j->ij"}, "outer"),
            ((3, 4), {"subscripts": "ij->ji"}, "transpose"),
            ((3, 4), {"subscripts": "ij->"}, "sum"),
            ((2, 3, 4), {"subscripts": "ijk->ik"}, "partial sum"),
            ((2, 3, 4), (4, 5), {"subscripts": "...ij,jk->...ik"}, "ellipsis"),
            ((1, 2, 3), (4, 3, 2), {"subscripts": "...ij,...jk->...ik"}, "broadcast ellipsis"),
            ((1, 2, 3), (4, 3, 2), {"subscripts": "bij,bjk->bik"}, "broadcast size-1 label"),
            ((3, 4), (4, 5), {"subscripts": "ij,jk"}, "implicit output"),
            ((2, 3), (3, 4), (4, 2), {"subscripts": "ij,jk,kl->il"}, "three operands"),
            ((3, 4), (3,), {"subscripts": "ij,i->j"}, "vector-matrix"),
            ((), (3,), {"subscripts": ",i->i"}, "0-d"),
            (("T", (3, 4)), ("S", (4, 2)), {"subscripts": "ij,jk->ik"}, "non-contiguous"),
            ((3, 3), {"subscripts": "ii->i"}, "diagonal"),
            ((4, 4), {"subscripts": "ii->"}, "trace"),
            ((3, 3), {"subscripts": "ii"}, "implicit trace"),
            ((2, 3, 3), {"subscripts": "bii->bi"}, "batched diagonal"),
            ((3, 2, 3), {"subscripts": "iji->j"}, "repeat apart"),
            ((2, 2, 2), {"subscripts": "iii->i"}, "three repeats"),
            ((3, 3), (3,), {"subscripts": "ii,i->i"}, "diagonal times vector"),
            ((2, 3), (3, 3), {"subscripts": "ij,jj->i"}, "other operand's diagonal"),
            ((1, 3, 3), (4, 3), {"subscripts": "bii,bi->b"}, "diagonal, broadcast batch"),
            (("T", (3, 3)), {"subscripts": "ii->i"}, "transposed diagonal"),
        ),
        raises=(
            ErrorCase(
                (np.ones((2, 3)), np.ones((4,))),
                {"subscripts": "ij,jk->ik"},
                ValueError,
                r"^einsum: .*\(2, 3\), \(4,\)",
            ),
            ErrorCase(
                (np.ones((2, 3)), np.ones((4, 5))),
                {"subscripts": "ij,jk->ik"},
                ValueError,
                r"^einsum: .*\(2, 3\), \(4, 5\)",
            ),
        ),
    ),
]
