"""Where one epoch of lamina's `model.fit` on the book's first network spends its time.

Two views of the workload of benchmarks/mnist_mlp.py, in one process with pinned threads:

1. A ladder of four loops over the same shuffled batches, timed without a profiler and
   alternated over several rounds: the hand-written NumPy step (the floor), the same math
   written with lamina ops under a GradientTape plus `optimizer.apply`, `model.train_step`
   called in a Python loop, and `model.fit`. The differences between neighbours are the costs
   of the engine, of layers + loss wrapper + metrics, and of the fit loop + data adapter +
   callbacks.
2. cProfile of one `model.fit` epoch with every function's self time put in a category (matrix
   products, op kernels, optimizer, engine, ...). Time in NumPy's Python functions and in
   built-ins goes to the category of their callers. cProfile slows the Python-heavy parts,
   so read its shares of overhead as upper bounds and take the sizes from the ladder.

Usage:
    python benchmarks/mnist_mlp_profile.py --threads 1 --rounds 3
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

import harness
import mnist_mlp
import numpy as np
from mnist_mlp import BATCH, CLASSES, FEATURES, HIDDEN, SAMPLES, SEED

# (category, path fragment, function names or None for any), first match wins.
CATEGORIES = (
    ("matmul (BLAS)", "lamina/ops/linalg.py", {"forward", "backward"}),
    ("op kernels (elementwise, reductions)", "lamina/ops/", {"forward", "backward"}),
    ("op kernels (elementwise, reductions)", "lamina/ops/core.py", {"sum_to_shape"}),
    ("optimizer update", "lamina/optimizers/", None),
    ("op wrappers (convert, broadcast, checks)", "lamina/ops/", None),
    ("engine (Function.apply, tape, backward)", "lamina/function.py", None),
    ("engine (Function.apply, tape, backward)", "lamina/tensor.py", None),
    ("engine (Function.apply, tape, backward)", "lamina/gradient_tape.py", None),
    ("engine (Function.apply, tape, backward)", "lamina/variable.py", None),
    ("Layer.__call__, Dense.call, Sequential", "lamina/layers/", None),
    ("Layer.__call__, Dense.call, Sequential", "lamina/models/", None),
    ("Layer.__call__, Dense.call, Sequential", "lamina/activations.py", None),
    ("loss function and reduction", "lamina/losses/", None),
    ("metrics (loss tracker, accuracy)", "lamina/metrics/", None),
    ("data adapter (shuffle, batch gather)", "lamina/training/data_adapters.py", None),
    ("trainer (fit loop, train_step)", "lamina/training/", None),
    ("callbacks", "lamina/callbacks/", None),
)


def lamina_ops_trainer():
    """Returns a step doing the model's math with lamina ops, a GradientTape and RMSprop."""
    import lamina
    from lamina import ops

    rng = np.random.default_rng(SEED)
    limit1 = np.sqrt(6 / (FEATURES + HIDDEN))
    limit2 = np.sqrt(6 / (HIDDEN + CLASSES))
    params = [
        lamina.Variable(rng.uniform(-limit1, limit1, (FEATURES, HIDDEN)).astype(np.float32)),
        lamina.Variable(np.zeros(HIDDEN, np.float32)),
        lamina.Variable(rng.uniform(-limit2, limit2, (HIDDEN, CLASSES)).astype(np.float32)),
        lamina.Variable(np.zeros(CLASSES, np.float32)),
    ]
    w1, b1, w2, b2 = params
    optimizer = lamina.optimizers.RMSprop()

    def train_step(xb, yb):
        with lamina.GradientTape() as tape:
            h = ops.relu(ops.matmul(xb, w1) + b1)
            probs = ops.softmax(ops.matmul(h, w2) + b2)
            loss = ops.mean(lamina.losses.categorical_crossentropy(yb, probs))
        optimizer.apply(tape.gradient(loss, params), params)
        return float(loss)

    return train_step


def compiled_model():
    """The book's network, compiled as in examples/mnist_first_network.py."""
    import lamina

    model = lamina.Sequential(
        [
            lamina.layers.Dense(HIDDEN, activation="relu", input_shape=(FEATURES,)),
            lamina.layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def ladder(x, y, rounds: int) -> None:
    """Times the four loops, alternating them, and prints medians and the steps between."""
    rng = np.random.default_rng(SEED)
    numpy_step = mnist_mlp.numpy_trainer(rng)
    ops_step = lamina_ops_trainer()
    step_model, fit_model = compiled_model(), compiled_model()
    warm = mnist_mlp.WARMUP_STEPS * BATCH
    step_model.fit(x[:warm], y[:warm], batch_size=BATCH, verbose=0)
    fit_model.fit(x[:warm], y[:warm], batch_size=BATCH, verbose=0)

    def batches_loop(step):
        def epoch():
            order = rng.permutation(SAMPLES)
            for start in range(0, SAMPLES, BATCH):
                index = order[start : start + BATCH]
                step(x[index], y[index])

        return epoch

    def train_step_loop(xb, yb):
        step_model.train_step((xb, yb))

    levels = {
        "numpy step": batches_loop(numpy_step),
        "lamina ops + tape + optimizer": batches_loop(ops_step),
        "model.train_step loop": batches_loop(train_step_loop),
        "model.fit": lambda: fit_model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0),
    }
    for epoch in levels.values():  # one short untimed pass each
        epoch()
    times: dict[str, list[float]] = {name: [] for name in levels}
    for _ in range(rounds):
        for name, epoch in levels.items():
            start = time.perf_counter()
            epoch()
            times[name].append(time.perf_counter() - start)
    steps = -(-SAMPLES // BATCH)
    print(f"ladder: median of {rounds} epochs each ({steps} steps of {BATCH})")
    print(f"{'loop':<32}{'epoch s':>9}{'samples/s':>11}{'us/step':>9}{'+us/step':>10}")
    previous = None
    for name, values in times.items():
        median = statistics.median(values)
        per_step = median / steps * 1e6
        extra = f"{per_step - previous:>+10.0f}" if previous is not None else f"{'':>10}"
        print(f"{name:<32}{median:>9.3f}{SAMPLES / median:>11.0f}{per_step:>9.0f}{extra}")
        previous = per_step


def category_of(filename: str, function: str) -> str | None:
    path = filename.replace(os.sep, "/")
    if "/lamina/" not in path:
        return None
    for category, fragment, functions in CATEGORIES:
        if fragment in path and (functions is None or function in functions):
            return category
    return "other lamina"


def categorise(stats: pstats.Stats) -> tuple[dict[str, float], list[tuple[float, str]]]:
    """Self time per category, and per lamina function, with non-lamina time given to callers.

    A function outside lamina (NumPy's Python code, a built-in, a ufunc method) passes its
    self time to its callers in proportion to the self time each call edge recorded; a caller
    outside lamina passes it on again.
    """
    entries = stats.stats  # {func: (cc, nc, tt, ct, callers)}
    shares: dict = {}

    def share(func, depth=0) -> dict:
        if func in shares:
            return shares[func]
        filename, _, name = func
        category = category_of(filename, name)
        if category is not None:
            result = {func: 1.0}
        elif depth > 50 or func not in entries or not entries[func][4]:
            result = {("~", 0, "outside lamina"): 1.0}
        else:
            callers = entries[func][4]
            total = sum(edge[2] for edge in callers.values()) or float(len(callers))
            result = {}
            for caller, edge in callers.items():
                weight = (edge[2] if total else 1.0) / total
                for owner, part in share(caller, depth + 1).items():
                    result[owner] = result.get(owner, 0.0) + weight * part
        shares[func] = result
        return result

    per_function: dict = {}
    for func, (_, _, tt, _, _) in entries.items():
        for owner, part in share(func).items():
            per_function[owner] = per_function.get(owner, 0.0) + tt * part
    per_category: dict[str, float] = {}
    for (filename, _, name), seconds in per_function.items():
        category = category_of(filename, name) or "outside lamina (harness, NumPy setup)"
        per_category[category] = per_category.get(category, 0.0) + seconds
    top = sorted(
        (
            (s, f"{Path(f).as_posix().split('/lamina/')[-1]}:{ln}({n})")
            for (f, ln, n), s in per_function.items()
        ),
        reverse=True,
    )
    return per_category, top


def profile_fit(x, y, top_n: int) -> None:
    model = compiled_model()
    warm = mnist_mlp.WARMUP_STEPS * BATCH
    model.fit(x[:warm], y[:warm], batch_size=BATCH, verbose=0)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
    profiler.disable()
    wall = time.perf_counter() - start
    per_category, top = categorise(pstats.Stats(profiler))
    total = sum(per_category.values())
    print(f"\ncProfile of one model.fit epoch: {wall:.3f} s under the profiler")
    print(f"{'category':<44}{'s':>8}{'%':>7}{'us/step':>9}")
    steps = -(-SAMPLES // BATCH)
    for category, seconds in sorted(per_category.items(), key=lambda kv: -kv[1]):
        row = f"{category:<44}{seconds:>8.3f}{100 * seconds / total:>7.1f}"
        print(row + f"{seconds / steps * 1e6:>9.1f}")
    print(f"\ntop {top_n} lamina functions by self time (NumPy and built-ins folded in):")
    for seconds, name in top[:top_n]:
        print(f"{seconds:>8.3f} s {100 * seconds / total:>5.1f}%  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    for name in harness.THREAD_ENV_VARS:  # lamina reads LAMINA_NUM_THREADS on import
        os.environ[name] = str(args.threads)
    sys.path.insert(0, str(harness.ROOT))
    harness.pin_threads(args.threads)
    x, y = mnist_mlp.load_mnist()
    harness.pin_threads(args.threads)
    print(f"mnist_mlp_profile: threads={args.threads}")
    ladder(x, y, args.rounds)
    profile_fit(x, y, args.top)


if __name__ == "__main__":
    main()
