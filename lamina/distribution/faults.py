"""A failing or stalled rank ends the whole MPI job instead of leaving the others waiting.

In data-parallel training every rank waits in each step's Allreduce for all the others, so
one rank that raises, dies or hangs would leave the rest blocked forever.

- `install_excepthook()`: an uncaught exception on any rank (any thread) prints
  `lamina.distribution: rank R of N failed: <ExcType>: <message>` after the traceback and
  calls `MPI.COMM_WORLD.Abort(1)`, which ends every rank. Launching with
  `python -m mpi4py` does the same for the main thread; the hook also covers jobs launched
  without it, and threads.
- `StepWatchdog`: a daemon thread that aborts the job when a step runs longer than a
  timeout. The stalled rank reports `stalled in step S`; the ranks waiting for it report
  `waiting in Allreduce for step S`, a little later (see `WAITING_GRACE`), so that the
  stalled rank's own message comes first when its watchdog can still run.
- A rank killed outright (SIGKILL, out of memory): Open MPI's `mpiexec` notices the dead
  process, kills the others and names the rank and the signal; nothing is needed here.

mpi4py is imported only when a hook or a watchdog aborts the job: it is an optional dependency.
"""

import os
import sys
import threading
import time
import traceback
from types import TracebackType

DEFAULT_STEP_TIMEOUT_S = 60.0
TIMEOUT_ENV = "LAMINA_STEP_TIMEOUT"
# The waiting ranks fire this fraction of the timeout later than the stalled one.
WAITING_GRACE = 0.25
_PREFIX = "lamina.distribution"


def _rank_and_size() -> tuple[int, int]:
    from mpi4py import MPI  # Optional dependency: only multi-process runs need it.

    return MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()


def _abort(what: str) -> None:
    """Print `lamina.distribution: rank R of N <what>` to stderr, then abort every rank."""
    from mpi4py import MPI  # Optional dependency: only multi-process runs need it.

    rank, size = _rank_and_size()
    sys.stderr.write(f"{_PREFIX}: rank {rank} of {size} {what}\n")
    sys.stderr.flush()
    MPI.COMM_WORLD.Abort(1)


def _report_failure(
    exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None
) -> None:
    traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
    _abort(f"failed: {exc_type.__name__}: {exc}")


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if issubclass(args.exc_type, SystemExit):  # Python ignores these in threads, so do we.
        return
    _report_failure(args.exc_type, args.exc_value, args.exc_traceback)


def install_excepthook() -> None:
    """Make an uncaught exception on this rank, in any thread, abort the whole MPI job.

    The hook prints the traceback, then `lamina.distribution: rank R of N failed:
    <ExcType>: <message>`, and calls `MPI.COMM_WORLD.Abort(1)`. Calling it again does
    nothing.

    Example:
    >>> lamina.distribution.faults.install_excepthook()
    """
    sys.excepthook = _report_failure
    threading.excepthook = _thread_hook


def _timeout_from_env() -> float:
    text = os.environ.get(TIMEOUT_ENV)
    if text is None:
        return DEFAULT_STEP_TIMEOUT_S
    try:
        return float(text)
    except ValueError:
        raise ValueError(
            f"{TIMEOUT_ENV} must be a number of seconds, e.g. {TIMEOUT_ENV}=120. "
            f"Received: {TIMEOUT_ENV}={text!r}"
        ) from None


class StepWatchdog:
    """Abort the MPI job when a training step on this rank runs longer than `timeout_s`.

    Call `begin_step(step)` when a step starts, `begin_allreduce()` when this rank's gradients
    are ready and it enters the collective, and `end_step()` when the step is done (or give
    `on_step` as a listener that receives these events). Between steps (evaluation,
    checkpoints, callbacks) the watchdog is disarmed.

    A step still running after `timeout_s` prints `lamina.distribution: rank R of N stalled:
    no step finished for T s (step S); stalled in step S`, or, on a rank that already waits
    in the Allreduce, `...; waiting in Allreduce for step S (another rank stalled or died)`,
    and calls `MPI.COMM_WORLD.Abort(1)`. The waiting ranks fire `WAITING_GRACE * timeout_s`
    later, so the stalled rank names itself first.

    Args:
        timeout_s: the longest a step may take, in seconds; by default the environment
            variable `LAMINA_STEP_TIMEOUT`, else 60.

    Example:
    >>> watchdog = StepWatchdog(timeout_s=120)
    >>> watchdog.start()
    >>> for step in range(steps):
    ...     watchdog.begin_step(step)
    ...     grads = compute_gradients()
    ...     watchdog.begin_allreduce()
    ...     comm.Allreduce(MPI.IN_PLACE, grads)
    ...     watchdog.end_step()
    >>> watchdog.stop()
    """

    def __init__(self, timeout_s: float | None = None) -> None:
        source = f"timeout_s={timeout_s!r}"
        if timeout_s is None:
            timeout_s = _timeout_from_env()
            source = f"{TIMEOUT_ENV}={timeout_s!r}"
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float):
            raise TypeError(f"StepWatchdog: expected a number of seconds. Received: {source}")
        if not timeout_s > 0:
            raise ValueError(f"StepWatchdog: expected a positive timeout. Received: {source}")
        self.timeout_s = float(timeout_s)
        # (phase, step, start time): replaced whole, so the thread always reads a consistent one.
        self._state: tuple[str, int, float] = ("idle", -1, 0.0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the watchdog thread (a daemon: it never keeps the process alive)."""
        if self._thread is not None:
            raise RuntimeError("StepWatchdog.start(): the watchdog is already running.")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="lamina-step-watchdog")
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        """Stop the watchdog thread and wait for it to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._state = ("idle", -1, 0.0)

    def begin_step(self, step: int) -> None:
        """Arm the timer: step `step` starts computing."""
        self._state = ("computing", step, time.monotonic())

    def begin_allreduce(self) -> None:
        """This rank's part of the step is done; it now waits for the others."""
        _, step, start = self._state
        self._state = ("waiting", step, start)

    def end_step(self) -> None:
        """Disarm the timer: the step finished."""
        self._state = ("idle", -1, 0.0)

    def on_step(self, event: str, step: int) -> None:
        """The same three calls as one listener: `event` is "begin", "allreduce" or "end"."""
        if event == "begin":
            self.begin_step(step)
        elif event == "allreduce":
            self.begin_allreduce()
        elif event == "end":
            self.end_step()
        else:
            raise ValueError(
                "StepWatchdog.on_step: expected event 'begin', 'allreduce' or 'end'. "
                f"Received: event={event!r}"
            )

    def check(self) -> str | None:
        """The stall message if the current step ran past its deadline, else None."""
        phase, step, start = self._state
        if phase == "idle":
            return None
        elapsed = time.monotonic() - start
        deadline = self.timeout_s * (1 + WAITING_GRACE if phase == "waiting" else 1)
        if elapsed < deadline:
            return None
        where = (
            f"waiting in Allreduce for step {step} (another rank stalled or died)"
            if phase == "waiting"
            else f"stalled in step {step}"
        )
        return f"stalled: no step finished for {elapsed:.1f} s (step {step}); {where}"

    def _run(self) -> None:
        poll = min(1.0, self.timeout_s / 10)
        while not self._stop.wait(poll):
            message = self.check()
            if message is not None:
                _abort(message)
                return
