"""The base every differentiable op subclasses, and the switch that turns recording on."""

import threading
from typing import Any, ClassVar

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

    An op's parameters (an axis, a dtype, a mask: anything that is not a differentiated input)
    are declared as class-level annotations, with a default where one makes sense. `apply`
    takes exactly these as keywords and sets them on the instance before `forward` runs; an
    undeclared keyword, or a missing one without a default, raises TypeError naming the op.
    Everything else on `self` is set by `forward` and kept only because `backward` needs it.
    `backward(grad)` returns a tuple with one array (or None) per input; `self.needs_grad[i]`
    says whether input `i` wants one, so expensive gradients nobody asked for are skipped.

    Subclasses are named `<Name>Op` (`SoftmaxOp`, `DenseOp`), so that they read differently
    from the layers of the same name.

    Example:
    >>> class ScaleOp(Function):
    ...     factor: float
    ...     def forward(self, x):
    ...         return x * self.factor
    ...     def backward(self, grad):
    ...         # d(factor x)/dx = factor
    ...         return (grad * self.factor,)
    >>> y = ScaleOp.apply(x, factor=2.0)
    """

    inputs: tuple[Tensor, ...]
    needs_grad: tuple[bool, ...]
    # The declared parameters of each subclass, and those of them without a default.
    params: ClassVar[frozenset[str]] = frozenset()
    required_params: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names: set[str] = set()
        for klass in cls.__mro__:
            if klass is not Function and issubclass(klass, Function):
                names.update(vars(klass).get("__annotations__", {}))
        cls.params = frozenset(names)
        cls.required_params = frozenset(n for n in names if not hasattr(cls, n))

    def forward(self, *arrays: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Tensor, **attrs: Any) -> Tensor:
        """Run the op on tensors; record it for differentiation when a tape is recording."""
        fn = cls.__new__(cls)
        if attrs.keys() != cls.params:
            cls._check_params(attrs)
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

    @classmethod
    def _check_params(cls, attrs: dict[str, Any]) -> None:
        """Raise unless `attrs` are declared parameters and give every one without a default."""
        unknown = sorted(attrs.keys() - cls.params)
        missing = sorted(cls.required_params - attrs.keys())
        if unknown or missing:
            declared = ", ".join(sorted(cls.params)) or "none"
            raise TypeError(
                f"{cls.__name__}.apply takes the parameters declared as class annotations of "
                f"{cls.__name__} (declared: {declared}), all but those with a default required; "
                f"declare a new one there. Received: unknown={unknown}, missing={missing}"
            )


def recording() -> bool:
    """Whether a `GradientTape` records ops in this thread: when it does not, no backward will
    run, and an op's forward may skip saving what only its backward reads."""
    return bool(_RECORDING.active)


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
