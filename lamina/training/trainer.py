"""The training loop: compile, fit, evaluate, predict and the one-step methods."""

import math
import warnings
from typing import Any

import numpy as np

from lamina import losses as losses_module
from lamina import metrics as metrics_module
from lamina import optimizers as optimizers_module
from lamina import tree
from lamina.backend import to_numpy
from lamina.callbacks import (
    BackupAndRestore,
    CallbackList,
    CSVLogger,
    History,
    ModelCheckpoint,
    ProgbarLogger,
    TensorBoard,
)
from lamina.callbacks.fit_state import FitState
from lamina.distribution import active_strategy
from lamina.function import no_grad
from lamina.gradient_tape import GradientTape, untracked
from lamina.tensor import Tensor
from lamina.training import compile_utils
from lamina.training.argument_checks import (
    check_class_weight,
    check_optional_int,
    check_target_count,
    check_verbose,
    require_targets,
    split_validation_data,
)
from lamina.training.data_adapters import (
    ArrayAdapter,
    flatten_arrays,
    is_generator_like,
    make_adapter,
    map_arrays,
    num_samples,
    pack,
    standardize,
    unpack,
)
from lamina.training.py_dataset_adapter import PyDatasetAdapter
from lamina.validation import check_int

# Under data parallelism only rank 0 keeps these callbacks: they write files.
_CHIEF_WRITERS = (ModelCheckpoint, CSVLogger, TensorBoard)


def _as_list(x: Any) -> list:
    if isinstance(x, dict):
        return list(x.values())
    return list(x) if isinstance(x, list | tuple) else [x]


def _as_targets(y: Any, output_names: list[str]) -> list:
    """The targets as a list in output order; a dict is matched to the outputs by name."""
    if not isinstance(y, dict):
        return _as_list(y)
    unknown = sorted(set(y) - set(output_names))
    if unknown:
        raise ValueError(
            f"y is a dict whose keys {unknown} name no output of the model; its outputs are "
            f"{output_names}. Received: y with keys {sorted(y)}"
        )
    return [y.get(name) for name in output_names]


class Trainer:
    """The methods that train and run a model; mixed into `Model`."""

    def __init__(self) -> None:
        self.optimizer: Any = None
        self.compiled = False
        self.stop_training = False
        self.history: History | None = None
        # The running (or last) fit's FitState: its callbacks, metrics and resume request.
        self.fit_state: FitState | None = None
        # compile's (loss, loss_weights, metrics, weighted_metrics), kept for saving
        self._compile_spec: tuple | None = None
        self._compile_loss: compile_utils.CompileLoss | None = None
        self._compile_metrics: compile_utils.CompileMetrics | None = None
        self._loss_tracker: metrics_module.Mean | None = None
        # With several outputs: one Mean per output's loss (made at the first batch), fed from
        # the per-output losses of the last `compute_loss`.
        self._part_trackers: list[metrics_module.Mean] = []
        self._last_loss_parts: list[Tensor] = []
        # The weights train_step trains, and those of them with a constraint: fixed by compile
        # for a built model, else at the first step (see `_capture_trainable`).
        self._train_vars: list | None = None
        self._constrained: list = []
        self._frozen_vars: list = []  # the other weights
        self._nan_reported = False

    # ----- compile -------------------------------------------------------------------------

    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: Any = "auto",
        **kwargs: Any,
    ) -> None:
        """Configure the model for training.

        Args:
            optimizer: a name (`"rmsprop"`, `"adam"`, `"sgd"`, ...) or an optimizer.
            loss: a name, a function `(y_true, y_pred)`, a Loss, or one per output (list/dict).
            metrics: names or Metric objects (`["accuracy"]`), or per output (list/dict); they
                ignore sample and class weights.
            weighted_metrics: like `metrics`, but weighted by sample and class weights.
            loss_weights: a weight per output's loss (list or dict).

        The weights that training updates are fixed here (for a model not built yet: at its
        first training step), as in Keras: set `trainable` afterwards and compile again for the
        change to take effect. So a discriminator compiled, then frozen and put into a GAN that
        is compiled next, still trains through its own `train_on_batch`.

        Example:
        >>> model.compile(optimizer="rmsprop", loss="categorical_crossentropy",
        ...               metrics=["accuracy"])
        """
        if kwargs:
            raise TypeError(f"compile: unknown argument(s) {sorted(kwargs)}. Received: {kwargs}")
        self.optimizer = optimizers_module.get(optimizer)
        self._compile_spec = (loss, loss_weights, metrics, weighted_metrics)
        self._compile_loss = None
        self._compile_metrics = None
        # Set past Layer.__setattr__: the trainer's own tracker is not one of the user's metrics.
        object.__setattr__(self, "_loss_tracker", metrics_module.Mean(name="loss"))
        self._part_trackers = []
        self._train_vars = None
        self._frozen_vars = []
        if self.built:
            self._capture_trainable()
        self.compiled = True
        if loss is not None:
            self._setup_compile(self._output_names_or_default())

    def _output_names_or_default(self) -> list[str]:
        names = getattr(self, "output_names", None)
        try:
            names = list(names) if names else None
        except (AttributeError, TypeError):
            names = None
        return names or ["output"]

    def _setup_compile(self, output_names: list[str]) -> None:
        loss, loss_weights, metrics, weighted_metrics = self._compile_spec
        self._compile_loss = compile_utils.CompileLoss(loss, loss_weights, output_names)
        self._compile_metrics = compile_utils.CompileMetrics(
            metrics, output_names, self._compile_loss.fns, weighted_metrics
        )

    def _require_compiled(self, method: str) -> None:
        if not self.compiled:
            raise RuntimeError(
                f"{method}: the model must be compiled first: call "
                "model.compile(optimizer=..., loss=...)."
            )

    @property
    def metrics(self) -> list:
        """The loss tracker, the compiled metrics, then the metrics the model and its layers
        hold as attributes (updated in their `call` or in an overridden `train_step`)."""
        out = [self._loss_tracker] if self._loss_tracker is not None else []
        out += self._compile_metrics.flat if self._compile_metrics else []
        return out + [m for m in self._tracked_metrics() if all(m is not o for o in out)]

    @property
    def metrics_names(self) -> list[str]:
        names = ["loss"]
        if self._compile_loss is not None:
            names += self._compile_loss.names
        return names + [m.name for m in self.metrics[1:]]

    def reset_metrics(self) -> None:
        """Reset the state of every metric (done at the start of each epoch)."""
        for m in self.metrics + self._part_trackers:
            m.reset_state()

    # ----- one step ------------------------------------------------------------------------

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Tensor:
        """The compiled loss of `y_pred` against `y`, plus the losses added by `add_loss`.

        Raises:
            ValueError: when there is no loss at all, or a compiled loss but no targets `y`.
        """
        if self._compile_loss is None:
            self._setup_compile(self._output_names_or_default())
        total, parts = None, []
        if self._compile_loss.has_loss:
            if y is None:
                raise ValueError(
                    "The model was compiled with a loss, which compares the outputs with "
                    "targets, but no targets were given: pass y to fit/evaluate (or yield "
                    "(x, y) batches), or compile without a loss and use add_loss(). "
                    "Received: y=None"
                )
            y_list = _as_targets(y, self._compile_loss.output_names)
            total, parts = self._compile_loss(y_list, _as_list(y_pred), sample_weight)
        self._last_loss_parts = parts
        for extra in self.losses:
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError(
                "No loss to compute: compile() was given no loss and the model added "
                "none with add_loss(). Pass loss=... to compile(), call self.add_loss(value) in "
                "a layer's or the model's call(), or override train_step() to train the model "
                "your own way. Received: loss=None"
            )
        return total

    def train_step(self, data: Any) -> dict:
        """One step of training on a batch `data` = (x, y) or (x, y, sample_weight).

        Runs the forward pass under a tape, the loss, the gradients, the optimizer update and
        the metrics; returns the metrics' current values. Override it to train differently.
        """
        x, y, sample_weight = unpack(data)
        # The weights not trained record no ops (known from compile, or the first step if unbuilt).
        with untracked(self._frozen_vars), GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        variables = self._trainable_for_step()
        grads = tape.gradient(loss, variables)
        strategy = active_strategy()
        if strategy is not None:  # the mean gradient of the global batch
            grads = strategy.reduce_gradients(grads, len(flatten_arrays(x)[0]))
        self.optimizer.apply(grads, variables)
        for v in self._constrained:
            v.assign(_raw(v.constraint(v)))
        return self.compute_metrics(x, y, y_pred, sample_weight, loss)

    def _trainable_for_step(self) -> list:
        if self._train_vars is None:
            self._capture_trainable()
        return self._train_vars

    def _capture_trainable(self) -> None:
        self._train_vars = self.trainable_weights
        self._constrained = [v for v in self._train_vars if v.constraint is not None]
        trained = {id(v) for v in self._train_vars}
        self._frozen_vars = [v for v in self.weights if id(v) not in trained]

    def test_step(self, data: Any) -> dict:
        """One evaluation step: forward pass, loss and metrics, no update."""
        x, y, sample_weight = unpack(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        return self.compute_metrics(x, y, y_pred, sample_weight, loss)

    def predict_step(self, data: Any) -> Any:
        """One prediction step: the model's output for the batch's x."""
        x, _, _ = unpack(data)
        return self(x, training=False)

    def compute_metrics(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any, loss: Any = None
    ) -> dict:
        """Update the loss tracker and metrics with a batch; return every metric's value."""
        batch = len(flatten_arrays(y if y is not None else x)[0])
        if loss is not None:
            self._loss_tracker.update_state(_raw(loss), sample_weight=batch)
        parts = self._last_loss_parts
        if self._compile_loss.names and parts:
            self._make_part_trackers()
            for tracker, part in zip(self._part_trackers, parts, strict=False):
                tracker.update_state(_raw(part), sample_weight=batch)
        if y is not None:
            self._compile_metrics.update(
                _as_targets(y, self._compile_loss.output_names), _as_list(y_pred), sample_weight
            )
        return self.get_metrics_result()

    def _make_part_trackers(self) -> None:
        if self._compile_loss.names and not self._part_trackers:
            self._part_trackers = [metrics_module.Mean(name=n) for n in self._compile_loss.names]

    def _fit_metrics(self, per_output_losses: bool) -> list:
        """`FitState.metrics`: the metrics, then the per-output loss trackers."""
        if per_output_losses:
            self._make_part_trackers()
        return self.metrics + self._part_trackers

    def get_metrics_result(self) -> dict:
        """The current value of the loss and every metric, as Python floats."""
        metrics = self.metrics
        parts = list(self._part_trackers)
        if metrics and metrics[0] is self._loss_tracker:
            metrics = [metrics[0], *parts, *metrics[1:]]
        else:
            metrics = metrics + parts
        return pythonify_logs({m.name: m.result() for m in metrics})

    # ----- fit -----------------------------------------------------------------------------

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: list | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: dict | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: Any = 1,
    ) -> History:
        """Train the model for `epochs` epochs over `x` and `y`.

        Args:
            x: arrays (a list or dict for several inputs), or a generator / iterable / PyDataset
                yielding `(x, y)` or `(x, y, sample_weight)` batches.
            y: the targets (not with a generator).
            batch_size: samples per step (default 32).
            epochs: the epoch to stop at (counting from 0; see `initial_epoch`).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch; "auto" and True mean 1.
            callbacks: Callback objects.
            validation_split: the fraction of the arrays (taken from the end) held out.
            validation_data: `(x_val, y_val)`, `(x_val, y_val, val_sample_weight)` or a
                generator / PyDataset yielding such batches, evaluated after each epoch.
            shuffle: shuffle the samples at each epoch (of a PyDataset: the order of its
                batches); `"batch"` shuffles blocks of `batch_size` samples, for arrays on disk.
            class_weight: `{class_index: weight}` (integer keys) scaling each sample's loss.
            sample_weight: a weight per sample.
            initial_epoch: the epoch to start from (to resume).
            steps_per_epoch: batches per epoch (needed for endless generators). With arrays,
                an epoch still ends when the arrays run out (with a warning); a PyDataset
                goes round again.
            validation_steps: batches of validation data per evaluation.
            validation_freq: validate every N epochs, or at the epochs listed.

        Returns:
            A `History` whose `history` dict holds the per-epoch logs.
        """
        self._require_compiled("fit")
        epochs = check_int("epochs", epochs, minimum=0, owner="fit")
        initial_epoch = check_int("initial_epoch", initial_epoch, minimum=0, owner="fit")
        verbose = check_verbose(verbose, "fit")
        batch_size = check_optional_int("batch_size", batch_size, "fit")
        steps_per_epoch = check_optional_int("steps_per_epoch", steps_per_epoch, "fit")
        validation_steps = check_optional_int("validation_steps", validation_steps, "fit")
        validation_batch_size = check_optional_int(
            "validation_batch_size", validation_batch_size, "fit"
        )
        check_class_weight(class_weight, len(self._output_names_or_default()))
        if validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(
                    "Expected validation_split to be in (0, 1). "
                    f"Received: validation_split={validation_split}"
                )
            if validation_data is None:
                (x, y, sample_weight), validation_data = _split_validation(
                    x, y, sample_weight, validation_split
                )
        if validation_data is not None:
            validation_data = split_validation_data(validation_data, self._needs_targets())
        data = make_adapter(x, y, sample_weight, batch_size, shuffle, steps_per_epoch)
        if class_weight is not None and y is None:
            raise ValueError("fit: class_weight needs array targets y.")
        self._pre_fit_checks(data, "fit")
        val = None
        if validation_data is not None:
            val = self._validation_adapter(
                validation_data, validation_batch_size or batch_size, validation_steps
            )
        history = History()
        cbs = list(callbacks or [])
        strategy = active_strategy()
        if strategy is not None:
            data = _shard(strategy, data, training=True)
            val = None if val is None else _shard(strategy, val, training=False)
            verbose = strategy.verbose(verbose)
            if not strategy.is_chief():  # rank 0 writes the files
                cbs = [c for c in cbs if not isinstance(c, _CHIEF_WRITERS)]
        if verbose:
            cbs.append(ProgbarLogger(verbose))
        cbs.append(history)
        # BackupAndRestore goes last, so that its backups hold what every other callback saw.
        cbs.sort(key=lambda c: isinstance(c, BackupAndRestore))
        self.history = history
        self.fit_state = FitState(cbs, self._fit_metrics)
        cb = CallbackList(
            cbs,
            model=self,
            params={"epochs": epochs, "steps": data.steps, "verbose": verbose, "mode": "fit"},
        )
        self.stop_training = False
        self._nan_reported = False
        if strategy is not None:
            strategy.sync_start(self)
        try:
            cb.on_train_begin()
            # A BackupAndRestore that found the backup of an interrupted run says where it stopped.
            # The state is put back at the point the backup was made: between epochs, or after some
            # batches of an epoch whose order is drawn again and whose done batches are skipped.
            resume = self.fit_state.take_resume()
            if resume is not None and (not resume.step or resume.epoch >= epochs):
                # Mid-epoch, the loop restores it; a run already past `epochs` is restored here.
                resume.restore(None)
            epoch_logs: dict = {}
            for epoch in range(resume.epoch if resume else initial_epoch, epochs):
                self.reset_metrics()
                cb.on_epoch_begin(epoch)
                logs: dict = {}
                batches = data.epoch()
                first = 0
                if resume is not None and resume.step:
                    logs = resume.restore(batches)
                    first = resume.step
                resume = None
                step = first - 1
                for step, (bx, by, bsw) in enumerate(batches, start=first):
                    if class_weight is not None:
                        bsw = _apply_class_weight(class_weight, by, bsw)
                    if strategy is not None:  # before the callbacks: the watchdog covers them too
                        strategy.step_begin(step)
                    cb.on_train_batch_begin(step)
                    logs = pythonify_logs(self.train_step(pack(bx, by, bsw)))
                    if strategy is not None:
                        logs = self._global_logs(strategy, logs)
                    self._report_nan(logs, epoch, step)
                    cb.on_train_batch_end(step, logs)
                    if strategy is not None:
                        strategy.step_end(step)
                    if self.stop_training:
                        break
                if step < 0:
                    raise ValueError("fit: the data yielded no batches this epoch.")
                epoch_logs = dict(logs)
                if strategy is not None:
                    strategy.sync_epoch_end(self)
                if val is not None and _due(validation_freq, epoch):
                    val_logs = self._run_evaluation(val, cb, "fit (validation_data)")
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                cb.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
            cb.on_train_end(epoch_logs)
            return history
        finally:
            if strategy is not None:
                strategy.fit_end()

    fit_generator = fit

    def _needs_targets(self) -> bool:
        """Whether the compiled loss compares outputs with targets, so that y must be given.

        A model that overrides `train_step`, `test_step` or `compute_loss` decides that itself.
        """
        overridden = any(
            getattr(type(self), name) is not getattr(Trainer, name)
            for name in ("train_step", "test_step", "compute_loss")
        )
        loss = self._compile_loss
        return not overridden and loss is not None and any(f is not None for f in loss.fns)

    def _pre_fit_checks(self, data: Any, method: str) -> None:
        """Run the model once on the first batch to catch shape and target errors early."""
        bx, by, _ = data.peek()
        if self._needs_targets():
            require_targets(data, by, method)
        # Whole arrays when there are some, so the messages give the shapes the user passed.
        self._check_inputs(data.x if hasattr(data, "x") else bx)
        with no_grad():
            pred = self(bx, training=False)
        if self._compile_loss is None:
            self._setup_compile(self._output_names_or_default())
        loss = self._compile_loss
        targets = data.y if getattr(data, "y", None) is not None else by
        check_target_count(targets, len(_as_list(pred)), loss.output_names, method)
        if getattr(data, "y", None) is not None:  # every label, so the index is the sample's
            for fn, yt, p, name in zip(
                loss.fns,
                _as_targets(data.y, loss.output_names),
                _as_list(pred),
                loss.output_names,
                strict=False,
            ):
                if losses_module.label_type_of(fn) == "class_ids":
                    where = f" for output {name!r}" if len(loss.output_names) > 1 else ""
                    compile_utils.check_class_ids(np.asarray(yt), p.shape[-1], where)
        if targets is not None:
            compile_utils.check_targets(
                loss.fns, _as_targets(targets, loss.output_names), _as_list(pred), loss.output_names
            )
        if by is not None:
            self._compile_metrics.check(_as_targets(by, loss.output_names), _as_list(pred))
        self._warn_from_logits()

    def _check_inputs(self, x: Any) -> None:
        symbols = getattr(self, "inputs", None) or []
        if isinstance(x, dict):  # dict inputs are matched to the model's inputs by name
            names = list(getattr(self, "input_names", None) or [])
            if len(names) != len(symbols) or any(n not in x for n in names):
                return
            arrays = [x[n] for n in names]  # `input_names` is in the order of `symbols`
            args = [f"x[{n!r}]" for n in names]
        else:
            arrays = flatten_arrays(x)
            args = ["x"] if len(arrays) == 1 else [f"x[{i}]" for i in range(len(arrays))]
        if not symbols or len(symbols) != len(arrays):
            return
        for sym, arr, arg in zip(symbols, arrays, args, strict=True):
            got = tuple(np.shape(arr))
            want = sym.shape
            if len(got) != len(want) or any(
                w is not None and w != g for w, g in zip(want[1:], got[1:], strict=False)
            ):
                batch = ", ".join(["batch", *(str(n) for n in want[1:])])
                raise ValueError(
                    f"Input {sym.name!r} of model {self.name!r} expects {arg} of shape "
                    f"({batch}): samples of shape {want[1:]}. Reshape the data (e.g. "
                    f"{arg}.reshape(len({arg}), -1)) or change the model's input shape. "
                    f"Received: {arg} with shape {got}"
                )

    def _warn_from_logits(self) -> None:
        outputs = getattr(self, "outputs", None) or []
        for fn, out in zip(self._compile_loss.fns, outputs, strict=False):
            if fn is None or not compile_utils.uses_logits(fn):
                continue
            layer = out.node.layer
            act = getattr(getattr(layer, "activation", None), "__name__", "")
            if act in ("softmax", "sigmoid"):
                warnings.warn(
                    f"The loss has from_logits=True but output {layer.name!r} already goes "
                    f"through {act}; the loss will treat probabilities as logits. Remove the "
                    "activation or use from_logits=False.",
                    UserWarning,
                    stacklevel=3,
                )

    def _report_nan(self, logs: dict, epoch: int | None, step: int, method: str = "fit") -> None:
        """Warn once when the loss stops being finite (`epoch` is None when evaluating)."""
        value = logs.get("loss")
        if value is None or math.isfinite(value) or self._nan_reported:
            return
        self._nan_reported = True
        if epoch is None:
            message = (
                f"{method}: the loss became {value} at batch {step}. Check the data for NaN or "
                "infinite values, and the weights: a model whose training diverged gives NaN."
            )
        else:
            message = (
                f"The loss became {value} at epoch {epoch + 1}, batch {step}. Lower the learning "
                "rate, check the data for NaN or infinite values, or add the TerminateOnNaN "
                "callback to stop training when this happens."
            )
        warnings.warn(message, RuntimeWarning, stacklevel=4 if epoch is None else 3)

    def _validation_adapter(
        self, validation_data: tuple, batch_size: int | None, steps: int | None
    ) -> Any:
        vx, vy, vsw = validation_data
        method = "fit (validation_data)"
        val = make_adapter(vx, vy, vsw, batch_size, False, steps, method, "validation_steps")
        if self._needs_targets():
            require_targets(val, val.peek()[1], method)
        return val

    # ----- evaluate / predict --------------------------------------------------------------

    def _run_evaluation(self, data: Any, cb_progress: Any, method: str) -> dict:
        self.reset_metrics()
        logs: dict = {}
        cb = cb_progress
        if cb is not None:
            cb.on_test_begin()
        with no_grad():
            for step, (bx, by, bsw) in enumerate(data.epoch()):
                if cb is not None:
                    cb.on_test_batch_begin(step)
                batch = pack(bx, by, bsw)
                logs = pythonify_logs(self.test_step(batch))
                self._report_nan(logs, None, step, method)
                if cb is not None:
                    cb.on_test_batch_end(step, logs)
        strategy = active_strategy()
        if strategy is not None:  # the batches' logs are this process's; the result is global
            logs = self._global_logs(strategy, logs)
        if cb is not None:
            cb.on_test_end(logs)
        return logs

    def _global_logs(self, strategy: Any, logs: dict) -> dict:
        """`logs` over every process: the metrics from their summed states, other numbers
        averaged."""
        with strategy.global_metrics(self.metrics + self._part_trackers, logs) as means:
            reduced = self.get_metrics_result()
        return {k: reduced.get(k, means.get(k, logs.get(k))) for k in logs or reduced}

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: list | None = None,
        return_dict: bool = False,
    ) -> Any:
        """Return the loss (and metrics) on `x`, `y`: a scalar, or `[loss, *metrics]`.

        Example:
        >>> test_loss, test_acc = model.evaluate(x_test, y_test)
        """
        self._require_compiled("evaluate")
        verbose = check_verbose(verbose, "evaluate")
        batch_size = check_optional_int("batch_size", batch_size, "evaluate")
        steps = check_optional_int("steps", steps, "evaluate")
        data = make_adapter(x, y, sample_weight, batch_size, False, steps, "evaluate", "steps")
        self._pre_fit_checks(data, "evaluate")
        strategy = active_strategy()
        if strategy is not None:
            data = _shard(strategy, data, training=False)
            verbose = strategy.verbose(verbose)
        cbs = list(callbacks or []) + ([ProgbarLogger(verbose)] if verbose else [])
        cb = CallbackList(
            cbs, model=self, params={"steps": data.steps, "verbose": verbose, "mode": "evaluate"}
        )
        self._nan_reported = False
        logs = self._run_evaluation(data, cb, "evaluate")
        if not logs:
            raise ValueError("evaluate: the data yielded no batches.")
        if return_dict:
            return logs
        values = [logs[k] for k in logs]
        return values[0] if len(values) == 1 else values

    evaluate_generator = evaluate

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: list | None = None,
    ) -> Any:
        """Return the model's outputs for `x` as NumPy arrays, computed in batches.

        Example:
        >>> probabilities = model.predict(x_test[:10])
        """
        verbose = check_verbose(verbose, "predict")
        batch_size = check_optional_int("batch_size", batch_size, "predict")
        steps = check_optional_int("steps", steps, "predict")
        data = make_adapter(x, None, None, batch_size, False, steps, "predict", "steps")
        strategy = active_strategy()
        if strategy is not None:
            data = _shard(strategy, data, training=False)
            verbose = strategy.verbose(verbose)
        cbs = list(callbacks or []) + ([ProgbarLogger(verbose)] if verbose else [])
        cb = CallbackList(
            cbs, model=self, params={"steps": data.steps, "verbose": verbose, "mode": "predict"}
        )
        cb.on_predict_begin()
        outputs = []
        with no_grad():
            for step, (bx, _, _) in enumerate(data.epoch()):
                cb.on_predict_batch_begin(step)
                out = self.predict_step((bx,))
                outputs.append(map_arrays(lambda t: t.numpy() if isinstance(t, Tensor) else t, out))
                cb.on_predict_batch_end(step, {"outputs": out})
        cb.on_predict_end()
        if not outputs:
            raise ValueError("predict: the data yielded no batches.")
        if strategy is not None:
            return strategy.gather_predictions(data, _concat(outputs))
        return _concat(outputs)

    predict_generator = predict

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        reset_metrics: bool = True,
        return_dict: bool = False,
    ) -> Any:
        """Run one training step on one batch; return the loss (and metrics).

        Args:
            x: the input batch.
            y: the targets, or None for a model trained on losses from `add_loss`.
            sample_weight: one weight per sample.
            class_weight: a dict from class index to weight, multiplied into `sample_weight`.
            reset_metrics: reset the metrics first, so the result is this batch's alone (as
                Keras 3 always does); False accumulates over calls (Keras 2's argument).
            return_dict: return `{name: value}` instead of a list.

        Returns:
            The loss alone when the model has no metrics, else `[loss, *metrics]` in the order
            of `model.metrics_names` (or a dict with `return_dict=True`).
        """
        self._require_compiled("train_on_batch")
        x, y = standardize(x, "x", "train_on_batch"), standardize(y, "y", "train_on_batch")
        self._batch_checks(x, y, sample_weight, "train_on_batch", reset_metrics)
        if class_weight is not None:
            sample_weight = _apply_class_weight(class_weight, y, sample_weight)
        logs = pythonify_logs(self.train_step(pack(x, y, sample_weight)))
        return logs if return_dict else _values(logs)

    def test_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        reset_metrics: bool = True,
        return_dict: bool = False,
    ) -> Any:
        """Evaluate one batch without training; arguments and result as `train_on_batch`."""
        self._require_compiled("test_on_batch")
        x, y = standardize(x, "x", "test_on_batch"), standardize(y, "y", "test_on_batch")
        self._batch_checks(x, y, sample_weight, "test_on_batch", reset_metrics)
        with no_grad():
            logs = pythonify_logs(self.test_step(pack(x, y, sample_weight)))
        return logs if return_dict else _values(logs)

    def _batch_checks(
        self, x: Any, y: Any, sample_weight: Any, method: str, reset_metrics: Any
    ) -> None:
        if not isinstance(reset_metrics, bool | np.bool_):
            raise TypeError(
                f"{method}: expected reset_metrics to be True or False. "
                f"Received: reset_metrics={reset_metrics!r}"
            )
        if self._compile_loss is None:  # the first batch since compile()
            self._pre_fit_checks(make_adapter(x, y, sample_weight, None, False, 1, method), method)
            # Nothing to accumulate yet, and the checks' forward pass updated the metrics that
            # layers update in call.
            reset_metrics = True
        num_samples(x, y, sample_weight, method)
        if reset_metrics:
            self.reset_metrics()

    def predict_on_batch(self, x: Any) -> Any:
        """The model's output for one batch, as NumPy arrays."""
        with no_grad():
            out = self.predict_step((x,))
        return map_arrays(lambda t: t.numpy() if isinstance(t, Tensor) else t, out)


def _shard(strategy: Any, data: Any, training: bool) -> Any:
    """This process's share of `data`: arrays split per batch, other data batch by batch."""
    if isinstance(data, ArrayAdapter):
        return strategy.shard(data, "arrays", training)
    return strategy.shard(
        data, "indexed" if isinstance(data, PyDatasetAdapter) else "stream", training
    )


def _values(logs: dict) -> Any:
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def pythonify_logs(logs: dict | None) -> dict:
    """Logs as callbacks and `History` get them: nested dicts (a metric with several results)
    flattened, scalar tensors and arrays as Python floats, larger ones as NumPy arrays."""
    out: dict = {}
    for key, value in (logs or {}).items():
        if isinstance(value, dict):
            out.update(pythonify_logs(value))
            continue
        value = to_numpy(value.data) if isinstance(value, Tensor) else value
        if isinstance(value, np.ndarray | np.generic) and np.ndim(value) == 0:
            value = float(value)
        out[key] = value
    return out


def _concat(batches: list) -> Any:
    return tree.map_structure(lambda *parts: np.concatenate(parts), *batches)


def _due(freq: Any, epoch: int) -> bool:
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in set(freq)


def _split_validation(x: Any, y: Any, sample_weight: Any, split: float):
    if is_generator_like(x):
        raise ValueError(
            "validation_split needs array inputs; with a generator pass validation_data instead."
        )
    x, y = standardize(x, "x"), standardize(y, "y")
    sample_weight = standardize(sample_weight, "sample_weight")
    n = num_samples(x, y, sample_weight)
    cut = int(n * (1 - split))
    if cut <= 0 or cut >= n:
        raise ValueError(
            f"validation_split={split} of {n} samples leaves {cut} for training and "
            f"{n - cut} for validation; both need at least one. Use a split that keeps both."
        )
    head = lambda a: a[:cut]  # noqa: E731
    tail = lambda a: a[cut:]  # noqa: E731
    train = (map_arrays(head, x), map_arrays(head, y), map_arrays(head, sample_weight))
    val = (map_arrays(tail, x), map_arrays(tail, y))
    if sample_weight is not None:
        val = (*val, map_arrays(tail, sample_weight))
    return train, val


def _apply_class_weight(class_weight: dict, y: Any, sample_weight: Any) -> np.ndarray:
    y = np.asarray(_raw(y))
    ids = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    ids = ids.astype(np.int64)
    table = np.ones(max(int(ids.max()) + 1, max(class_weight) + 1), dtype=np.float32)
    for k, w in class_weight.items():
        table[int(k)] = w
    weights = table[ids]
    return weights if sample_weight is None else weights * np.asarray(sample_weight)
