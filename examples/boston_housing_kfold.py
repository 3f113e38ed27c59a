"""Predicting house prices (Deep Learning with Python, 3.7): K-fold validation on Boston housing.

The program is the book's, with `keras` replaced by `lamina` in the imports. The 13 features
are normalized with the training data's mean and standard deviation; a 64-64-1 regression
network trained with the mean squared error is validated with 4-fold cross-validation on the
404 training towns (100 epochs of batch 1 per fold, the book's first K-fold run), then the
book's final model trains for 80 epochs of batch 16 on all the training data and is scored on
the 102 test towns. The mean validation MAE and the test MAE (in $1,000s) are printed last
(the book reports about 2.4 and 2.55).

Run it with the dataset folder in `LAMINA_DATA`:

    LAMINA_DATA=/path/to/datasets python examples/boston_housing_kfold.py
"""

import numpy as np

from lamina import layers, models
from lamina.datasets import boston_housing
from lamina.utils import set_random_seed


def build_model(num_features):
    model = models.Sequential()
    model.add(layers.Dense(64, activation="relu", input_shape=(num_features,)))
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(1))
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    return model


def main(k=4, num_epochs=100, final_epochs=80, limit=None, seed=1):
    """Runs the section; returns the fold scores and the figures printed.

    Args:
        k: the number of folds (the book's 4).
        num_epochs: epochs of each fold's model, batch 1 (the book's 100).
        final_epochs: epochs of the final model, batch 16 (the book's 80).
        limit: keep only the first `limit` training and test towns (for quick checks).
        seed: passed to `set_random_seed`.

    Returns:
        `{"all_scores", "mean_val_mae", "best_epoch", "test_mse", "test_mae"}`.
    """
    set_random_seed(seed)
    (train_data, train_targets), (test_data, test_targets) = boston_housing.load_data()
    if limit is not None:
        train_data, train_targets = train_data[:limit], train_targets[:limit]
        test_data, test_targets = test_data[:limit], test_targets[:limit]
    print("train_data:", train_data.shape, "test_data:", test_data.shape)
    print("first targets:", train_targets[:5].tolist())

    # Test data is normalized with the statistics of the training data only.
    mean = train_data.mean(axis=0)
    std = train_data.std(axis=0)
    train_data = ((train_data - mean) / std).astype("float32")
    test_data = ((test_data - mean) / std).astype("float32")
    train_targets = train_targets.astype("float32")
    test_targets = test_targets.astype("float32")

    num_val_samples = len(train_data) // k
    all_scores = []
    all_mae_histories = []
    for i in range(k):
        print("processing fold #", i)
        val = slice(i * num_val_samples, (i + 1) * num_val_samples)
        val_data, val_targets = train_data[val], train_targets[val]
        partial_train_data = np.concatenate(
            [train_data[: i * num_val_samples], train_data[(i + 1) * num_val_samples :]], axis=0
        )
        partial_train_targets = np.concatenate(
            [train_targets[: i * num_val_samples], train_targets[(i + 1) * num_val_samples :]],
            axis=0,
        )
        model = build_model(train_data.shape[1])
        history = model.fit(
            partial_train_data,
            partial_train_targets,
            validation_data=(val_data, val_targets),
            epochs=num_epochs,
            batch_size=1,
            verbose=0,
        )
        all_mae_histories.append(history.history["val_mae"])
        val_mse, val_mae = model.evaluate(val_data, val_targets, verbose=0)
        all_scores.append(float(val_mae))
    print("all_scores:", [round(s, 4) for s in all_scores])
    mean_val_mae = float(np.mean(all_scores))
    print(f"mean of the fold scores: {mean_val_mae:.4f}")

    # The book plots this per-epoch average over the folds; its lowest point guides the
    # number of epochs of the final model.
    average_mae_history = np.mean(all_mae_histories, axis=0)
    best_epoch = int(np.argmin(average_mae_history)) + 1
    print(
        f"lowest average validation MAE {average_mae_history[best_epoch - 1]:.4f} "
        f"at epoch {best_epoch} of {num_epochs}"
    )

    model = build_model(train_data.shape[1])
    model.fit(train_data, train_targets, epochs=final_epochs, batch_size=16, verbose=0)
    test_mse_score, test_mae_score = model.evaluate(test_data, test_targets, verbose=0)
    print(f"test_mse_score: {test_mse_score:.4f} test_mae_score: {test_mae_score:.4f}")

    print(f"mean_val_mae: {mean_val_mae:.2f} test_mae: {test_mae_score:.2f}")
    return {
        "all_scores": all_scores,
        "mean_val_mae": mean_val_mae,
        "best_epoch": best_epoch,
        "test_mse": test_mse_score,
        "test_mae": test_mae_score,
    }


if __name__ == "__main__":
    main()
