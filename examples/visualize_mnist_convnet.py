"""What the MNIST convnet learns (Deep Learning with Python, 5.4), and its training curves.

Trains the book's convnet of 5.1 briefly (3 epochs on the first 10,000 training digits, 2,000
of them held out for validation), then writes four PNG files into `out_dir`:

- `history.png`: loss and accuracy per epoch, training as dots and validation as a line;
- `activations.png`: every channel of each convolution and pooling layer for one test digit;
- `filters.png`: the input that each of the first convolution's 32 filters responds to most;
- `grad_cam.png`: the class activation heatmap of the last convolution over that digit.

It prints the test accuracy and the predicted class last. Needs matplotlib
(`pip install -e ".[viz]"`).

Run it with

    python examples/visualize_mnist_convnet.py
"""

import os
import sys
from pathlib import Path

import numpy as np

from lamina.datasets import mnist
from lamina.utils import plot_history, set_random_seed, to_categorical
from lamina.visualization import filter_patterns, grad_cam, layer_activations

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mnist_convnet import build_model  # noqa: E402  (the sibling example: the book's 5.1)


def main(
    epochs=3, limit=10_000, test_limit=None, out_dir="mnist_convnet_pictures", seed=1, verbose=2
):
    """Trains, draws the four pictures; returns the file paths, the heatmap and the accuracy.

    Args:
        epochs: training epochs.
        limit: train (and validate) on only the first `limit` training images.
        test_limit: score on only the first `test_limit` test images (for quick checks).
        out_dir: the folder the PNG files go to (made if missing).
        seed: passed to `set_random_seed`.
        verbose: passed to `fit`.
    """
    set_random_seed(seed)
    (train_images, train_labels), (test_images, test_labels) = mnist.load_data()
    train_images = train_images[:limit].reshape((-1, 28, 28, 1)).astype("float32") / 255
    test_images = test_images[:test_limit].reshape((-1, 28, 28, 1)).astype("float32") / 255
    train_labels = to_categorical(train_labels[:limit], 10)
    test_labels = to_categorical(test_labels[:test_limit], 10)

    model = build_model()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        train_images,
        train_labels,
        epochs=epochs,
        batch_size=64,
        validation_split=0.2,
        verbose=verbose,
    )
    _, test_acc = model.evaluate(test_images, test_labels, verbose=0)

    os.makedirs(out_dir, exist_ok=True)
    paths = {
        name: os.path.join(out_dir, f"{name}.png")
        for name in ("history", "activations", "filters", "grad_cam")
    }
    digit = test_images[0]
    plot_history(history, to_file=paths["history"])
    layer_activations(model, digit, to_file=paths["activations"])
    first_conv, last_conv = model.layers[0].name, model.layers[4].name
    filter_patterns(model, first_conv, to_file=paths["filters"])
    heatmap = grad_cam(model, digit, last_conv, to_file=paths["grad_cam"])
    predicted = int(np.argmax(model.predict(digit[None], verbose=0)))
    for path in paths.values():
        print(f"wrote {path}")
    print(f"test_acc: {test_acc:.4f} predicted: {predicted} (label {np.argmax(test_labels[0])})")
    return {"paths": paths, "heatmap": heatmap, "test_acc": test_acc, "predicted": predicted}


if __name__ == "__main__":
    main()
