"""Ops that move or select elements: reshape, transpose, concatenate, indexing, take and more."""

from typing import Any

import numpy as np

from lamina.backend import get_xp
from lamina.function import Function
from lamina.ops.core import broadcast_to, cast, convert_to_tensor, normalize_axis
from lamina.tensor import Tensor


class ReshapeOp(Function):
    shape: tuple[int, ...]

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, grad):
        # Reshaping moves no values: reshape the gradient back.
        return (grad.reshape(self.in_shape),)


def reshape(x: Any, newshape: Any) -> Tensor:
    """Give `x` a new shape with the same number of elements; one entry may be -1.

    Example:
    >>> lamina.ops.reshape(lamina.ops.arange(6), (2, -1)).shape
    (2, 3)
    """
    x = convert_to_tensor(x)
    shape = (
        (int(newshape),)
        if isinstance(newshape, int | np.integer)
        else tuple(-1 if n is None else int(n) for n in newshape)
    )
    known = int(np.prod([n for n in shape if n != -1]))
    if shape.count(-1) > 1 or (
        x.size != known if -1 not in shape else (known == 0 or x.size % known)
    ):
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
            f"into shape {shape}. Received: newshape={newshape}"
        )
    if shape == x.shape:
        return x
    return ReshapeOp.apply(x, shape=shape)


class TransposeOp(Function):
    axes: tuple[int, ...]

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, grad):
        # Transpose back with the inverse permutation.
        return (grad.transpose(np.argsort(self.axes)),)


def transpose(x: Any, axes: Any = None) -> Tensor:
    """Permute the axes of `x` (reverse them when `axes` is None)."""
    x = convert_to_tensor(x)
    if axes is None:
        axes = tuple(range(x.ndim))[::-1]
    axes = normalize_axis("transpose", tuple(axes), x.ndim)
    if len(axes) != x.ndim:
        raise ValueError(
            f"transpose: axes must list every axis of a rank-{x.ndim} tensor once. "
            f"Received: axes={axes}"
        )
    return TransposeOp.apply(x, axes=axes)


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Swap two axes of `x`."""
    x = convert_to_tensor(x)
    perm = list(range(x.ndim))
    a = normalize_axis("swapaxes", axis1, x.ndim)
    b = normalize_axis("swapaxes", axis2, x.ndim)
    if a == b:
        return x
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


def expand_dims(x: Any, axis: Any) -> Tensor:
    """Insert axes of length 1 at the positions `axis` (an int or a tuple) of the result.

    Example:
    >>> lamina.ops.expand_dims(lamina.ops.ones((3, 4)), (0, 2)).shape
    (1, 3, 1, 4)
    """
    x = convert_to_tensor(x)
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    ndim = x.ndim + len(axes)
    for a in axes:
        if not isinstance(a, int | np.integer) or not -ndim <= a < ndim:
            raise ValueError(
                f"expand_dims: axis {a!r} is out of range for a result of rank {ndim} "
                f"(a tensor of rank {x.ndim} gains {len(axes)} axes). Received: axis={axis}"
            )
    positions = sorted(normalize_axis("expand_dims", axes, ndim))
    shape = list(x.shape)
    for a in positions:
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove axes of length 1 (all of them, or those in `axis`)."""
    x = convert_to_tensor(x)
    if axis is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    axes = normalize_axis("squeeze", axis, x.ndim)
    axes = axes if isinstance(axes, tuple) else (axes,)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(
                f"squeeze: axis {a} has length {x.shape[a]}, not 1. Received: axis={axis} "
                f"for shape {x.shape}"
            )
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


class ConcatenateOp(Function):
    axis: int

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return get_xp(*xs).concatenate(xs, axis=self.axis)

    def backward(self, grad):
        # Each input gets its own slice of the gradient.
        xp = get_xp(grad)
        return tuple(xp.split(grad, np.cumsum(self.sizes)[:-1].tolist(), axis=self.axis))


def _same_dtype(op: str, xs: list) -> list[Tensor]:

    ts = [convert_to_tensor(x) for x in xs]
    if not ts:
        raise ValueError(f"{op}: expected at least one tensor. Received: an empty sequence")
    common = np.result_type(*[t.dtype for t in ts])
    return [t if t.dtype == common else cast(t, common) for t in ts]


def concatenate(xs: Any, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    ts = _same_dtype("concatenate", list(xs))
    if ts[0].ndim == 0:
        raise ValueError(
            "concatenate: 0-d tensors have no axis to join along; use stack. "
            f"Received: shapes {[t.shape for t in ts]}"
        )
    axis = normalize_axis("concatenate", axis, ts[0].ndim)
    for t in ts[1:]:
        if t.ndim != ts[0].ndim or any(
            a != b for i, (a, b) in enumerate(zip(t.shape, ts[0].shape, strict=True)) if i != axis
        ):
            raise ValueError(
                f"concatenate: all shapes must match except along axis {axis}. "
                f"Received: shapes {[u.shape for u in ts]}"
            )
    return ConcatenateOp.apply(*ts, axis=axis)


def stack(xs: Any, axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    ts = _same_dtype("stack", list(xs))
    if any(t.shape != ts[0].shape for t in ts):
        raise ValueError(
            f"stack: all tensors must have the same shape. Received: shapes {[t.shape for t in ts]}"
        )
    if not -ts[0].ndim - 1 <= axis <= ts[0].ndim:
        raise ValueError(f"stack: axis out of range for rank {ts[0].ndim}. Received: axis={axis}")
    return concatenate([expand_dims(t, axis) for t in ts], axis=axis)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Split `x` into equal sections, or at the given indices, along `axis`."""
    x = convert_to_tensor(x)
    axis = normalize_axis("split", axis, x.ndim)
    n = x.shape[axis]
    if isinstance(indices_or_sections, int | np.integer):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise ValueError(
                f"split: axis {axis} of length {n} cannot be split into {k} equal sections. "
                f"Received: indices_or_sections={k}"
            )
        bounds = [i * (n // k) for i in range(k + 1)]
    else:
        bounds = [0, *[int(i) for i in indices_or_sections], n]
    index = [slice(None)] * x.ndim
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        index[axis] = slice(lo, hi)
        parts.append(getitem(x, tuple(index)))
    return parts


class TileOp(Function):
    reps: tuple[int, ...]

    def forward(self, x):
        self.in_shape = x.shape
        return get_xp(x).tile(x, self.reps)

    def backward(self, grad):
        # Sum the gradient over the copies.
        shape = []
        for r, n in zip(self.reps, self.in_shape, strict=True):
            shape += [r, n]
        g = grad.reshape(shape).sum(axis=tuple(range(0, len(shape), 2)))
        return (g,)


def tile(x: Any, repeats: Any) -> Tensor:
    """Repeat the whole of `x` `repeats` times along each axis."""
    x = convert_to_tensor(x)
    reps = (
        (int(repeats),) if isinstance(repeats, int | np.integer) else tuple(int(r) for r in repeats)
    )
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: repeats must be non-negative. Received: repeats={repeats}")
    ndim = max(len(reps), x.ndim)
    x = reshape(x, (1,) * (ndim - x.ndim) + x.shape)
    reps = (1,) * (ndim - len(reps)) + reps
    return TileOp.apply(x, reps=reps)


class RepeatOp(Function):
    repeats: np.ndarray  # one count per element along axis
    axis: int
    repeats_b: Any  # repeats > 0, shaped to broadcast against x

    def forward(self, x):
        self.in_shape = x.shape
        # A list, not an array: CuPy takes repeats only as an int, a list or a tuple.
        return get_xp(x).repeat(x, self.repeats.tolist(), axis=self.axis)

    def backward(self, grad):
        # Sum the gradient over each element's repeats.
        xp = get_xp(grad)
        if self.repeats.size == 0:
            return (xp.zeros(self.in_shape, grad.dtype),)
        starts = np.cumsum(self.repeats) - self.repeats
        # A zero pad at the end keeps every start a valid index, so the last repeated element
        # still sums to the end when elements repeated zero times follow it.
        width = [(0, 0)] * grad.ndim
        width[self.axis] = (0, 1)
        padded = xp.pad(grad, width)
        g = xp.add.reduceat(padded, xp.asarray(starts), axis=self.axis)
        return (xp.where(xp.asarray(self.repeats_b), g, 0),)


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """Repeat each element of `x` (flattened when `axis` is None) `repeats` times."""
    x = convert_to_tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = normalize_axis("repeat", axis, x.ndim)
    n = x.shape[axis]
    try:
        reps = np.broadcast_to(np.asarray(repeats, dtype=np.int64), (n,))
    except ValueError:
        raise ValueError(
            f"repeat: repeats must be one int or one per element along axis {axis} ({n}). "
            f"Received: repeats={repeats} for shape {x.shape}"
        ) from None
    if (reps < 0).any():
        raise ValueError(f"repeat: repeats must be non-negative. Received: repeats={repeats}")
    shape = [1] * x.ndim
    shape[axis] = n
    return RepeatOp.apply(x, repeats=reps, axis=axis, repeats_b=(reps > 0).reshape(shape))


_COPY_MODES = ("edge", "reflect", "symmetric", "wrap")


class PadOp(Function):
    pad_width: list[tuple[int, int]]
    mode: str
    value: Any

    def forward(self, x):
        self.in_shape = x.shape
        xp = get_xp(x)
        if self.mode == "constant":
            return xp.pad(x, self.pad_width, mode="constant", constant_values=self.value)
        return xp.pad(x, self.pad_width, mode=self.mode)

    def backward(self, grad):
        # Each output element copies one input element: sum the gradient back onto its source.
        index = tuple(
            slice(lo, lo + n) for (lo, _), n in zip(self.pad_width, self.in_shape, strict=True)
        )
        if self.mode == "constant":
            return (grad[index],)
        xp = get_xp(grad)
        for axis, (width, n) in enumerate(zip(self.pad_width, self.in_shape, strict=True)):
            if width == (0, 0):
                continue
            source = xp.asarray(np.pad(np.arange(n), width, mode=self.mode))
            moved = xp.moveaxis(grad, axis, 0)
            folded = xp.zeros((n, *moved.shape[1:]), dtype=grad.dtype)
            xp.add.at(folded, source, moved)
            grad = xp.moveaxis(folded, 0, axis)
        return (grad,)


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Tensor:
    """Pad `x`; `pad_width` as in NumPy (`((before, after), ...)`, a pair, or one int).

    Args:
        x: the tensor.
        pad_width: the widths added before and after each axis.
        mode: `"constant"` (fill with `constant_values`, 0 by default), `"edge"`, `"reflect"`
            (mirror without repeating the edge), `"symmetric"` (mirror repeating it) or `"wrap"`.
        constant_values: the fill value; only with `mode="constant"`.

    Example:
    >>> lamina.ops.pad([1.0, 2.0, 3.0], (2, 1), mode="reflect").numpy()
    array([3., 2., 1., 2., 3., 2.], dtype=float32)
    """
    x = convert_to_tensor(x)
    if mode != "constant" and mode not in _COPY_MODES:
        raise ValueError(
            f"pad: mode must be one of {('constant', *_COPY_MODES)}. Received: mode={mode!r}"
        )
    if mode != "constant" and constant_values is not None:
        raise ValueError(
            "pad: constant_values can only be given with mode='constant'. "
            f"Received: mode={mode!r}, constant_values={constant_values!r}"
        )
    try:
        width = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width must give (before, after) for each of the {x.ndim} axes. "
            f"Received: pad_width={pad_width} for shape {x.shape}"
        ) from None
    if (width < 0).any():
        raise ValueError(f"pad: pad widths must be non-negative. Received: pad_width={pad_width}")
    widths = [tuple(int(v) for v in w) for w in width]
    if mode != "constant" and any(
        n == 0 and w != (0, 0) for n, w in zip(x.shape, widths, strict=True)
    ):
        raise ValueError(
            f"pad: mode={mode!r} cannot extend an empty axis. "
            f"Received: x.shape={x.shape}, pad_width={pad_width}"
        )
    value = 0 if constant_values is None else constant_values
    return PadOp.apply(x, pad_width=widths, mode=mode, value=value)


class CopyOp(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        # d copy(x) = dx
        return (grad,)


def copy(x: Any) -> Tensor:
    """A new tensor with the values of `x` (the gradient passes through unchanged)."""
    return CopyOp.apply(convert_to_tensor(x))


class FlipOp(Function):
    axis: int | tuple[int, ...] | None

    def forward(self, x):
        return get_xp(x).flip(x, self.axis)

    def backward(self, grad):
        # Flip the gradient back.
        return (get_xp(grad).flip(grad, self.axis),)


def flip(x: Any, axis: Any = None) -> Tensor:
    """Reverse the order of elements along `axis` (all axes when None)."""
    x = convert_to_tensor(x)
    return FlipOp.apply(x, axis=normalize_axis("flip", axis, x.ndim))


class RollOp(Function):
    shift: int | tuple[int, ...]
    axis: int | tuple[int, ...] | None

    def forward(self, x):
        return get_xp(x).roll(x, self.shift, axis=self.axis)

    def backward(self, grad):
        # Roll the gradient back by the opposite shift.
        neg = tuple(-s for s in self.shift) if isinstance(self.shift, tuple) else -self.shift
        return (get_xp(grad).roll(grad, neg, axis=self.axis),)


def roll(x: Any, shift: Any, axis: Any = None) -> Tensor:
    """Roll elements along `axis` by `shift` places (of the flattened tensor when None)."""
    x = convert_to_tensor(x)
    shift = tuple(int(s) for s in shift) if isinstance(shift, list | tuple) else int(shift)
    return RollOp.apply(x, shift=shift, axis=normalize_axis("roll", axis, x.ndim))


def _is_basic_index(key: tuple) -> bool:
    return all(k is None or k is Ellipsis or isinstance(k, int | slice | np.integer) for k in key)


class GetItemOp(Function):
    key: tuple
    basic: bool  # only ints, slices, None and Ellipsis in key

    def forward(self, x):
        self.in_shape, self.dtype = x.shape, x.dtype
        return x[self.key]

    def backward(self, grad):
        # Scatter the gradient back to the selected places; repeated indices add up.
        xp = get_xp(grad)
        out = xp.zeros(self.in_shape, dtype=grad.dtype)
        if self.basic:
            out[self.key] = grad
        else:
            xp.add.at(out, self.key, grad)
        return (out,)


def getitem(x: Any, key: Any) -> Tensor:
    """`x[key]` with NumPy's basic, integer-array and boolean indexing; differentiable."""
    x = convert_to_tensor(x)
    key = key if isinstance(key, tuple) else (key,)
    key = tuple(k.data if isinstance(k, Tensor) else k for k in key)
    key = tuple(get_xp(x.data).asarray(k) if isinstance(k, list) else k for k in key)
    try:
        return GetItemOp.apply(x, key=key, basic=_is_basic_index(key))
    except IndexError as err:
        raise IndexError(
            f"getitem: {err}. Received: key={key!r:.100} for shape {x.shape}"
        ) from None


class TakeOp(Function):
    indices: Any  # an integer array, already in [0, n)
    axis: int

    def forward(self, x):
        self.in_shape = x.shape
        return get_xp(x).take(x, self.indices, axis=self.axis)

    def backward(self, grad):
        # Scatter-add the gradient to the taken positions.
        xp = get_xp(grad)
        out = xp.zeros(self.in_shape, dtype=grad.dtype)
        xp.add.at(out, (slice(None),) * self.axis + (self.indices,), grad)
        return (out,)


def take(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """Take elements of `x` at `indices` along `axis` (of the flattened tensor when None)."""
    x = convert_to_tensor(x)
    idx = convert_to_tensor(indices).data
    if idx.dtype.kind not in "iu":
        raise TypeError(f"take: indices must be integers. Received: indices.dtype={idx.dtype}")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = normalize_axis("take", axis, x.ndim)
    n = x.shape[axis]
    if idx.size and (int(idx.max()) >= n or int(idx.min()) < -n):
        raise IndexError(
            f"take: indices must lie in [-{n}, {n}) for axis {axis} of shape {x.shape}. "
            f"Received: indices from {int(idx.min())} to {int(idx.max())}"
        )
    return TakeOp.apply(x, indices=idx % n if n else idx, axis=axis)


class TakeAlongAxisOp(Function):
    indices: Any  # an integer array of x's rank, already in [0, n)
    axis: int

    def forward(self, x):
        self.in_shape = x.shape
        return get_xp(x).take_along_axis(x, self.indices, axis=self.axis)

    def backward(self, grad):
        # Scatter-add the gradient to the taken positions.
        xp = get_xp(grad)
        out = xp.zeros(self.in_shape, dtype=grad.dtype)
        index = []
        for d, n in enumerate(self.indices.shape):
            if d == self.axis:
                index.append(self.indices)
            else:
                shape = [1] * self.indices.ndim
                shape[d] = n
                index.append(xp.arange(n).reshape(shape))
        if self.indices.shape[self.axis] == 1:  # one pick per row: no repeats, plain assignment
            out[tuple(index)] = grad
        else:
            xp.add.at(out, tuple(index), grad)
        return (out,)


def take_along_axis(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """Select values of `x` at `indices` matched along `axis`, as NumPy's `take_along_axis`."""
    x = convert_to_tensor(x)
    idx = convert_to_tensor(indices).data
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = normalize_axis("take_along_axis", axis, x.ndim)
    if idx.ndim != x.ndim:
        raise ValueError(
            f"take_along_axis: indices must have the rank of x ({x.ndim}). "
            f"Received: indices.shape={idx.shape}, x.shape={x.shape}"
        )
    n = x.shape[axis]
    if idx.size and (int(idx.max()) >= n or int(idx.min()) < -n):
        raise IndexError(
            f"take_along_axis: indices must lie in [-{n}, {n}) along axis {axis}. "
            f"Received: indices from {int(idx.min())} to {int(idx.max())}"
        )
    shape = np.broadcast_shapes(
        tuple(1 if i == axis else s for i, s in enumerate(x.shape)),
        tuple(1 if i == axis else s for i, s in enumerate(idx.shape)),
    )
    xp = get_xp(idx)
    idx = xp.broadcast_to(idx, shape[:axis] + (idx.shape[axis],) + shape[axis + 1 :]) % max(n, 1)
    target = shape[:axis] + (n,) + shape[axis + 1 :]
    if x.shape != target:
        x = broadcast_to(x, target)
    return TakeAlongAxisOp.apply(x, indices=idx, axis=axis)
