"""Forecasting the temperature 24 hours ahead (Deep Learning with Python, 6.3 and 6.4).

The book's method on the half-hourly Melbourne series of `vic_elec` (temperature and
electricity demand, 2012 to 2014; the book's Jena weather data is not available here): the
first half of the rows trains, the next quarter validates, the rest is the test set; every
column is normalised by the training rows' mean and standard deviation; the book's `generator`
yields batches of 10-day lookback windows sampled every hour (`step=2` rows) and the
temperature 24 hours (48 rows) after each window's end. Against the naive forecast "the same
temperature as 24 hours ago", it trains a Dense network, a GRU(32), a GRU with dropout, two
stacked GRUs, a bidirectional GRU, and Conv1D layers feeding a GRU (6.4, on the half-hourly
rows), each with RMSprop on the mean absolute error, and prints each model's best validation
MAE in degrees Celsius; the last line says whether the GRU beats the naive forecast.

Measured (seed 0, 8 epochs of 200 steps for every model instead of the book's 20 or 40 of 500,
validating on the whole validation range each epoch, on a 2-core CPU shared with other jobs;
29 min 56 s in all, `--epochs 8 --regularized-epochs 8 --steps-per-epoch 200`): best validation
MAE in degrees of the naive forecast 3.34, the Dense network 3.05 (epoch 6; 20 s), the GRU 2.83
(epoch 8; 4 min 49 s), the GRU with dropout 2.86 (epoch 6; 5 min 37 s), the stacked GRUs 2.86
(epoch 8; 14 min 31 s) and Conv1D + GRU 2.80 (epoch 6; 4 min 33 s). The GRU beats the naive
forecast, as in the book (2.57 -> 2.35 on Jena); in 1,600 training steps instead of the book's
10,000 or 20,000 the dropout and stacked models do not improve on the plain GRU. The
bidirectional GRU, run alone the same way (`--only bidirectional_gru`, 2 min 57 s), reached
2.77.

Run it with the dataset folder in `LAMINA_DATA` (the options set fewer epochs or steps, or
name the models to train):

    LAMINA_DATA=/path/to/datasets python examples/temperature_forecasting.py
    LAMINA_DATA=/path/to/datasets python examples/temperature_forecasting.py --epochs 8 \
        --regularized-epochs 8 --steps-per-epoch 200 --only gru conv1d_gru

`--plot FILE` draws each model's training and validation MAE per epoch to a PNG file with
`plot_history` (as the book's figures; needs matplotlib).
"""

import argparse
import gzip

import numpy as np

from lamina import layers, models
from lamina.datasets.files import find_dataset_files
from lamina.optimizers import RMSprop
from lamina.utils import plot_history, set_random_seed

VIC_ELEC_SHA256 = "7131b98abde911637cc28563a1fe2bc2c3bd9fa2c6324983bd857fdb025e8c9f"
LOOKBACK = 480  # 10 days of half-hourly rows
STEP = 2  # one sample an hour
DELAY = 48  # 24 hours ahead
BATCH_SIZE = 128


def load_vic_elec():
    """Returns the `(rows, 2)` float32 array of Temperature and Demand from `vic_elec.csv.gz`."""
    path = find_dataset_files("vic_elec", {"vic_elec.csv.gz": VIC_ELEC_SHA256}, origins=())
    with gzip.open(path["vic_elec.csv.gz"], "rt") as f:
        header = f.readline().strip().split(",")
        rows = [line.split(",") for line in f]
    columns = [header.index("Temperature"), header.index("Demand")]
    return np.array([[float(row[c]) for c in columns] for row in rows], dtype="float32")


def generator(data, lookback, delay, min_index, max_index, shuffle=False, batch_size=128, step=6):
    """The book's generator: yields `(samples, targets)` batches forever.

    `samples[i]` holds the rows `lookback` rows before a chosen row, every `step`-th one;
    `targets[i]` is the temperature (column 0) `delay` rows after it.
    """
    if max_index is None:
        max_index = len(data) - delay - 1
    i = min_index + lookback
    while True:
        if shuffle:
            rows = np.random.randint(min_index + lookback, max_index, size=batch_size)
        else:
            if i + batch_size >= max_index:
                i = min_index + lookback
            rows = np.arange(i, min(i + batch_size, max_index))
            i += len(rows)
        samples = np.zeros((len(rows), lookback // step, data.shape[-1]), dtype="float32")
        targets = np.zeros((len(rows),), dtype="float32")
        for j, row in enumerate(rows):
            indices = range(row - lookback, row, step)
            samples[j] = data[indices]
            targets[j] = data[row + delay][0]
        yield samples, targets


def evaluate_naive_method(val_gen, val_steps):
    """The mean absolute error of "the temperature 24 hours from now is the one now"."""
    batch_maes = []
    for _ in range(val_steps):
        samples, targets = next(val_gen)
        preds = samples[:, -1, 0]
        batch_maes.append(np.mean(np.abs(preds - targets)))
    return float(np.mean(batch_maes))


def build_models(num_features):
    """The book's models, by name: `(model, step, regularized)`."""
    timesteps = LOOKBACK // STEP

    def sequential(*stack, steps=timesteps):
        return models.Sequential([layers.Input((steps, num_features)), *stack])

    built = {
        "dense": (
            sequential(layers.Flatten(), layers.Dense(32, activation="relu"), layers.Dense(1)),
            STEP,
            False,
        ),
        "gru": (sequential(layers.GRU(32), layers.Dense(1)), STEP, False),
        "gru_dropout": (
            sequential(layers.GRU(32, dropout=0.2, recurrent_dropout=0.2), layers.Dense(1)),
            STEP,
            True,
        ),
        "stacked_gru": (
            sequential(
                layers.GRU(32, dropout=0.1, recurrent_dropout=0.5, return_sequences=True),
                layers.GRU(64, activation="relu", dropout=0.1, recurrent_dropout=0.5),
                layers.Dense(1),
            ),
            STEP,
            True,
        ),
    }
    built["bidirectional_gru"] = (
        sequential(layers.Bidirectional(layers.GRU(32)), layers.Dense(1)),
        STEP,
        True,
    )
    # 6.4: the convolutions shorten the half-hourly sequence before the GRU reads it.
    built["conv1d_gru"] = (
        sequential(
            layers.Conv1D(32, 5, activation="relu"),
            layers.MaxPooling1D(3),
            layers.Conv1D(32, 5, activation="relu"),
            layers.GRU(32, dropout=0.1, recurrent_dropout=0.5),
            layers.Dense(1),
            steps=LOOKBACK,
        ),
        1,
        False,
    )
    return built


def main(
    epochs=20,
    regularized_epochs=40,
    steps_per_epoch=500,
    validation_steps=None,
    only=None,
    seed=0,
    verbose=2,
    plot=None,
):
    """Trains the book's models; returns `{"naive_mae": ..., "val_mae": {name: ...}}` in degrees.

    Args:
        epochs: epochs of the models without dropout (the book's 20).
        regularized_epochs: epochs of the models with dropout and the bidirectional GRU (40).
        steps_per_epoch: batches of 128 windows per epoch (the book's 500).
        validation_steps: validation batches per epoch; None: the whole validation range.
        only: names of the models to train (see `build_models`); None: all.
        seed: passed to `set_random_seed` (the generators draw from NumPy's global state).
        verbose: passed to `fit`.
        plot: a PNG file for each model's training and validation MAE (needs matplotlib).
    """
    set_random_seed(seed)
    np.random.seed(seed)
    data = load_vic_elec()
    train_end, val_end = len(data) // 2, 3 * len(data) // 4
    mean = data[:train_end].mean(axis=0)
    std = data[:train_end].std(axis=0)
    data = (data - mean) / std
    print(f"{len(data)} rows; training rows 0-{train_end - 1}, validation to {val_end - 1}")

    def gen(min_index, max_index, shuffle=False, step=STEP):
        return generator(data, LOOKBACK, DELAY, min_index, max_index, shuffle, BATCH_SIZE, step)

    full_val_steps = (val_end - train_end - LOOKBACK) // BATCH_SIZE
    val_steps = min(validation_steps or full_val_steps, full_val_steps)
    celsius = float(std[0])
    naive_mae = evaluate_naive_method(gen(train_end, val_end), val_steps) * celsius
    print(f"naive (same as 24 hours ago): {naive_mae:.2f} degrees")

    built = build_models(data.shape[-1])
    unknown = sorted(set(only or ()) - set(built))
    if unknown:
        raise ValueError(f"Expected only among {list(built)}. Received: only={unknown}")
    val_mae, curves = {}, {}
    for name, (model, step, regularized) in built.items():
        if only is not None and name not in only:
            continue
        model.compile(optimizer=RMSprop(), loss="mae")
        history = model.fit(
            gen(0, train_end, shuffle=True, step=step),
            steps_per_epoch=steps_per_epoch,
            epochs=regularized_epochs if regularized else epochs,
            validation_data=gen(train_end, val_end, step=step),
            validation_steps=val_steps,
            verbose=verbose,
        )
        val_mae[name] = min(history.history["val_loss"]) * celsius
        print(f"{name}: best validation MAE {val_mae[name]:.2f} degrees")
        curves[f"{name} MAE"] = [loss * celsius for loss in history.history["loss"]]
        curves[f"val_{name} MAE"] = [loss * celsius for loss in history.history["val_loss"]]
    if plot and curves:
        plot_history(curves, to_file=plot)
        print(f"wrote {plot}")

    gru_beats_naive = val_mae.get("gru", np.inf) < naive_mae
    summary = " ".join(f"{name}: {mae:.2f}" for name, mae in val_mae.items())
    print(f"naive: {naive_mae:.2f} {summary} gru_beats_naive: {gru_beats_naive}")
    return {"naive_mae": naive_mae, "val_mae": val_mae, "gru_beats_naive": gru_beats_naive}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--regularized-epochs", type=int, default=40)
    parser.add_argument("--steps-per-epoch", type=int, default=500)
    parser.add_argument("--validation-steps", type=int, default=None)
    parser.add_argument("--only", nargs="+", help="train these models only (see build_models)")
    parser.add_argument("--plot", metavar="FILE", help="draw the MAE curves to this PNG file")
    args = parser.parse_args()
    main(
        epochs=args.epochs,
        regularized_epochs=args.regularized_epochs,
        steps_per_epoch=args.steps_per_epoch,
        validation_steps=args.validation_steps,
        only=args.only,
        plot=args.plot,
    )
