"""Classifying newswires (Deep Learning with Python, 3.6): a 64-64-46 network on Reuters.

The program is the book's, with `keras` replaced by `lamina` in the imports. Each newswire
becomes a multi-hot vector over the 10,000 most frequent words and its topic a one-hot vector
over 46 topics. A first model trains for 20 epochs while watching 1,000 held-out training wires
(the book plots these curves; here the epoch with the lowest validation loss is printed,
and `--plot FILE` draws them to a PNG file with `plot_history`, which needs matplotlib), then
a fresh model trains for 9 epochs on the remaining wires, as in the book, and is scored on the
test wires against a random baseline. The test accuracy is printed last (the book
reports 0.7796).

Run it with the dataset folder in `LAMINA_DATA`:

    LAMINA_DATA=/path/to/datasets python examples/reuters_newswires.py [--plot curves.png]
"""

import argparse
import copy

import numpy as np

from lamina import layers, models
from lamina.datasets import reuters
from lamina.utils import plot_history, set_random_seed, to_categorical


def vectorize_sequences(sequences, dimension=10000):
    """Multi-hot encodes lists of word indices into a `(len(sequences), dimension)` array."""
    results = np.zeros((len(sequences), dimension), dtype="float32")
    for i, sequence in enumerate(sequences):
        results[i, sequence] = 1.0
    return results


def decode_newswire(sequence, word_index):
    """Turns word indices back into words; indices 0, 1 and 2 (padding, start, unknown) are '?'."""
    reverse_word_index = {value: key for key, value in word_index.items()}
    return " ".join(reverse_word_index.get(i - 3, "?") for i in sequence)


def build_model():
    model = models.Sequential()
    model.add(layers.Dense(64, activation="relu", input_shape=(10000,)))
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(46, activation="softmax"))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def main(epochs=9, validation_epochs=20, limit=None, seed=1, plot=None):
    """Runs the section; returns `{"best_epoch", "test_loss", "test_acc", "random_acc"}`.

    Args:
        epochs: epochs of the final model (the book's 9).
        validation_epochs: epochs of the model watched on held-out wires (the book's 20);
            0 skips that run.
        limit: keep only the first `limit` training and test wires (for quick checks).
        seed: passed to `set_random_seed`.
        plot: a PNG file for the loss and accuracy curves of that run (needs matplotlib).
    """
    set_random_seed(seed)
    (train_data, train_labels), (test_data, test_labels) = reuters.load_data(num_words=10000)
    if limit is not None:
        train_data, train_labels = train_data[:limit], train_labels[:limit]
        test_data, test_labels = test_data[:limit], test_labels[:limit]
    print("training wires:", len(train_data), "test wires:", len(test_data))
    print("first wire:", decode_newswire(train_data[0], reuters.get_word_index())[:120], "...")
    print("first label:", train_labels[0])

    x_train = vectorize_sequences(train_data)
    x_test = vectorize_sequences(test_data)
    one_hot_train_labels = to_categorical(train_labels, 46)
    one_hot_test_labels = to_categorical(test_labels, 46)

    # The book holds out the first 1,000 of the 8,982 training wires.
    num_val = min(1000, len(x_train) // 4)
    x_val, partial_x_train = x_train[:num_val], x_train[num_val:]
    y_val, partial_y_train = one_hot_train_labels[:num_val], one_hot_train_labels[num_val:]

    best_epoch = None
    if validation_epochs:
        model = build_model()
        history = model.fit(
            partial_x_train,
            partial_y_train,
            epochs=validation_epochs,
            batch_size=512,
            validation_data=(x_val, y_val),
            verbose=2,
        )
        val_loss = history.history["val_loss"]
        best_epoch = int(np.argmin(val_loss)) + 1
        print(
            f"lowest val_loss {val_loss[best_epoch - 1]:.4f} at epoch {best_epoch}; "
            f"the book retrains for 9 epochs"
        )
        if plot:
            plot_history(history, ["loss", "accuracy"], to_file=plot)
            print(f"wrote {plot}")

    model = build_model()
    model.fit(
        partial_x_train,
        partial_y_train,
        epochs=epochs,
        batch_size=512,
        validation_data=(x_val, y_val),
        verbose=2,
    )
    results = model.evaluate(x_test, one_hot_test_labels, verbose=0)
    print("results:", [round(float(r), 4) for r in results])

    # A classifier that guesses at random, keeping the topics' frequencies.
    test_labels_copy = copy.copy(test_labels)
    np.random.shuffle(test_labels_copy)
    random_acc = float(np.mean(np.array(test_labels) == np.array(test_labels_copy)))
    print(f"random baseline accuracy: {random_acc:.4f}")

    predictions = model.predict(x_test, verbose=0)
    print("predictions shape:", predictions.shape)
    print(f"sum of the first prediction: {float(np.sum(predictions[0])):.4f}")
    print("predicted topic of the first test wire:", int(np.argmax(predictions[0])))

    test_loss, test_acc = results
    print(f"test_acc: {test_acc:.4f}")
    return {
        "best_epoch": best_epoch,
        "test_loss": test_loss,
        "test_acc": test_acc,
        "random_acc": random_acc,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="FILE", help="draw the curves to this PNG file")
    main(plot=parser.parse_args().plot)
