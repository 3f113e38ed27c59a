"""Forward and backward of a 784-512-10 MLP: lamina's engine vs hand-written NumPy vs PyTorch.

One step computes the mean softmax cross-entropy of a batch of 128 and the gradients of the
loss with respect to W1, b1, W2 and b2 (none for the input). Each side runs in its own process.

Usage:
    python benchmarks/engine_mlp.py --threads 1 --rounds 5
    python benchmarks/engine_mlp.py --sides numpy,torch   # leave a side out
"""

import math

import harness
import numpy as np

BATCH, FEATURES, HIDDEN, CLASSES = 128, 784, 512, 10
SEED = 0


def make_data() -> tuple[np.ndarray, ...]:
    """Returns x, labels, W1, b1, W2, b2: float32 arrays and int64 labels from a fixed seed."""
    rng = np.random.default_rng(SEED)

    def normal(shape, std):
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(std)

    x = normal((BATCH, FEATURES), 1.0)
    labels = rng.integers(0, CLASSES, size=BATCH, dtype=np.int64)
    w1 = normal((FEATURES, HIDDEN), math.sqrt(2 / FEATURES))
    b1 = normal(HIDDEN, 0.1)
    w2 = normal((HIDDEN, CLASSES), math.sqrt(1 / HIDDEN))
    b2 = normal(CLASSES, 0.1)
    return x, labels, w1, b1, w2, b2


def summary(loss: float, grads: list[np.ndarray]) -> dict[str, float]:
    """Returns the values every side must agree on: the loss and the global gradient norm."""
    norm = math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads))
    return {"loss": float(loss), "grad_norm": norm}


def numpy_side():
    """Hand-written forward and backward in NumPy: the reference."""
    x, labels, w1, b1, w2, b2 = make_data()
    rows = np.arange(BATCH)

    def step():
        z1 = x @ w1 + b1
        h = np.maximum(z1, 0)
        logits = h @ w2 + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -logp[rows, labels].mean()
        # d loss / d logits = (softmax - onehot) / batch
        dlogits = np.exp(logp)
        dlogits[rows, labels] -= 1
        dlogits /= BATCH
        dw2 = h.T @ dlogits
        db2 = dlogits.sum(axis=0)
        dz1 = (dlogits @ w2.T) * (z1 > 0)
        dw1 = x.T @ dz1
        db1 = dz1.sum(axis=0)
        return loss, [dw1, db1, dw2, db2]

    loss, grads = step()
    return step, summary(loss, grads)


def torch_side():
    """PyTorch eager with autograd on the weights only."""
    import torch
    import torch.nn.functional as F

    x, labels, *weights = (torch.from_numpy(a) for a in make_data())
    params = [w.requires_grad_() for w in weights]
    w1, b1, w2, b2 = params

    def step():
        for p in params:
            p.grad = None
        h = F.relu(x @ w1 + b1)
        loss = F.cross_entropy(h @ w2 + b2, labels)
        loss.backward()
        return loss

    loss = step()
    return step, summary(loss.item(), [p.grad.numpy() for p in params])


def lamina_side():
    """lamina's GradientTape, materialising every gradient as a NumPy array."""
    import lamina
    from lamina import ops

    x_np, labels, *weights = make_data()
    x = ops.convert_to_tensor(x_np)
    index = labels[:, None]
    params = [lamina.Variable(w) for w in weights]
    w1, b1, w2, b2 = params

    def step():
        with lamina.GradientTape() as tape:
            h = ops.relu(ops.matmul(x, w1) + b1)
            logits = ops.matmul(h, w2) + b2
            logp = ops.log_softmax(logits, axis=-1)
            loss = -ops.mean(ops.take_along_axis(logp, index, axis=-1))
        grads = tape.gradient(loss, params)
        return loss.numpy(), [g.numpy() for g in grads]

    loss, grads = step()
    return step, summary(loss, grads)


if __name__ == "__main__":
    harness.main(
        {"numpy": numpy_side, "torch": torch_side, "lamina": lamina_side},
        title="engine_mlp: 784-512-10 MLP forward+backward, batch 128, float32",
        ratios=[("lamina", "numpy")],
        speedups=[("numpy", "torch"), ("lamina", "torch")],
    )
