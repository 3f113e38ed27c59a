"""Data-parallel scaling on this machine: samples per second with 1 and 2 MPI ranks.

Two models, global batch 128, RMSprop, categorical cross-entropy, 1 BLAS thread per rank:

- mlp: the book's first network (2.1), Dense 512 relu + Dense 10 softmax on 784 inputs;
- convnet: the book's 5.1 convnet (examples/mnist_convnet.py).

For each rank count the script launches itself under `mpiexec -n N python -m mpi4py`. The
ranks train with `set_distribution(DataParallel())` and `model.fit` when
`lamina.distribution.DataParallel` exists, else with a hand-written loop (GradientTape, one
flat Allreduce of the gradients per step, their mean applied); `--plain` forces the loop.
Rank 0 reports the median step time over the timed steps (after a warm-up), the gradient
bytes each step reduces, and the shortest and median times of one Allreduce of that many
bytes, timed apart after training (all ranks enter each together: the shortest is the
transfer itself, the median adds the waits for a rank the OS descheduled).
docs/distributed.md's cost model uses these numbers.

Usage:
    python benchmarks/distributed_scaling.py --steps 40
    python benchmarks/distributed_scaling.py --models mlp --ranks 1,2,4 --plain
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
GLOBAL_BATCH = 128
WARMUP_STEPS = 5
ALLREDUCE_REPEATS = 50


def build(name: str):
    """The model `name`, compiled, and its training data: (model, x, y)."""
    import lamina
    from lamina.datasets import mnist

    lamina.utils.set_random_seed(0)
    (images, labels), _ = mnist.load_data()
    y = np.eye(10, dtype="float32")[labels]
    if name == "mlp":
        x = images.reshape(-1, 784).astype("float32") / 255
        model = lamina.Sequential(
            [
                lamina.layers.Dense(512, activation="relu", input_shape=(784,)),
                lamina.layers.Dense(10, activation="softmax"),
            ]
        )
    else:
        sys.path.insert(0, str(ROOT / "examples"))
        from mnist_convnet import build_model

        x = images.reshape(-1, 28, 28, 1).astype("float32") / 255
        model = build_model()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model, x, y


def fit_step_times(model, x, y, steps: int) -> list[float]:
    """Train `steps` steps with DataParallel + `fit`; the seconds of each step after warm-up."""
    import lamina
    from lamina.distribution import DataParallel, set_distribution

    class StepTimer(lamina.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times: list[float] = []

        def on_train_batch_begin(self, batch, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    set_distribution(DataParallel())
    timer = StepTimer()
    n = (WARMUP_STEPS + steps) * GLOBAL_BATCH
    model.fit(
        x[:n], y[:n], batch_size=GLOBAL_BATCH, epochs=1, shuffle=False, callbacks=[timer], verbose=0
    )
    return timer.times[WARMUP_STEPS:]


def loop_step_times(model, x, y, steps: int, comm) -> list[float]:
    """The same with a hand-written loop: shard, GradientTape, one flat Allreduce, apply."""
    from mpi4py import MPI

    import lamina

    rank, size = comm.Get_rank(), comm.Get_size()
    variables = model.trainable_weights
    model.set_weights(comm.bcast(model.get_weights(), root=0))
    times = []
    for step in range(WARMUP_STEPS + steps):
        start = time.perf_counter()
        rows = slice(step * GLOBAL_BATCH + rank, (step + 1) * GLOBAL_BATCH, size)
        with lamina.GradientTape() as tape:
            loss = lamina.ops.mean(lamina.losses.categorical_crossentropy(y[rows], model(x[rows])))
        grads = [lamina.backend.to_numpy(g) for g in tape.gradient(loss, variables)]
        flat = np.concatenate([g.ravel() for g in grads])
        comm.Allreduce(MPI.IN_PLACE, flat, op=MPI.SUM)
        flat /= size
        parts = np.split(flat, np.cumsum([g.size for g in grads])[:-1])
        means = [p.reshape(g.shape) for p, g in zip(parts, grads, strict=True)]
        model.optimizer.apply(means, variables)
        times.append(time.perf_counter() - start)
    return times[WARMUP_STEPS:]


def allreduce_seconds(count: int, comm) -> tuple[float, float]:
    """The shortest and the median time of one in-place Allreduce of `count` float32.

    All ranks enter each one together (after a Barrier). On a busy machine the median also
    holds the waits for a descheduled rank; the shortest is the transfer itself.
    """
    from mpi4py import MPI

    buffer = np.ones(count, dtype="float32")
    times = []
    for _ in range(ALLREDUCE_REPEATS):
        comm.Barrier()
        start = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def child(args: argparse.Namespace) -> None:
    """One rank of a job: train, time, and (rank 0) print one JSON line."""
    from mpi4py import MPI

    import lamina.distribution

    comm = MPI.COMM_WORLD
    model, x, y = build(args.model)
    use_fit = hasattr(lamina.distribution, "DataParallel") and not args.plain
    if use_fit:
        times = fit_step_times(model, x, y, args.steps)
    else:
        times = loop_step_times(model, x, y, args.steps, comm)
    params = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    # DataParallel's buffer holds the sample count after the gradients.
    reduce_min_s, reduce_median_s = allreduce_seconds(params + 1, comm)
    if comm.Get_rank() == 0:
        step_s = statistics.median(times)
        result = {
            "model": args.model,
            "ranks": comm.Get_size(),
            "path": "fit" if use_fit else "loop",
            "step_ms": step_s * 1e3,
            "samples_per_s": GLOBAL_BATCH / step_s,
            "gradient_bytes": 4 * (params + 1),
            "allreduce_min_ms": reduce_min_s * 1e3,
            "allreduce_median_ms": reduce_median_s * 1e3,
        }
        print(json.dumps(result), flush=True)


def launch(model: str, ranks: int, args: argparse.Namespace) -> dict:
    """Run one job of `ranks` ranks and return rank 0's JSON line."""
    mpiexec = pathlib.Path(sys.executable).with_name("mpiexec")
    command = [str(mpiexec) if mpiexec.exists() else "mpiexec", "--oversubscribe", "-n"]
    command += [str(ranks)]
    if os.geteuid() == 0:
        command.append("--allow-run-as-root")
    command += [sys.executable, "-m", "mpi4py", __file__, "--child", "--model", model]
    command += ["--steps", str(args.steps)] + (["--plain"] if args.plain else [])
    env = dict(os.environ, LAMINA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        sys.exit(f"{model} on {ranks} ranks failed (exit {proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mlp,convnet")
    parser.add_argument("--ranks", default="1,2")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per job")
    parser.add_argument("--plain", action="store_true", help="the hand-written loop, not fit")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    rank_counts = [int(n) for n in args.ranks.split(",")]
    header = f"{'model':<9}{'ranks':>6}{'path':>6}{'samples/s':>11}{'step ms':>9}"
    print(header + f"{'grad bytes':>12}{'allreduce ms min/median':>25}", flush=True)
    results = {}
    for model in args.models.split(","):
        for ranks in rank_counts:
            r = launch(model, ranks, args)
            results[model, ranks] = r
            print(
                f"{model:<9}{ranks:>6}{r['path']:>6}{r['samples_per_s']:>11.0f}"
                f"{r['step_ms']:>9.2f}{r['gradient_bytes']:>12,}"
                f"{r['allreduce_min_ms']:>16.3f} / {r['allreduce_median_ms']:.3f}",
                flush=True,
            )
    base = rank_counts[0]
    speedups = [
        f"{model} {ranks}/{base} ranks: "
        f"{results[model, ranks]['samples_per_s'] / results[model, base]['samples_per_s']:.2f}x"
        for model in args.models.split(",")
        for ranks in rank_counts[1:]
    ]
    print("speedup " + ", ".join(speedups))


if __name__ == "__main__":
    main()
