"""GradientTape: records operations on watched tensors so that gradients can be taken."""

from typing import Any

from lamina import tree
from lamina.backend import get_xp
from lamina.function import _RECORDING, Function
from lamina.tensor import Tensor, backward


class GradientTape:
    """Record operations for reverse-mode differentiation, as in TensorFlow.

    Trainable `Variable`s are watched by themselves; `watch(x)` adds other tensors (an input
    image for gradient ascent, say). Outside a tape nothing is recorded, and a tape records only
    the thread that entered it. Nested tapes each give their first-order gradients; the
    gradient of a gradient (second order) is not supported yet and raises NotImplementedError.

    Args:
        persistent: allow several `gradient` calls; otherwise the graph is freed after one.
        watch_accessed_variables: watch trainable variables automatically (default True).

    Example:
    >>> w = lamina.Variable([1.0, 2.0])
    >>> with lamina.GradientTape() as tape:
    ...     loss = lamina.ops.sum(w * w)
    >>> tape.gradient(loss, w).numpy()
    array([2., 4.], dtype=float32)
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._watched: list[tuple[Tensor, bool]] = []
        self._watched_ids: set[int] = set()  # kept after exit, for watch_accessed_variables
        self._recording = False
        self._used = False
        self._nested = False

    def __enter__(self) -> "GradientTape":
        self._nested = _RECORDING.open > 0
        _RECORDING.open += 1
        self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()
        _RECORDING.open -= 1
        for t, was_tracked in reversed(self._watched):
            t._tracked = was_tracked
        self._watched.clear()

    def _start(self) -> None:
        if not self._recording:
            _RECORDING.active += 1
            self._recording = True

    def _stop(self) -> None:
        if self._recording:
            _RECORDING.active = max(0, _RECORDING.active - 1)
            self._recording = False

    def stop_recording(self) -> "_Paused":
        """Context in which this tape records nothing."""
        return _Paused(self)

    def watch(self, tensor: Any) -> None:
        """Watch a tensor (or a list of tensors) so gradients with respect to it can be taken."""
        for t in tensor if isinstance(tensor, list | tuple) else [tensor]:
            if not isinstance(t, Tensor):
                raise TypeError(
                    "GradientTape.watch expects lamina tensors; convert arrays first with "
                    f"lamina.ops.convert_to_tensor. Received: {type(t).__name__}"
                )
            self._watched.append((t, t._tracked))
            self._watched_ids.add(id(t))
            t._tracked = True

    def gradient(
        self,
        target: Any,
        sources: Any,
        output_gradients: Any = None,
        unconnected_gradients: str = "none",
    ) -> Any:
        """Return d(target)/d(source) for each source, in the structure of `sources`.

        Args:
            target: a tensor, or a list of tensors whose gradients are summed.
            sources: a tensor, or a list, tuple or dict of tensors.
            output_gradients: the upstream gradient of each target (default: ones).
            unconnected_gradients: `"none"` gives None for a source the target does not
                depend on; `"zero"` gives zeros.

        Raises:
            RuntimeError: on a second call of a tape that is not persistent.
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "gradient() can only be called once on a GradientTape that is not persistent. "
                "Use GradientTape(persistent=True) to take several gradients."
            )
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(
                "Expected unconnected_gradients to be 'none' or 'zero'. "
                f"Received: unconnected_gradients={unconnected_gradients!r}"
            )
        targets = tree.flatten(target)
        flat = tree.flatten(sources)
        for s in flat + targets:
            if not isinstance(s, Tensor):
                raise TypeError(
                    "GradientTape.gradient expects lamina tensors or Variables as target and "
                    f"sources. Received: {type(s).__name__}"
                )
        seeds = _seeds(targets, output_gradients)
        self._used = True
        free = not self.persistent and not self._nested and _RECORDING.open <= 1
        # Another tape of this thread records: mark the gradients, whose own backward is not
        # recorded, so that differentiating them again fails clearly instead of giving None.
        outer_records = _RECORDING.active > int(self._recording)
        grads = backward(targets, seeds, flat, free=free)
        if not self.watch_accessed_variables:
            # Variables record themselves; without auto-watching only watched leaves count.
            grads = [
                g if s._node is not None or id(s) in self._watched_ids else None
                for s, g in zip(flat, grads, strict=True)
            ]
        out = []
        handed_out: set = set()
        for s, g in zip(flat, grads, strict=True):
            if g is None and unconnected_gradients == "zero":
                g = get_xp(s.data).zeros_like(s.data)
            elif g is not None and (not getattr(g.flags, "writeable", True) or id(g) in handed_out):
                # Backward rules may pass on read-only broadcast views or one array for two
                # inputs; callers own what they get, so hand out a writable array of its own.
                g = g.copy()
            if g is not None:
                handed_out.add(id(g))
            out.append(None if g is None else _gradient_tensor(g, outer_records))
        return tree.pack_sequence_as(sources, out)


class _TakenGradientOp(Function):
    """The node of a gradient taken while an outer tape recorded: how it was computed was not
    recorded, so nothing can flow back through it."""

    inputs = ()
    needs_grad = ()

    def backward(self, grad: Any) -> tuple[Any, ...]:
        raise NotImplementedError(
            "GradientTape.gradient: the target depends on a gradient that an inner tape's "
            "gradient() computed while this tape was recording. lamina does not record the "
            "backward pass, so the gradient of a gradient (second-order derivatives: gradient "
            "penalties, Hessian-vector products) is not supported yet. If the inner gradient is "
            "only a value here, take it outside the outer tape or wrap it in "
            "lamina.stop_gradient()."
        )


class untracked:
    """Context in which ops on `variables` record nothing: they are constants to every tape.

    The trainer runs its forward pass so for the weights it does not train (a frozen
    convolutional base), which then keep no saved arrays for a backward pass that never runs.

    Example:
    >>> with lamina.gradient_tape.untracked(conv_base.weights), lamina.GradientTape() as tape:
    ...     loss = ...
    """

    def __init__(self, variables: list[Tensor]) -> None:
        self.variables = variables

    def __enter__(self) -> "untracked":
        self._saved = [v._tracked for v in self.variables]
        for v in self.variables:
            v._tracked = False
        return self

    def __exit__(self, *exc: object) -> None:
        for v, tracked in zip(self.variables, self._saved, strict=True):
            v._tracked = tracked


def _gradient_tensor(g: Any, outer_records: bool) -> Tensor:
    t = Tensor(g)
    if outer_records:
        t._node = _TakenGradientOp()
    return t


class _Paused:
    def __init__(self, tape: GradientTape) -> None:
        self.tape = tape

    def __enter__(self) -> None:
        self._was = self.tape._recording
        self.tape._stop()

    def __exit__(self, *exc: object) -> None:
        if self._was:
            self.tape._start()


def _seeds(targets: list[Tensor], output_gradients: Any) -> list:
    if output_gradients is None:
        # ones_like, not `t.data * 0 + 1`, which is NaN (and warns) where a target is inf.
        return [get_xp(t.data).ones_like(t.data) for t in targets]
    given = output_gradients if isinstance(output_gradients, list | tuple) else [output_gradients]
    if len(given) != len(targets):
        raise ValueError(
            f"Expected one output gradient per target ({len(targets)}). "
            f"Received: {len(given)} output_gradients"
        )
    seeds = []
    for t, g in zip(targets, given, strict=True):
        g = g.data if isinstance(g, Tensor) else g
        xp = get_xp(t.data)
        try:  # onto the target's array module and dtype, broadcast to its shape
            seeds.append(xp.broadcast_to(xp.asarray(g, dtype=t.dtype), t.shape))
        except ValueError:
            raise ValueError(
                f"output_gradients must match the target's shape {t.shape}. "
                f"Received: shape {getattr(g, 'shape', ())}"
            ) from None
    return seeds
