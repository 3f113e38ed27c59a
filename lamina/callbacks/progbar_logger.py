"""ProgbarLogger: Keras's progress line for fit, evaluate and predict."""

import sys
from time import perf_counter
from typing import TextIO

from lamina.callbacks.callback import Callback


def format_logs(logs: dict) -> str:
    """` - name: value` for each entry, as Keras prints them."""
    parts = []
    for k, v in logs.items():
        try:
            v = float(v)
        except (TypeError, ValueError):
            continue
        parts.append(f" - {k}: {v:.4f}" if v == 0 or abs(v) >= 1e-3 else f" - {k}: {v:.4e}")
    return "".join(parts)


def _eta(seconds: float) -> str:
    """Keras's time left: `14s`, `2:05`, `1:02:05` (whole seconds, cut down)."""
    seconds = int(seconds)
    if seconds > 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds > 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def _per_step(seconds: float) -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class Progbar:
    """Keras's progress line: `  37/1875 ━━━━━━━━━━━━━━━━━━━━ 14s 8ms/step - loss: 0.5213`.

    While the epoch runs the time is the estimated time left; on the closing line it is the
    time the epoch took. The time per step leaves out the first step (which also builds the
    model and warms caches) once later steps are known. On a terminal the line is redrawn in
    place (at most 20 times a second); on other streams (a log file, a pipe) only the closing
    line is written, so logs get one line per epoch.

    Args:
        target: the number of steps, or None when unknown.
        verbose: 1 for the bar, 2 for one line at the end.
        stream: where to write (stdout).
    """

    def __init__(self, target: int | None, verbose: int = 1, stream: TextIO | None = None):
        self.target = target
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = perf_counter()
        self.after_first_step: float | None = None
        self.last_draw = -1.0
        self.bar_chars = self._bar_chars()

    def _bar_chars(self) -> tuple[str, str]:
        encoding = getattr(self.stream, "encoding", None) or "ascii"
        try:
            "━─".encode(encoding)
            return "━", "─"
        except (UnicodeEncodeError, LookupError):
            return "=", "."

    def _step_time(self, step: int, now: float) -> float:
        if step == 1 and self.after_first_step is None:
            self.after_first_step = now
        if step > 1 and self.after_first_step is not None:
            return (now - self.after_first_step) / (step - 1)
        return (now - self.start) / max(step, 1)

    def update(self, step: int, logs: dict | None = None, finalize: bool = False) -> None:
        """Show progress after `step` steps (1-based); `finalize` writes the closing line."""
        now = perf_counter()
        per_step = self._step_time(step, now)
        if not finalize and (
            not self.interactive or self.verbose != 1 or now - self.last_draw < 0.05
        ):
            return
        self.last_draw = now
        elapsed = f"{now - self.start:.0f}s"
        total = self.target
        count = f"{step:>{len(str(total))}}/{total}" if total else f"{step:>7}/Unknown"
        if self.verbose == 2:
            line = f"{count} - {elapsed} - {_per_step(per_step)}"
        else:
            if total:
                done, todo = self.bar_chars
                filled = min(int(20 * step / total), 20)
                count += " " + done * filled + todo * (20 - filled)
            when = elapsed if finalize or not total else _eta(per_step * (total - step))
            line = f"{count} {when} {_per_step(per_step)}"
        line += format_logs(logs or {})
        if self.interactive and self.verbose == 1:
            self.stream.write("\r" + line + ("\n" if finalize else "\x1b[K"))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


class ProgbarLogger(Callback):
    """Print Keras's progress line during `fit`, `evaluate` and `predict` (added by `fit`)."""

    def __init__(self, verbose: int = 1) -> None:
        super().__init__()
        self.verbose = verbose
        self.bar: Progbar | None = None
        self.seen = 0
        self.logs: dict = {}

    def _start(self, target: int | None) -> None:
        self.bar = Progbar(target, verbose=self.verbose)
        self.seen = 0
        self.logs = {}

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        epochs = self.params.get("epochs")
        if self.verbose and epochs and epochs > 1:
            print(f"Epoch {epoch + 1}/{epochs}", flush=True)
        self._start(self.params.get("steps"))

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.seen = batch + 1
        self.logs = logs or {}
        if self.bar is not None:
            self.bar.update(self.seen, self.logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.bar is not None:
            self.bar.update(self.seen, logs or self.logs, finalize=True)

    def on_test_begin(self, logs: dict | None = None) -> None:
        if self.params.get("mode") == "evaluate":
            self._start(self.params.get("steps"))

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.params.get("mode") == "evaluate":
            self.on_train_batch_end(batch, logs)

    def on_test_end(self, logs: dict | None = None) -> None:
        if self.params.get("mode") == "evaluate" and self.bar is not None:
            self.bar.update(self.seen, logs or self.logs, finalize=True)

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._start(self.params.get("steps"))

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.seen = batch + 1
        if self.bar is not None:
            self.bar.update(self.seen)

    def on_predict_end(self, logs: dict | None = None) -> None:
        if self.bar is not None:
            self.bar.update(self.seen, finalize=True)
