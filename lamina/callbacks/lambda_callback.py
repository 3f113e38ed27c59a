"""LambdaCallback: a callback made of plain functions, one per hook."""

from collections.abc import Callable

from lamina.callbacks.callback import _HOOKS, Callback


class LambdaCallback(Callback):
    """Run the given functions at the matching hooks.

    Each function takes the hook's arguments: `on_epoch_begin(epoch, logs)`,
    `on_train_batch_end(batch, logs)`, `on_train_begin(logs)`, and so on. Any hook name of
    `Callback` (`on_test_begin`, `on_predict_batch_end`, Keras 2's `on_batch_end`, ...) can be
    passed as a keyword.

    Args:
        on_epoch_begin: called at the start of each epoch.
        on_epoch_end: called at the end of each epoch.
        on_train_begin: called at the start of training.
        on_train_end: called at the end of training.
        on_train_batch_begin: called before each training batch.
        on_train_batch_end: called after each training batch.
        **kwargs: functions for the other hooks, by hook name.

    Example:
    >>> print_epoch = lamina.callbacks.LambdaCallback(
    ...     on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    >>> model.fit(x, y, callbacks=[print_epoch])
    """

    def __init__(
        self,
        on_epoch_begin: Callable | None = None,
        on_epoch_end: Callable | None = None,
        on_train_begin: Callable | None = None,
        on_train_end: Callable | None = None,
        on_train_batch_begin: Callable | None = None,
        on_train_batch_end: Callable | None = None,
        **kwargs: Callable | None,
    ) -> None:
        super().__init__()
        given = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
            **kwargs,
        }
        unknown = sorted(set(given) - set(_HOOKS))
        if unknown:
            raise TypeError(
                f"LambdaCallback: {unknown} are not callback hooks; the hooks are {_HOOKS}. "
                f"Received: {unknown[0]}={given[unknown[0]]!r}"
            )
        for name, fn in given.items():
            if fn is not None and not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be a function. Received: {fn!r}")
        self._fns = {name: fn for name, fn in given.items() if fn is not None}


def _forward(hook: str) -> Callable:
    # Hooks are called with or without `logs`; the user's function always gets it (or None).
    if "epoch" in hook or "batch" in hook:

        def call(self: LambdaCallback, index: int, logs: dict | None = None) -> None:
            fn = self._fns.get(hook)
            if fn is not None:
                fn(index, logs)

    else:

        def call(self: LambdaCallback, logs: dict | None = None) -> None:
            fn = self._fns.get(hook)
            if fn is not None:
                fn(logs)

    call.__name__ = hook
    call.__qualname__ = f"LambdaCallback.{hook}"
    call.__doc__ = f"Call the `{hook}` function, if one was given."
    return call


# Every hook forwards to its function; CallbackList dispatches hooks by class, so they are
# defined on the class once rather than set on each instance.
for _hook in _HOOKS:
    setattr(LambdaCallback, _hook, _forward(_hook))
