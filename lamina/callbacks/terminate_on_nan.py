"""TerminateOnNaN: stop training as soon as the loss becomes NaN or infinite."""

import math

from lamina.callbacks.callback import Callback
from lamina.callbacks.monitor_callback import print_msg


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite.

    Args:
        raise_error: if True, raise a RuntimeError at once (the other callbacks'
            `on_train_end` then does not run); by default set `model.stop_training`, which
            ends the epoch and training normally.

    Example:
    >>> model.fit(x, y, callbacks=[lamina.callbacks.TerminateOnNaN()])
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}: loss={loss}")
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
