"""The book's IMDB LSTM (6.2): training steps of Embedding + LSTM(32) + Dense, lamina vs PyTorch.

The network: Embedding(10000, 32), LSTM(32) (or GRU(32) with `--cell gru`), Dense(1, sigmoid)
on reviews padded to 500 words; RMSprop (lr 0.001, rho 0.9, epsilon 1e-7), binary
cross-entropy, batch 128, float32. One timed step is `--steps` training batches (default 20,
2,560 reviews, in order) after a few warm-up batches.

- lamina: what a user writes: `Sequential`, `compile("rmsprop", "binary_crossentropy")`,
  `fit(x, y, batch_size=128, epochs=1, shuffle=False)`.
- torch: the same network in eager PyTorch as a torch user writes it: `nn.Embedding`,
  `nn.LSTM` / `nn.GRU` (`batch_first=True`; its GRU is Keras's `reset_after=True`),
  `nn.Linear`, `F.binary_cross_entropy_with_logits`, `torch.optim.RMSprop`; Keras's
  initialisers (uniform(-0.05, 0.05) embeddings, glorot uniform kernels, orthogonal recurrent
  kernels, zero biases but the LSTM's forget gate bias at 1).

Each side runs in its own process, alternating, with 1 BLAS thread unless `--threads` says
otherwise; the last line gives the samples/s ratio and both peak RSS.

Usage:
    LAMINA_DATA=/path/to/datasets python benchmarks/imdb_lstm.py --rounds 3
    LAMINA_DATA=/path/to/datasets python benchmarks/imdb_lstm.py --cell gru --steps 5 --rounds 1
    LAMINA_DATA=/path/to/datasets python benchmarks/imdb_lstm.py --side lamina --profile 30
"""

import argparse
import sys

import harness
import numpy as np

MAX_FEATURES, MAXLEN, UNITS, BATCH = 10000, 500, 32, 128
WARMUP_STEPS = 2
LR, RHO, EPSILON = 1e-3, 0.9, 1e-7
SEED = 0
# Different initial weights: the losses agree only roughly; this catches a side that trains
# something else.
CHECK_RTOL = 0.1


def parse_options() -> argparse.Namespace:
    """This script's own options, removed from `sys.argv` before the harness parses the rest."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--cell", choices=("lstm", "gru"), default="lstm")
    parser.add_argument("--steps", type=int, default=20, help="training batches per timed step")
    options, rest = parser.parse_known_args()
    if options.steps < 1:
        parser.error(f"expected --steps >= 1. Received: --steps={options.steps}")
    sys.argv[1:] = rest
    return options


OPTIONS = parse_options() if __name__ == "__main__" else argparse.Namespace(cell="lstm", steps=20)


def load_reviews() -> tuple[np.ndarray, np.ndarray]:
    """`(x, y)`: the first (warm-up + steps) batches of IMDB reviews, int64 (n, 500), float32."""
    from lamina.datasets import imdb
    from lamina.preprocessing.sequence import pad_sequences

    (x, y), _ = imdb.load_data(num_words=MAX_FEATURES)
    n = (WARMUP_STEPS + OPTIONS.steps) * BATCH
    return pad_sequences(x[:n], maxlen=MAXLEN).astype(np.int64), y[:n].astype(np.float32)


def lamina_side():
    """`fit` over the timed batches, after a `fit` over the warm-up batches."""
    import lamina
    from lamina import layers

    x, y = load_reviews()
    lamina.utils.set_random_seed(SEED)
    recurrent = {"lstm": layers.LSTM, "gru": layers.GRU}[OPTIONS.cell]
    model = lamina.Sequential(
        [
            layers.Embedding(MAX_FEATURES, UNITS),
            recurrent(UNITS),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    warm = WARMUP_STEPS * BATCH
    model.fit(x[:warm], y[:warm], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    x, y = x[warm:], y[warm:]
    check: dict[str, float] = {}

    def step():
        history = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        check["loss"] = history.history["loss"][-1]

    return step, check


def torch_side():
    """The same batches through eager PyTorch, after the same warm-up batches."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    x_np, y_np = load_reviews()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    torch.manual_seed(SEED)
    recurrent = {"lstm": nn.LSTM, "gru": nn.GRU}[OPTIONS.cell]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(MAX_FEATURES, UNITS)
            self.rnn = recurrent(UNITS, UNITS, batch_first=True)
            self.dense = nn.Linear(UNITS, 1)

        def forward(self, tokens):
            _, state = self.rnn(self.embedding(tokens))
            h = state[0] if isinstance(state, tuple) else state
            return self.dense(h[-1])[:, 0]

    model = Net()
    nn.init.uniform_(model.embedding.weight, -0.05, 0.05)
    gates = model.rnn.weight_ih_l0.shape[0] // UNITS
    for i in range(gates):  # Keras initialises each gate's kernel as one (units, gates*units).
        block = slice(i * UNITS, (i + 1) * UNITS)
        nn.init.orthogonal_(model.rnn.weight_hh_l0.data[block])
    nn.init.xavier_uniform_(model.rnn.weight_ih_l0)
    nn.init.zeros_(model.rnn.bias_ih_l0)
    nn.init.zeros_(model.rnn.bias_hh_l0)
    if OPTIONS.cell == "lstm":  # unit_forget_bias: torch's gate order is i, f, g, o.
        nn.init.ones_(model.rnn.bias_ih_l0.data[UNITS : 2 * UNITS])
    nn.init.xavier_uniform_(model.dense.weight)
    nn.init.zeros_(model.dense.bias)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=LR, alpha=RHO, eps=EPSILON)

    def train_step(xb, yb):
        loss = F.binary_cross_entropy_with_logits(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    for i in range(WARMUP_STEPS):
        train_step(x[i * BATCH : (i + 1) * BATCH], y[i * BATCH : (i + 1) * BATCH])
    x, y = x[WARMUP_STEPS * BATCH :], y[WARMUP_STEPS * BATCH :]
    check: dict[str, float] = {}

    def step():
        losses = [train_step(x[i : i + BATCH], y[i : i + BATCH]) for i in range(0, len(x), BATCH)]
        check["loss"] = float(np.mean(losses))

    return step, check


if __name__ == "__main__":
    samples = OPTIONS.steps * BATCH
    harness.main(
        {"lamina": lamina_side, "torch": torch_side},
        title=(
            f"imdb_lstm: {OPTIONS.steps} training batches of 128 reviews x 500 words, "
            f"Embedding(10000, 32) + {OPTIONS.cell.upper()}(32) + Dense(1), RMSprop, float32"
        ),
        speedups=[("lamina", "torch")],
        repeats=1,
        warmup=0,
        throughput=(samples, "samples"),
        check_rtol=CHECK_RTOL,
        child_args=["--cell", OPTIONS.cell, "--steps", str(OPTIONS.steps)],
    )
