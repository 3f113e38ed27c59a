"""CallbackList: calls each hook on every callback that defines it, and nothing else."""

from typing import Any

from lamina.callbacks.callback import _HOOKS, Callback, overrides


class CallbackList:
    """Dispatch hooks to callbacks; hooks no callback overrides cost one attribute lookup.

    Args:
        callbacks: the callbacks, in the order they run.
        model: the model to give them.
        params: `epochs`, `steps`, `verbose`.
    """

    def __init__(self, callbacks: list[Callback], model: Any = None, params: dict | None = None):
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    "callbacks must be lamina.callbacks.Callback instances. "
                    f"Received: {type(cb).__name__}"
                )
            cb.set_model(model)
            cb.set_params(dict(params or {}))
        self.callbacks = list(callbacks)
        if not callbacks:  # `predict(x, verbose=0)` on one image: the class's no-op hooks
            return
        for hook in _HOOKS:
            active = [getattr(cb, hook) for cb in callbacks if overrides(cb, hook)]
            if hook in ("on_train_batch_begin", "on_train_batch_end"):
                legacy = hook.replace("train_", "")
                active += [getattr(cb, legacy) for cb in callbacks if overrides(cb, legacy)]
            if active:
                position = 1 if "epoch_" in hook or "batch_" in hook else 0
                setattr(self, hook, _fan_out(active, position))

    def __iter__(self):
        return iter(self.callbacks)


def _no_callback(*args: Any, **kwargs: Any) -> None:
    """A hook that no callback of the list overrides."""


for _hook in _HOOKS:
    setattr(CallbackList, _hook, staticmethod(_no_callback))


def _fan_out(methods: list, position: int):
    """One function calling every method, with `logs` (positional argument `position`) a
    dict, `{}` when the trainer has none to give, as Keras callbacks expect."""

    def call_all(*args: Any, logs: dict | None = None) -> None:
        if len(args) > position:
            args, logs = args[:position], args[position]
        logs = {} if logs is None else logs
        for m in methods:
            m(*args, logs)

    return call_all
