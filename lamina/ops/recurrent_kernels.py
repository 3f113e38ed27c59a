"""Compiled steps of LSTM and GRU (tanh and sigmoid, float32), forward and backward in time.

Each step's small recurrent product stays a NumPy matrix product into a buffer (BLAS is faster
than a compiled loop at these sizes); one kernel call then does all of the step's gate
arithmetic, masks and recurrent dropout, with no array made per step.

Shared arguments: `k` the step; `xz (time, batch, G*units)` the projected inputs, `bias` theirs;
`mask (batch, time)` booleans and `rmask (batch, units)` the recurrent-dropout factors, each read
only when its `use_` flag is set; `out` and `grad (batch, time, units)` the op's outputs and
their gradient. Every array along time is in the order processed, and all but `mask`, `out`
and `grad` are time-major: each step reads and writes contiguous blocks, several times faster
than rows a sequence apart.
Backward carries `dh (batch, units)`, the gradient of the step's output but for the recurrent
product, and `dhp`, the next step's recurrent product's gradient (before dropout).
"""

import numpy as np

from lamina.backend.jit import njit

# tanh(x) as x P(x^2) / Q(x^2) on [-9, 9] (+-1 beyond): within 5e-7 of it, float32's
# precision, and unlike libm's tanh it vectorises. sigmoid(x) = tanh(x / 2) / 2 + 1 / 2. The
# constants are float32 so that the arithmetic stays float32 (twice the lanes of float64).
A1, A3, A5, A7, A9, A11, A13 = (
    np.float32(a)
    for a in (
        4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05, 5.12229709037114e-08,
        -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16,
    )
)  # fmt: skip
B0, B2, B4, B6 = (
    np.float32(b)
    for b in (
        4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04, 1.19825839466702e-06
    )
)  # fmt: skip
ONE, HALF, CLIP = np.float32(1), np.float32(0.5), np.float32(9)


@njit
def lstm_step(z, xz, bias, k, h, c, hin, mask, use_mask, rmask, use_rmask, out, hs, cs, gates, ac):
    """From `z = hin @ recurrent_kernel (batch, 4*units)`: update the states `h`, `c` and the
    next product's input `hin`; save them in `out`, `hs`, `cs`, the gates (i, f, c~, o) and
    `ac` (tanh of the cell)."""
    batch, width = z.shape
    units = width // 4
    for b in range(batch):
        for n in range(width):
            s = ONE if 2 * units <= n < 3 * units else HALF  # c~ is a tanh, the rest sigmoids
            w = min(max((z[b, n] + xz[k, b, n] + bias[n]) * s, -CLIP), CLIP)
            v = w * w
            w *= A1 + v * (A3 + v * (A5 + v * (A7 + v * (A9 + v * (A11 + v * A13)))))
            w /= B0 + v * (B2 + v * (B4 + v * B6))
            gates[k, b, n] = w * s + (ONE - s)
        keep = mask[b, k] or not use_mask
        for j in range(units):
            cn = gates[k, b, units + j] * c[b, j] + gates[k, b, j] * gates[k, b, 2 * units + j]
            w = min(max(cn, -CLIP), CLIP)
            v = w * w
            w *= A1 + v * (A3 + v * (A5 + v * (A7 + v * (A9 + v * (A11 + v * A13)))))
            w /= B0 + v * (B2 + v * (B4 + v * B6))
            ac[k, b, j] = w
            if keep:
                h[b, j] = gates[k, b, 3 * units + j] * w
                c[b, j] = cn
            out[b, k, j] = hs[k, b, j] = h[b, j]
            cs[k, b, j] = c[b, j]
            hin[b, j] = h[b, j] * rmask[b, j] if use_rmask else h[b, j]


@njit
def lstm_step_backward(
    grad, k, dh, dhp, dc, c0, cs, gates, ac, mask, use_mask, rmask, use_rmask, dxz
):
    """Fill `dxz[:, k]`, the gates' gradients, and carry `dh`, `dc` to the step before."""
    steps, batch, width = dxz.shape
    units = width // 4
    c_prev = cs[k - 1] if k else c0
    for b in range(batch):
        for j in range(units):
            dh[b, j] += grad[b, k, j] + (dhp[b, j] * rmask[b, j] if use_rmask else dhp[b, j])
        if use_mask and not mask[b, k]:  # the states passed through: so do their gradients
            for n in range(width):
                dxz[k, b, n] = 0
            continue
        for j in range(units):
            i = gates[k, b, j]
            f = gates[k, b, units + j]
            g = gates[k, b, 2 * units + j]
            o = gates[k, b, 3 * units + j]
            a = ac[k, b, j]
            d = dc[b, j] + dh[b, j] * o * (ONE - a * a)
            dxz[k, b, j] = d * g * i * (ONE - i)
            dxz[k, b, units + j] = d * c_prev[b, j] * f * (ONE - f)
            dxz[k, b, 2 * units + j] = d * i * (ONE - g * g)
            dxz[k, b, 3 * units + j] = dh[b, j] * a * o * (ONE - o)
            dc[b, j] = d * f
            dh[b, j] = 0


@njit
def gru_step(z, xz, bias, rb, k, h, hin, mask, use_mask, rmask, use_rmask, out, hs, gates, rec):
    """From `z = hin @ recurrent_kernel (batch, 3*units)` (`reset_after`): update the state `h`
    and `hin`; save them in `out`, `hs`, the gates (z, r, h~) and `rec`, the product's
    candidate part with its bias (what r multiplies)."""
    batch, width = z.shape
    units = width // 3
    for b in range(batch):
        for n in range(2 * units):
            w = min(max(HALF * (z[b, n] + rb[n] + xz[k, b, n] + bias[n]), -CLIP), CLIP)
            v = w * w
            w *= A1 + v * (A3 + v * (A5 + v * (A7 + v * (A9 + v * (A11 + v * A13)))))
            w /= B0 + v * (B2 + v * (B4 + v * B6))
            gates[k, b, n] = HALF * w + HALF
        keep = mask[b, k] or not use_mask
        for j in range(units):
            r = z[b, 2 * units + j] + rb[2 * units + j]
            rec[k, b, j] = r
            w = xz[k, b, 2 * units + j] + bias[2 * units + j] + gates[k, b, units + j] * r
            w = min(max(w, -CLIP), CLIP)
            v = w * w
            w *= A1 + v * (A3 + v * (A5 + v * (A7 + v * (A9 + v * (A11 + v * A13)))))
            w /= B0 + v * (B2 + v * (B4 + v * B6))
            gates[k, b, 2 * units + j] = w
            u = gates[k, b, j]
            if keep:
                h[b, j] = u * h[b, j] + (ONE - u) * w
            out[b, k, j] = hs[k, b, j] = h[b, j]
            hin[b, j] = h[b, j] * rmask[b, j] if use_rmask else h[b, j]


@njit
def gru_step_backward(
    grad, k, dh, dhp, h0, hs, gates, rec, mask, use_mask, rmask, use_rmask, dxz, drz
):
    """Fill `dxz[:, k]` and `drz[:, k]`, the recurrent product's gradient (the candidate part
    times r), and carry `dh` to the step before."""
    steps, batch, width = dxz.shape
    units = width // 3
    h_prev = hs[k - 1] if k else h0
    for b in range(batch):
        for j in range(units):
            dh[b, j] += grad[b, k, j] + (dhp[b, j] * rmask[b, j] if use_rmask else dhp[b, j])
        if use_mask and not mask[b, k]:
            for n in range(width):
                dxz[k, b, n] = 0
                drz[k, b, n] = 0
            continue
        for j in range(units):
            u = gates[k, b, j]
            r = gates[k, b, units + j]
            g = gates[k, b, 2 * units + j]
            du = dh[b, j] * (h_prev[b, j] - g) * u * (ONE - u)
            dg = dh[b, j] * (ONE - u) * (ONE - g * g)
            dr = dg * rec[k, b, j] * r * (ONE - r)
            dxz[k, b, j] = du
            dxz[k, b, units + j] = dr
            dxz[k, b, 2 * units + j] = dg
            drz[k, b, j] = du
            drz[k, b, units + j] = dr
            drz[k, b, 2 * units + j] = dg * r
            dh[b, j] *= u
