"""Recurrent layers on IMDB (Deep Learning with Python, 6.2): SimpleRNN(32) and LSTM(32).

The program is the book's listings 6.22 to 6.27, with `keras` replaced by `lamina` in the
imports. Reviews are cut or padded to 500 words (of the 10,000 most frequent); each model is
an `Embedding(10000, 32)`, one recurrent layer of 32 units and one sigmoid unit, trained for
10 epochs with RMSprop in batches of 128 while holding out the last 20% of the training
reviews. The best validation accuracy of each model is printed last (the book reports 0.846
for the SimpleRNN and 0.893 for the LSTM).

With the default seed (1) the SimpleRNN's best validation accuracy is 0.8590 (epoch 4; it
overfits after that, training accuracy 0.9916 at epoch 10) and the LSTM's 0.8770 (epoch 8;
0.8722 at epoch 4, 0.8762 at epoch 10). The whole run took 20 min 41 s on a 2-core CPU shared
with other jobs: 35 s to 1 min an epoch for the SimpleRNN, 50 s to 2 min 24 s for the LSTM.
With the compiled LSTM step (the `fast` extra's Numba), `--model lstm` alone reached 0.8848
(epoch 9) in 3 min 18 s.

Run it with the dataset folder in `LAMINA_DATA`; `--model` runs one model only and `--epochs`
fewer epochs:

    LAMINA_DATA=/path/to/datasets python examples/imdb_rnn.py
    LAMINA_DATA=/path/to/datasets python examples/imdb_rnn.py --model lstm --epochs 3
"""

import argparse

from lamina import layers, models, preprocessing
from lamina.datasets import imdb
from lamina.utils import set_random_seed

MAX_FEATURES = 10000  # words considered as features
MAXLEN = 500  # words kept per review
RECURRENT = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM}


def build_model(kind):
    """Listing 6.22 (`"simple_rnn"`) or 6.27 (`"lstm"`): embedding, 32 units, one sigmoid."""
    model = models.Sequential()
    model.add(layers.Embedding(MAX_FEATURES, 32))
    model.add(RECURRENT[kind](32))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    return model


def main(kinds=("simple_rnn", "lstm"), epochs=10, limit=None, seed=1, verbose=2):
    """Trains each model; returns `{kind: {"history": ..., "best_val_acc": ...}}`.

    Args:
        kinds: the models to train, among `"simple_rnn"` and `"lstm"`.
        epochs: training epochs of each model (the book's 10).
        limit: keep only the first `limit` training reviews (for quick checks).
        seed: passed to `set_random_seed` before each model.
        verbose: passed to `fit`.
    """
    unknown = sorted(set(kinds) - set(RECURRENT))
    if unknown:
        raise ValueError(f"Expected kinds among {sorted(RECURRENT)}. Received: kinds={unknown}")
    (x_train, y_train), _ = imdb.load_data(num_words=MAX_FEATURES)
    x_train, y_train = x_train[:limit], y_train[:limit]
    x_train = preprocessing.sequence.pad_sequences(x_train, maxlen=MAXLEN)
    print("input_train shape:", x_train.shape)

    results = {}
    for kind in kinds:
        set_random_seed(seed)
        model = build_model(kind)
        model.summary()
        history = model.fit(
            x_train, y_train, epochs=epochs, batch_size=128, validation_split=0.2, verbose=verbose
        )
        best = max(history.history["val_acc"])
        print(f"{kind}: best val_acc {best:.4f}", flush=True)
        results[kind] = {"model": model, "history": history, "best_val_acc": best}
    print(" ".join(f"{kind}_best_val_acc: {r['best_val_acc']:.4f}" for kind, r in results.items()))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(RECURRENT), help="train this model only")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    main(kinds=(args.model,) if args.model else tuple(RECURRENT), epochs=args.epochs)
