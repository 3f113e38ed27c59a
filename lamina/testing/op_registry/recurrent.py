"""Registry entries for the sequence primitives: embedding lookup and the recurrent layers."""

import numpy as np

from lamina import ops
from lamina.testing.op_registry.base import ErrorCase, OpInfo, Sample, transposed, uniform


def _embedding_samples(rng):
    def ids(*shape, n):
        return rng.integers(0, n, size=shape)

    return [
        Sample((ids(2, 5, n=4), uniform(rng, (4, 3))), {}, "repeated ids"),
        Sample((ids(3, n=6), transposed(uniform(rng, (6, 2)))), {}, "transposed table"),
        Sample((np.zeros((1,), np.int64), uniform(rng, (1, 1))), {}, "size-1"),
        Sample((np.array(2), uniform(rng, (3, 2))), {}, "0-d id"),
        Sample((np.array([[1.0, 0.0]]), uniform(rng, (2, 3))), {}, "whole floats", grad=False),
        Sample((ids(0, 4, n=3), uniform(rng, (3, 2))), {}, "empty"),
    ]


OPS = [
    OpInfo(
        "embedding",
        ops.embedding,
        lambda ids, table: table[np.asarray(ids).astype(np.int64)],
        _embedding_samples,
        raises=(
            ErrorCase(
                (np.array([[0, 1], [5, 0]]), np.ones((3, 2))),
                {},
                IndexError,
                r"^embedding: .*\[0, 3\).*ids\[1, 0\]=5",
            ),
            ErrorCase((np.array([-1]), np.ones((3, 2))), {}, IndexError, r"ids\[0\]=-1"),
            ErrorCase((np.array([0.5]), np.ones((3, 2))), {}, TypeError, r"^embedding: .*0\.5"),
            ErrorCase((np.array([0]), np.ones((3,))), {}, ValueError, r"^embedding: .*2-d"),
        ),
    ),
]
