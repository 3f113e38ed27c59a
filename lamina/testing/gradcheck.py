"""Gradient checking: analytic gradients from the tape against float64 central differences."""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lamina.backend import to_device, to_numpy
from lamina.function import no_grad
from lamina.gradient_tape import GradientTape
from lamina.ops.core import convert_to_tensor
from lamina.tensor import Tensor


class GradientCheckError(AssertionError):
    """An analytic gradient disagrees with the numeric one (or could not be compared)."""


def check_gradients(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    *,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    eps: float = 1e-6,
    max_full_jacobian: int = 64,
    wrt: Sequence[int] | None = None,
    seed: int = 0,
) -> None:
    """Check the gradients of `fn` at `inputs` against central differences in float64.

    Float inputs are cast to float64 (keeping their memory layout, so non-contiguous arrays
    stay non-contiguous); other inputs (integer indices, boolean masks) are passed through
    and not differentiated. When every checked input and the output together hold at most
    `max_full_jacobian` elements, the full Jacobian is compared entry by entry. Otherwise the
    output is projected on a random (seeded) cotangent, and each input is checked element by
    element if it is small, or along one random direction if it is large.

    Args:
        fn: maps lamina tensors (one per input) to a tensor or a list/tuple of tensors.
        inputs: arrays, nested lists, scalars or tensors.
        atol: absolute tolerance; an entry fails when `|analytic - numeric| > atol + rtol *
            |numeric|`.
        rtol: relative tolerance.
        eps: the central-difference step.
        max_full_jacobian: the size up to which whole Jacobians (and per-element gradients)
            are formed.
        wrt: indices of the inputs to check (default: every float input).
        seed: seeds the random cotangent and directions.

    Raises:
        GradientCheckError: naming the input, the element (or direction) and the analytic and
            numeric values of the worst mismatch.
        TypeError: if `fn` returns something other than float tensors.

    Example:
    >>> check_gradients(lambda x, y: lamina.ops.sum(x * y), [np.ones(3), np.arange(3.0)])
    """
    arrays = [_as_float64(x) for x in inputs]
    if wrt is None:
        wrt = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    for i in wrt:
        if arrays[i].dtype.kind != "f":
            raise TypeError(
                f"check_gradients: input {i} is not a float array and cannot be differentiated. "
                f"Received: dtype={arrays[i].dtype}"
            )
    if not wrt:
        raise ValueError("check_gradients: no float input to differentiate. Received: wrt=[]")
    outputs, analytic = _record(fn, arrays, wrt)
    out_shapes = [o.shape for o in outputs]
    n_out = sum(int(np.prod(s)) for s in out_shapes)
    n_in = sum(arrays[i].size for i in wrt)
    ctx = _Context(fn, arrays, out_shapes, eps, atol, rtol)
    if n_in <= max_full_jacobian and n_out <= max_full_jacobian:
        _check_full_jacobian(ctx, wrt, analytic)
        return
    rng = np.random.default_rng(seed)
    cotangent = [rng.standard_normal(s) for s in out_shapes]
    grads = analytic(cotangent)
    for i in wrt:
        if arrays[i].size <= max_full_jacobian:
            _check_elementwise(ctx, i, grads[i], cotangent)
        else:
            _check_direction(ctx, i, grads[i], cotangent, rng)


class _Context:
    """What every comparison needs: the function, the point and the tolerances."""

    def __init__(self, fn, arrays, out_shapes, eps, atol, rtol):
        self.fn, self.arrays, self.out_shapes = fn, arrays, out_shapes
        self.eps, self.atol, self.rtol = eps, atol, rtol

    def evaluate(self, i: int, delta: np.ndarray) -> list[np.ndarray]:
        """The outputs, as float64 NumPy arrays, with input `i` moved by `delta`."""
        arrays = list(self.arrays)
        arrays[i] = arrays[i] + delta
        with no_grad():
            outs = _outputs(self.fn(*[convert_to_tensor(to_device(a)) for a in arrays]))
        return [to_numpy(o.data).astype(np.float64) for o in outs]

    def central(self, i: int, delta: np.ndarray) -> list[np.ndarray]:
        """Central-difference derivative of each output along `delta` in input `i`."""
        plus = self.evaluate(i, delta * self.eps)
        minus = self.evaluate(i, -delta * self.eps)
        return [(p - m) / (2 * self.eps) for p, m in zip(plus, minus, strict=True)]

    def fail_mask(self, analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
        bad = np.abs(analytic - numeric) > self.atol + self.rtol * np.abs(numeric)
        return bad | ~np.isfinite(analytic) | ~np.isfinite(numeric)

    def tolerance(self) -> str:
        return f"atol={self.atol:g}, rtol={self.rtol:g}, eps={self.eps:g}"


def _as_float64(x: Any) -> np.ndarray:
    arr = to_numpy(x.data) if isinstance(x, Tensor) else np.asarray(x)
    if arr.dtype.kind == "f":
        arr = arr.astype(np.float64, copy=False)
    return arr


def _outputs(result: Any) -> list[Tensor]:
    outs = list(result) if isinstance(result, list | tuple) else [result]
    for o in outs:
        if not isinstance(o, Tensor) or o.dtype.kind != "f":
            kind = type(o).__name__ if not isinstance(o, Tensor) else f"a {o.dtype} tensor"
            raise TypeError(
                "check_gradients: fn must return float tensors (or a list of them). "
                f"Received: {kind}"
            )
    return outs


def _record(fn, arrays, wrt):
    """Run `fn` once under a persistent tape; return its outputs and a VJP function."""
    tensors = [convert_to_tensor(to_device(a)) for a in arrays]
    with GradientTape(persistent=True) as tape:
        tape.watch([tensors[i] for i in wrt])
        outputs = _outputs(fn(*tensors))

    def vjp(cotangent: list[np.ndarray]) -> dict[int, np.ndarray]:
        seeds = [to_device(c) for c in cotangent]
        grads = tape.gradient(outputs, [tensors[i] for i in wrt], output_gradients=seeds)
        out = {}
        for i, g in zip(wrt, grads, strict=True):
            if g is None:
                out[i] = np.zeros(arrays[i].shape)
                continue
            if g.shape != arrays[i].shape or g.dtype != np.float64:
                raise GradientCheckError(
                    f"check_gradients: the gradient of input {i} has shape {g.shape} and dtype "
                    f"{g.dtype}; expected shape {arrays[i].shape} and dtype float64"
                )
            out[i] = g.numpy()
        return out

    return outputs, vjp


def _check_full_jacobian(ctx: _Context, wrt: Sequence[int], vjp) -> None:
    sizes = [int(np.prod(s)) for s in ctx.out_shapes]
    n_out = sum(sizes)
    rows: dict[int, list[np.ndarray]] = {i: [] for i in wrt}
    for r in range(n_out):  # one backward pass per output element
        onehot = np.zeros(n_out)
        onehot[r] = 1.0
        grads = vjp(_split(onehot, ctx.out_shapes))
        for i in wrt:
            rows[i].append(grads[i].ravel())
    for i in wrt:
        x = ctx.arrays[i]
        analytic = np.stack(rows[i]) if n_out else np.zeros((0, x.size))
        numeric = np.zeros((n_out, x.size))
        for j in range(x.size):  # two forward passes per input element
            delta = np.zeros(x.size)
            delta[j] = 1.0
            cols = ctx.central(i, delta.reshape(x.shape))
            numeric[:, j] = np.concatenate([c.ravel() for c in cols]) if cols else []
        bad = ctx.fail_mask(analytic, numeric)
        if bad.any():
            r, j = _worst(analytic, numeric, bad)
            raise GradientCheckError(
                f"check_gradients: the Jacobian of input {i} (shape {x.shape}) disagrees at "
                f"element {_index(j, x.shape)} for output element {_output_index(r, ctx)}: "
                f"analytic {float(analytic[r, j])!r}, numeric {float(numeric[r, j])!r} "
                f"({int(bad.sum())} of {bad.size} entries out of tolerance; {ctx.tolerance()})"
            )


def _check_elementwise(ctx: _Context, i: int, grad: np.ndarray, cotangent) -> None:
    x = ctx.arrays[i]
    numeric = np.zeros(x.size)
    for j in range(x.size):
        delta = np.zeros(x.size)
        delta[j] = 1.0
        cols = ctx.central(i, delta.reshape(x.shape))
        numeric[j] = sum(float(np.sum(c * v)) for c, v in zip(cols, cotangent, strict=True))
    analytic = grad.ravel()
    bad = ctx.fail_mask(analytic, numeric)
    if bad.any():
        (j,) = _worst(analytic, numeric, bad)
        raise GradientCheckError(
            f"check_gradients: the gradient of input {i} (shape {x.shape}) disagrees at element "
            f"{_index(j, x.shape)} (for a random output cotangent): "
            f"analytic {float(analytic[j])!r}, numeric {float(numeric[j])!r} "
            f"({int(bad.sum())} of {bad.size} elements out of tolerance; {ctx.tolerance()})"
        )


def _check_direction(ctx: _Context, i: int, grad: np.ndarray, cotangent, rng) -> None:
    x = ctx.arrays[i]
    direction = rng.standard_normal(x.shape)
    direction /= np.linalg.norm(direction)
    cols = ctx.central(i, direction)
    numeric = sum(float(np.sum(c * v)) for c, v in zip(cols, cotangent, strict=True))
    analytic = float(np.sum(grad * direction))
    if ctx.fail_mask(np.array(analytic), np.array(numeric)):
        raise GradientCheckError(
            f"check_gradients: the gradient of input {i} (shape {x.shape}) disagrees along a "
            f"random direction (for a random output cotangent): analytic directional "
            f"derivative {analytic!r}, numeric {numeric!r} ({ctx.tolerance()})"
        )


def _split(flat: np.ndarray, shapes: list[tuple]) -> list[np.ndarray]:
    out, start = [], 0
    for s in shapes:
        n = int(np.prod(s))
        out.append(flat[start : start + n].reshape(s))
        start += n
    return out


def _worst(analytic: np.ndarray, numeric: np.ndarray, bad: np.ndarray) -> tuple[int, ...]:
    err = np.where(bad, np.abs(analytic - numeric), -1.0)
    err = np.where(np.isnan(err), np.inf, err)
    return np.unravel_index(int(np.argmax(err)), err.shape)


def _index(j: int, shape: tuple) -> tuple[int, ...]:
    return tuple(int(k) for k in np.unravel_index(j, shape)) if shape else ()


def _output_index(r: int, ctx: _Context) -> str:
    for k, s in enumerate(ctx.out_shapes):
        n = int(np.prod(s))
        if r < n:
            where = _index(r, s)
            return f"{where} of output {k}" if len(ctx.out_shapes) > 1 else str(where)
        r -= n
    return str(r)
