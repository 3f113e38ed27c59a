"""Kill during save: SIGKILL a process that keeps saving, many times, and check every file.

A child process saves the same file over and over, each time a new version, and prints each
version once it is saved; the parent kills it with SIGKILL after a random delay, then checks:

- the file loads (`load_model`, `load_weights`, or a BackupAndRestore backup read back) and
  is either the last version the child reported or the one it was writing;
- once the next process has saved, no temporary file of the killed one is left.

Kinds of file (the kills are shared out among them):

- keras: `model.save("model.keras")`, every weight and optimizer variable set to the version;
- weights: `model.save_weights("model.weights.safetensors")`, likewise;
- backup: a `fit` with `BackupAndRestore(save_freq=1)`, whose version is the optimizer's step
  counter; each child resumes from the backup the previous one left.

A kill that finds a temporary file beside the target landed mid-write. The last line reads
`0 corrupt files in 200 kills ...` when all is well.

Usage:
    python benchmarks/kill_during_save.py                 # 200 kills
    python benchmarks/kill_during_save.py --kills 30 --kinds keras
"""

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

FILES = {"keras": "model.keras", "weights": "model.weights.safetensors", "backup": "backup"}


def make_model():
    import lamina
    from lamina import layers

    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [lamina.Input((256,)), layers.Dense(512), layers.Dense(256), layers.Dense(10)]
    )
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_weights)
    return model


# ----- the child ------------------------------------------------------------------------------


def keep_saving(kind: str, path: str, start: int) -> None:
    model = make_model()
    if kind == "backup":
        keep_training(model, path)
        return
    version = start
    while True:
        for v in model.weights + model.optimizer.variables:
            v.assign(np.full(v.shape, version, dtype=v.dtype))
        if kind == "keras":
            model.save(path)
        else:
            model.save_weights(path)
        print(version, flush=True)
        version += 1


def keep_training(model, backup_dir: str) -> None:
    import lamina

    class Report(lamina.callbacks.Callback):
        # As a batch begins, every backup up to the current step is written (the backup of a
        # batch is made at its end).
        def on_train_batch_begin(self, batch, logs=None):
            print(self.model.optimizer.iterations_int, flush=True)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 256)).astype("float32")
    y = rng.normal(size=(256, 10)).astype("float32")
    backup = lamina.callbacks.BackupAndRestore(backup_dir, save_freq=1, delete_checkpoint=False)
    model.fit(x, y, batch_size=32, epochs=10**6, verbose=0, callbacks=[Report(), backup])


# ----- the parent -----------------------------------------------------------------------------


def saved_version(kind: str, path: str) -> int:
    """The version in the file; raises if it does not load or mixes versions."""
    import lamina
    from lamina.callbacks.backup_and_restore import BACKUP_NAME, _read

    if kind == "backup":
        _, store, _, state = _read(os.path.join(path, BACKUP_NAME))
        return int(store.extra["optimizer/vars/0"])
    if kind == "keras":
        model = lamina.models.load_model(path)
        arrays = [v.numpy() for v in model.weights + model.optimizer.variables]
    else:
        model = make_model()
        model.load_weights(path)
        arrays = model.get_weights()
    versions = {float(value) for a in arrays for value in np.unique(a)}
    if len(versions) != 1:
        raise ValueError(f"the file mixes versions {sorted(versions)[:5]}")
    return int(versions.pop())


def temp_files(folder: str) -> list[str]:
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


def start_child(kind: str, path: str, start: int) -> subprocess.Popen:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, __file__, "--child", kind, path, str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def read_line(child: subprocess.Popen) -> int:
    line = child.stdout.readline()
    if not line:
        raise RuntimeError(f"the saving process ended: {child.stderr.read()[-2000:]}")
    return int(line)


def run_kind(kind: str, kills: int, max_delay: float, folder: str, rng: random.Random) -> dict:
    path = os.path.join(folder, FILES[kind])
    where = path if kind == "backup" else folder
    counts = {"kills": 0, "corrupt": 0, "old": 0, "new": 0, "mid_write": 0, "stray": 0}
    start = 1
    child = start_child(kind, path, start)
    lines_before_kill = 2 if kind == "backup" else 1  # a backup child's first line comes first
    first = [read_line(child) for _ in range(lines_before_kill)][-1]
    for i in range(kills):
        time.sleep(rng.uniform(0, max_delay))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        dead = child.pid
        reported = int(([str(first)] + out.split())[-1])
        counts["kills"] += 1
        counts["mid_write"] += bool(os.path.isdir(where) and temp_files(where))
        try:
            version = saved_version(kind, path)
        except Exception as err:  # a corrupt file: report it, keep going
            print(f"  {kind} kill {i + 1}: the file does not load: {err}")
            counts["corrupt"] += 1
            version = None
        if version == reported:
            counts["old"] += 1
        elif version == reported + 1:
            counts["new"] += 1
        elif version is not None:
            print(f"  {kind} kill {i + 1}: version {version}, expected {reported} or later one")
            counts["corrupt"] += 1
        if version is None and kind == "backup":
            shutil.rmtree(path)  # the next child could not resume from it
        # The next process saves (once at least) and must remove what the killed one left.
        start = reported + 2
        child = start_child(kind, path, start)
        first = [read_line(child) for _ in range(lines_before_kill)][-1]
        counts["stray"] += sum(f".{dead}." in name for name in temp_files(where))
    child.send_signal(signal.SIGKILL)
    child.communicate()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=200, help="kills in all")
    parser.add_argument("--kinds", default="keras,weights,backup")
    parser.add_argument("--max-delay", type=float, default=0.1, help="seconds before a kill")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    rng = random.Random(args.seed)
    began = time.perf_counter()
    totals: dict[str, int] = {}
    print(f"{'kind':8} {'kills':>6} {'mid-write':>10} {'old':>5} {'new':>5} {'corrupt':>8} stray")
    for k, kind in enumerate(kinds):
        share = args.kills // len(kinds) + (k < args.kills % len(kinds))
        with tempfile.TemporaryDirectory() as folder:
            counts = run_kind(kind, share, args.max_delay, folder, rng)
        print(
            f"{kind:8} {counts['kills']:6d} {counts['mid_write']:10d} {counts['old']:5d} "
            f"{counts['new']:5d} {counts['corrupt']:8d} {counts['stray']:5d}"
        )
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    print(
        f"{totals['corrupt']} corrupt files in {totals['kills']} kills "
        f"({totals['mid_write']} mid-write, {totals['stray']} stray temporary files after the "
        f"next save), {time.perf_counter() - began:.0f} s"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        keep_saving(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
