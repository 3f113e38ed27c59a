"""Reusing a trained network (Deep Learning with Python, 5.3) without ImageNet weights.

The book reuses the convolutional base of VGG16, trained on ImageNet, for cats and dogs. Those
weights cannot be had here, so this program plays the same three acts with what lamina has:
the book's first network (2.1: Dense 512 relu, Dense 10 softmax), trained by lamina on
MNIST's 60,000 digits, saved to a `.keras` file and loaded back; its Dense 512 layer is the
base, reused for Fashion-MNIST with only 2,000 training images:

1. From scratch: the final architecture (the base's shape, then a new classifier: Dense 64
   relu, Dropout 0.5, Dense 10 softmax) trained on the small Fashion-MNIST set alone, for as
   many epochs as the two reuse steps below together.
2. Feature extraction: the loaded base is frozen (`base.trainable = False`, which takes effect
   at the next `compile`, as in Keras) and only the new classifier on top of it is trained.
3. Fine-tuning: then the base's top layer (here its only Dense layer) is unfrozen and trained
   along with the classifier, with a learning rate ten times lower, so that the features adapt
   without being wrecked by large updates.

Each model is scored on Fashion-MNIST's 10,000 test images; the last line prints the three
test accuracies. Expect reuse to help little here: features learned on digits fit clothes far
less well than ImageNet's fit cats and dogs. With the defaults (seed 1) the frozen digit
features give about 2 points less than training from scratch, and fine-tuning brings them back
to about the same accuracy (around 0.81); the mechanics are the book's all the same.

Run it with the dataset folder in `LAMINA_DATA` (MNIST ships with lamina; Fashion-MNIST is
read from there; the repository's `../shared/datasets` is used when it is not set):

    LAMINA_DATA=/path/to/datasets python examples/reuse_mnist_base_for_fashion.py
"""

import os
import tempfile
from pathlib import Path

from lamina import Input, layers, models, optimizers
from lamina.datasets import fashion_mnist, mnist
from lamina.utils import set_random_seed


def first_network():
    """The book's first network (2.1), on 28x28 images."""
    return models.Sequential(
        [
            Input((28, 28)),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def classifier():
    """The new classifier put on top of the base."""
    return [
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ]


def compile_for_labels(model, learning_rate):
    model.compile(
        optimizer=optimizers.RMSprop(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def train_mnist_network(path, epochs, limit):
    """Train the first network on MNIST and save it to `path`; returns its test accuracy."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train, y_train = (x_train[:limit] / 255.0).astype("float32"), y_train[:limit]
    model = first_network()
    compile_for_labels(model, 1e-3)
    model.fit(x_train, y_train, epochs=epochs, batch_size=128, verbose=0)
    _, accuracy = model.evaluate((x_test / 255.0).astype("float32"), y_test, verbose=0)
    model.save(path)
    return accuracy


def main(
    mnist_epochs=5,
    epochs=30,
    fine_tune_epochs=20,
    train_size=2000,
    mnist_limit=None,
    test_limit=None,
    seed=1,
):
    """Runs the three ways; returns their test accuracies (and the base's MNIST accuracy).

    Args:
        mnist_epochs: epochs of the first network on MNIST (the book's 5).
        epochs: epochs of feature extraction.
        fine_tune_epochs: epochs of fine-tuning, after feature extraction (training from
            scratch gets `epochs + fine_tune_epochs`).
        train_size: the Fashion-MNIST training images used (the first ones).
        mnist_limit: keep only this many MNIST training images (for quick checks).
        test_limit: score on only this many Fashion-MNIST test images (for quick checks).
        seed: passed to `set_random_seed`.
    """
    set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    x_train = (x_train[:train_size] / 255.0).astype("float32")
    y_train = y_train[:train_size]
    x_test = (x_test[:test_limit] / 255.0).astype("float32")
    y_test = y_test[:test_limit]
    fit = {"epochs": epochs, "batch_size": 64, "verbose": 0}

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mnist_first_network.keras")
        mnist_accuracy = train_mnist_network(path, mnist_epochs, mnist_limit)
        print(f"first network trained on MNIST, test accuracy on digits: {mnist_accuracy:.4f}")
        mnist_model = models.load_model(path)

    # 1. From scratch, on the small Fashion-MNIST set only.
    scratch = models.Sequential(
        [Input((28, 28)), layers.Flatten(), layers.Dense(512, activation="relu"), *classifier()]
    )
    compile_for_labels(scratch, 1e-3)
    scratch.fit(x_train, y_train, **{**fit, "epochs": epochs + fine_tune_epochs})
    _, scratch_accuracy = scratch.evaluate(x_test, y_test, verbose=0)
    print(f"from scratch on {len(x_train)} images: {scratch_accuracy:.4f}")

    # 2. Feature extraction: the MNIST layers without their digit classifier, frozen, and a
    # new classifier on top (the book's conv_base.trainable = False).
    base = models.Sequential(mnist_model.layers[:-1], name="mnist_base")
    base.trainable = False
    model = models.Sequential([Input((28, 28)), base, *classifier()])
    compile_for_labels(model, 1e-3)
    model.fit(x_train, y_train, **fit)
    _, extraction_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"feature extraction with the frozen MNIST base: {extraction_accuracy:.4f}")

    # 3. Fine-tuning: unfreeze the base's top layer (everything below it stays frozen) and
    # compile again, which makes the change take effect, with a lower learning rate.
    base.trainable = True
    for layer in base.layers[:-1]:
        layer.trainable = False
    compile_for_labels(model, 1e-4)
    model.fit(x_train, y_train, **{**fit, "epochs": fine_tune_epochs})
    _, fine_tuned_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"fine-tuning the top of the base too: {fine_tuned_accuracy:.4f}")

    print(
        f"from_scratch: {scratch_accuracy:.4f} feature_extraction: {extraction_accuracy:.4f} "
        f"fine_tuning: {fine_tuned_accuracy:.4f}"
    )
    return {
        "mnist_accuracy": mnist_accuracy,
        "from_scratch": scratch_accuracy,
        "feature_extraction": extraction_accuracy,
        "fine_tuning": fine_tuned_accuracy,
    }


if __name__ == "__main__":
    shared = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    if "LAMINA_DATA" not in os.environ and shared.is_dir():
        os.environ["LAMINA_DATA"] = str(shared)  # the data sets beside the repository
    main()
