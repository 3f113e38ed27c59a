"""Scenarios run under `mpiexec -n 2 python -m mpi4py` by test_data_parallel.py.

Each scenario trains or predicts with a DataParallel distribution and, in the same process,
without one (the one-process reference); rank 0 writes every scenario's findings to the JSON
file named on the command line. Run `python mpi_scenarios.py OUT size1` without mpiexec for
the one-process check.
"""

import hashlib
import importlib.util
import json
import os
import sys

import numpy as np
from mpi4py import MPI

import lamina as keras
from lamina import distribution

COMM = MPI.COMM_WORLD
RANK = COMM.Get_rank()


def mnist_subset(n: int) -> tuple:
    (x, y), _ = keras.datasets.mnist.load_data()
    return (x[:n].reshape(n, 784) / 255.0).astype(keras.backend.floatx()), y[:n]


def mlp(seed: int):
    """The book's first network, with Adam; `seed` draws its weights."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((784,)), keras.layers.Dense(512, "relu"), keras.layers.Dense(10, "softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    return model


def weight_digest(model) -> str:
    h = hashlib.sha256()
    for w in model.weights:
        h.update(np.ascontiguousarray(w.numpy()).tobytes())
    return h.hexdigest()


class Snapshots(keras.callbacks.Callback):
    """Weights after step 10, and whether every rank held the same weights at every step."""

    def __init__(self, check_ranks: bool):
        super().__init__()
        self.check_ranks = check_ranks
        self.at_10 = None
        self.steps = 0
        self.unequal_steps = []

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps == 10:
            self.at_10 = [w.numpy().copy() for w in self.model.weights]
        if self.check_ranks and len(set(COMM.allgather(weight_digest(self.model)))) != 1:
            self.unequal_steps.append(self.steps)


def relative_difference(a: list, b: list) -> list[float]:
    """Per weight tensor: the largest difference relative to the tensor's largest value."""
    return [float(np.max(np.abs(x - y)) / np.max(np.abs(y))) for x, y in zip(a, b, strict=True)]


def norm_difference(a: list, b: list) -> list[float]:
    """Per weight tensor: the norm of the difference relative to the tensor's norm."""
    return [float(np.linalg.norm(x - y) / np.linalg.norm(y)) for x, y in zip(a, b, strict=True)]


def equivalence(floatx: str) -> dict:
    keras.backend.set_floatx(floatx)
    try:
        x, y = mnist_subset(128 * 50)
        runs = {}
        for name, dist in (("one", None), ("two", distribution.DataParallel())):
            distribution.set_distribution(dist)
            # Each rank draws other weights; the broadcast at the start of fit makes them equal.
            model = mlp(1 if dist is None else 1 + RANK)
            snaps = Snapshots(check_ranks=dist is not None)
            history = model.fit(x, y, batch_size=128, epochs=2, verbose=0, callbacks=[snaps])
            runs[name] = (model, snaps, history.history)
        distribution.set_distribution(None)
        (one, s1, h1), (two, s2, h2) = runs["one"], runs["two"]
        histories = COMM.allgather(h2)
        return {
            "steps": s2.steps,
            "after_10": relative_difference(s2.at_10, s1.at_10),
            "after_10_norm": norm_difference(s2.at_10, s1.at_10),
            "after_100": relative_difference(
                [w.numpy() for w in two.weights], [w.numpy() for w in one.weights]
            ),
            "unequal_steps": s2.unequal_steps,
            "same_history_on_ranks": all(h == histories[0] for h in histories),
            "loss_difference": max(abs(a - b) for a, b in zip(h1["loss"], h2["loss"], strict=True)),
            "accuracy_difference": max(
                abs(a - b) for a, b in zip(h1["accuracy"], h2["accuracy"], strict=True)
            ),
        }
    finally:
        keras.backend.set_floatx("float32")


def predict_and_evaluate() -> dict:
    x, y = mnist_subset(37)  # 37 = 4 batches of 8 and one of 5, split 2 + 3
    weights = np.linspace(0.5, 2.0, 37).astype("float32")
    model = mlp(3)
    distribution.set_distribution(None)
    want_pred = model.predict(x, batch_size=8, verbose=0)
    want_eval = model.evaluate(x, y, batch_size=8, sample_weight=weights, verbose=0)
    batches = [x[i : i + 8] for i in range(0, 37, 8)]  # 5 batches: rank 0 gets 3, rank 1 gets 2
    distribution.set_distribution(distribution.DataParallel())
    pred = model.predict(x, batch_size=8, verbose=0)
    pred_gen = model.predict(iter(batches), verbose=0)
    got_eval = model.evaluate(x, y, batch_size=8, sample_weight=weights, verbose=0)
    distribution.set_distribution(None)
    return {
        # Slices of a batch round differently from the whole batch: equal up to float32 rounding.
        "predict_difference": float(np.max(np.abs(pred - want_pred))),
        "predict_shape": list(pred.shape),
        "predict_generator_equal": bool(np.array_equal(pred_gen, want_pred)),
        "evaluate_difference": max(abs(a - b) for a, b in zip(got_eval, want_eval, strict=True)),
    }


class Batches(keras.utils.PyDataset):
    """`n` batches of 4 samples; records which batch indices this process read."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n
        self.read = []

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.read.append(i)
        x = np.full((4, 784), i / 10, dtype="float32")
        return x, np.full(4, i % 10)


class CountSteps(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1


def uneven_streams() -> dict:
    distribution.set_distribution(distribution.DataParallel())
    model = mlp(4)
    data = Batches(5)
    counter = CountSteps()
    model.fit(data, epochs=1, shuffle=False, verbose=0, callbacks=[counter])
    py_dataset = {"read": data.read, "steps": counter.steps}

    def generator():
        for i in range(5):
            yield Batches(5)[i]

    model.fit(generator(), epochs=1, verbose=0, callbacks=[counter])
    result = {"py_dataset": py_dataset, "generator_steps": counter.steps}
    distribution.set_distribution(None)
    return COMM.allgather(result)


def chief_writes(folder: str) -> dict:
    distribution.set_distribution(distribution.DataParallel())
    model = mlp(5)
    x, y = mnist_subset(64)
    mine = os.path.join(folder, f"rank{RANK}")
    callbacks = [
        keras.callbacks.ModelCheckpoint(mine + ".weights.h5", save_weights_only=True),
        keras.callbacks.CSVLogger(mine + ".csv"),
        keras.callbacks.BackupAndRestore(mine + "_backup", delete_checkpoint=False),
    ]
    if importlib.util.find_spec("tensorboardX"):
        callbacks.append(keras.callbacks.TensorBoard(mine + "_logs"))
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=callbacks)
    distribution.set_distribution(None)
    COMM.Barrier()
    return {"files": sorted(os.listdir(folder))}


def size_one() -> dict:
    """A job of one process trains exactly as without a distribution."""
    x, y = mnist_subset(256)
    digests = []
    for dist in (None, distribution.DataParallel()):
        distribution.set_distribution(dist)
        model = mlp(6)
        model.fit(x, y, batch_size=32, epochs=1, verbose=0)
        digests.append(weight_digest(model))
    return {
        "size": distribution.size(),
        "active": distribution.active_strategy() is not None,
        "same_weights": digests[0] == digests[1],
    }


def uneven_last_batch() -> dict:
    """301 samples in batches of 128: the last batch of 45 splits 22 + 23; with sample weights
    and shuffling, in float64."""
    keras.backend.set_floatx("float64")
    try:
        x, y = mnist_subset(301)
        weights = np.linspace(0.2, 3.0, 301)
        final = []
        for dist in (None, distribution.DataParallel()):
            distribution.set_distribution(dist)
            model = mlp(7 if dist is None else 7 + RANK)
            model.fit(x, y, batch_size=128, epochs=3, sample_weight=weights, verbose=0)
            final.append([w.numpy() for w in model.weights])
        distribution.set_distribution(None)
        return {"difference": relative_difference(final[1], final[0])}
    finally:
        keras.backend.set_floatx("float32")


class Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt  # on every rank, at the same point


def callbacks_agree(folder: str) -> dict:
    """EarlyStopping stops every rank together; BackupAndRestore resumes every rank from the
    same backup; a train_step override that applies local gradients is refused."""
    x, y = mnist_subset(256)
    distribution.set_distribution(distribution.DataParallel())
    stop = keras.callbacks.EarlyStopping(monitor="loss", min_delta=10.0, patience=1)
    history = mlp(8 + RANK).fit(x, y, batch_size=64, epochs=10, verbose=0, callbacks=[stop])
    epochs_run = COMM.allgather(len(history.epoch))

    whole = mlp(9 + RANK)
    whole.fit(x, y, batch_size=64, epochs=4, verbose=0)
    backup = os.path.join(folder, "backup")
    try:
        mlp(9 + RANK).fit(
            x,
            y,
            batch_size=64,
            epochs=4,
            verbose=0,
            callbacks=[keras.callbacks.BackupAndRestore(backup), Interrupt()],
        )
    except KeyboardInterrupt:
        pass
    resumed = mlp(20 + RANK)  # other weights: the backup must replace them
    history = resumed.fit(
        x,
        y,
        batch_size=64,
        epochs=4,
        verbose=0,
        callbacks=[keras.callbacks.BackupAndRestore(backup)],
    )

    class LocalStep(keras.Sequential):
        def train_step(self, data):
            x, y = data
            with keras.GradientTape() as tape:
                loss = self.compute_loss(x, y, self(x, training=True))
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply(grads, self.trainable_weights)
            return {"loss": loss}

    local = LocalStep([keras.Input((784,)), keras.layers.Dense(10, "softmax")])
    local.compile("adam", "sparse_categorical_crossentropy")
    try:
        local.fit(x, y, batch_size=64, epochs=1, verbose=0)
        refused = ""
    except RuntimeError as err:
        refused = str(err)
    distribution.set_distribution(None)
    return {
        "epochs_run": epochs_run,
        "resumed_epochs": history.epoch,
        "resumed_difference": relative_difference(
            [w.numpy() for w in resumed.weights], [w.numpy() for w in whole.weights]
        ),
        "resumed_same_on_ranks": len(set(COMM.allgather(weight_digest(resumed)))) == 1,
        "local_step_refused": refused,
    }


def batch_norm_statistics() -> dict:
    """Each rank's moving statistics come from its own samples; rank 0's are kept each epoch."""
    x, y = mnist_subset(256)
    distribution.set_distribution(distribution.DataParallel())
    keras.utils.set_random_seed(10)
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(32),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(10, "softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    distribution.set_distribution(None)
    return {"same_on_ranks": len(set(COMM.allgather(weight_digest(model)))) == 1}


def main() -> None:
    out, which = sys.argv[1], sys.argv[2]
    results = {}
    if which == "size1":
        results["size1"] = size_one()
    if which == "all":
        results["float32"] = equivalence("float32")
        results["float64"] = equivalence("float64")
        results["predict_evaluate"] = predict_and_evaluate()
        results["streams"] = uneven_streams()
        folder = os.path.join(os.path.dirname(out), "files")
        if RANK == 0:
            os.makedirs(folder)
        COMM.Barrier()
        results["files"] = chief_writes(folder)
        results["uneven"] = uneven_last_batch()
        results["callbacks"] = callbacks_agree(os.path.dirname(out))
        results["batch_norm"] = batch_norm_statistics()
    if RANK == 0:
        with open(out, "w") as f:
            json.dump(results, f)


if __name__ == "__main__":
    main()
