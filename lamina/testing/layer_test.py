"""run_layer_test: the checks every layer must pass, shipped so users can test their own layers.

Example:
>>> from lamina.testing import run_layer_test
>>> run_layer_test(
...     lamina.layers.Dense,
...     {"units": 4},
...     input_shape=(2, 3),
...     expected_output_shape=(2, 4),
...     expected_num_trainable_weights=2,
... )
"""

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from lamina import ops, tree
from lamina.function import no_grad
from lamina.gradient_tape import GradientTape
from lamina.layers import Input, Layer
from lamina.ops import convert_to_tensor
from lamina.tensor import Tensor
from lamina.testing.gradcheck import GradientCheckError, check_gradients


class LayerTestError(AssertionError):
    """A layer failed one of the checks of `run_layer_test`; the message says which and why."""


def run_layer_test(
    layer_cls: Callable[..., Any],
    init_kwargs: dict | None = None,
    input_shape: Any = None,
    input_dtype: Any = "float32",
    *,
    input_data: Any = None,
    call_kwargs: dict | None = None,
    expected_output: Any = None,
    expected_output_shape: Any = None,
    expected_output_dtype: Any = None,
    expected_num_trainable_weights: int | None = None,
    expected_num_non_trainable_weights: int | None = None,
    expected_num_losses: int | None = None,
    run_symbolic: bool = True,
    run_config: bool = True,
    run_gradient_check: bool = True,
    run_training: bool = True,
    seed: int = 0,
    atol: float = 1e-6,
    rtol: float = 1e-6,
) -> Any:
    """Check that a layer class keeps the layer contract; raise `LayerTestError` if not.

    The checks, in order:

    1. eager call on `input_data` (random data of `input_shape` by default): the layer is
       built, has the expected numbers of trainable and non-trainable weights and of losses,
       `count_params()` sums the weight sizes, and the output has the expected shape, dtype
       (the layer's dtype by default) and, if given, values;
    2. `compute_output_shape(input_shape)` and a call on `lamina.Input`s give the eager
       call's shape, and that call its dtype, for a fixed and for an unknown (None) batch size;
    3. `layer_cls.from_config(layer.get_config())` (the config must survive `json.dumps`)
       gives a layer with the same config that, after `set_weights(layer.get_weights())`,
       computes the same outputs;
    4. `get_weights` / `set_weights` round-trip, and `set_weights` refuses a wrong count;
    5. a float64 gradient check (central differences) with respect to every float input and
       every trainable weight, on a copy of the layer built with `dtype="float64"`;
    6. one training step (GradientTape, then `w -= 0.1 * grad`) on a squared-error loss plus
       `layer.losses`: every trainable weight gets a gradient and changes, the others do not.

    Steps 3 and 5 call the layers with `training=False`, so layers with randomness (Dropout)
    give repeatable outputs; steps 1 and 6 use `call_kwargs` as given.

    Args:
        layer_cls: the layer class (or any callable returning a layer from keyword arguments).
        init_kwargs: the constructor's keyword arguments.
        input_shape: the input shape with the batch axis, e.g. `(2, 3)`; a list of shapes for
            layers that take a list of inputs (merge layers). Not needed with `input_data`.
        input_dtype: the input dtype, or a list of dtypes for a list of inputs.
        input_data: the input array (or list of arrays) instead of random data.
        call_kwargs: extra keyword arguments for the eager call (`training=True`, ...).
        expected_output: the values the first call must return (compared with atol/rtol).
        expected_output_shape: the output shape (a tuple, or a list of tuples).
        expected_output_dtype: the output dtype (default: the layer's dtype).
        expected_num_trainable_weights: how many trainable weights the built layer has.
        expected_num_non_trainable_weights: how many non-trainable weights it has.
        expected_num_losses: how many entries `layer.losses` holds after the call.
        run_symbolic: run step 2.
        run_config: run step 3 (off for layers that cannot be serialized, like Lambda).
        run_gradient_check: run step 5 (off for layers that are not differentiable).
        run_training: run step 6.
        seed: seeds the random inputs, directions and targets.
        atol: absolute tolerance of the value comparisons.
        rtol: relative tolerance of the value comparisons.

    Returns:
        The layer of step 1, built and called.

    Raises:
        LayerTestError: naming the layer class, the check and what was expected and found.
    """
    runner = _LayerTest(
        layer_cls, dict(init_kwargs or {}), dict(call_kwargs or {}), seed, atol, rtol
    )
    if input_data is None:
        if input_shape is None:
            raise ValueError(
                "run_layer_test needs input_shape or input_data. "
                "Received: input_shape=None, input_data=None"
            )
        input_data = _random_inputs(input_shape, input_dtype, runner.rng)
    shapes = _shapes_of(input_data)
    layer = runner.check_call(
        input_data,
        expected_output,
        expected_output_shape,
        expected_output_dtype,
        expected_num_trainable_weights,
        expected_num_non_trainable_weights,
        expected_num_losses,
    )
    output_shape = _shapes_of(runner.first_output)
    if run_symbolic:
        runner.check_symbolic(layer, input_data, shapes, output_shape)
    if run_config:
        runner.check_config(layer, input_data)
    runner.check_weights_round_trip(layer, input_data)
    if run_gradient_check:
        runner.check_gradients(layer, input_data)
    if run_training:
        runner.check_training_step(layer, input_data)
    return layer


class _LayerTest:
    def __init__(self, layer_cls, init_kwargs, call_kwargs, seed, atol, rtol):
        self.layer_cls = layer_cls
        self.init_kwargs = init_kwargs
        self.call_kwargs = call_kwargs
        self.rng = np.random.default_rng(seed)
        self.atol = atol
        self.rtol = rtol
        self.first_output: Any = None
        self.label = getattr(layer_cls, "__name__", repr(layer_cls))

    def fail(self, check: str, message: str) -> None:
        raise LayerTestError(f"{self.label}({_kwargs_text(self.init_kwargs)}) {check}: {message}")

    def make(self, **overrides: Any) -> Any:
        return self.layer_cls(**{**self.init_kwargs, **overrides})

    def inference_kwargs(self) -> dict:
        return {**self.call_kwargs, "training": False}

    # ----- 1. eager call ---------------------------------------------------------------------

    def check_call(
        self,
        inputs,
        expected_output,
        expected_shape,
        expected_dtype,
        n_trainable,
        n_non_trainable,
        n_losses,
    ) -> Any:

        layer = self.make()
        if not isinstance(layer, Layer):
            self.fail("construction", f"expected a lamina Layer, got {type(layer).__name__}")
        output = layer(_to_tensors(inputs), **self.call_kwargs)
        self.first_output = output
        check = "eager call"
        if not layer.built:
            self.fail(check, "the layer is not marked built after its first call")
        got = (len(layer.trainable_weights), len(layer.non_trainable_weights))
        names = [w.path for w in layer.weights]
        if n_trainable is not None and got[0] != n_trainable:
            self.fail(check, f"expected {n_trainable} trainable weights, found {got[0]}: {names}")
        if n_non_trainable is not None and got[1] != n_non_trainable:
            self.fail(
                check, f"expected {n_non_trainable} non-trainable weights, found {got[1]}: {names}"
            )
        if n_losses is not None and len(layer.losses) != n_losses:
            self.fail(check, f"expected {n_losses} losses, found {len(layer.losses)}")
        size = sum(int(np.prod(w.shape)) for w in layer.weights)
        if layer.count_params() != size:
            self.fail(check, f"count_params() is {layer.count_params()}; the weights hold {size}")
        for i, out in enumerate(tree.flatten(output)):
            if not isinstance(out, Tensor):
                self.fail(check, f"output {i} is a {type(out).__name__}, not a lamina Tensor")
            want = np.dtype(expected_dtype or layer.dtype)
            if out.dtype != want:
                self.fail(check, f"expected output dtype {want}, got {out.dtype}")
        if expected_shape is not None and _shape_leaves(_shapes_of(output)) != _shape_leaves(
            expected_shape
        ):
            self.fail(check, f"expected output shape {expected_shape}, got {_shapes_of(output)}")
        if expected_output is not None:
            for i, (a, b) in enumerate(
                zip(tree.flatten(output), tree.flatten(expected_output), strict=True)
            ):
                self.assert_close(check, f"output {i} differs from expected_output", a, b)
        return layer

    # ----- 2. symbolic call ------------------------------------------------------------------

    def check_symbolic(self, layer, inputs, shapes, output_shape) -> None:

        check = "symbolic call"
        try:
            computed = layer.compute_output_shape(shapes)
        except NotImplementedError:
            computed = None
        if computed is not None and _shape_leaves(computed) != _shape_leaves(output_shape):
            self.fail(
                "compute_output_shape",
                f"returned {computed} for input shape {shapes}; the eager call gave {output_shape}",
            )
        for fixed_batch in (True, False):
            # With an unknown batch size only the batch axis of the output may be unknown.
            batch_of = (lambda s: s) if fixed_batch else (lambda s: (None, *s[1:]))
            fresh = self.make()
            symbols = tree.map_structure(
                lambda a, batch_of=batch_of: Input(batch_shape=batch_of(a.shape), dtype=a.dtype),
                inputs,
            )
            out = fresh(symbols, **self.call_kwargs)
            got = tree.map_structure(lambda t: tuple(t.shape), out)
            want = tree.map_shape_structure(batch_of, output_shape)
            where = "a fixed" if fixed_batch else "an unknown (None)"
            if _shape_leaves(got) != _shape_leaves(want):
                self.fail(
                    check,
                    f"with {where} batch size the symbolic output shape is {got}; the eager "
                    f"call gave {output_shape}",
                )
            got_dtypes = [t.dtype.name for t in tree.flatten(out)]
            want_dtypes = [np.dtype(t.dtype).name for t in tree.flatten(self.first_output)]
            if got_dtypes != want_dtypes:
                self.fail(
                    check,
                    f"with {where} batch size the symbolic output dtype is {got_dtypes}; the "
                    f"eager call gave {want_dtypes}",
                )
            if not fresh.built:
                self.fail(check, "the layer is not built after a call on lamina.Input")

    # ----- 3. config round trip --------------------------------------------------------------

    def check_config(self, layer, inputs) -> None:
        check = "config round trip"
        config = layer.get_config()
        try:
            json.dumps(config)
        except TypeError as err:
            self.fail(check, f"get_config() is not JSON-safe ({err}): {config!r}")
        try:
            clone = type(layer).from_config(config)
        except Exception as err:  # report any failure of from_config as a test failure
            self.fail(check, f"from_config(get_config()) raised {type(err).__name__}: {err}")
        if clone.get_config() != config:
            self.fail(
                check,
                f"the clone's config differs.\n original: {config}\n clone:    "
                f"{clone.get_config()}",
            )
        kwargs = self.inference_kwargs()
        expected = layer(_to_tensors(inputs), **kwargs)
        clone(_to_tensors(inputs), **kwargs)
        try:
            clone.set_weights(layer.get_weights())
        except ValueError as err:
            self.fail(check, f"the clone does not take the original's weights: {err}")
        got = clone(_to_tensors(inputs), **kwargs)
        for a, b in zip(tree.flatten(got), tree.flatten(expected), strict=True):
            self.assert_close(check, "the clone computes different outputs", a, b)

    # ----- 4. weights ------------------------------------------------------------------------

    def check_weights_round_trip(self, layer, inputs) -> None:
        check = "get_weights/set_weights"
        original = layer.get_weights()
        if len(original) != len(layer.weights):
            self.fail(
                check, f"get_weights() gave {len(original)} arrays for {len(layer.weights)} weights"
            )
        changed = [
            np.asarray(w) + 0.5 if np.asarray(w).dtype.kind == "f" else np.asarray(w)
            for w in original
        ]
        layer.set_weights(changed)
        for i, (a, b) in enumerate(zip(layer.get_weights(), changed, strict=True)):
            if a.shape != b.shape or not np.allclose(a, b):
                self.fail(check, f"weight {i} reads back different values after set_weights")
        layer.set_weights(original)
        for i, (a, b) in enumerate(zip(layer.get_weights(), original, strict=True)):
            if not np.array_equal(a, b):
                self.fail(check, f"weight {i} is not restored by set_weights")
        try:
            layer.set_weights([*original, np.zeros(1)])
        except ValueError:
            pass
        else:
            self.fail(check, "set_weights accepted one array too many")

    # ----- 5. gradient check -----------------------------------------------------------------

    def check_gradients(self, layer, inputs) -> None:

        check = "float64 gradient check"
        layer64 = self.make(dtype="float64")
        inputs64 = tree.map_structure(
            lambda a: a.astype(np.float64) if a.dtype.kind == "f" else a, inputs
        )
        kwargs = self.inference_kwargs()
        layer64(_to_tensors(inputs64), **kwargs)
        if len(layer64.weights) == len(layer.weights):
            layer64.set_weights([np.asarray(w, dtype=w.dtype) for w in layer.get_weights()])
        for i, out in enumerate(tree.flatten(layer64(_to_tensors(inputs64), **kwargs))):
            if out.dtype.kind == "f" and out.dtype != np.float64:
                self.fail(check, f"a float64 layer returned {out.dtype} for output {i}")
        arrays = tree.flatten(inputs64)
        structured = isinstance(inputs64, list | tuple)
        float_idx = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]

        def fn(*tensors):
            x = list(tensors) if structured else tensors[0]
            return tree.flatten(layer64(x, **kwargs))

        if float_idx:
            try:
                check_gradients(fn, arrays, wrt=float_idx, atol=1e-5, rtol=1e-4)
            except GradientCheckError as err:
                self.fail(check, f"with respect to the inputs: {err}")
        self._check_weight_gradients(layer64, _to_tensors(inputs64), kwargs, check)

    def _check_weight_gradients(self, layer, inputs, kwargs, check) -> None:
        weights = layer.trainable_weights
        if not weights:
            return
        with no_grad():
            shapes = [o.shape for o in tree.flatten(layer(inputs, **kwargs))]
        cotangents = [self.rng.standard_normal(s) for s in shapes]

        def project(outs):
            return sum(
                float(np.sum(np.asarray(o, dtype=np.float64) * c))
                for o, c in zip(outs, cotangents, strict=True)
            )

        with GradientTape() as tape:
            outputs = tree.flatten(layer(inputs, **kwargs))
            total = None
            for o, c in zip(outputs, cotangents, strict=True):
                term = _sum_all(o * ops.convert_to_tensor(c))
                total = term if total is None else total + term
        grads = tape.gradient(total, weights)
        eps = 1e-6
        for w, g in zip(weights, grads, strict=True):
            if g is None:
                self.fail(check, f"weight {w.path!r} gets no gradient from the output")
            g = np.asarray(g, dtype=np.float64)
            base = np.array(w.numpy(), dtype=np.float64)
            if w.size <= 32:
                directions = [np.eye(w.size)[j].reshape(w.shape) for j in range(w.size)]
            else:
                directions = [
                    d / np.linalg.norm(d)
                    for d in (self.rng.standard_normal(w.shape) for _ in range(3))
                ]
            try:
                for d in directions:
                    w.assign(base + eps * d)
                    plus = project(tree.flatten(layer(inputs, **kwargs)))
                    w.assign(base - eps * d)
                    minus = project(tree.flatten(layer(inputs, **kwargs)))
                    numeric = (plus - minus) / (2 * eps)
                    analytic = float(np.sum(g * d))
                    if not abs(analytic - numeric) <= 1e-5 + 1e-4 * abs(numeric):
                        self.fail(
                            check,
                            f"the gradient of weight {w.path!r} (shape {w.shape}) disagrees "
                            f"with central differences: analytic {analytic!r}, numeric "
                            f"{numeric!r}",
                        )
            finally:
                w.assign(base)

    # ----- 6. training step ------------------------------------------------------------------

    def check_training_step(self, layer, inputs) -> None:
        check = "training step"
        weights = layer.trainable_weights
        frozen = [(w, w.numpy().copy()) for w in layer.non_trainable_weights]
        before = [w.numpy().copy() for w in weights]
        tensors = _to_tensors(inputs)
        with GradientTape() as tape:
            outputs = [
                o for o in tree.flatten(layer(tensors, **self.call_kwargs)) if o.dtype.kind == "f"
            ]
            if not outputs:
                return
            loss = None
            for o in outputs:
                target = ops.convert_to_tensor(self.rng.standard_normal(o.shape).astype(o.dtype))
                term = _sum_all((o - target) * (o - target)) / float(max(o.size, 1))
                loss = term if loss is None else loss + term
            for extra in layer.losses:
                loss = loss + extra
        if not weights:
            return
        grads = tape.gradient(loss, weights)
        for w, g in zip(weights, grads, strict=True):
            if g is None:
                self.fail(check, f"trainable weight {w.path!r} gets no gradient from the loss")
            if tuple(g.shape) != tuple(w.shape):
                self.fail(check, f"the gradient of {w.path!r} has shape {g.shape}, not {w.shape}")
            w.assign(w.numpy() - 0.1 * g.numpy())
        for w, old in zip(weights, before, strict=True):
            if np.array_equal(w.numpy(), old):
                self.fail(check, f"trainable weight {w.path!r} did not change")
        for w, old in frozen:
            if not np.array_equal(w.numpy(), old):
                self.fail(check, f"non-trainable weight {w.path!r} changed")

    def assert_close(self, check: str, what: str, got: Any, want: Any) -> None:
        got = np.asarray(got, dtype=np.float64)
        want = np.asarray(want, dtype=np.float64)
        if got.shape != want.shape:
            self.fail(check, f"{what}: shape {got.shape} instead of {want.shape}")
        if not np.allclose(got, want, atol=self.atol, rtol=self.rtol, equal_nan=True):
            err = float(np.nanmax(np.abs(got - want))) if got.size else 0.0
            self.fail(
                check,
                f"{what} (largest difference {err:.3g}, atol={self.atol:g}, rtol={self.rtol:g})",
            )


def _sum_all(x: Tensor) -> Tensor:

    return ops.sum(x)


def _random_inputs(shape: Any, dtype: Any, rng: np.random.Generator) -> Any:
    if tree.is_shape_tuple(shape):
        dtype = np.dtype(dtype)
        if dtype.kind == "f":
            return rng.standard_normal(tuple(shape)).astype(dtype)
        if dtype.kind == "b":
            return rng.random(tuple(shape)) < 0.5
        return rng.integers(0, 10, size=tuple(shape)).astype(dtype)
    dtypes = dtype if isinstance(dtype, list | tuple) else [dtype] * len(shape)
    return [_random_inputs(s, d, rng) for s, d in zip(shape, dtypes, strict=True)]


def _shape_leaves(shapes: Any) -> list:
    """The shapes in a structure of shapes, in order, whichever containers hold them."""
    leaves: list = []
    tree.map_shape_structure(leaves.append, shapes)
    return leaves


def _shapes_of(data: Any) -> Any:
    return tree.map_structure(lambda a: tuple(a.shape), data)


def _to_tensors(data: Any) -> Any:

    return tree.map_structure(lambda a: convert_to_tensor(np.asarray(a)), data)


def _kwargs_text(kwargs: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
