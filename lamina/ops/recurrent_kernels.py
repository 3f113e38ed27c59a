"""Compiled steps of LSTM and GRU (tanh and sigmoid, float32), forward and backward in time.

Each step's small recurrent product stays a NumPy matrix product into a buffer (BLAS is faster
than a compiled loop at these sizes); one kernel call then does all of the step's gate
arithmetic, masks and recurrent dropout, with no array made per step.

Shared arguments: `k` the step in the order processed and `t` its time index; `xz (batch,
time, G*units)` the projected inputs with the bias; `mask (batch, time)` booleans (in the order
processed for backward) and `rmask (batch, units)` the recurrent-dropout factors, each read only
when its `use_` flag is set. Saved arrays `(batch, time, ...)` are in the order processed.
Backward carries `dh (batch, units)`, the gradient of the step's output but for the recurrent
product, and `dhp`, the next step's recurrent product's gradient (before dropout).
"""

from lamina.backend.jit import njit

# tanh(x) as x P(x^2) / Q(x^2) on [-9, 9] (+-1 beyond): within 4e-7 of it, float32's
# precision, and unlike libm's tanh it vectorises. sigmoid(x) = tanh(x / 2) / 2 + 1 / 2.
A1, A3, A5, A7 = (
    4.89352455891786e-03,
    6.37261928875436e-04,
    1.48572235717979e-05,
    5.12229709037114e-08,
)
A9, A11, A13 = -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16
B0, B2, B4, B6 = (
    4.89352518554385e-03,
    2.26843463243900e-03,
    1.18534705686654e-04,
    1.19825839466702e-06,
)


@njit
def lstm_step(z, xz, t, k, h, c, hin, mask, use_mask, rmask, use_rmask, hs, cs, gates, ac):
    """From `z = hin @ recurrent_kernel (batch, 4*units)`: update the states `h`, `c` and the
    next product's input `hin`; save them in `hs`, `cs`, the gates (i, f, c~, o) and `ac`
    (tanh of the cell)."""
    batch, width = z.shape
    units = width // 4
    for b in range(batch):
        for n in range(width):
            s = 1.0 if 2 * units <= n < 3 * units else 0.5  # c~ is a tanh, the rest sigmoids
            w = min(max((z[b, n] + xz[b, t, n]) * s, -9.0), 9.0)
            v = w * w
            w *= A1 + v * (A3 + v * (A5 + v * (A7 + v * (A9 + v * (A11 + v * A13)))))
            w /= B0 + v * (B2 + v * (B4 + v * B6))
            gates[b, k, n] = w * s + (1 - s)
        keep = mask[b, t] or not use_mask
        for j in range(units):
            cn = gates[b, k, units + j] * c[b, j] + gates[b, k, j] * gates[b, k, 2 * units + j]
            w = min(max(cn, -9.0), 9.0)
            v = w * w
            w *= A1 + v * (A3 + v * (A5 + v * (A7 + v * (A9 + v * (A11 + v * A13)))))
            w /= B0 + v * (B2 + v * (B4 + v * B6))
            ac[b, k, j] = w
            if keep:
                h[b, j] = gates[b, k, 3 * units + j] * w
                c[b, j] = cn
            hs[b, k, j] = h[b, j]
            cs[b, k, j] = c[b, j]
            hin[b, j] = h[b, j] * rmask[b, j] if use_rmask else h[b, j]


@njit
def lstm_step_backward(
    grad, k, dh, dhp, dc, c0, cs, gates, ac, mask, use_mask, rmask, use_rmask, dxz
):
    """Fill `dxz[:, k]`, the gates' gradients, and carry `dh`, `dc` to the step before."""
    batch, steps, width = dxz.shape
    units = width // 4
    for b in range(batch):
        for j in range(units):
            dh[b, j] += grad[b, k, j] + (dhp[b, j] * rmask[b, j] if use_rmask else dhp[b, j])
        if use_mask and not mask[b, k]:  # the states passed through: so do their gradients
            for n in range(width):
                dxz[b, k, n] = 0
            continue
        for j in range(units):
            i = gates[b, k, j]
            f = gates[b, k, units + j]
            g = gates[b, k, 2 * units + j]
            o = gates[b, k, 3 * units + j]
            a = ac[b, k, j]
            cp = cs[b, k - 1, j] if k else c0[b, j]
            d = dc[b, j] + dh[b, j] * o * (1 - a * a)
            dxz[b, k, j] = d * g * i * (1 - i)
            dxz[b, k, units + j] = d * cp * f * (1 - f)
            dxz[b, k, 2 * units + j] = d * i * (1 - g * g)
            dxz[b, k, 3 * units + j] = dh[b, j] * a * o * (1 - o)
            dc[b, j] = d * f
            dh[b, j] = 0


@njit
def gru_step(z, xz, rb, t, k, h, hin, mask, use_mask, rmask, use_rmask, hs, gates, rec):
    """From `z = hin @ recurrent_kernel (batch, 3*units)` (`reset_after`): update the state `h`
    and `hin`; save them in `hs`, the gates (z, r, h~) and `rec`, the product's candidate part
    with its bias (what r multiplies)."""
    batch, width = z.shape
    units = width // 3
    for b in range(batch):
        for n in range(2 * units):
            w = min(max(0.5 * (z[b, n] + rb[n] + xz[b, t, n]), -9.0), 9.0)
            v = w * w
            w *= A1 + v * (A3 + v * (A5 + v * (A7 + v * (A9 + v * (A11 + v * A13)))))
            w /= B0 + v * (B2 + v * (B4 + v * B6))
            gates[b, k, n] = 0.5 * w + 0.5
        keep = mask[b, t] or not use_mask
        for j in range(units):
            r = z[b, 2 * units + j] + rb[2 * units + j]
            rec[b, k, j] = r
            w = min(max(xz[b, t, 2 * units + j] + gates[b, k, units + j] * r, -9.0), 9.0)
            v = w * w
            w *= A1 + v * (A3 + v * (A5 + v * (A7 + v * (A9 + v * (A11 + v * A13)))))
            w /= B0 + v * (B2 + v * (B4 + v * B6))
            gates[b, k, 2 * units + j] = w
            u = gates[b, k, j]
            if keep:
                h[b, j] = u * h[b, j] + (1 - u) * w
            hs[b, k, j] = h[b, j]
            hin[b, j] = h[b, j] * rmask[b, j] if use_rmask else h[b, j]


@njit
def gru_step_backward(
    grad, k, dh, dhp, h0, hs, gates, rec, mask, use_mask, rmask, use_rmask, dxz, drz
):
    """Fill `dxz[:, k]` and `drz[:, k]`, the recurrent product's gradient (the candidate part
    times r), and carry `dh` to the step before."""
    batch, steps, width = dxz.shape
    units = width // 3
    for b in range(batch):
        for j in range(units):
            dh[b, j] += grad[b, k, j] + (dhp[b, j] * rmask[b, j] if use_rmask else dhp[b, j])
        if use_mask and not mask[b, k]:
            for n in range(width):
                dxz[b, k, n] = 0
                drz[b, k, n] = 0
            continue
        for j in range(units):
            u = gates[b, k, j]
            r = gates[b, k, units + j]
            g = gates[b, k, 2 * units + j]
            hp = hs[b, k - 1, j] if k else h0[b, j]
            du = dh[b, j] * (hp - g) * u * (1 - u)
            dg = dh[b, j] * (1 - u) * (1 - g * g)
            dr = dg * rec[b, k, j] * r * (1 - r)
            dxz[b, k, j] = du
            dxz[b, k, units + j] = dr
            dxz[b, k, 2 * units + j] = dg
            drz[b, k, j] = du
            drz[b, k, units + j] = dr
            drz[b, k, 2 * units + j] = dg * r
            dh[b, j] *= u
