"""Learning word embeddings (Deep Learning with Python, 6.1): Embedding + Flatten + Dense on IMDB.

The program is the book's listings 6.5 to 6.7, with `keras` replaced by `lamina` in the
imports. Each review is cut to its last 20 words (of the 10,000 most frequent); an
`Embedding(10000, 8)` turns them into a (20, 8) matrix, which is flattened and fed to one
sigmoid unit. It trains for 10 epochs (RMSprop, batches of 32) while holding out the last 20%
of the training reviews, and prints the best validation accuracy last (the book reports
0.7594 at its best epoch).

With the default seed (1) the best validation accuracy is 0.7550 (epoch 6; training
accuracy 0.8679 in the last epoch), in 8 s on a busy 2-core CPU.

Run it with the dataset folder in `LAMINA_DATA`:

    LAMINA_DATA=/path/to/datasets python examples/imdb_embedding.py
"""

from lamina import layers, models, preprocessing
from lamina.datasets import imdb
from lamina.utils import set_random_seed

MAX_FEATURES = 10000  # words considered as features
MAXLEN = 20  # words kept per review


def build_model():
    """Listing 6.7: the embedding, flattened, then one logistic unit."""
    model = models.Sequential()
    model.add(layers.Embedding(MAX_FEATURES, 8, input_length=MAXLEN))
    model.add(layers.Flatten())
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    return model


def main(epochs=10, limit=None, seed=1, verbose=2):
    """Runs listings 6.6 and 6.7; returns `{"model": ..., "history": ..., "best_val_acc": ...}`.

    Args:
        epochs: training epochs (the book's 10).
        limit: keep only the first `limit` training reviews (for quick checks).
        seed: passed to `set_random_seed`.
        verbose: passed to `fit`.
    """
    set_random_seed(seed)
    (x_train, y_train), _ = imdb.load_data(num_words=MAX_FEATURES)
    x_train, y_train = x_train[:limit], y_train[:limit]
    x_train = preprocessing.sequence.pad_sequences(x_train, maxlen=MAXLEN)

    model = build_model()
    model.summary()
    history = model.fit(
        x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.2, verbose=verbose
    )
    best_val_acc = max(history.history["val_acc"])
    print(f"best_val_acc: {best_val_acc:.4f}")
    return {"model": model, "history": history, "best_val_acc": best_val_acc}


if __name__ == "__main__":
    main()
