"""SimpleRNN, LSTM and GRU over whole sequences, each one op with a hand-written backward
through time.

The input projection of every time step is one matrix product; each step then does one small
matrix product and the gate arithmetic, and backward walks the steps in reverse with the saved
gates. A boolean `(batch, time)` mask makes padded steps keep the previous state and output;
`go_backwards` walks the time axis from the end (the outputs come in the order processed);
`recurrent_mask` multiplies the previous output before each recurrent product (recurrent
dropout, one mask for every step, as Keras).

With Numba, LSTM and GRU (`reset_after`) in float32 with tanh and sigmoid run each step's gate
arithmetic as one compiled call (`recurrent_kernels`); the NumPy steps below stay for the rest
(CuPy, float64, other activations, `LAMINA_JIT=0`) and give the same results.
"""

from typing import Any

import numpy as np

from lamina.backend import get_xp, jit_enabled
from lamina.function import Function
from lamina.ops import recurrent_kernels
from lamina.ops.core import convert_to_tensor, float_input
from lamina.tensor import Tensor

ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear", "hard_sigmoid")


def _act(name: str, z: Any) -> Any:
    xp = get_xp(z)
    if name == "tanh":
        return xp.tanh(z)
    if name == "sigmoid":
        return 0.5 * (xp.tanh(0.5 * z) + 1)  # finite for any z
    if name == "relu":
        return xp.maximum(z, 0)
    if name == "hard_sigmoid":
        return xp.clip(z / 6 + 0.5, 0, 1)
    return z


def _dact(name: str, y: Any) -> Any:
    """The activation's derivative, from its output `y`."""
    if name == "tanh":
        return 1 - y * y
    if name == "sigmoid":
        return y * (1 - y)
    if name == "relu":
        return (y > 0).astype(y.dtype)
    if name == "hard_sigmoid":
        return ((y > 0) & (y < 1)).astype(y.dtype) / 6
    return 1


class _RecurrentOp(Function):
    """The time loop, masks, direction and projections shared by the three cells.

    Inputs: `x (batch, time, features)`, `kernel (features, G*units)`, `recurrent_kernel
    (units, G*units)`, `bias (G*units,)`, then the initial states `(batch, units)` each. The
    output is the outputs `(batch, time, units)`, followed along time by the final states after
    the first when `all_states` (an LSTM's cell state).
    """

    mask: Any = None
    go_backwards: bool = False
    recurrent_mask: Any = None
    activation: str = "tanh"
    recurrent_activation: str = "sigmoid"
    all_states: bool = False
    has_kernels = False  # the cell has compiled steps (tanh and sigmoid)
    compiled = False  # this call ran them

    def forward(self, x, kernel, recurrent_kernel, bias, *initial):
        xp = get_xp(x)
        batch, steps, features = x.shape
        units = recurrent_kernel.shape[0]
        self.x, self.kernel, self.recurrent_kernel = x, kernel, recurrent_kernel
        self.initial = initial
        if self.use_kernels(x, kernel, recurrent_kernel, bias, *initial):
            self.compiled = True
            return self.forward_compiled(self.setup_compiled(), bias)
        xz = (x.reshape(batch * steps, features) @ kernel + bias).reshape(batch, steps, -1)
        self.states = [xp.empty((batch, steps, units), x.dtype) for _ in initial]
        self.setup(batch, steps, units, x.dtype)
        states = list(initial)
        for k in range(steps):
            t = steps - 1 - k if self.go_backwards else k
            prev = states
            h = prev[0] if self.recurrent_mask is None else prev[0] * self.recurrent_mask
            states = self.step(k, xz[:, t], h, prev)
            if self.mask is not None:
                keep = self.mask[:, t, None]
                states = [xp.where(keep, s, p) for s, p in zip(states, prev, strict=True)]
            for buffer, s in zip(self.states, states, strict=True):
                buffer[:, k] = s
        if self.all_states and len(states) > 1:
            finals = [s[:, None] for s in states[1:]]
            return xp.concatenate([self.states[0], *finals], axis=1)
        return self.states[0]

    def previous(self, i: int, k: int) -> Any:
        """State `i` before step `k` (in the order processed)."""
        return self.states[i][:, k - 1] if k else self.initial[i]

    def use_kernels(self, *arrays) -> bool:
        """Whether the compiled steps compute this call: float32 (float64 keeps NumPy's
        exact tanh), tanh and sigmoid, NumPy arrays and Numba."""
        return (
            self.has_kernels
            and (self.activation, self.recurrent_activation) == ("tanh", "sigmoid")
            and all(a.dtype == np.float32 for a in arrays)
            and jit_enabled(*arrays)
        )

    def setup_compiled(self) -> Any:
        """The projected inputs `(time, batch, G*units)`, less the bias (the kernels add it),
        and the kernels' other arguments: the inputs time-major in the order processed, the
        mask (a placeholder when absent), the recurrent-dropout factors (ones when absent), the
        recurrent kernel transposed."""
        x = self.x.transpose(1, 0, 2)
        self.x_k = x[::-1] if self.go_backwards else x  # a view: matmul takes its strides
        self.rk = np.ascontiguousarray(self.recurrent_kernel)
        self.rk_t = np.ascontiguousarray(self.recurrent_kernel.T)
        self.use_mask = self.mask is not None
        mask = self.mask if self.use_mask else np.ones((1, 1), bool)
        self.mask_k = np.ascontiguousarray(mask[:, ::-1] if self.go_backwards else mask)
        self.use_rmask = self.recurrent_mask is not None
        self.rmask = self.recurrent_mask if self.use_rmask else np.ones((1, 1), x.dtype)
        return np.matmul(self.x_k, self.kernel)

    def buffer(self, width: int) -> Any:
        """New time-major memory, `(time, batch, width)`."""
        batch, steps = self.x.shape[:2]
        return np.empty((steps, batch, width), self.x.dtype)

    def product_inputs(self) -> Any:
        """What each step's recurrent product multiplied, `(time * batch, units)` in the order
        processed: the previous output, times the recurrent-dropout factors."""
        h = np.concatenate([self.initial[0][None], self.states[0][:-1]])
        if self.use_rmask:
            h *= self.rmask
        return h.reshape(-1, h.shape[2])

    def forward_compiled(self, xz: Any, bias: Any) -> Any:
        """The op's output through the compiled steps."""
        raise NotImplementedError

    def backward_compiled(self, grad: Any) -> tuple:
        """`(d xz, d recurrent_kernel, d initial states)` from the outputs' gradient, `d xz`
        time-major."""
        raise NotImplementedError

    def backward_through_kernels(self, grad: Any) -> tuple:
        """The op's input gradients when the compiled steps ran forward."""
        steps, batch, features = self.x_k.shape
        dxz, drec, dstates = self.backward_compiled(grad)
        flat = dxz.reshape(steps * batch, -1)
        dx = (flat @ self.kernel.T).reshape(steps, batch, features)
        dx = np.ascontiguousarray((dx[::-1] if self.go_backwards else dx).transpose(1, 0, 2))
        dkernel = np.matmul(self.x_k.transpose(0, 2, 1), dxz).sum(axis=0)
        return (dx, dkernel, drec, flat.sum(axis=0), *dstates)

    def backward(self, grad):
        # Back through time: each step's state gradients give its gates' gradients, which give
        # the previous states' gradients; the weights' gradients are sums over the steps.
        if self.compiled:
            return self.backward_through_kernels(grad)
        xp = get_xp(grad)
        batch, steps, features = self.x.shape
        units = self.recurrent_kernel.shape[0]
        dstates = [xp.zeros((batch, units), grad.dtype) for _ in self.initial]
        if self.all_states:
            for i in range(1, len(dstates)):
                dstates[i] += grad[:, steps + i - 1]
        dxz = xp.empty((batch, steps, self.kernel.shape[1]), grad.dtype)
        drec = xp.zeros_like(self.recurrent_kernel)
        for k in range(steps - 1, -1, -1):
            t = steps - 1 - k if self.go_backwards else k
            dstates[0] = dstates[0] + grad[:, k]
            carry = None
            if self.mask is not None:
                keep = self.mask[:, t, None]
                carry = [d * ~keep for d in dstates]
                dstates = [d * keep for d in dstates]
            prev = [self.previous(i, k) for i in range(len(dstates))]
            h = prev[0] if self.recurrent_mask is None else prev[0] * self.recurrent_mask
            dxz[:, t], dh, dprev = self.step_backward(k, dstates, h, prev, drec)
            if self.recurrent_mask is not None:
                dh = dh * self.recurrent_mask
            dprev[0] = dprev[0] + dh
            if carry is not None:
                dprev = [d + c for d, c in zip(dprev, carry, strict=True)]
            dstates = dprev
        flat = dxz.reshape(batch * steps, -1)
        dx = (flat @ self.kernel.T).reshape(self.x.shape)
        dkernel = self.x.reshape(batch * steps, features).T @ flat
        return (dx, dkernel, drec, flat.sum(axis=0), *dstates)

    def setup(self, batch: int, steps: int, units: int, dtype: Any) -> None:
        """Allocate what `step` saves for backward."""
        raise NotImplementedError

    def step(self, k: int, xz: Any, h: Any, prev: list) -> list:
        """The new states from the projected input `xz`, the (dropped-out) output `h` and the
        previous states `prev`."""
        raise NotImplementedError

    def step_backward(self, k: int, dstates: list, h: Any, prev: list, drec: Any) -> tuple:
        """`(d xz, d h, d prev)` from the new states' gradients; adds to `drec` in place."""
        raise NotImplementedError


class SimpleRNNOp(_RecurrentOp):
    def setup(self, batch, steps, units, dtype):
        self.unmasked = get_xp(self.x).empty((batch, steps, units), dtype)

    def step(self, k, xz, h, prev):
        out = _act(self.activation, xz + h @ self.recurrent_kernel)
        self.unmasked[:, k] = out
        return [out]

    def step_backward(self, k, dstates, h, prev, drec):
        # h_t = act(xz_t + h_{t-1} R)
        dz = dstates[0] * _dact(self.activation, self.unmasked[:, k])
        drec += h.T @ dz
        return dz, dz @ self.recurrent_kernel.T, [0 * dz]


class LSTMOp(_RecurrentOp):
    has_kernels = True

    def forward_compiled(self, xz, bias):
        steps, batch, width = xz.shape
        h, c = (s.copy() for s in self.initial)
        hin, z = h * self.rmask, np.empty((batch, width), xz.dtype)
        out = np.empty((batch, steps + 1, width // 4), xz.dtype)
        self.states = [self.buffer(width // 4) for _ in range(2)]
        self.gates, self.cell_act = self.buffer(width), self.buffer(width // 4)
        for k in range(steps):
            np.matmul(hin, self.rk, out=z)
            recurrent_kernels.lstm_step(
                z, xz, bias, k, h, c, hin, self.mask_k, self.use_mask, self.rmask, self.use_rmask,
                out, *self.states, self.gates, self.cell_act,
            )  # fmt: skip
        out[:, steps] = c
        return out

    def backward_compiled(self, grad):
        steps = self.gates.shape[0]
        dxz = self.buffer(self.gates.shape[2])
        dh, dhp, dc = (
            np.zeros_like(self.initial[0]),
            np.zeros_like(self.initial[0]),
            grad[:, steps].copy(),
        )
        for k in range(steps - 1, -1, -1):
            recurrent_kernels.lstm_step_backward(
                grad, k, dh, dhp, dc, self.initial[1], self.states[1], self.gates, self.cell_act,
                self.mask_k, self.use_mask, self.rmask, self.use_rmask, dxz,
            )  # fmt: skip
            np.matmul(dxz[k], self.rk_t, out=dhp)
        drec = self.product_inputs().T @ dxz.reshape(-1, dxz.shape[2])
        return dxz, drec, [dh + dhp * self.rmask, dc]

    def setup(self, batch, steps, units, dtype):
        xp = get_xp(self.x)
        self.gates = xp.empty((batch, steps, 4 * units), dtype)  # i, f, c~, o after activation
        self.cell_act = xp.empty((batch, steps, units), dtype)  # act(c_t)

    def step(self, k, xz, h, prev):
        u = self.recurrent_kernel.shape[0]
        z = xz + h @ self.recurrent_kernel
        g = self.gates[:, k]
        g[:, : 2 * u] = _act(self.recurrent_activation, z[:, : 2 * u])
        g[:, 2 * u : 3 * u] = _act(self.activation, z[:, 2 * u : 3 * u])
        g[:, 3 * u :] = _act(self.recurrent_activation, z[:, 3 * u :])
        c = g[:, u : 2 * u] * prev[1] + g[:, :u] * g[:, 2 * u : 3 * u]
        self.cell_act[:, k] = _act(self.activation, c)
        return [g[:, 3 * u :] * self.cell_act[:, k], c]

    def step_backward(self, k, dstates, h, prev, drec):
        # c_t = f c_{t-1} + i c~, h_t = o act(c_t); gates from xz_t + h_{t-1} R
        u = self.recurrent_kernel.shape[0]
        g = self.gates[:, k]
        i, f, cc, o = g[:, :u], g[:, u : 2 * u], g[:, 2 * u : 3 * u], g[:, 3 * u :]
        ac = self.cell_act[:, k]
        dh, dc = dstates
        dc = dc + dh * o * _dact(self.activation, ac)
        dz = get_xp(dh).empty_like(g)
        rec = self.recurrent_activation
        dz[:, :u] = dc * cc * _dact(rec, i)
        dz[:, u : 2 * u] = dc * prev[1] * _dact(rec, f)
        dz[:, 2 * u : 3 * u] = dc * i * _dact(self.activation, cc)
        dz[:, 3 * u :] = dh * ac * _dact(rec, o)
        drec += h.T @ dz
        return dz, dz @ self.recurrent_kernel.T, [0 * dh, dc * f]


class GRUOp(_RecurrentOp):
    reset_after: bool = True
    has_kernels = True  # for reset_after only

    def forward(self, x, kernel, recurrent_kernel, bias, recurrent_bias, h0):
        self.rb = recurrent_bias
        return super().forward(x, kernel, recurrent_kernel, bias, h0)

    def use_kernels(self, *arrays):
        return self.reset_after and super().use_kernels(*arrays, self.rb)

    def forward_compiled(self, xz, bias):
        steps, batch, width = xz.shape
        h = self.initial[0].copy()
        hin, z = h * self.rmask, np.empty((batch, width), xz.dtype)
        out = np.empty((batch, steps, width // 3), xz.dtype)
        self.states = [self.buffer(width // 3)]
        self.gates, self.rec_h = self.buffer(width), self.buffer(width // 3)
        for k in range(steps):
            np.matmul(hin, self.rk, out=z)
            recurrent_kernels.gru_step(
                z, xz, bias, self.rb, k, h, hin, self.mask_k, self.use_mask, self.rmask,
                self.use_rmask, out, self.states[0], self.gates, self.rec_h,
            )  # fmt: skip
        return out

    def backward_compiled(self, grad):
        dxz, drz = self.buffer(self.gates.shape[2]), self.buffer(self.gates.shape[2])
        dh, dhp = np.zeros_like(self.initial[0]), np.zeros_like(self.initial[0])
        for k in range(grad.shape[1] - 1, -1, -1):
            recurrent_kernels.gru_step_backward(
                grad, k, dh, dhp, self.initial[0], self.states[0], self.gates, self.rec_h,
                self.mask_k, self.use_mask, self.rmask, self.use_rmask, dxz, drz,
            )  # fmt: skip
            np.matmul(drz[k], self.rk_t, out=dhp)
        flat = drz.reshape(-1, drz.shape[2])
        self.drb = flat.sum(axis=0)
        return dxz, self.product_inputs().T @ flat, [dh + dhp * self.rmask]

    def setup(self, batch, steps, units, dtype):
        xp = get_xp(self.x)
        self.gates = xp.empty((batch, steps, 3 * units), dtype)  # z, r, h~ after activation
        self.rec_h = xp.empty((batch, steps, units), dtype)  # what r multiplies in h~

    def step(self, k, xz, h, prev):
        u = self.recurrent_kernel.shape[0]
        rk = self.recurrent_kernel
        g = self.gates[:, k]
        if self.reset_after:
            rz = h @ rk + self.rb
            g[:, : 2 * u] = _act(self.recurrent_activation, xz[:, : 2 * u] + rz[:, : 2 * u])
            self.rec_h[:, k] = rz[:, 2 * u :]
            g[:, 2 * u :] = _act(self.activation, xz[:, 2 * u :] + g[:, u : 2 * u] * rz[:, 2 * u :])
        else:
            rz = h @ rk[:, : 2 * u]
            g[:, : 2 * u] = _act(self.recurrent_activation, xz[:, : 2 * u] + rz)
            self.rec_h[:, k] = g[:, u : 2 * u] * h
            g[:, 2 * u :] = _act(
                self.activation, xz[:, 2 * u :] + self.rec_h[:, k] @ rk[:, 2 * u :]
            )
        z, hh = g[:, :u], g[:, 2 * u :]
        return [z * prev[0] + (1 - z) * hh]

    def step_backward(self, k, dstates, h, prev, drec):
        # h_t = z h_{t-1} + (1 - z) h~
        u = self.recurrent_kernel.shape[0]
        rk = self.recurrent_kernel
        g = self.gates[:, k]
        z, r, hh = g[:, :u], g[:, u : 2 * u], g[:, 2 * u :]
        dh = dstates[0]
        rec = self.recurrent_activation
        dxz = get_xp(dh).empty_like(g)
        dxz[:, :u] = dh * (prev[0] - hh) * _dact(rec, z)
        dxz[:, 2 * u :] = dh * (1 - z) * _dact(self.activation, hh)
        if self.reset_after:
            dxz[:, u : 2 * u] = dxz[:, 2 * u :] * self.rec_h[:, k] * _dact(rec, r)
            drz = dxz.copy()
            drz[:, 2 * u :] *= r
            drec += h.T @ drz
            self.drb = drz.sum(axis=0) + getattr(self, "drb", 0)
            dh_rec = drz @ rk.T
        else:
            drh = dxz[:, 2 * u :] @ rk[:, 2 * u :].T
            dxz[:, u : 2 * u] = drh * h * _dact(rec, r)
            drec[:, : 2 * u] += h.T @ dxz[:, : 2 * u]
            drec[:, 2 * u :] += self.rec_h[:, k].T @ dxz[:, 2 * u :]
            dh_rec = dxz[:, : 2 * u] @ rk[:, : 2 * u].T + drh * r
        return dxz, dh_rec, [dh * z]

    def backward(self, grad):
        self.drb = 0
        dx, dkernel, drec, dbias, dh0 = super().backward(grad)
        drb = self.drb if self.reset_after else get_xp(grad).zeros_like(self.rb)
        return (dx, dkernel, drec, dbias, drb, dh0)


def _check(op: str, x: Tensor, weights: dict, states: dict, gates: int, options: dict) -> None:
    """Raise unless the shapes fit `x (batch, time, features)` and `units` from the recurrent
    kernel, and the activations and masks are ones the op computes."""
    if x.ndim != 3 or x.shape[1] == 0:
        raise ValueError(
            f"{op}: expected inputs of shape (batch, time >= 1, features). Received: "
            f"inputs.shape={x.shape}"
        )
    batch, steps, features = x.shape
    units = weights["recurrent_kernel"].shape[0]
    expected = {
        "kernel": (features, gates * units),
        "recurrent_kernel": (units, gates * units),
        "bias": (gates * units,),
        "recurrent_bias": (gates * units,),
        **{name: (batch, units) for name in states},
    }
    for name, t in {**weights, **states}.items():
        if t.shape != expected[name]:
            raise ValueError(
                f"{op}: expected {name} of shape {expected[name]} for inputs of shape "
                f"{x.shape} and {units} units. Received: {name}.shape={t.shape}"
            )
    for name in ("activation", "recurrent_activation"):
        if options[name] not in ACTIVATIONS:
            raise ValueError(
                f"{op}: {name} must be one of {ACTIVATIONS}. Received: {name}={options[name]!r}"
            )
    for name, shape in (("mask", (batch, steps)), ("recurrent_mask", (batch, units))):
        if options[name] is not None and tuple(options[name].shape) != shape:
            raise ValueError(
                f"{op}: expected {name} of shape {shape}. Received: {name}.shape="
                f"{tuple(options[name].shape)}"
            )


def _run(op_cls: type, name: str, inputs: tuple, states: dict, gates: int, options: dict):
    x, kernel, recurrent_kernel, bias, *extra = (float_input(name, t) for t in inputs)
    weights = {"kernel": kernel, "recurrent_kernel": recurrent_kernel, "bias": bias}
    if extra:
        weights["recurrent_bias"] = extra[0]
    states = {k: float_input(name, v) for k, v in states.items()}
    mask, rmask = options["mask"], options["recurrent_mask"]
    options = {
        **options,
        "mask": None if mask is None else convert_to_tensor(mask).data.astype(bool),
        "recurrent_mask": None if rmask is None else float_input(name, rmask).data.astype(x.dtype),
    }
    _check(name, x, weights, states, gates, options)
    out = op_cls.apply(x, *weights.values(), *states.values(), **options)
    steps = x.shape[1]
    if len(states) == 1:
        return out, out[:, steps - 1]
    return out[:, :steps], out[:, steps - 1], out[:, steps]


def simple_rnn(
    x: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any,
    initial_state: Any,
    mask: Any = None,
    go_backwards: bool = False,
    recurrent_mask: Any = None,
    activation: str = "tanh",
) -> tuple[Tensor, Tensor]:
    """Run a fully connected RNN, `h_t = activation(x_t W + b + h_{t-1} U)`, over a sequence.

    Args:
        x: inputs `(batch, time, features)`.
        kernel, recurrent_kernel, bias: `(features, units)`, `(units, units)`, `(units,)`.
        initial_state: `(batch, units)`.
        mask: booleans `(batch, time)`; a False step keeps the previous state and output.
        go_backwards: process the time steps from the last (outputs in that order).
        recurrent_mask: `(batch, units)` factors for `h_{t-1}` in the product (recurrent
            dropout).
        activation: one of `tanh`, `sigmoid`, `relu`, `linear`, `hard_sigmoid`.

    Returns:
        `(outputs (batch, time, units), final_state (batch, units))`.
    """
    options = {
        "mask": mask,
        "go_backwards": bool(go_backwards),
        "recurrent_mask": recurrent_mask,
        "activation": activation,
        "recurrent_activation": "sigmoid",
    }
    inputs = (x, kernel, recurrent_kernel, bias)
    return _run(SimpleRNNOp, "simple_rnn", inputs, {"initial_state": initial_state}, 1, options)


def lstm(
    x: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any,
    initial_h: Any,
    initial_c: Any,
    mask: Any = None,
    go_backwards: bool = False,
    recurrent_mask: Any = None,
    activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
) -> tuple[Tensor, Tensor, Tensor]:
    """Run an LSTM over a sequence, Keras's gate order `i, f, c, o` in the weights.

    Args:
        x: inputs `(batch, time, features)`.
        kernel, recurrent_kernel, bias: `(features, 4*units)`, `(units, 4*units)`,
            `(4*units,)`.
        initial_h, initial_c: the initial output and cell state, `(batch, units)` each.
        mask, go_backwards, recurrent_mask: as in `simple_rnn`.
        activation: for the candidate cell and the output (`tanh`).
        recurrent_activation: for the gates (`sigmoid`).

    Returns:
        `(outputs (batch, time, units), final h, final c)`.
    """
    options = {
        "mask": mask,
        "go_backwards": bool(go_backwards),
        "recurrent_mask": recurrent_mask,
        "activation": activation,
        "recurrent_activation": recurrent_activation,
        "all_states": True,
    }
    states = {"initial_h": initial_h, "initial_c": initial_c}
    return _run(LSTMOp, "lstm", (x, kernel, recurrent_kernel, bias), states, 4, options)


def gru(
    x: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any,
    recurrent_bias: Any,
    initial_state: Any,
    mask: Any = None,
    go_backwards: bool = False,
    recurrent_mask: Any = None,
    activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
    reset_after: bool = True,
) -> tuple[Tensor, Tensor]:
    """Run a GRU over a sequence, Keras's gate order `z, r, h` in the weights.

    Args:
        x: inputs `(batch, time, features)`.
        kernel, recurrent_kernel: `(features, 3*units)`, `(units, 3*units)`.
        bias: the input bias `(3*units,)`.
        recurrent_bias: the recurrent bias `(3*units,)`, used when `reset_after` (Keras keeps
            both as one `(2, 3*units)` weight); ignored otherwise.
        initial_state: `(batch, units)`.
        mask, go_backwards, recurrent_mask: as in `simple_rnn`.
        activation, recurrent_activation: for the candidate (`tanh`) and the gates
            (`sigmoid`).
        reset_after: apply the reset gate after the recurrent product (Keras 3's default) or
            before it.

    Returns:
        `(outputs (batch, time, units), final_state (batch, units))`.
    """
    options = {
        "mask": mask,
        "go_backwards": bool(go_backwards),
        "recurrent_mask": recurrent_mask,
        "activation": activation,
        "recurrent_activation": recurrent_activation,
        "reset_after": bool(reset_after),
    }
    inputs = (x, kernel, recurrent_kernel, bias, recurrent_bias)
    return _run(GRUOp, "gru", inputs, {"initial_state": initial_state}, 3, options)
