"""A small data-parallel training run over MPI ranks, with a fault injected on request.

Every rank builds the same tiny model, takes rank 0's initial weights, and at each step
computes the gradient of its shard of the global batch with a GradientTape, sums the flat
gradient over the ranks with one Allreduce, and applies the mean. The step watchdog and the
excepthook of `lamina.distribution.faults` run throughout.

    mpiexec -n 2 python -m mpi4py tests/distribution/fault_worker.py --fault raise

With `--fit`, the same run goes through `model.fit` under `set_distribution(DataParallel())`
(which then owns the watchdog and the excepthook) instead of the hand-written loop.

Before injecting a fault the rank prints `FAULT <kind> at <unix time>`, from which the tests
measure how long the job takes to end.
"""

import argparse
import os
import signal
import threading
import time

import numpy as np
from mpi4py import MPI

import lamina
from lamina.distribution.faults import TIMEOUT_ENV, StepWatchdog, install_excepthook

FEATURES, SAMPLES, GLOBAL_BATCH = 4, 64, 16


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", choices=("none", "raise", "kill", "sleep"), default="none")
    parser.add_argument("--fault-rank", type=int, default=1)
    parser.add_argument("--fault-step", type=int, default=3)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=None, help="the watchdog's, in s")
    parser.add_argument("--checkpoint", help="rank 0 saves the model here after a step")
    parser.add_argument("--checkpoint-step", type=int, default=0, help="after this many steps")
    parser.add_argument("--resume", help="a checkpoint to resume from")
    parser.add_argument("--out", help="rank 0 writes the final weights here (.npz)")
    parser.add_argument("--fit", action="store_true", help="train with DataParallel + fit")
    return parser.parse_args()


def inject(fault: str) -> None:
    print(f"FAULT {fault} at {time.time():.3f}", flush=True)
    if fault == "raise":
        raise RuntimeError("injected fault")
    if fault == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if fault == "sleep":
        threading.Event().wait()


def dataset() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((SAMPLES, FEATURES)).astype("float32")
    y = (x @ np.arange(1, FEATURES + 1, dtype="float32"))[:, None] + 0.5
    return x, y


def build_model() -> lamina.Model:
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [
            lamina.layers.Dense(8, activation="relu", input_shape=(FEATURES,)),
            lamina.layers.Dense(1),
        ]
    )
    model.compile(optimizer=lamina.optimizers.RMSprop(learning_rate=0.01), loss="mse")
    return model


def train_loop(model: lamina.Model, args: argparse.Namespace, comm: MPI.Comm) -> None:
    """The hand-written data-parallel loop; resumes at the optimizer's iteration count."""
    rank, size = comm.Get_rank(), comm.Get_size()
    x, y = dataset()
    variables = model.trainable_weights
    model.set_weights(comm.bcast(model.get_weights(), root=0))
    watchdog = StepWatchdog(args.timeout)
    watchdog.start()
    for step in range(model.optimizer.iterations_int, args.steps):
        watchdog.begin_step(step)
        if args.fault != "none" and rank == args.fault_rank and step == args.fault_step:
            inject(args.fault)
        first = step * GLOBAL_BATCH % SAMPLES
        rows = slice(first + rank, first + GLOBAL_BATCH, size)  # this rank's shard
        with lamina.GradientTape() as tape:
            loss = lamina.ops.mean(lamina.ops.square(model(x[rows]) - y[rows]))
        grads = [lamina.backend.to_numpy(g) for g in tape.gradient(loss, variables)]
        flat = np.concatenate([g.ravel() for g in grads])
        watchdog.begin_allreduce()
        comm.Allreduce(MPI.IN_PLACE, flat, op=MPI.SUM)
        flat /= size
        parts = np.split(flat, np.cumsum([g.size for g in grads])[:-1])
        means = [part.reshape(g.shape) for part, g in zip(parts, grads, strict=True)]
        model.optimizer.apply(means, variables)
        watchdog.end_step()
        if args.checkpoint and rank == 0 and step + 1 == args.checkpoint_step:
            model.save(args.checkpoint)
    watchdog.stop()


def train_fit(model: lamina.Model, args: argparse.Namespace, comm: MPI.Comm) -> None:
    """The same run through `model.fit`, distributed by `DataParallel`."""
    from lamina.distribution import DataParallel, set_distribution  # Needs the core branch.

    class Fault(lamina.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if comm.Get_rank() == args.fault_rank and batch == args.fault_step:
                inject(args.fault)

    if args.timeout is not None:  # DataParallel's watchdog reads it
        os.environ[TIMEOUT_ENV] = str(args.timeout)
    set_distribution(DataParallel())
    x, y = dataset()
    steps_per_epoch = SAMPLES // GLOBAL_BATCH
    callbacks = [Fault()] if args.fault != "none" else []
    model.fit(
        x,
        y,
        batch_size=GLOBAL_BATCH,
        epochs=-(-args.steps // steps_per_epoch),
        shuffle=False,
        callbacks=callbacks,
        verbose=0,
    )


def main() -> None:
    args = parse_args()
    comm = MPI.COMM_WORLD
    install_excepthook()
    model = lamina.models.load_model(args.resume) if args.resume else build_model()
    (train_fit if args.fit else train_loop)(model, args, comm)
    if args.out and comm.Get_rank() == 0:
        np.savez(args.out, *model.get_weights())
    print(f"rank {comm.Get_rank()} done", flush=True)


if __name__ == "__main__":
    main()
