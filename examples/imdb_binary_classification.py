"""Classifying movie reviews (Deep Learning with Python, 3.5): a 16-16-1 network on IMDB.

The program is the book's, with `keras` replaced by `lamina` in the imports. Each review becomes
a multi-hot vector over the 10,000 most frequent words. A first model trains for 20 epochs
while watching 10,000 held-out training reviews (the book plots these curves; here the epoch
with the lowest validation loss is printed, and `--plot FILE` draws the curves to a PNG file
with `plot_history`, which needs matplotlib), then a fresh model trains for 4 epochs on
all 25,000 training reviews and is scored on the test reviews. The test accuracy is printed
last (the book reports 0.8833).

Run it with the dataset folder in `LAMINA_DATA`:

    LAMINA_DATA=/path/to/datasets python examples/imdb_binary_classification.py [--plot curves.png]
"""

import argparse

import numpy as np

from lamina import layers, models
from lamina.datasets import imdb
from lamina.utils import plot_history, set_random_seed


def vectorize_sequences(sequences, dimension=10000):
    """Multi-hot encodes lists of word indices into a `(len(sequences), dimension)` array."""
    results = np.zeros((len(sequences), dimension), dtype="float32")
    for i, sequence in enumerate(sequences):
        results[i, sequence] = 1.0
    return results


def decode_review(sequence, word_index):
    """Turns word indices back into words; indices 0, 1 and 2 (padding, start, unknown) are '?'."""
    reverse_word_index = {value: key for key, value in word_index.items()}
    return " ".join(reverse_word_index.get(i - 3, "?") for i in sequence)


def build_model():
    model = models.Sequential()
    model.add(layers.Dense(16, activation="relu", input_shape=(10000,)))
    model.add(layers.Dense(16, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def main(epochs=4, validation_epochs=20, limit=None, seed=1, plot=None):
    """Runs the section; returns `{"best_epoch": ..., "test_loss": ..., "test_acc": ...}`.

    Args:
        epochs: epochs of the final model (the book's 4).
        validation_epochs: epochs of the model watched on held-out reviews (the book's 20);
            0 skips that run.
        limit: keep only the first `limit` training and test reviews (for quick checks).
        seed: passed to `set_random_seed`.
        plot: a PNG file for the loss and accuracy curves of that run (needs matplotlib).
    """
    set_random_seed(seed)
    (train_data, train_labels), (test_data, test_labels) = imdb.load_data(num_words=10000)
    if limit is not None:
        train_data, train_labels = train_data[:limit], train_labels[:limit]
        test_data, test_labels = test_data[:limit], test_labels[:limit]
    print("first review:", decode_review(train_data[0], imdb.get_word_index())[:120], "...")
    print("first label:", train_labels[0])

    x_train = vectorize_sequences(train_data)
    x_test = vectorize_sequences(test_data)
    y_train = np.asarray(train_labels).astype("float32")
    y_test = np.asarray(test_labels).astype("float32")

    best_epoch = None
    if validation_epochs:
        # The book holds out the first 10,000 of the 25,000 training reviews.
        num_val = len(x_train) * 2 // 5
        x_val, partial_x_train = x_train[:num_val], x_train[num_val:]
        y_val, partial_y_train = y_train[:num_val], y_train[num_val:]
        model = build_model()
        history = model.fit(
            partial_x_train,
            partial_y_train,
            epochs=validation_epochs,
            batch_size=512,
            validation_data=(x_val, y_val),
            verbose=2,
        )
        history_dict = history.history
        print("history keys:", list(history_dict.keys()))
        val_loss = history_dict["val_loss"]
        best_epoch = int(np.argmin(val_loss)) + 1
        print(
            f"lowest val_loss {val_loss[best_epoch - 1]:.4f} at epoch {best_epoch}; "
            f"the book retrains for 4 epochs"
        )
        if plot:
            plot_history(history, ["loss", "accuracy"], to_file=plot)
            print(f"wrote {plot}")

    model = build_model()
    model.fit(x_train, y_train, epochs=epochs, batch_size=512, verbose=2)
    results = model.evaluate(x_test, y_test, verbose=0)
    print("results:", [round(float(r), 4) for r in results])
    predictions = model.predict(x_test[:5], verbose=0)
    print("predictions for 5 test reviews:", [round(float(p), 3) for p in predictions[:, 0]])

    test_loss, test_acc = results
    print(f"test_acc: {test_acc:.4f}")
    return {"best_epoch": best_epoch, "test_loss": test_loss, "test_acc": test_acc}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="FILE", help="draw the curves to this PNG file")
    main(plot=parser.parse_args().plot)
