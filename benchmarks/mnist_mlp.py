"""One epoch of the book's first network on MNIST: lamina's `model.fit` vs PyTorch eager vs NumPy.

The network is Deep Learning with Python's first (2.1): Dense 512 relu on 784 inputs, Dense 10
softmax, RMSprop (lr 0.001, rho 0.9, epsilon 1e-7), categorical cross-entropy on one-hot
labels, batch 128, shuffled each epoch, with the accuracy computed per batch as Keras's metric
does. Each side trains one epoch (469 steps) in its own process and reports samples per second
over that epoch; the data load, model construction and a warm-up of a few steps come first and
are not timed.

- lamina: exactly what a user writes: `Sequential`, `compile(optimizer="rmsprop", ...)`,
  `fit(x, y, epochs=1, batch_size=128, verbose=0)`.
- torch: eager PyTorch as a torch user writes it: `nn.Linear`, ReLU, `nn.Linear` giving logits,
  `F.cross_entropy` on the logits (with the one-hot rows as class-probability targets) instead
  of softmax then cross-entropy on probabilities (same math, fused), `torch.optim.RMSprop`, and
  a DataLoader-free loop over shuffled index batches of tensors sharing the NumPy arrays.
  torch's RMSprop adds epsilon outside the square root (`sqrt(v) + eps`), Keras inside
  (`sqrt(v + eps)`); with eps 1e-7 that changes the numbers slightly, not the work.
- numpy: a hand-written training step (forward, backward through softmax + cross-entropy,
  RMSprop in place in Keras's form): the floor a NumPy framework can approach.

The sides need not draw the same initial weights or shuffles (torch's generator differs), so
they agree on the epoch's loss and accuracy only roughly (see CHECK_RTOL).

Usage:
    python benchmarks/mnist_mlp.py --threads 1 --rounds 5
    python benchmarks/mnist_mlp.py --threads 2 --sides lamina,torch
    python benchmarks/mnist_mlp.py --side lamina --profile 30   # cProfile one lamina epoch
"""

import math

import harness
import numpy as np

FEATURES, HIDDEN, CLASSES = 784, 512, 10
SAMPLES, BATCH = 60000, 128
WARMUP_STEPS = 5
LR, RHO, EPSILON = 1e-3, 0.9, 1e-7
SEED = 0
# Different initial weights and shuffles: after one epoch the loss (about 0.25) and accuracy
# (about 0.93) agree to a few percent; this only catches a side that trains something else.
CHECK_RTOL = 0.1


def load_mnist() -> tuple[np.ndarray, np.ndarray]:
    """Returns the training images as (60000, 784) float32 in [0, 1] and one-hot float32 labels.

    The same arrays feed every side. The division runs in place so that the data preparation
    does not leave a second 188 MB temporary in the peak RSS.
    """
    from lamina.datasets import mnist

    (images, labels), _ = mnist.load_data()
    x = images.reshape(SAMPLES, FEATURES).astype(np.float32)
    x /= 255
    y = np.eye(CLASSES, dtype=np.float32)[labels]
    return x, y


def epoch_summary(loss_sum: float, correct: int, seen: int) -> dict[str, float]:
    """The epoch's mean loss and accuracy over the samples seen, as Keras's fit logs them."""
    return {"loss": loss_sum / seen, "accuracy": correct / seen}


def lamina_side():
    """lamina through `model.fit`, as in examples/mnist_first_network.py."""
    import lamina

    lamina.utils.set_random_seed(SEED)
    x, y = load_mnist()
    model = lamina.Sequential(
        [
            lamina.layers.Dense(HIDDEN, activation="relu", input_shape=(FEATURES,)),
            lamina.layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    warm = WARMUP_STEPS * BATCH
    model.fit(x[:warm], y[:warm], epochs=1, batch_size=BATCH, verbose=0)
    check: dict[str, float] = {}

    def epoch():
        history = model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
        check.update({key: values[-1] for key, values in history.history.items()})

    return epoch, check


def torch_side():
    """PyTorch eager: logits, F.cross_entropy, torch.optim.RMSprop, shuffled index batches."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.manual_seed(SEED)
    x_np, y_np = load_mnist()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    model = nn.Sequential(nn.Linear(FEATURES, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES))
    for layer in (model[0], model[2]):  # Keras's Dense defaults: glorot uniform, zero bias.
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=LR, alpha=RHO, eps=EPSILON)

    def train_step(xb, yb):
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)  # yb: one-hot rows as class probabilities
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        correct = (logits.argmax(dim=1) == yb.argmax(dim=1)).sum()
        return loss.item(), correct.item()

    for i in range(WARMUP_STEPS):
        train_step(x[i * BATCH : (i + 1) * BATCH], y[i * BATCH : (i + 1) * BATCH])
    check: dict[str, float] = {}

    def epoch():
        loss_sum, correct = 0.0, 0
        order = torch.randperm(SAMPLES)
        for start in range(0, SAMPLES, BATCH):
            index = order[start : start + BATCH]
            loss, hits = train_step(x[index], y[index])
            loss_sum += loss * len(index)
            correct += hits
        check.update(epoch_summary(loss_sum, correct, SAMPLES))

    return epoch, check


def numpy_trainer(rng: np.random.Generator):
    """Returns `train_step(xb, yb) -> (loss, correct)`: hand-written NumPy, updating in place.

    Forward, backward through softmax + cross-entropy fused into `(p - y) / n`, and Keras's
    RMSprop, with Keras's Dense initialisation (glorot uniform kernels, zero biases).
    """

    def glorot(fan_in, fan_out):
        limit = math.sqrt(6 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)

    params = [
        glorot(FEATURES, HIDDEN),
        np.zeros(HIDDEN, np.float32),
        glorot(HIDDEN, CLASSES),
        np.zeros(CLASSES, np.float32),
    ]
    velocities = [np.zeros_like(p) for p in params]
    scratch = [np.empty_like(p) for p in params]
    clip = np.float32(1e-7)  # Keras clips probabilities to [eps, 1 - eps] in the loss.

    def rmsprop(grad, var, velocity, s):
        # v = rho * v + (1 - rho) * g^2; var -= lr * g / sqrt(v + eps)
        np.multiply(grad, grad, out=s)
        velocity -= s
        velocity *= RHO
        velocity += s
        np.add(velocity, EPSILON, out=s)
        np.sqrt(s, out=s)
        np.divide(grad, s, out=s)
        s *= LR
        var -= s

    def train_step(xb, yb):
        w1, b1, w2, b2 = params
        n = len(xb)
        h = xb @ w1
        h += b1
        np.maximum(h, 0, out=h)
        p = h @ w2
        p += b2
        p -= p.max(axis=1, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=1, keepdims=True)
        loss = -float(np.sum(yb * np.log(np.clip(p, clip, 1 - clip)))) / n
        correct = int(np.count_nonzero(p.argmax(axis=1) == yb.argmax(axis=1)))
        # d loss / d logits of softmax + cross-entropy = (p - y) / n
        p -= yb
        p /= n
        dw2 = h.T @ p
        db2 = p.sum(axis=0)
        dh = p @ w2.T
        dh *= h > 0
        dw1 = xb.T @ dh
        db1 = dh.sum(axis=0)
        grads = (dw1, db1, dw2, db2)
        for g, var, v, s in zip(grads, params, velocities, scratch, strict=True):
            rmsprop(g, var, v, s)
        return loss, correct

    return train_step


def numpy_side():
    """The hand-written NumPy training step of `numpy_trainer`, over shuffled index batches."""
    rng = np.random.default_rng(SEED)
    x, y = load_mnist()
    train_step = numpy_trainer(rng)
    for i in range(WARMUP_STEPS):
        train_step(x[i * BATCH : (i + 1) * BATCH], y[i * BATCH : (i + 1) * BATCH])
    check: dict[str, float] = {}

    def epoch():
        loss_sum, correct = 0.0, 0
        order = rng.permutation(SAMPLES)
        for start in range(0, SAMPLES, BATCH):
            index = order[start : start + BATCH]
            loss, hits = train_step(x[index], y[index])
            loss_sum += loss * len(index)
            correct += hits
        check.update(epoch_summary(loss_sum, correct, SAMPLES))

    return epoch, check


if __name__ == "__main__":
    harness.main(
        {"numpy": numpy_side, "torch": torch_side, "lamina": lamina_side},
        title="mnist_mlp: one epoch of 784-512-10 (relu, softmax), RMSprop, batch 128, float32",
        ratios=[("lamina", "numpy")],
        speedups=[("numpy", "torch"), ("lamina", "torch")],
        repeats=1,
        warmup=0,
        throughput=(SAMPLES, "samples"),
        check_rtol=CHECK_RTOL,
    )
