"""ProgbarLogger: Keras's progress line for fit, evaluate and predict."""

import sys
import time
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


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(round(seconds))}s"


def _per_step(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class Progbar:
    """A progress line: `37/469 ━━━━━━━━━━━━━━━━━━━━ 1s 3ms/step - loss: 0.52`.

    On a terminal it redraws in place (at most 20 times a second); otherwise it writes only the
    final line, so logs stay readable.

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
        self.start = time.perf_counter()
        self.last_draw = 0.0
        self.bar_chars = self._bar_chars()

    def _bar_chars(self) -> tuple[str, str]:
        encoding = getattr(self.stream, "encoding", None) or "ascii"
        try:
            "━─".encode(encoding)
            return "━", "─"
        except (UnicodeEncodeError, LookupError):
            return "=", "."

    def update(self, step: int, logs: dict | None = None, finalize: bool = False) -> None:
        """Show progress after `step` steps (1-based); `finalize` writes the closing line."""
        now = time.perf_counter()
        if not finalize and (
            not self.interactive or self.verbose != 1 or now - self.last_draw < 0.05
        ):
            return
        self.last_draw = now
        elapsed = now - self.start
        per_step = elapsed / max(step, 1)
        total = self.target
        count = f"{step}/{total}" if total else f"{step}"
        if self.verbose == 2:
            line = f"{count} - {_duration(elapsed)} - {_per_step(per_step)}"
        else:
            done, todo = self.bar_chars
            filled = int(20 * step / total) if total else 20
            bar = done * filled + todo * (20 - filled)
            when = elapsed if finalize or not total else per_step * (total - step)
            line = f"{count} {bar} {_duration(when)} {_per_step(per_step)}"
        line += format_logs(logs or {})
        if self.interactive:
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
