"""Matrix products: matmul, dot, tensordot and einsum."""

import string
from typing import Any

import numpy as np

from lamina.backend import get_xp
from lamina.function import Function
from lamina.ops.core import broadcast_to, cast, convert_to_tensor, operands
from lamina.ops.movement import reshape, squeeze, transpose
from lamina.ops.nn import relu as relu_op
from lamina.tensor import Tensor


class MatMulOp(Function):
    """`x @ y` for x of shape (..., m, k) and y of shape (k, n) or of x's batch shape."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x @ y

    def backward(self, grad):
        # d(xy) = dx y + x dy; a 2-D y shared by the batch sums its gradient over the batch.
        x, y = self.x, self.y
        gx = grad @ y.swapaxes(-1, -2) if self.needs_grad[0] else None
        gy = None
        if self.needs_grad[1]:
            if y.ndim == 2 and x.ndim > 2:
                gy = x.reshape(-1, x.shape[-1]).T @ grad.reshape(-1, grad.shape[-1])
            else:
                gy = x.swapaxes(-1, -2) @ grad
        return gx, gy


def matmul(x1: Any, x2: Any) -> Tensor:
    """Matrix product with NumPy's rules: batched over leading axes, broadcasting, 1-D vectors.

    Example:
    >>> lamina.ops.matmul(np.ones((128, 784)), np.ones((784, 512))).shape
    (128, 512)
    """
    x, y = operands("matmul", x1, x2)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"matmul: inputs must be at least 1-D. Received shapes {x.shape} and {y.shape}"
        )
    squeeze_axes = []
    if x.ndim == 1:
        x = reshape(x, (1, x.shape[0]))
        squeeze_axes.append(-2)
    if y.ndim == 1:
        y = reshape(y, (y.shape[0], 1))
        squeeze_axes.append(-1)
    if x.shape[-1] != y.shape[-2]:
        raise ValueError(
            f"matmul: expected the last axis of x ({x.shape[-1]}) to match the second-to-last "
            f"axis of y ({y.shape[-2]}); received shapes {np.shape(x1)} and {np.shape(x2)}"
        )
    if not (y.ndim == 2 or x.shape[:-2] == y.shape[:-2]):
        try:
            batch = np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
        except ValueError:
            raise ValueError(
                f"matmul: the batch shapes {x.shape[:-2]} and {y.shape[:-2]} cannot be broadcast. "
                f"Received shapes {x.shape} and {y.shape}"
            ) from None
        if x.shape[:-2] != batch:
            x = broadcast_to(x, batch + x.shape[-2:])
        if y.shape[:-2] != batch:
            y = broadcast_to(y, batch + y.shape[-2:])
    out = MatMulOp.apply(x, y)
    if squeeze_axes:
        out = squeeze(out, tuple(a % out.ndim for a in squeeze_axes))
    return out


def dot(x1: Any, x2: Any) -> Tensor:
    """NumPy's `dot`: inner product of vectors, matrix product, or a sum over the last axis of
    `x1` and the second-to-last of `x2`."""
    x, y = operands("dot", x1, x2)
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    k = y.shape[0] if y.ndim == 1 else y.shape[-2]
    if x.shape[-1] != k:
        which = "the axis" if y.ndim == 1 else "the second-to-last axis"
        raise ValueError(
            f"dot: expected the last axis of x ({x.shape[-1]}) to match {which} of y ({k}); "
            f"received shapes {x.shape} and {y.shape}"
        )
    if y.ndim <= 2:
        return matmul(x, y)
    return tensordot(x, y, axes=([x.ndim - 1], [y.ndim - 2]))


def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Tensor:
    """Sum products over the given axes of `x1` and `x2` (NumPy's `tensordot`)."""
    x, y = operands("tensordot", x1, x2)
    if isinstance(axes, int | np.integer):
        ax = list(range(x.ndim - int(axes), x.ndim)), list(range(int(axes)))
    else:
        a, b = axes
        ax = ([a] if isinstance(a, int) else list(a)), ([b] if isinstance(b, int) else list(b))
    ax_x = [a % x.ndim for a in ax[0]]
    ax_y = [a % y.ndim for a in ax[1]]
    if [x.shape[a] for a in ax_x] != [y.shape[a] for a in ax_y]:
        raise ValueError(
            f"tensordot: the summed axes have different lengths: {[x.shape[a] for a in ax_x]} "
            f"and {[y.shape[a] for a in ax_y]}. "
            f"Received: axes={axes}, shapes {x.shape} and {y.shape}"
        )
    free_x = [i for i in range(x.ndim) if i not in ax_x]
    free_y = [i for i in range(y.ndim) if i not in ax_y]
    k = int(np.prod([x.shape[a] for a in ax_x]))
    xm = reshape(transpose(x, free_x + ax_x), (-1, k))
    ym = reshape(transpose(y, ax_y + free_y), (k, -1))
    out_shape = tuple(x.shape[i] for i in free_x) + tuple(y.shape[i] for i in free_y)
    return reshape(matmul(xm, ym), out_shape)


class EinsumOp(Function):
    equation: str
    inputs_spec: list[str]
    output_spec: str

    def forward(self, *xs):
        self.xs = xs
        return get_xp(*xs).einsum(self.equation, *xs)

    def backward(self, grad):
        # The gradient of one operand contracts the upstream gradient with all the others.
        xp = get_xp(grad)
        ins, out = self.inputs_spec, self.output_spec
        grads = []
        for i, spec in enumerate(ins):
            if not self.needs_grad[i]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(ins) if j != i]
            present = set(out).union(*others) if others else set(out)
            letters = "".join(dict.fromkeys(spec))  # spec without repeats, in order
            kept = "".join(c for c in letters if c in present)
            eq = ",".join([out, *others]) + "->" + kept
            g = xp.einsum(eq, grad, *[x for j, x in enumerate(self.xs) if j != i])
            # `kept` lists spec's letters in spec's order. Axes where this input has length 1
            # but the others are longer were broadcast: sum them. Letters only this input has,
            # and axes that broadcast on the others' side, are constant: broadcast them back.
            x_shape = self.xs[i].shape
            sizes = {c: x_shape[spec.index(c)] for c in letters}
            spread = tuple(k for k, c in enumerate(kept) if sizes[c] == 1 and g.shape[k] != 1)
            if spread:
                g = g.sum(axis=spread, keepdims=True)
            shape = [g.shape[kept.index(c)] if c in kept else 1 for c in letters]
            g = xp.broadcast_to(g.reshape(shape), tuple(sizes[c] for c in letters))
            if len(letters) != len(spec):
                g = _onto_diagonals(xp, g, letters, spec)
            grads.append(g)
        return tuple(grads)


def _onto_diagonals(xp: Any, g: Any, letters: str, spec: str) -> Any:
    """Place `g` (one axis per letter, in order of first appearance in `spec`) on the diagonals
    of an array indexed by `spec`, where letters repeat: zero off the diagonals."""
    full = tuple(g.shape[letters.index(c)] for c in spec)
    first = [spec.index(c) for c in spec]
    shape = [n if first[pos] == pos else 1 for pos, n in enumerate(full)]
    on_diagonal = None
    for pos, start in enumerate(first):
        if start != pos:  # a repeat: its index must equal the first occurrence's
            n = full[pos]
            along_first, along_repeat = [1] * len(spec), [1] * len(spec)
            along_first[start], along_repeat[pos] = n, n
            same = xp.arange(n).reshape(along_first) == xp.arange(n).reshape(along_repeat)
            on_diagonal = same if on_diagonal is None else on_diagonal & same
    return xp.where(on_diagonal, g.reshape(shape), 0)


def _expand_ellipsis(equation: str, shapes: list) -> tuple[list[str], str]:
    lhs, _, rhs = equation.replace(" ", "").partition("->")
    specs = lhs.split(",")
    spare = [c for c in string.ascii_letters if c not in equation]
    width = max(
        (
            len(s) - len(sp.replace("...", ""))
            for sp, s in zip(specs, shapes, strict=True)
            if "..." in sp
        ),
        default=0,
    )
    fill = "".join(spare[:width])
    expanded = []
    for sp, shape in zip(specs, shapes, strict=True):
        if "..." in sp:
            n = len(shape) - len(sp.replace("...", ""))
            sp = sp.replace("...", fill[width - n :])
        expanded.append(sp)
    if not _:
        letters = sorted(
            c for c in set("".join(expanded)) if "".join(expanded).count(c) == 1 and c not in fill
        )
        rhs = fill + "".join(letters)
    else:
        rhs = rhs.replace("...", fill)
    return expanded, rhs


def einsum(subscripts: str, *operands_: Any) -> Tensor:
    """Einstein summation (NumPy's `einsum`), differentiable: contractions, products, sums,
    transposes, and letters repeated within one operand (diagonals `"ii->i"`, traces `"ii->"`).

    Example:
    >>> lamina.ops.einsum("bij,jk->bik", x, w)
    """
    ts = [convert_to_tensor(x) for x in operands_]
    if len(ts) >= 2:
        common = np.result_type(*[t.dtype for t in ts])
        ts = [cast(t, common) for t in ts]
    specs, out = _expand_ellipsis(subscripts, [t.shape for t in ts])
    equation = ",".join(specs) + "->" + out
    if len(specs) != len(ts) or any(len(s) != t.ndim for s, t in zip(specs, ts, strict=False)):
        raise ValueError(
            f"einsum: the subscripts {subscripts!r} do not match the operands' ranks. "
            f"Received shapes {[t.shape for t in ts]}"
        )
    try:
        return EinsumOp.apply(*ts, equation=equation, inputs_spec=specs, output_spec=out)
    except ValueError as err:
        raise ValueError(
            f"einsum: {err}. Received: subscripts={subscripts!r}, shapes {[t.shape for t in ts]}"
        ) from None


class DenseOp(Function):
    """Fused `x @ kernel + bias` for a 2-D kernel, optionally followed by relu: one op instead
    of matmul, broadcast, add (and relu), computed in place in the fresh product (a measured 6%
    of an MLP training step)."""

    relu: bool

    def forward(self, x, kernel, bias):
        self.x, self.kernel = x, kernel
        out = x @ kernel
        out += bias
        if self.relu:
            get_xp(out).maximum(out, 0, out=out)
            self.out = out
        return out

    def backward(self, grad):
        # d relu(x W + b) = [out > 0] (dx W + x dW + db), dW and db summed over leading axes.
        if self.relu:
            grad = grad * (self.out > 0)
        x, kernel = self.x, self.kernel
        gx = grad @ kernel.T if self.needs_grad[0] else None
        flat = grad.reshape(-1, grad.shape[-1])
        gk = x.reshape(-1, x.shape[-1]).T @ flat if self.needs_grad[1] else None
        gb = flat.sum(axis=0) if self.needs_grad[2] else None
        return gx, gk, gb


def dense(x: Any, kernel: Any, bias: Any = None, relu: bool = False) -> Tensor:
    """`matmul(x, kernel) + bias` for a 2-D kernel and a 1-D bias, as one op; with `relu=True`,
    `relu(matmul(x, kernel) + bias)`.

    Example:
    >>> lamina.ops.linalg.dense(np.ones((2, 3)), np.ones((3, 4)), np.zeros(4)).shape
    (2, 4)
    """
    if bias is None or kernel.ndim != 2 or np.shape(bias) != (kernel.shape[1],):
        out = matmul(x, kernel) if bias is None else matmul(x, kernel) + bias
        return relu_op(out) if relu else out
    x, kernel = operands("dense", x, kernel)
    bias = cast(convert_to_tensor(bias), kernel.dtype)
    if x.shape[-1] != kernel.shape[0]:
        raise ValueError(
            f"dense: expected the last axis of x ({x.shape[-1]}) to match the first axis of the "
            f"kernel ({kernel.shape[0]}); received shapes {x.shape} and {kernel.shape}"
        )
    return DenseOp.apply(x, kernel, bias, relu=bool(relu))
