"""The book's MNIST convnet (5.1): one epoch of `fit` and a `predict` on 10,000 images, lamina
vs PyTorch eager.

The network: Conv2D(32, 3, relu) on (28, 28, 1), MaxPooling2D(2), Conv2D(64, 3, relu),
MaxPooling2D(2), Conv2D(64, 3, relu), Flatten, Dense(64, relu), Dense(10, softmax); RMSprop
(lr 0.001, rho 0.9, epsilon 1e-7), sparse categorical cross-entropy, batch 64, float32.

- lamina: what a user writes: `Sequential`, `compile("rmsprop", ...)`, `fit(..., epochs=1,
  batch_size=64)`, `predict(x_test, batch_size=64)`; channels_last, as Keras.
- torch: the same network in eager PyTorch as a torch user writes it (channels_first, its
  native layout), Keras's initialisers (glorot uniform, zero biases), logits with
  `F.cross_entropy`, `torch.optim.RMSprop`, shuffled index batches; `predict` is the forward
  pass and softmax under `torch.inference_mode()`.

The training run and the inference run are two harness sessions (`--task train` and
`--task predict`), each alternating the sides in their own processes; the parent runs both
and prints, last, both ratios and the peak RSS of the training processes.

Usage:
    python benchmarks/mnist_convnet.py --threads 1 --rounds 3
    python benchmarks/mnist_convnet.py --samples 6400 --rounds 1     # a quick run
    python benchmarks/mnist_convnet.py --task train --side lamina --profile 30
"""

import argparse
import sys

import harness
import numpy as np

BATCH, CLASSES, TEST_IMAGES = 64, 10, 10000
WARMUP_STEPS = 5
LR, RHO, EPSILON = 1e-3, 0.9, 1e-7
SEED = 0
# Different initial weights and shuffles: the epoch's loss and accuracy agree only roughly;
# this only catches a side that trains something else.
CHECK_RTOL = 0.25


def parse_options() -> argparse.Namespace:
    """This script's own options, removed from `sys.argv` before the harness parses the rest."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--samples", type=int, default=60000, help="training images per epoch")
    parser.add_argument("--task", choices=("train", "predict"), help="one session only")
    options, rest = parser.parse_known_args()
    if not 0 < options.samples <= 60000:
        parser.error(f"expected 1 <= --samples <= 60000. Received: --samples={options.samples}")
    sys.argv[1:] = rest
    return options


OPTIONS = parse_options() if __name__ == "__main__" else argparse.Namespace(samples=60000)


def load_images(train: bool) -> tuple[np.ndarray, np.ndarray]:
    """`(images, labels)`: float32 (n, 28, 28, 1) in [0, 1] and int64 labels."""
    from lamina.datasets import mnist

    (x, y), (x_test, y_test) = mnist.load_data()
    if train:
        x, y = x[: OPTIONS.samples], y[: OPTIONS.samples]
    else:
        x, y = x_test[:TEST_IMAGES], y_test[:TEST_IMAGES]
    images = x.reshape(len(x), 28, 28, 1).astype(np.float32)
    images /= 255
    return images, y.astype(np.int64)


def lamina_model():
    import lamina
    from lamina import layers

    lamina.utils.set_random_seed(SEED)
    model = lamina.Sequential(
        [
            layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def torch_model():
    import torch
    from torch import nn

    torch.manual_seed(SEED)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(64 * 3 * 3, 64),
        nn.ReLU(),
        nn.Linear(64, CLASSES),
    )
    for layer in model:  # Keras's defaults: glorot uniform kernels, zero biases.
        if isinstance(layer, nn.Conv2d | nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return model


def lamina_train():
    """One epoch of `model.fit`, after a few warm-up steps."""
    x, y = load_images(train=True)
    model = lamina_model()
    warm = WARMUP_STEPS * BATCH
    model.fit(x[:warm], y[:warm], epochs=1, batch_size=BATCH, verbose=0)
    check: dict[str, float] = {}

    def epoch():
        history = model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
        check.update({key: values[-1] for key, values in history.history.items()})

    return epoch, check


def torch_train():
    """One epoch of eager PyTorch over shuffled index batches, after a few warm-up steps."""
    import torch
    import torch.nn.functional as F

    x_np, y_np = load_images(train=True)
    x, y = torch.from_numpy(x_np.transpose(0, 3, 1, 2).copy()), torch.from_numpy(y_np)
    model = torch_model()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=LR, alpha=RHO, eps=EPSILON)

    def train_step(xb, yb):
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item(), (logits.argmax(dim=1) == yb).sum().item()

    for i in range(WARMUP_STEPS):
        train_step(x[i * BATCH : (i + 1) * BATCH], y[i * BATCH : (i + 1) * BATCH])
    check: dict[str, float] = {}

    def epoch():
        loss_sum, correct = 0.0, 0
        order = torch.randperm(len(x))
        for start in range(0, len(x), BATCH):
            index = order[start : start + BATCH]
            loss, hits = train_step(x[index], y[index])
            loss_sum += loss * len(index)
            correct += hits
        check.update({"loss": loss_sum / len(x), "accuracy": correct / len(x)})

    return epoch, check


def lamina_predict():
    x, _ = load_images(train=False)
    model = lamina_model()
    model.predict(x[: WARMUP_STEPS * BATCH], batch_size=BATCH, verbose=0)
    check: dict[str, float] = {}

    def run():
        check["probability_sum"] = float(model.predict(x, batch_size=BATCH, verbose=0).sum())

    return run, check


def torch_predict():
    import torch

    x_np, _ = load_images(train=False)
    x = torch.from_numpy(x_np.transpose(0, 3, 1, 2).copy())
    model = torch_model().eval()

    def predict(images):
        with torch.inference_mode():
            batches = [
                model(images[i : i + BATCH]).softmax(dim=1) for i in range(0, len(images), BATCH)
            ]
            return torch.cat(batches).numpy()

    predict(x[: WARMUP_STEPS * BATCH])
    check: dict[str, float] = {}

    def run():
        check["probability_sum"] = float(predict(x).sum())

    return run, check


TASKS = {
    "train": ({"lamina": lamina_train, "torch": torch_train}, "samples"),
    "predict": ({"lamina": lamina_predict, "torch": torch_predict}, "images"),
}


def session(task: str) -> dict | None:
    sides, unit = TASKS[task]
    items = OPTIONS.samples if task == "train" else TEST_IMAGES
    what = f"one epoch of fit on {items} images" if task == "train" else f"predict {items}"
    return harness.main(
        sides,
        title=f"mnist_convnet ({task}): {what}, book 5.1 network, RMSprop, batch 64, float32",
        speedups=[("lamina", "torch")],
        repeats=1,
        warmup=0,
        throughput=(items, unit),
        check_rtol=CHECK_RTOL,
        child_args=["--task", task, "--samples", str(OPTIONS.samples)],
    )


if __name__ == "__main__":
    if OPTIONS.task:
        session(OPTIONS.task)
    else:
        train, infer = session("train"), session("predict")
        if train and infer:
            fit_ratio = train["lamina"]["median"] / train["torch"]["median"]
            predict_ratio = infer["lamina"]["median"] / infer["torch"]["median"]
            rss = {name: train[name]["peak_rss_mb"] * 2**20 / 1e6 for name in train}
            print(
                f"lamina vs torch: training {fit_ratio:.2f}x samples/s, inference "
                f"{predict_ratio:.2f}x images/s; training peak RSS lamina {rss['lamina']:.0f} MB "
                f"vs torch {rss['torch']:.0f} MB"
            )
