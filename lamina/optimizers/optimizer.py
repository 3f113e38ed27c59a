"""The `Optimizer` base: slots, learning rate (float, schedule or legacy decay), clipping,
weight decay and the step counter. Subclasses only implement `build` and `update_step`.

Updates run in place on the variables' raw arrays. Each variable gets a preallocated scratch
array (a view into one shared buffer per dtype) so an update step allocates nothing.
"""

import json
import math
import warnings
from typing import Any

import numpy as np

from lamina.backend import as_array_like, get_xp, to_numpy
from lamina.optimizers.moments import moving_average_update
from lamina.optimizers.schedules import LearningRateSchedule
from lamina.optimizers.schedules import deserialize as deserialize_schedule
from lamina.optimizers.schedules import serialize as serialize_schedule
from lamina.tensor import Tensor
from lamina.validation import check_number
from lamina.variable import Variable

STATE_VARS = "optimizer/vars/"
STATE_EMA = "optimizer/ema/"
STATE_BUILT_WITH = "optimizer_variables"


def _clip_threshold(value: Any, name: str) -> float | None:
    """A clipping threshold: None, or a positive number (0 or less would zero every update)."""
    if value is None:
        return None
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if ok and value > 0:  # also refuses NaN
        return float(value)
    raise ValueError(
        f"Argument `{name}` must be a positive number, or None for no clipping: a value of 0 "
        f"or less would make every update zero. Received: {name}={value!r}"
    )


class Optimizer:
    """Base class of optimizers.

    Args:
        learning_rate: a non-negative float, a `LearningRateSchedule`, or a callable of no
            arguments returning the rate.
        weight_decay: if set, each step first shrinks every variable by `lr * weight_decay`
            (decoupled weight decay).
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient elementwise to `[-clipvalue, clipvalue]`.
        global_clipnorm: clip all gradients together to this global L2 norm.
        use_ema: keep an exponential moving average of the weights.
        ema_momentum: the average's momentum.
        ema_overwrite_frequency: every this many steps, copy the averages into the variables.
        name: a readable name.
        **kwargs: the legacy spellings `lr` (learning_rate) and `decay` (the rate becomes
            `lr / (1 + decay * iterations)`, as in Keras 2).

    Attributes:
        iterations: a 0-d int64 `Variable` counting the steps taken (`int(opt.iterations)`).
        learning_rate: the current learning rate as a float; assign a float to change it.
        variables: the optimizer's state: `iterations` then every slot variable.

    Example:
    >>> opt = lamina.optimizers.SGD(learning_rate=0.1)
    >>> w = lamina.Variable([1.0, 2.0])
    >>> opt.apply([np.array([1.0, 1.0], dtype="float32")], [w])
    >>> w.numpy()
    array([0.9, 1.9], dtype=float32)
    """

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
        decay = kwargs.pop("decay", 0.0)
        kwargs.pop("loss_scale_factor", None)
        if kwargs.pop("gradient_accumulation_steps", None):
            raise ValueError("gradient_accumulation_steps is not supported by lamina optimizers.")
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        self.name = name or type(self).__name__.lower()
        self.decay = check_number("decay", decay or 0.0, low=0.0)
        self.weight_decay = (
            None if weight_decay is None else check_number("weight_decay", weight_decay, low=0.0)
        )
        given = [
            n
            for n, v in (
                ("clipnorm", clipnorm),
                ("clipvalue", clipvalue),
                ("global_clipnorm", global_clipnorm),
            )
            if v is not None
        ]
        if len(given) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: {', '.join(given)}"
            )
        self.clipnorm = _clip_threshold(clipnorm, "clipnorm")
        self.clipvalue = _clip_threshold(clipvalue, "clipvalue")
        self.global_clipnorm = _clip_threshold(global_clipnorm, "global_clipnorm")
        self.use_ema = bool(use_ema)
        self.ema_momentum = check_number("ema_momentum", ema_momentum, low=0.0, high=1.0)
        if ema_overwrite_frequency is not None and (
            not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
        ):
            raise ValueError(
                "Argument `ema_overwrite_frequency` must be a positive integer or None. "
                f"Received: ema_overwrite_frequency={ema_overwrite_frequency!r}"
            )
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self._learning_rate: Any = None
        self.learning_rate = learning_rate
        self._iterations = Variable(
            np.zeros((), dtype="int64"), trainable=False, name=f"{self.name}/iteration"
        )
        self.built = False
        self._trainable_variables: list[Variable] = []
        self._index: dict[int, int] = {}
        self._slots: list[Variable] = []
        self._scratch: list[Any] = []
        self._ema: list[Any] = []
        self._exclude_ids: set[int] = set()
        self._exclude_names: tuple[str, ...] = ()

    # ----- learning rate -------------------------------------------------------------------

    @property
    def learning_rate(self) -> float:
        """The learning rate now: the float set, or the schedule's value at this step."""
        lr = self._learning_rate
        if isinstance(lr, float):
            return lr
        if isinstance(lr, LearningRateSchedule):
            return float(lr(self.iterations_int))
        return float(lr())

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(value, LearningRateSchedule) or (
            callable(value) and not isinstance(value, Tensor)
        ):
            self._learning_rate = value
            return
        if isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a LearningRateSchedule as its learning_rate, so "
                "its learning rate cannot be set to a number. Create it with a float "
                f"learning_rate instead. Received: learning_rate={value!r}"
            )
        if isinstance(value, Tensor) or isinstance(value, np.ndarray):
            value = float(value)
        self._learning_rate = check_number("learning_rate", value, low=0.0)

    @property
    def lr(self) -> float:
        """Keras 2's name for `learning_rate`."""
        return self.learning_rate

    @lr.setter
    def lr(self, value: Any) -> None:
        self.learning_rate = value

    def current_learning_rate(self) -> float:
        """The rate this step uses: `learning_rate`, with the legacy `decay` applied."""
        lr = self.learning_rate
        if self.decay:
            lr = lr / (1.0 + self.decay * self.iterations_int)
        return lr

    # ----- state ---------------------------------------------------------------------------

    @property
    def iterations(self) -> Variable:
        """The number of steps taken, as a 0-d int64 Variable."""
        return self._iterations

    @property
    def iterations_int(self) -> int:
        return int(self._iterations.data)

    @property
    def variables(self) -> list[Variable]:
        """The optimizer's state: the step counter, then the slot variables in build order."""
        return [self._iterations, *self._slots]

    def save_own_variables(self, store: Any) -> None:
        """Write `variables` into a dict-like store under the keys "0", "1", ... (as Keras)."""
        for i, v in enumerate(self.variables):
            store[str(i)] = v.numpy().copy()

    def load_own_variables(self, store: Any) -> None:
        """Restore `variables` from `save_own_variables`' store; build the optimizer first."""
        if len(store) != len(self.variables):
            raise ValueError(
                f"The optimizer {self.name!r} holds {len(self.variables)} variables (is it "
                "built with the same model?). Received: a store with "
                f"{len(store)} entries"
            )
        for i, v in enumerate(self.variables):
            v.assign(store[str(i)])
        self._after_load()

    def state_arrays(self, weights: list[Variable]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        """The whole state as named host arrays and string metadata, for a file.

        `optimizer/vars/<i>` holds `variables[i]` (as `save_own_variables`), `optimizer/ema/<i>`
        the moving averages of `use_ema`, and the metadata `optimizer_variables` lists the
        positions in `weights` of the variables the optimizer was built with, so that
        `load_state_arrays` builds a fresh optimizer the same way. Model files and
        `BackupAndRestore` store the optimizer this way.

        Args:
            weights: the variables the state refers to (a model's `weights`).

        Raises:
            ValueError: when the optimizer updates a variable that is not in `weights`.

        Example:
        >>> arrays, metadata = model.optimizer.state_arrays(model.weights)
        """
        store: dict[str, np.ndarray] = {}
        self.save_own_variables(store)
        arrays = {f"{STATE_VARS}{i}": store[str(i)] for i in range(len(store))}
        metadata = {}
        if self.built:
            positions = {id(w): i for i, w in enumerate(weights)}
            built_with = [positions.get(id(v)) for v in self._trainable_variables]
            if None in built_with:
                raise ValueError(
                    f"The optimizer {self.name!r} updates variables that are not among the "
                    "weights given, so its state cannot be stored with them. Received: "
                    f"{len(weights)} weights"
                )
            metadata[STATE_BUILT_WITH] = json.dumps(built_with)
            for i, average in enumerate(self._ema):
                arrays[f"{STATE_EMA}{i}"] = to_numpy(average)
        return arrays, metadata

    def load_state_arrays(
        self, arrays: dict[str, np.ndarray], metadata: dict[str, str], weights: list[Variable]
    ) -> None:
        """Restore the state `state_arrays` gave, building an unbuilt optimizer first.

        Everything is checked before anything is assigned.

        Args:
            arrays: the `optimizer/...` arrays; any other name is refused.
            metadata: the metadata `state_arrays` wrote (other keys are ignored).
            weights: the variables, in the order `state_arrays` was given them.

        Raises:
            ValueError: for arrays or metadata that do not fit this optimizer.

        Example:
        >>> model.optimizer.load_state_arrays(arrays, metadata, model.weights)
        """
        saved = _numbered(arrays, STATE_VARS)
        ema = _numbered(arrays, STATE_EMA)
        if len(saved) + len(ema) != len(arrays):
            raise ValueError(f"The optimizer state holds tensors other than {STATE_VARS}<i>.")
        if not saved:
            return
        if STATE_BUILT_WITH in metadata:
            positions = _json_list(metadata[STATE_BUILT_WITH])
            if not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(weights)
                for i in positions
            ):
                raise ValueError(
                    f"{STATE_BUILT_WITH!r} must list weight positions below {len(weights)}. "
                    f"Received: {positions!r:.100}"
                )
            if not self.built:
                self.build([weights[i] for i in positions])
        variables = self.variables
        if len(variables) != len(saved):
            raise ValueError(
                f"The optimizer state holds {len(saved)} variables but the optimizer "
                f"{self.name!r} has {len(variables)}."
            )
        for v, value in zip(variables, saved, strict=True):
            if tuple(v.shape) != tuple(value.shape):
                raise ValueError(
                    f"The optimizer's variable {v.name!r} has shape {tuple(v.shape)} but the "
                    f"file holds {tuple(value.shape)}."
                )
        if ema and (
            len(ema) != len(self._ema)
            or any(a.shape != e.shape for a, e in zip(self._ema, ema, strict=True))
        ):
            raise ValueError("The moving averages in the optimizer state do not fit the optimizer.")
        self.load_own_variables(
            {
                str(i): get_xp(v.data).asarray(value)
                for i, (v, value) in enumerate(zip(variables, saved, strict=True))
            }
        )
        for average, value in zip(self._ema, ema, strict=False):
            average[...] = get_xp(average).asarray(value)

    def _after_load(self) -> None:
        """Drop anything cached from the state before a load (subclasses override)."""

    def add_variable_from_reference(self, reference: Variable, name: str, fill: float = 0.0):
        """Make a slot variable shaped like `reference`, filled with `fill`."""
        xp = get_xp(reference.data)
        value = xp.full(reference.data.shape, fill, dtype=reference.data.dtype)
        # Keras 3's slot names: `dense_kernel_momentum` for the `dense/kernel` weight.
        slot = Variable(value, trainable=False, name=f"{reference.path.replace('/', '_')}_{name}")
        self._slots.append(slot)
        return slot

    def build(self, variables: list[Variable]) -> None:
        """Remember the variables and allocate scratch space; subclasses then add slots."""
        self._trainable_variables = list(variables)
        self._index = {id(v): i for i, v in enumerate(self._trainable_variables)}
        self._scratch = _scratch_views(self._trainable_variables)
        if self.use_ema:
            self._ema = [v.data.copy() for v in self._trainable_variables]
        self.built = True

    def exclude_from_weight_decay(
        self, var_list: list[Variable] | None = None, var_names: list[str] | None = None
    ) -> None:
        """Exempt some variables from weight decay (by object, or by a substring of the path,
        `"bias"` or `"dense_1"`)."""
        self._exclude_ids |= {id(v) for v in var_list or []}
        self._exclude_names += tuple(var_names or ())

    def _decays(self, var: Variable) -> bool:
        if id(var) in self._exclude_ids:
            return False
        return not any(n in var.path for n in self._exclude_names)

    # ----- the step ------------------------------------------------------------------------

    def apply(self, grads: list, trainable_variables: list[Variable] | None = None) -> None:
        """Update `trainable_variables` in place from `grads` (raw arrays or Tensors).

        Builds the optimizer on first use. Gradients that are None are skipped (with a warning).
        The gradient arrays are never modified.
        """
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "apply() without trainable_variables needs a built optimizer; call "
                    "build(variables) first. Received: trainable_variables=None"
                )
            trainable_variables = self._trainable_variables
        grads = list(grads)
        variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"Expected one gradient per variable ({len(variables)}). "
                f"Received: {len(grads)} gradients"
            )
        if not self.built:
            self.build(variables)
        pairs = []
        for g, v in zip(grads, variables, strict=True):
            if g is None:
                continue
            g = as_array_like(g.data if isinstance(g, Tensor) else g, v.data)
            if g.shape != v.data.shape:
                raise ValueError(
                    f"Gradient of shape {g.shape} for variable {v.path!r} of shape "
                    f"{v.data.shape}. Received: grad.shape={g.shape}"
                )
            if g.dtype != v.data.dtype:
                g = g.astype(v.data.dtype)
            pairs.append((g, v))
        if len(pairs) < len(variables):
            missing = [v.path for g, v in zip(grads, variables, strict=True) if g is None]
            if not pairs:
                raise ValueError(f"No gradients provided for any variable: {missing}")
            warnings.warn(f"Gradients do not exist for variables {missing}.", stacklevel=2)
        if (
            self.clipnorm is not None
            or self.clipvalue is not None
            or self.global_clipnorm is not None
        ):
            pairs = self._clip(pairs)
        lr = self.current_learning_rate()
        if self.weight_decay:
            shrink = 1.0 - lr * self.weight_decay
            for _, v in pairs:
                if self._decays(v):
                    v.data *= shrink
        for g, v in pairs:
            self.update_step(g, v, lr)
        self._iterations.data += 1
        if self.use_ema:
            self._update_ema()

    def apply_gradients(self, grads_and_vars: Any) -> None:
        """`apply` for a list of `(gradient, variable)` pairs, as in Keras."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def update_step(self, grad: Any, variable: Variable, learning_rate: float) -> None:
        """Update one variable in place from its gradient (a raw array; do not modify it)."""
        raise NotImplementedError

    def index_and_scratch(self, variable: Variable) -> tuple[int, Any]:
        """The position of `variable` among those given to `build` (its index into every slot
        list) and its scratch array, a preallocated buffer of its shape for temporaries."""
        try:
            i = self._index[id(variable)]
        except KeyError:
            raise KeyError(
                f"Variable {variable.path!r} was not passed to this optimizer's build(). "
                "An optimizer updates the variables it was built with."
            ) from None
        return i, self._scratch[i]

    def _clip(self, pairs: list) -> list:
        if self.clipvalue is not None:
            c = self.clipvalue
            return [(get_xp(g).clip(g, -c, c), v) for g, v in pairs]
        if self.clipnorm is not None:
            out = []
            for g, v in pairs:
                norm = float(get_xp(g).sqrt((g * g).sum()))
                out.append((g * (self.clipnorm / norm) if norm > self.clipnorm else g, v))
            return out
        total = math.sqrt(sum(float((g * g).sum()) for g, _ in pairs))
        if total <= self.global_clipnorm:
            return pairs
        scale = self.global_clipnorm / total
        return [(g * scale, v) for g, v in pairs]

    def _update_ema(self) -> None:
        for avg, v, scratch in zip(
            self._ema, self._trainable_variables, self._scratch, strict=True
        ):
            moving_average_update(avg, v.data, self.ema_momentum, scratch)
        freq = self.ema_overwrite_frequency
        if freq and self.iterations_int % freq == 0:
            self.finalize_variable_values()

    def finalize_variable_values(self) -> None:
        """With `use_ema`, copy the moving averages into the variables (end of training)."""
        if self.use_ema and self._ema:
            for avg, v in zip(self._ema, self._trainable_variables, strict=True):
                v.data[...] = avg

    # ----- config --------------------------------------------------------------------------

    def get_config(self) -> dict:
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            lr = serialize_schedule(lr)
        elif not isinstance(lr, float):
            lr = self.learning_rate
        config = {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
        }
        if self.decay:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Optimizer":
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize_schedule(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} learning_rate={self.learning_rate:g}>"


def _scratch_views(variables: list[Variable]) -> list[Any]:
    """One scratch array per variable: views into a shared buffer per (module, dtype)."""
    sizes: dict[tuple, int] = {}
    for v in variables:
        key = (get_xp(v.data), v.data.dtype)
        sizes[key] = max(sizes.get(key, 0), v.data.size)
    buffers = {key: key[0].empty(n, dtype=key[1]) for key, n in sizes.items()}
    return [
        buffers[(get_xp(v.data), v.data.dtype)][: v.data.size].reshape(v.data.shape)
        for v in variables
    ]


def _numbered(arrays: dict, prefix: str) -> list:
    """The arrays named `prefix0`, `prefix1`, ... in order; the numbers must be 0..n-1."""
    found = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
    if sorted(found, key=lambda k: (len(k), k)) != [str(i) for i in range(len(found))]:
        raise ValueError(f"The optimizer tensors {prefix}<i> are not numbered 0, 1, 2, ...")
    return [found[str(i)] for i in range(len(found))]


def _json_list(text: str) -> list:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"{STATE_BUILT_WITH!r} is not valid JSON: {e}") from None
    if not isinstance(value, list):
        raise ValueError(f"{STATE_BUILT_WITH!r} must list weight positions. Received: {text:.100}")
    return value
