"""A small runner that times benchmark "sides" in separate processes and compares them.

A benchmark script maps side names to setup functions and hands them to `main`::

    def numpy_side():
        x = ...                      # build data outside the timed region
        def step():
            ...                      # one iteration of the work being measured
        return step, {"loss": 1.23}  # values every side must agree on

    if __name__ == "__main__":
        harness.main({"numpy": numpy_side, "torch": torch_side}, title="...")

Run without `--side`, the script is the parent: it starts one child process per side for a
warm-up, then alternates the sides A B A B for `--rounds` rounds. Each child
(`python script.py --side NAME --threads N --repeats R`) pins the thread count, calls the setup
function, times `step` and prints one JSON line. The parent prints a table of medians across
rounds, the time ratios, and a speed-up line as its last line.

A step may be a whole epoch: pass `throughput=(items_per_step, unit)` (e.g. `(60000,
"samples")`) to report items per second instead of milliseconds per step, and `repeats=1,
warmup=0` when the setup function warms up itself. The check dict is read after timing, so a
step may fill it in (e.g. with the epoch's loss) when the values only exist afterwards.

`python script.py --side NAME --profile` runs one child under cProfile and prints the hottest
functions to stderr after its JSON line.

The step function must finish its work before it returns (materialise lazy results), and
setup functions must import their framework themselves so that each process loads only one.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "LAMINA_NUM_THREADS",
)
# Set on this machine for old OpenBLAS builds; they force a slower kernel on a current NumPy.
# The benchmark children run without them (tests and CI keep them), and report the kernel used.
BLAS_OVERRIDE_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
CHECK_RTOL = 1e-4

Step = Callable[[], object]
Setup = Callable[[], tuple[Step, dict[str, float]]]


def time_step(step: Step, warmup: int, repeats: int) -> dict[str, float]:
    """Times `step` after `warmup` untimed calls.

    Args:
        step: function running one iteration of the benchmark.
        warmup: number of untimed calls first.
        repeats: number of timed calls.

    Returns:
        A dict with the median and minimum seconds per call.
    """
    for _ in range(warmup):
        step()
    gc.collect()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times)}


def peak_rss_mb() -> float:
    """Returns this process's peak resident set size in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float | None:
    """Returns this process's resident set size now in MiB, or None without /proc (not Linux)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except OSError:
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def pin_threads(threads: int) -> None:
    """Limits BLAS/OpenMP pools, and torch when it is loaded, to `threads` threads."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)  # Stays in force: the returned handle is never restored.
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


def blas_kernel() -> str:
    """The BLAS library and CPU kernel NumPy runs with (e.g. `openblas/SkylakeX`), if known."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(f"{i['internal_api']}/{i.get('architecture')}" for i in blas) or "none"


def run_child(setup: Setup, args: argparse.Namespace) -> None:
    """Sets up one side, times it and prints a single JSON line."""
    sys.path.insert(0, str(ROOT))  # Benchmark the working tree's lamina.
    pin_threads(args.threads)
    step, check = setup()
    pin_threads(args.threads)  # Again: setup may have loaded new thread pools.
    if args.flush_denormal and "torch" in sys.modules:
        # On long runs torch's optimizer averages decay into denormals and its steps slow.
        sys.modules["torch"].set_flush_denormal(True)
    start_rss_mb = current_rss_mb()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    result = time_step(step, args.warmup, args.repeats)
    if profiler is not None:
        profiler.disable()
    result.update(side=args.side, threads=args.threads, peak_rss_mb=peak_rss_mb(), check=check)
    result.update(start_rss_mb=start_rss_mb, blas_kernel=blas_kernel())
    print(json.dumps(result), flush=True)
    if profiler is not None:
        import pstats

        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime")
        stats.print_stats(args.profile)


def launch(script: str, side: str, args: argparse.Namespace, repeats: int) -> dict:
    """Runs one child process for `side` and returns its parsed JSON line."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_OVERRIDE_VARS}
    env.update({name: str(args.threads) for name in THREAD_ENV_VARS})
    python = args.executables.get(side) or sys.executable
    command = [python, script, "--side", side, "--threads", str(args.threads)]
    command += ["--repeats", str(repeats), "--warmup", str(args.warmup), *args.child_args]
    if args.flush_denormal:
        command.append("--flush-denormal")
    proc = subprocess.run(command, check=False, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(
            f"side {side!r} failed (exit {proc.returncode}); "
            f"leave it out with --sides.\n{proc.stderr.strip()}"
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check_agreement(first: dict[str, dict], rtol: float = CHECK_RTOL) -> None:
    """Exits when the sides disagree on any shared check value (e.g. the loss) beyond `rtol`."""
    names = list(first)
    for key in first[names[0]]["check"]:
        values = {name: first[name]["check"][key] for name in names}
        reference = values[names[0]]
        tolerance = rtol * max(abs(reference), 1e-12)
        if any(abs(value - reference) > tolerance for value in values.values()):
            sys.exit(f"sides disagree on {key}: {values}")


def report(
    rounds: dict[str, list[dict]],
    ratios: Sequence[tuple[str, str]],
    speedups: Sequence[tuple[str, str]],
    throughput: tuple[int, str] | None = None,
) -> dict[str, dict[str, float]]:
    """Prints the per-side table, then time ratios, then speed-ups (the last one last).

    Without `throughput` the table shows milliseconds per step; with `(items, unit)` it shows
    items per second, and each speed-up line also compares the peak RSS.

    Returns:
        Each side's median per-round figure (ms/step or items/s) and peak RSS in MiB.
    """
    if throughput is None:
        column, fmt = "ms/step", ".3f"
        values = {name: [r["median_s"] * 1e3 for r in runs] for name, runs in rounds.items()}
    else:
        column, fmt = f"{throughput[1]}/s", ".0f"
        values = {
            name: [throughput[0] / r["median_s"] for r in runs] for name, runs in rounds.items()
        }
    median = {name: statistics.median(v) for name, v in values.items()}
    peak = {name: max(r["peak_rss_mb"] for r in runs) for name, runs in rounds.items()}
    checks = sorted(next(iter(rounds.values()))[0]["check"])
    header = f"{'side':<8}{column:>12}{'min round':>12}{'max round':>12}"
    header += f"{'start RSS MiB':>15}{'peak RSS MiB':>14}"
    kernels = {name: runs[0].get("blas_kernel", "?") for name, runs in rounds.items()}
    print("BLAS kernels: " + ", ".join(f"{n}: {k}" for n, k in kernels.items()))
    print(header + "".join(f"{key:>14}" for key in checks))
    for name, v in values.items():
        runs = rounds[name]
        row = f"{name:<8}{median[name]:>12{fmt}}{min(v):>12{fmt}}{max(v):>12{fmt}}"
        start = [r["start_rss_mb"] for r in runs if r.get("start_rss_mb") is not None]
        row += f"{statistics.median(start):>15.1f}" if start else f"{'-':>15}"
        row += f"{peak[name]:>14.1f}"
        print(row + "".join(f"{runs[0]['check'][key]:>14.6g}" for key in checks))
    seconds = {name: statistics.median(r["median_s"] for r in rs) for name, rs in rounds.items()}
    for a, b in ratios:
        if a in median and b in median:
            print(f"{a}/{b} time: {seconds[a] / seconds[b]:.2f}x")
    for a, b in speedups:
        if a not in median or b not in median:
            continue
        if throughput is None:
            print(f"{a} vs {b}: {median[b] / median[a]:.2f}x faster ({b} ms / {a} ms)")
            continue
        unit = throughput[1]
        mb = {name: peak[name] * 2**20 / 1e6 for name in (a, b)}  # MiB -> MB
        print(
            f"{a} vs {b}: {median[a] / median[b]:.2f}x {unit}/s "
            f"({a} {median[a]:.0f}/s, {b} {median[b]:.0f}/s); "
            f"peak RSS {a} {mb[a]:.0f} MB vs {b} {mb[b]:.0f} MB"
        )
    return {name: {"median": median[name], "peak_rss_mb": peak[name]} for name in rounds}


def main(
    sides: dict[str, Setup],
    *,
    title: str,
    ratios: Sequence[tuple[str, str]] = (),
    speedups: Sequence[tuple[str, str]] = (),
    repeats: int = 50,
    warmup: int = 5,
    throughput: tuple[int, str] | None = None,
    check_rtol: float = CHECK_RTOL,
    child_args: Sequence[str] = (),
    executables: dict[str, str] | None = None,
) -> dict[str, dict[str, float]] | None:
    """Runs the benchmark as parent or, with `--side`, as one child.

    Args:
        sides: setup function for each side, in the order they run within a round.
        title: one line describing the workload.
        ratios: `(a, b)` pairs printed as time(a) / time(b).
        speedups: `(a, b)` pairs printed as "a vs b: time(b) / time(a) faster"; the last pair
            whose sides both ran ends the output.
        repeats: default number of timed steps per child.
        warmup: default number of untimed steps per child.
        throughput: `(items per step, unit)` to report items per second (e.g. samples per
            epoch) instead of milliseconds per step.
        check_rtol: relative tolerance within which the sides' check values must agree.
        child_args: extra command-line arguments for every child (the script's own options,
            which it parses and removes from `sys.argv` before calling `main`).
        executables: the Python interpreter of a side whose framework lives in another
            environment (e.g. `{"torch": "/venvs/torch/bin/python"}`); the others, and a side
            given None, run under this interpreter.

    Returns:
        In the parent, `report`'s figures per side; None in a child.
    """
    parser = argparse.ArgumentParser(description=title)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--warmup", type=int, default=warmup)
    parser.add_argument("--sides", default=",".join(sides), help="comma-separated subset")
    parser.add_argument("--side", choices=sorted(sides), help=argparse.SUPPRESS)
    parser.add_argument(
        "--flush-denormal",
        action="store_true",
        help="torch side: torch.set_flush_denormal(True), so denormals do not slow its steps",
    )
    parser.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=40,
        default=0,
        help="with --side: run it under cProfile and print the N hottest functions to stderr",
    )
    args = parser.parse_args()
    args.child_args = list(child_args)
    args.executables = dict(executables or {})
    if args.side:
        run_child(sides[args.side], args)
        return None
    if args.profile:
        parser.error("--profile needs --side NAME")

    names = [name for name in args.sides.split(",") if name]
    unknown = sorted(set(names) - set(sides))
    if unknown:
        parser.error(f"unknown sides {unknown}; choose from {sorted(sides)}")
    script = str(Path(sys.argv[0]).resolve())
    settings = f"threads={args.threads} rounds={args.rounds} repeats={args.repeats}"
    settings += " flush_denormal=on" if args.flush_denormal else ""
    print(f"{title} | {settings}", flush=True)
    first = {name: launch(script, name, args, max(1, args.repeats // 5)) for name in names}
    check_agreement(first, check_rtol)
    rounds: dict[str, list[dict]] = {name: [] for name in names}
    for _ in range(args.rounds):
        for name in names:
            rounds[name].append(launch(script, name, args, args.repeats))
    return report(rounds, ratios, speedups, throughput)
