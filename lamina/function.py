"""The base every differentiable op subclasses, and the switch that turns recording on."""

import threading
from typing import Any

from lamina.tensor import Tensor


class _Recording(threading.local):
    """This thread's recording state, so that `fit` in one thread and `predict` in another
    do not see each other's tapes.

    `active`: how many tapes record now (`no_grad` blocks push it down to zero); `open`: how
    many tapes are entered and not yet exited.
    """

    active = 0
    open = 0


_RECORDING = _Recording()


def is_recording() -> bool:
    """Return True while a `GradientTape` records operations in this thread."""
    return _RECORDING.active > 0


class Function:
    """A differentiable op: `forward` on raw arrays, `backward` one gradient per input.

    Subclasses keep in `self` only what `backward` needs. `backward(grad)` returns a tuple with
    one array (or None) per input; `self.needs_grad[i]` says whether input `i` wants one, so
    expensive gradients nobody asked for are skipped. Attributes given to `apply` as keywords
    are set on the instance before `forward` runs.

    Example:
    >>> class Square(Function):
    ...     def forward(self, x):
    ...         self.x = x
    ...         return x * x
    ...     def backward(self, grad):
    ...         # d(x^2)/dx = 2x
    ...         return (2 * self.x * grad,)
    >>> y = Square.apply(x)
    """

    inputs: tuple[Tensor, ...]
    needs_grad: tuple[bool, ...]

    def forward(self, *arrays: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Tensor, **attrs: Any) -> Tensor:
        """Run the op on tensors; record it for differentiation when a tape is recording."""
        fn = cls.__new__(cls)
        if attrs:
            fn.__dict__.update(attrs)
        out = Tensor(fn.forward(*[t.data for t in inputs]))
        if _RECORDING.active:
            needs = tuple([t._node is not None or t._tracked for t in inputs])
            if True in needs:
                fn.inputs = inputs
                fn.needs_grad = needs
                out._node = fn
        return out


class no_grad:
    """Context in which nothing is recorded in this thread, even inside a `GradientTape`.

    Example:
    >>> with lamina.no_grad():
    ...     y = model(x)
    """

    def __enter__(self) -> "no_grad":
        self._saved = _RECORDING.active
        _RECORDING.active = 0
        return self

    def __exit__(self, *exc: object) -> None:
        _RECORDING.active = self._saved
