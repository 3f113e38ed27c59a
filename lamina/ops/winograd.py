"""Winograd's minimal filtering F(2x2, 3x3) for 3x3, stride-1 convolutions (Lavin & Gray 2015).

Each 2x2 output tile is `A^T [(G g G^T) * (B^T d B)] A` for the 4x4 input tile `d` under it
and the 3x3 kernel `g`: 16 products per tile and channel pair instead of im2col's 36. Summed
over channels, the 16 elementwise products become 16 matrix products `(tiles, C) @ (C, K)`,
one batched `matmul`. The transforms are linear, so the gradients are their adjoints applied
in reverse: the exact gradient of what the forward computed, with the same 2.25x fewer
multiplies. Inputs are channels_last, `xpad` already padded ('valid' convolution); an odd
output size gets a zero last row or column of tiles, cropped from the output.

The transforms are a few strided NumPy/CuPy operations each; Numba loops over channels were
no faster (the input transform 7% faster, the three others 10-40% slower). Not used by
`ops.conv`: on the MNIST convnet's shapes, one thread (`benchmarks/winograd_conv.py`), the
16 products run at about 60% of the one large im2col product's rate (inner sizes 32 and 64),
and the transforms, memory-bound on 4x the output's size, cost what the fewer multiplies
save: forward 5.1 ms vs im2col's 4.0, backward 9.9 vs 7.8 (64x13x13x32 -> 64 filters).
"""

from typing import Any

import numpy as np

from lamina.backend import get_xp

# The kernel transform; the input (B^T) and output (A^T) transforms are written out below.
_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def tile_grid(out: tuple) -> tuple[int, int]:
    """The number of 2x2 output tiles along height and width for an output of size `out`."""
    return (out[0] + 1) // 2, (out[1] + 1) // 2


def conv3x3(xpad: Any, kernel: Any) -> tuple[Any, Any]:
    """`(y, tiles)`: the 'valid' convolution of `xpad` `(N, H, W, C)` with `kernel` `(3, 3, C,
    K)`, `(N, H - 2, W - 2, K)`, and the transformed input tiles `(16, tiles, C)` that the
    kernel's gradient needs."""
    xp = get_xp(xpad)
    n, h, w, _ = xpad.shape
    out = (h - 2, w - 2)
    tiles = input_tiles(xpad, out)
    m = xp.matmul(tiles, kernel_tiles(kernel))
    return output_from_tiles(m, n, out), tiles


def kernel_tiles(kernel: Any) -> Any:
    """`(16, C, K)`: `G g G^T` of a `(3, 3, C, K)` kernel."""
    xp = get_xp(kernel)
    g = xp.asarray(_G, dtype=kernel.dtype)
    u = xp.einsum("ip,pqck,jq->ijck", g, kernel, g, optimize=True)
    return xp.ascontiguousarray(u.reshape(16, *kernel.shape[2:]))


def kernel_grad(tiles: Any, dm: Any) -> Any:
    """`(3, 3, C, K)`: the kernel's gradient from the input `tiles` and `dm` (the gradient of
    the tile products, `output_grad_tiles`)."""
    xp = get_xp(dm)
    du = xp.matmul(tiles.transpose(0, 2, 1), dm).reshape(4, 4, tiles.shape[2], dm.shape[2])
    g = xp.asarray(_G, dtype=dm.dtype)
    return xp.einsum("ip,ijck,jq->pqck", g, du, g, optimize=True)


def input_grad(dm: Any, kernel: Any, padded_shape: tuple) -> Any:
    """The gradient of `xpad` (of `padded_shape`) from `dm` (`output_grad_tiles`)."""
    dtiles = get_xp(dm).matmul(dm, kernel_tiles(kernel).transpose(0, 2, 1))
    return input_from_tiles(dtiles, padded_shape)


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
