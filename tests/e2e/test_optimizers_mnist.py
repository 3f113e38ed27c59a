"""Every built-in optimizer, by name and at its defaults, trains the book's first network.

The network of Deep Learning with Python, 2.1 (Dense 512 relu, Dense 10 softmax, categorical
cross-entropy, batch 128) is trained for one epoch on the 60,000 MNIST training images. Each
optimizer must lower the loss, measured with `evaluate` on a fixed 10,000-image slice of the
training set before and after the epoch. The adaptive optimizers the book's readers reach for
first (RMSprop, Adam, AdamW, Nadam) and SGD with momentum 0.9 must also pass 90% test accuracy
after that single epoch.

Run with `-s` to see the numbers; one epoch takes 1.5-3 s per optimizer on a CPU.
"""

import numpy as np
import pytest

import lamina
from lamina import layers

# Names as a user writes them in `compile(optimizer=...)`, each at its Keras default settings.
BY_NAME = ["sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "adamax", "nadam", "lion"]
# Those that must also reach 90% test accuracy after one epoch.
ACCURATE = {"rmsprop", "adam", "adamw", "nadam", "sgd_momentum"}
SUBSET = 10_000


@pytest.fixture(scope="module")
def mnist():
    (x_train, y_train), (x_test, y_test) = lamina.datasets.mnist.load_data()
    x_train = x_train.reshape(60_000, 28 * 28).astype("float32") / 255
    x_test = x_test.reshape(10_000, 28 * 28).astype("float32") / 255
    return (
        (x_train, lamina.utils.to_categorical(y_train, 10)),
        (x_test, lamina.utils.to_categorical(y_test, 10)),
    )


def one_epoch(optimizer, mnist) -> dict:
    """Train the book's network for one epoch; return the losses and accuracy around it."""
    (x_train, y_train), (x_test, y_test) = mnist
    lamina.utils.set_random_seed(0)
    network = lamina.Sequential(
        [
            layers.Dense(512, activation="relu", input_shape=(28 * 28,)),
            layers.Dense(10, activation="softmax"),
        ]
    )
    network.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    x_sub, y_sub = x_train[:SUBSET], y_train[:SUBSET]
    loss_before, _ = network.evaluate(x_sub, y_sub, batch_size=1000, verbose=0)
    network.fit(x_train, y_train, epochs=1, batch_size=128, verbose=0)
    loss_after, _ = network.evaluate(x_sub, y_sub, batch_size=1000, verbose=0)
    _, test_acc = network.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    return {"before": loss_before, "after": loss_after, "test_acc": test_acc}


def check(label: str, result: dict) -> None:
    print(
        f"\n{label}: train loss {result['before']:.4f} -> {result['after']:.4f}, "
        f"test accuracy {result['test_acc']:.4f}"
    )
    assert np.isfinite(result["after"]), f"{label}: loss {result['after']}"
    assert result["after"] < result["before"], f"{label}: {result}"
    if label in ACCURATE:
        assert result["test_acc"] > 0.9, f"{label}: {result}"


@pytest.mark.parametrize("name", BY_NAME)
def test_one_epoch_by_name_lowers_the_loss(name, mnist):
    check(name, one_epoch(name, mnist))


def test_one_epoch_sgd_with_momentum_passes_90_percent(mnist):
    check("sgd_momentum", one_epoch(lamina.optimizers.SGD(momentum=0.9), mnist))
