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


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _loop(x, mask, go_backwards, states, step):
    """Reference time loop: `step(x_t, states) -> states`; masked steps keep the states."""
    outputs = []
    steps = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    for t in steps:
        new = step(x[:, t], states)
        if mask is not None:
            new = [np.where(mask[:, t, None], n, s) for n, s in zip(new, states, strict=True)]
        states = new
        outputs.append(states[0])
    return np.stack(outputs, axis=1), states


def _ref_simple_rnn(x, w, u, b, h0, mask=None, go_backwards=False, recurrent_mask=None):
    rm = 1 if recurrent_mask is None else recurrent_mask.astype(x.dtype)
    out, (h,) = _loop(
        x, mask, go_backwards, [h0], lambda xt, s: [np.tanh(xt @ w + b + (s[0] * rm) @ u)]
    )
    return out, h


def _ref_lstm(x, w, u, b, h0, c0, mask=None, go_backwards=False, recurrent_mask=None):
    rm = 1 if recurrent_mask is None else recurrent_mask.astype(x.dtype)

    def step(xt, s):
        i, f, c, o = np.split(xt @ w + b + (s[0] * rm) @ u, 4, axis=-1)
        c = _sig(f) * s[1] + _sig(i) * np.tanh(c)
        return [_sig(o) * np.tanh(c), c]

    out, (h, c) = _loop(x, mask, go_backwards, [h0, c0], step)
    return out, h, c


def _ref_gru(x, w, u, b, rb, h0, mask=None, go_backwards=False, reset_after=True):
    def step(xt, s):
        xz, xr, xh = np.split(xt @ w + b, 3, axis=-1)
        uz, ur, uh = np.split(u, 3, axis=-1)
        if reset_after:
            rz, rr, rh = np.split(s[0] @ u + rb, 3, axis=-1)
            z, r = _sig(xz + rz), _sig(xr + rr)
            hh = np.tanh(xh + r * rh)
        else:
            z, r = _sig(xz + s[0] @ uz), _sig(xr + s[0] @ ur)
            hh = np.tanh(xh + (r * s[0]) @ uh)
        return [z * s[0] + (1 - z) * hh]

    out, (h,) = _loop(x, mask, go_backwards, [h0], step)
    return out, h


def _rnn_samples(gates, n_states, extra_bias=False, **fixed):
    def make(rng):
        def case(batch, steps, features, units, desc, view=None, **kwargs):
            arrays = [
                uniform(rng, (batch, steps, features), -1, 1),
                uniform(rng, (features, gates * units), -0.6, 0.6),
                uniform(rng, (units, gates * units), -0.6, 0.6),
                uniform(rng, (gates * units,), -0.3, 0.3),
            ]
            if extra_bias:
                arrays.append(uniform(rng, (gates * units,), -0.3, 0.3))
            arrays += [uniform(rng, (batch, units), -0.5, 0.5) for _ in range(n_states)]
            if view is not None:
                arrays[0] = view(arrays[0])
            return Sample(tuple(arrays), {**fixed, **kwargs}, desc)

        mask = np.array([[True, True, False, True], [True, False, False, False], [True] * 4])
        return [
            case(2, 3, 4, 3, "plain"),
            case(1, 1, 1, 1, "size-1"),
            case(3, 4, 2, 2, "mask", mask=mask),
            case(3, 4, 2, 2, "mask, backwards", mask=mask, go_backwards=True),
            case(2, 3, 3, 2, "transposed inputs", view=transposed),
        ]

    return make


def _rnn_errors(op, n_inputs):
    good = [np.ones((2, 3, 4)), np.ones((4, 2)), np.ones((2, 2)), np.ones(2)]
    bad_kernel = [good[0], np.ones((5, 2)), *good[2:]]
    states = [np.ones((2, 2))] * n_inputs
    return (
        ErrorCase((np.ones((2, 4)), *good[1:], *states), {}, ValueError, rf"^{op}: .*time"),
        ErrorCase((*bad_kernel, *states), {}, ValueError, rf"^{op}: expected kernel"),
    )


def _recurrent_dropout_sample(rng):
    keep = (rng.uniform(size=(2, 3)) > 0.3) / 0.7
    x = uniform(rng, (2, 3, 2), -1, 1)
    weights = [uniform(rng, s, -0.6, 0.6) for s in ((2, 12), (3, 12), (12,))]
    states = [uniform(rng, (2, 3), -0.5, 0.5) for _ in range(2)]
    return [Sample((x, *weights, *states), {"recurrent_mask": keep}, "recurrent mask")]


OPS += [
    OpInfo(
        "simple_rnn",
        ops.simple_rnn,
        _ref_simple_rnn,
        _rnn_samples(1, 1),
        raises=_rnn_errors("simple_rnn", 1),
    ),
    OpInfo(
        "lstm",
        ops.lstm,
        _ref_lstm,
        lambda rng: _rnn_samples(4, 2)(rng) + _recurrent_dropout_sample(rng),
        raises=(
            ErrorCase(
                (np.ones((2, 3, 4)), np.ones((4, 8)), np.ones((2, 8)), np.ones(8))
                + (np.ones((2, 2)),) * 2,
                {"activation": "selu"},
                ValueError,
                r"^lstm: activation must be one of",
            ),
        ),
    ),
    OpInfo(
        "gru",
        ops.gru,
        _ref_gru,
        lambda rng: (
            _rnn_samples(3, 1, extra_bias=True)(rng)
            + _rnn_samples(3, 1, extra_bias=True, reset_after=False)(rng)
        ),
    ),
]
