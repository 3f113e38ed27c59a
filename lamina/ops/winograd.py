"""Winograd's minimal filtering F(2x2, 3x3) for 3x3, stride-1 convolutions (Lavin & Gray 2015).

Each 2x2 output tile is `A^T [(G g G^T) * (B^T d B)] A` for the 4x4 input tile `d` under it
and the 3x3 kernel `g`: 16 products per tile and channel pair instead of im2col's 36. Summed
over channels, the 16 elementwise products become 16 matrix products `(tiles, C) @ (C, K)`,
one batched `matmul`. The transforms are linear, so the gradients are their adjoints applied
in reverse: the exact gradient of what the forward computed, with the same 2.25x fewer
multiplies. Inputs are channels_last, `xpad` already padded ('valid' convolution); an odd
output size gets a zero last row or column of tiles, cropped from the output.

With `jit_enabled`, compiled transforms run a few images at a time (`CHUNK`), so that the
tiles and products a chunk's transforms write stay in cache for its matrix products: on one
thread, 64x13x13x32 -> 64 filters, forward 3.4 ms vs im2col's 4.0, backward 7.3 vs 7.9
(`benchmarks/winograd_conv.py`). Otherwise a few strided NumPy/CuPy operations on whole
arrays: correct, but the transforms then read and write 4x the output's size in memory and
cost about what the fewer multiplies save (forward 4.3 ms, backward 8.7), so `ops.conv` uses
Winograd only with the compiled kernels.
"""

from typing import Any

import numpy as np

from lamina.backend import get_xp, jit_enabled
from lamina.backend.jit import njit

CHUNK = 4  # images per compiled chunk (conv2's forward: 2: 3.5 ms, 4: 3.3, 8: 3.3, 64: 3.8)

# The kernel transform; the input (B^T) and output (A^T) transforms are written out below.
_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def tile_grid(out: tuple) -> tuple[int, int]:
    """The number of 2x2 output tiles along height and width for an output of size `out`."""
    return (out[0] + 1) // 2, (out[1] + 1) // 2


def conv3x3(xpad: Any, kernel: Any, keep_tiles: bool = True) -> tuple[Any, Any]:
    """`(y, tiles)`: the 'valid' convolution of `xpad` `(N, H, W, C)` with `kernel` `(3, 3, C,
    K)`, `(N, H - 2, W - 2, K)`, and the transformed input tiles `(16, tiles, C)` that the
    gradients need (None with `keep_tiles=False`: then the compiled path reuses one chunk's
    tiles, which stay in cache, instead of writing the whole batch's)."""
    xp = get_xp(xpad)
    n, h, w, c = xpad.shape
    out, u = (h - 2, w - 2), kernel_tiles(kernel)
    if not jit_enabled(xpad, kernel):
        tiles = input_tiles(xpad, out)
        return output_from_tiles(xp.matmul(tiles, u), n, out), (tiles if keep_tiles else None)
    th, tw = tile_grid(out)
    xpad, per = np.ascontiguousarray(xpad), th * tw  # the kernel reads zeros past its end
    y = np.empty((n, *out, u.shape[-1]), dtype=xpad.dtype)
    tiles = np.empty((16, (n if keep_tiles else CHUNK) * per, c), dtype=xpad.dtype)
    m = np.empty((16, CHUNK * per, u.shape[-1]), dtype=xpad.dtype)
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        first = start if keep_tiles else 0
        v = tiles[:, first * per : (first + stop - start) * per]
        mc = m[:, : (stop - start) * per]
        _input_tiles_kernel(xpad[start:stop], th, tw, v)
        np.matmul(v, u, out=mc)
        _output_from_tiles_kernel(mc, th, tw, y[start:stop])
    return y, (tiles if keep_tiles else None)


def conv3x3_grads(grad: Any, tiles: Any, kernel: Any, padded_shape: tuple) -> tuple[Any, Any]:
    """`(dxpad, dkernel)`: the gradients of `conv3x3` from the output's gradient `grad`."""
    xp = get_xp(grad)
    u = kernel_tiles(kernel)
    if not jit_enabled(grad, tiles, kernel):
        dm = output_grad_tiles(grad)
        du = xp.matmul(tiles.transpose(0, 2, 1), dm)
        dtiles = xp.matmul(dm, u.transpose(0, 2, 1))
        return input_from_tiles(dtiles, padded_shape), kernel_from_tiles(du)
    n, oh, ow, k = grad.shape
    th, tw = tile_grid((oh, ow))
    per, c = th * tw, padded_shape[-1]
    dx = np.zeros((n, 2 * th + 2, 2 * tw + 2, c), dtype=grad.dtype)
    du, du_chunk = np.zeros((16, c, k), dtype=grad.dtype), np.empty((16, c, k), dtype=grad.dtype)
    dm = np.empty((16, CHUNK * per, k), dtype=grad.dtype)
    dv = np.empty((16, CHUNK * per, c), dtype=grad.dtype)
    grad, u_t = np.ascontiguousarray(grad), u.transpose(0, 2, 1)
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        dmc, dvc = dm[:, : (stop - start) * per], dv[:, : (stop - start) * per]
        _output_grad_tiles_kernel(grad[start:stop], th, tw, dmc)
        np.matmul(tiles[:, start * per : stop * per].transpose(0, 2, 1), dmc, out=du_chunk)
        du += du_chunk
        np.matmul(dmc, u_t, out=dvc)
        _input_from_tiles_kernel(dvc, th, tw, dx[start:stop])
    return dx[:, : padded_shape[1], : padded_shape[2]], kernel_from_tiles(du)


def kernel_tiles(kernel: Any) -> Any:
    """`(16, C, K)`: `G g G^T` of a `(3, 3, C, K)` kernel."""
    g = get_xp(kernel).asarray(_G, dtype=kernel.dtype)
    rows = (g @ kernel.reshape(3, -1)).reshape(4, 3, -1)
    return (g @ rows).reshape(16, *kernel.shape[2:])


def kernel_from_tiles(du: Any) -> Any:
    """The adjoint of `kernel_tiles`: `(3, 3, C, K)` from `(16, C, K)`."""
    g = get_xp(du).asarray(_G, dtype=du.dtype)
    rows = (g.T @ du.reshape(4, -1)).reshape(3, 4, -1)
    return (g.T @ rows).reshape(3, 3, *du.shape[1:])


# ----- the transforms and their adjoints ----------------------------------------------------


def input_tiles(xpad: Any, out: tuple) -> Any:
    """`(16, N * tiles, C)`: `B^T d B` for every 4x4 tile `d` of `xpad` (stride 2)."""
    n, c = xpad.shape[0], xpad.shape[-1]
    th, tw = tile_grid(out)
    v = get_xp(xpad).empty((16, n * th * tw, c), dtype=xpad.dtype)
    xpad = _pad_to_tiles(xpad, th, tw)
    rows = _bt([xpad[:, r : r + 2 * th : 2] for r in range(4)])
    v6 = v.reshape(4, 4, n, th, tw, c)
    for i, row in enumerate(rows):
        _bt([row[:, :, s : s + 2 * tw : 2] for s in range(4)], v6[i])
    return v


def input_from_tiles(dtiles: Any, padded_shape: tuple) -> Any:
    """The adjoint of `input_tiles`: `B dV B^T` of each tile summed into an input of
    `padded_shape`."""
    xp = get_xp(dtiles)
    n, h, w, c = padded_shape
    th, tw = tile_grid((h - 2, w - 2))
    dx = xp.zeros((n, 2 * th + 2, 2 * tw + 2, c), dtype=dtiles.dtype)
    dv = dtiles.reshape(4, 4, n, th, tw, c)
    for r, row in enumerate(_bt_adjoint(list(dv))):
        for s, part in enumerate(_bt_adjoint(list(row))):
            dx[:, r : r + 2 * th : 2, s : s + 2 * tw : 2] += part
    return dx[:, :h, :w]


def output_from_tiles(m: Any, n: int, out: tuple) -> Any:
    """`(N, *out, K)`: `A^T m A` of each tile's `(16, tiles, K)` products, cropped to `out`."""
    xp = get_xp(m)
    k = m.shape[-1]
    th, tw = tile_grid(out)
    y = xp.empty((n, *out, k), dtype=m.dtype)
    m6 = m.reshape(4, 4, n, th, tw, k)
    for i, row in enumerate(_at(list(m6))):
        for j, part in enumerate(_at(list(row))):
            y[:, i::2, j::2] = part[:, : (out[0] - i + 1) // 2, : (out[1] - j + 1) // 2]
    return y


def output_grad_tiles(grad: Any) -> Any:
    """The adjoint of `output_from_tiles`: `(16, tiles, K)` from the output's gradient."""
    xp = get_xp(grad)
    n, oh, ow, k = grad.shape
    th, tw = tile_grid((oh, ow))
    dm = xp.empty((16, n * th * tw, k), dtype=grad.dtype)
    padded = xp.zeros((n, 2 * th, 2 * tw, k), dtype=grad.dtype)
    padded[:, :oh, :ow] = grad
    dm6 = dm.reshape(4, 4, n, th, tw, k)
    for r, row in enumerate(_at_adjoint([padded[:, i::2] for i in range(2)])):
        _at_adjoint([row[:, :, j::2] for j in range(2)], dm6[r])
    return dm


def _pad_to_tiles(xpad: Any, th: int, tw: int) -> Any:
    """`xpad` with zero rows and columns at the end up to `(2 th + 2, 2 tw + 2)`."""
    extra_h, extra_w = 2 * th + 2 - xpad.shape[1], 2 * tw + 2 - xpad.shape[2]
    if not extra_h and not extra_w:
        return xpad
    return get_xp(xpad).pad(xpad, ((0, 0), (0, extra_h), (0, extra_w), (0, 0)))


def _bt(d: list, out: Any = None) -> list:
    """`B^T d` along one axis of 4 parts: `[d0 - d2, d1 + d2, d2 - d1, d1 - d3]` (into `out`)."""
    xp = get_xp(d[0])
    if out is None:
        return [d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3]]
    xp.subtract(d[0], d[2], out=out[0])
    xp.add(d[1], d[2], out=out[1])
    xp.subtract(d[2], d[1], out=out[2])
    xp.subtract(d[1], d[3], out=out[3])
    return out


def _bt_adjoint(v: list) -> list:
    """`B v` along one axis of 4 parts (the transpose of `_bt`)."""
    return [v[0], v[1] - v[2] + v[3], v[1] + v[2] - v[0], -v[3]]


def _at(m: list) -> list:
    """`A^T m` along one axis of 4 parts: `[m0 + m1 + m2, m1 - m2 - m3]`."""
    return [m[0] + m[1] + m[2], m[1] - m[2] - m[3]]


def _at_adjoint(y: list, out: Any = None) -> list:
    """`A y` along one axis of 2 parts (the transpose of `_at`), into `out` if given."""
    parts = [y[0], y[0] + y[1], y[0] - y[1], -y[1]]
    if out is None:
        return parts
    for target, part in zip(out, parts, strict=True):
        target[...] = part
    return out


# ----- compiled transforms: the same arithmetic, one tile at a time -------------------------
# Each loop over channels reads whole rows taken out of the arrays beforehand and writes one
# scratch block, copied out after: LLVM vectorizes that loop, and not one that indexes the
# arrays inside it or writes 16 rows of them (it cannot rule out aliasing; 3-5x slower).


@njit
def _input_tiles_kernel(x, th, tw, v):
    """`input_tiles` of `x` into `v`; rows and columns past the end of `x` (up to whole tiles)
    read as zeros, so the input needs no padded copy."""
    c_, height, width = x.shape[3], x.shape[1], x.shape[2]
    e = np.empty((16, c_), x.dtype)
    zero = np.zeros(c_, x.dtype)
    t = 0
    for n in range(x.shape[0]):
        for a in range(th):
            for b in range(tw):
                h, w = 2 * a, 2 * b
                rows, cols = height - h, width - w  # past the end: zeros
                x00 = x[n, h, w] if rows > 0 and cols > 0 else zero
                x01 = x[n, h, w + 1] if rows > 0 and cols > 1 else zero
                x02 = x[n, h, w + 2] if rows > 0 and cols > 2 else zero
                x03 = x[n, h, w + 3] if rows > 0 and cols > 3 else zero
                x10 = x[n, h + 1, w] if rows > 1 and cols > 0 else zero
                x11 = x[n, h + 1, w + 1] if rows > 1 and cols > 1 else zero
                x12 = x[n, h + 1, w + 2] if rows > 1 and cols > 2 else zero
                x13 = x[n, h + 1, w + 3] if rows > 1 and cols > 3 else zero
                x20 = x[n, h + 2, w] if rows > 2 and cols > 0 else zero
                x21 = x[n, h + 2, w + 1] if rows > 2 and cols > 1 else zero
                x22 = x[n, h + 2, w + 2] if rows > 2 and cols > 2 else zero
                x23 = x[n, h + 2, w + 3] if rows > 2 and cols > 3 else zero
                x30 = x[n, h + 3, w] if rows > 3 and cols > 0 else zero
                x31 = x[n, h + 3, w + 1] if rows > 3 and cols > 1 else zero
                x32 = x[n, h + 3, w + 2] if rows > 3 and cols > 2 else zero
                x33 = x[n, h + 3, w + 3] if rows > 3 and cols > 3 else zero
                for c in range(c_):
                    r00, r01 = x00[c] - x20[c], x01[c] - x21[c]
                    r02, r03 = x02[c] - x22[c], x03[c] - x23[c]
                    r10, r11 = x10[c] + x20[c], x11[c] + x21[c]
                    r12, r13 = x12[c] + x22[c], x13[c] + x23[c]
                    r20, r21 = x20[c] - x10[c], x21[c] - x11[c]
                    r22, r23 = x22[c] - x12[c], x23[c] - x13[c]
                    r30, r31 = x10[c] - x30[c], x11[c] - x31[c]
                    r32, r33 = x12[c] - x32[c], x13[c] - x33[c]
                    e[0, c], e[1, c], e[2, c], e[3, c] = r00 - r02, r01 + r02, r02 - r01, r01 - r03
                    e[4, c], e[5, c], e[6, c], e[7, c] = r10 - r12, r11 + r12, r12 - r11, r11 - r13
                    e[8, c], e[9, c], e[10, c], e[11, c] = (
                        r20 - r22,
                        r21 + r22,
                        r22 - r21,
                        r21 - r23,
                    )
                    e[12, c], e[13, c], e[14, c], e[15, c] = (
                        r30 - r32,
                        r31 + r32,
                        r32 - r31,
                        r31 - r33,
                    )
                for k in range(16):
                    v[k, t] = e[k]
                t += 1


@njit
def _output_from_tiles_kernel(m, th, tw, y):
    """`output_from_tiles` into `y`, dropping rows and columns past its end."""
    n_, oh, ow, k_ = y.shape
    e = np.empty((4, k_), y.dtype)
    t = 0
    for n in range(n_):
        for a in range(th):
            for b in range(tw):
                m0, m1, m2, m3 = m[0, t], m[1, t], m[2, t], m[3, t]
                m4, m5, m6, m7 = m[4, t], m[5, t], m[6, t], m[7, t]
                m8, m9, m10, m11 = m[8, t], m[9, t], m[10, t], m[11, t]
                m12, m13, m14, m15 = m[12, t], m[13, t], m[14, t], m[15, t]
                for k in range(k_):
                    s0, s1 = m0[k] + m4[k] + m8[k], m1[k] + m5[k] + m9[k]
                    s2, s3 = m2[k] + m6[k] + m10[k], m3[k] + m7[k] + m11[k]
                    q0, q1 = m4[k] - m8[k] - m12[k], m5[k] - m9[k] - m13[k]
                    q2, q3 = m6[k] - m10[k] - m14[k], m7[k] - m11[k] - m15[k]
                    e[0, k], e[1, k] = s0 + s1 + s2, s1 - s2 - s3
                    e[2, k], e[3, k] = q0 + q1 + q2, q1 - q2 - q3
                for i in range(2):
                    for j in range(2):
                        if 2 * a + i < oh and 2 * b + j < ow:
                            y[n, 2 * a + i, 2 * b + j] = e[2 * i + j]
                t += 1


@njit
def _output_grad_tiles_kernel(grad, th, tw, dm):
    """`output_grad_tiles` of `grad` into `dm`; past its end reads zeros."""
    n_, oh, ow, k_ = grad.shape
    e = np.empty((16, k_), grad.dtype)
    zero = np.zeros(k_, grad.dtype)
    t = 0
    for n in range(n_):
        for a in range(th):
            for b in range(tw):
                h, w = 2 * a, 2 * b
                g00 = grad[n, h, w]
                g01 = grad[n, h, w + 1] if w + 1 < ow else zero
                g10 = grad[n, h + 1, w] if h + 1 < oh else zero
                g11 = grad[n, h + 1, w + 1] if h + 1 < oh and w + 1 < ow else zero
                for k in range(k_):
                    p0, p1, q0, q1 = g00[k], g01[k], g10[k], g11[k]
                    u0, u1, z0, z1 = p0 + q0, p1 + q1, p0 - q0, p1 - q1
                    e[0, k], e[1, k], e[2, k], e[3, k] = p0, p0 + p1, p0 - p1, -p1
                    e[4, k], e[5, k], e[6, k], e[7, k] = u0, u0 + u1, u0 - u1, -u1
                    e[8, k], e[9, k], e[10, k], e[11, k] = z0, z0 + z1, z0 - z1, -z1
                    e[12, k], e[13, k], e[14, k], e[15, k] = -q0, -q0 - q1, q1 - q0, q1
                for i in range(16):
                    dm[i, t] = e[i]
                t += 1


@njit
def _input_from_tiles_kernel(dv, th, tw, dx):
    """`input_from_tiles` added into `dx` (zeroed, whole tiles)."""
    e = np.empty((16, dx.shape[3]), dx.dtype)
    t = 0
    for n in range(dx.shape[0]):
        for a in range(th):
            for b in range(tw):
                v0, v1, v2, v3 = dv[0, t], dv[1, t], dv[2, t], dv[3, t]
                v4, v5, v6, v7 = dv[4, t], dv[5, t], dv[6, t], dv[7, t]
                v8, v9, v10, v11 = dv[8, t], dv[9, t], dv[10, t], dv[11, t]
                v12, v13, v14, v15 = dv[12, t], dv[13, t], dv[14, t], dv[15, t]
                for c in range(dx.shape[3]):
                    e00, e01 = v0[c], v1[c] - v2[c] + v3[c]
                    e02, e03 = v1[c] + v2[c] - v0[c], -v3[c]
                    e10, e11 = v4[c], v5[c] - v6[c] + v7[c]
                    e12, e13 = v5[c] + v6[c] - v4[c], -v7[c]
                    e20, e21 = v8[c], v9[c] - v10[c] + v11[c]
                    e22, e23 = v9[c] + v10[c] - v8[c], -v11[c]
                    e30, e31 = v12[c], v13[c] - v14[c] + v15[c]
                    e32, e33 = v13[c] + v14[c] - v12[c], -v15[c]
                    e[0, c], e[1, c], e[2, c], e[3, c] = e00, e01, e02, e03
                    e[4, c], e[5, c] = e10 - e20 + e30, e11 - e21 + e31
                    e[6, c], e[7, c] = e12 - e22 + e32, e13 - e23 + e33
                    e[8, c], e[9, c] = e10 + e20 - e00, e11 + e21 - e01
                    e[10, c], e[11, c] = e12 + e22 - e02, e13 + e23 - e03
                    e[12, c], e[13, c], e[14, c], e[15, c] = -e30, -e31, -e32, -e33
                for r in range(4):
                    for s in range(4):
                        dx[n, 2 * a + r, 2 * b + s] += e[4 * r + s]
                t += 1
