"""Weight initializers with Keras 3's names, arguments and fan computations.

An initializer is called as `init(shape, dtype=None)` and returns a raw array of the current
array module (`lamina.backend.default_xp()`), in `dtype` or `floatx()`.

Seeding: an int `seed` gives the same values on every call (as in Keras 3); a `SeedGenerator`
advances on each call; `seed=None` draws a fresh stream from lamina's global generator on each
call, so `lamina.utils.set_random_seed` makes a whole run reproducible. Random values are
drawn on the host, so a seed gives the same weights on the CPU and on the GPU.

Example:
>>> init = lamina.initializers.get("glorot_uniform")
>>> init((784, 512)).shape
(784, 512)
"""

import math
from typing import Any

import numpy as np

from lamina import serialization
from lamina.backend import default_xp, floatx, to_device
from lamina.backend.random import SeedGenerator, resolve_rng, truncated_standard_normal
from lamina.serialization import Registry

_REGISTRY = Registry("initializer", "lamina.initializers")

# The stddev of a unit normal truncated to [-2, 2]; dividing by it restores the wanted variance.
_TRUNCATED_STDDEV = 0.87962566103423978


class Initializer:
    """Base class: subclasses implement `__call__(shape, dtype=None)` and `get_config()`.

    Example:
    >>> class Halves(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return lamina.backend.default_xp().full(shape, 0.5, dtype or "float32")
    """

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Initializer":
        return cls(**config)

    def clone(self) -> "Initializer":
        return self.__class__.from_config(self.get_config())


def _shape(shape: Any) -> tuple[int, ...]:
    try:
        out = tuple(int(n) for n in shape)
    except TypeError:
        raise TypeError(f"Expected a shape (tuple of ints). Received: shape={shape!r}") from None
    if any(n < 0 for n in out):
        raise ValueError(f"Expected non-negative dimensions. Received: shape={out}")
    return out


def _float_dtype(dtype: Any, who: str) -> np.dtype:
    dt = np.dtype(dtype or floatx())
    if dt.kind != "f":
        raise ValueError(f"{who} only makes floating-point values. Received: dtype={dt}")
    return dt


def _check_seed(seed: Any) -> Any:
    if seed is None or isinstance(seed, SeedGenerator):
        return seed
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
        return int(seed)
    raise ValueError(
        f"Expected seed to be None, an int or a SeedGenerator. Received: seed={seed!r}"
    )


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Return `(fan_in, fan_out)` for a weight shape, as Keras computes them.

    Dense kernels `(in, out)` give `(in, out)`; convolution kernels `(*spatial, in, out)` multiply
    both by the receptive field size.

    Example:
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Zeros(Initializer):
    """All zeros.

    Example:
    >>> Zeros()((2,))
    array([0., 0.], dtype=float32)
    """

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return default_xp().zeros(_shape(shape), dtype=dtype or floatx())


class Ones(Initializer):
    """All ones.

    Example:
    >>> Ones()((2,))
    array([1., 1.], dtype=float32)
    """

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return default_xp().ones(_shape(shape), dtype=dtype or floatx())


class Constant(Initializer):
    """Every element set to `value` (a scalar).

    Args:
        value: the constant.

    Example:
    >>> Constant(3.0)((2,))
    array([3., 3.], dtype=float32)
    """

    def __init__(self, value: float = 0.0) -> None:
        if np.ndim(value) != 0:
            raise ValueError(f"Constant expects a scalar value. Received: value={value!r}")
        self.value = float(value) if not isinstance(value, int) else value

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return default_xp().full(_shape(shape), self.value, dtype=dtype or floatx())

    def get_config(self) -> dict:
        return {"value": self.value}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; rectangular allowed).

    Args:
        gain: the multiplier.

    Example:
    >>> Identity()((2, 2))
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = float(gain)

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "The identity initializer only makes 2-D matrices. "
                f"Received: shape={shape} of rank {len(shape)}"
            )
        return self.gain * default_xp().eye(shape[0], shape[1], dtype=dtype or floatx())

    def get_config(self) -> dict:
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """Base of the random initializers: holds the seed (None, an int or a SeedGenerator)."""

    def __init__(self, seed: Any = None) -> None:
        self.seed = _check_seed(seed)

    def _rng(self) -> Any:
        return resolve_rng(self.seed)

    def get_config(self) -> dict:
        return {"seed": self.seed if not isinstance(self.seed, SeedGenerator) else None}


def _normal(rng: Any, shape: tuple, mean: float, stddev: float, dtype: np.dtype) -> Any:
    x = rng.standard_normal(shape, dtype="float64")
    return to_device((x * stddev + mean).astype(dtype))


def _uniform(rng: Any, shape: tuple, low: float, high: float, dtype: np.dtype) -> Any:
    x = rng.random(shape, dtype="float64")
    return to_device((x * (high - low) + low).astype(dtype))


def _truncated(rng: Any, shape: tuple, mean: float, stddev: float, dtype: np.dtype) -> Any:
    """Normal values redrawn until all lie within two standard deviations of the mean."""
    x = truncated_standard_normal(rng, shape)
    return to_device((x * stddev + mean).astype(dtype))


class _MeanStddevInitializer(RandomInitializer):
    """Base of the normal initializers; subclasses set `_draw(rng, shape, mean, stddev, dtype)`."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None) -> None:
        super().__init__(seed)
        if stddev < 0:
            raise ValueError(f"stddev must be non-negative. Received: stddev={stddev}")
        self.mean = float(mean)
        self.stddev = float(stddev)

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        dtype = _float_dtype(dtype, type(self).__name__)
        return self._draw(self._rng(), _shape(shape), self.mean, self.stddev, dtype)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomNormal(_MeanStddevInitializer):
    """Values drawn from a normal distribution.

    Args:
        mean: the mean.
        stddev: the standard deviation.
        seed: None, an int, or a `SeedGenerator`.

    Example:
    >>> RandomNormal(stddev=1.0, seed=1)((2, 2)).shape
    (2, 2)
    """

    _draw = staticmethod(_normal)


class RandomUniform(RandomInitializer):
    """Values drawn uniformly from `[minval, maxval)`.

    Example:
    >>> RandomUniform(-1.0, 1.0, seed=1)((3,)).shape
    (3,)
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Any = None) -> None:
        super().__init__(seed)
        if maxval < minval:
            raise ValueError(
                f"maxval must be >= minval. Received: minval={minval}, maxval={maxval}"
            )
        self.minval = float(minval)
        self.maxval = float(maxval)

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        dtype = _float_dtype(dtype, "RandomUniform")
        return _uniform(self._rng(), _shape(shape), self.minval, self.maxval, dtype)

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class TruncatedNormal(_MeanStddevInitializer):
    """Normal values, redrawn when more than two standard deviations from the mean.

    Args:
        mean: the mean.
        stddev: the standard deviation (before truncation).
        seed: None, an int, or a `SeedGenerator`.

    Example:
    >>> TruncatedNormal(seed=1)((2, 2)).shape
    (2, 2)
    """

    _draw = staticmethod(_truncated)


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform", "normal")


class VarianceScaling(RandomInitializer):
    """Values whose variance is `scale / n`, n being the fan-in, fan-out or their average.

    `"truncated_normal"` (or `"normal"`) draws from a normal truncated at two standard
    deviations, rescaled to keep the variance; `"untruncated_normal"` does not truncate;
    `"uniform"` draws from `[-limit, limit)` with `limit = sqrt(3 * scale / n)`.

    Args:
        scale: a positive float.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`.
        distribution: `"truncated_normal"`, `"untruncated_normal"` or `"uniform"`.
        seed: None, an int, or a `SeedGenerator`.

    Example:
    >>> VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=1)((4, 3)).shape
    (4, 3)
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: Any = None,
    ) -> None:
        super().__init__(seed)
        if not scale > 0:
            raise ValueError(f"Argument `scale` must be a positive float. Received: scale={scale}")
        if mode not in _MODES:
            raise ValueError(f"Argument `mode` must be one of {_MODES}. Received: mode={mode!r}")
        distribution = distribution.lower() if isinstance(distribution, str) else distribution
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"Argument `distribution` must be one of {_DISTRIBUTIONS}. "
                f"Received: distribution={distribution!r}"
            )
        self.scale = float(scale)
        self.mode = mode
        self.distribution = distribution

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        shape = _shape(shape)
        dtype = _float_dtype(dtype, type(self).__name__)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution in ("truncated_normal", "normal"):
            return _truncated(rng, shape, 0.0, math.sqrt(variance) / _TRUNCATED_STDDEV, dtype)
        if self.distribution == "untruncated_normal":
            return _normal(rng, shape, 0.0, math.sqrt(variance), dtype)
        limit = math.sqrt(3.0 * variance)
        return _uniform(rng, shape, -limit, limit, dtype)

    def get_config(self) -> dict:
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            **super().get_config(),
        }


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling whose scale, mode and distribution are fixed; only the seed varies."""

    _scale = 1.0
    _mode = "fan_in"
    _distribution = "truncated_normal"

    def __init__(self, seed: Any = None) -> None:
        super().__init__(self._scale, self._mode, self._distribution, seed)

    def get_config(self) -> dict:
        return RandomInitializer.get_config(self)


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: `U(-limit, limit)`, `limit = sqrt(6 / (fan_in + fan_out))`.

    The default kernel initializer of Dense and convolution layers.

    Example:
    >>> GlorotUniform(seed=0)((784, 512)).dtype
    dtype('float32')
    """

    _mode, _distribution = "fan_avg", "uniform"


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with `stddev = sqrt(2 / (fan_in + fan_out))`.

    Example:
    >>> GlorotNormal(seed=0)((4, 4)).shape
    (4, 4)
    """

    _mode = "fan_avg"


class HeUniform(_FixedVarianceScaling):
    """He uniform: `U(-limit, limit)`, `limit = sqrt(6 / fan_in)`.

    Example:
    >>> HeUniform(seed=0)((4, 4)).shape
    (4, 4)
    """

    _scale, _distribution = 2.0, "uniform"


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal with `stddev = sqrt(2 / fan_in)`.

    Example:
    >>> HeNormal(seed=0)((4, 4)).shape
    (4, 4)
    """

    _scale = 2.0


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: `U(-limit, limit)`, `limit = sqrt(3 / fan_in)`.

    Example:
    >>> LecunUniform(seed=0)((4, 4)).shape
    (4, 4)
    """

    _distribution = "uniform"


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal with `stddev = sqrt(1 / fan_in)`.

    Example:
    >>> LecunNormal(seed=0)((4, 4)).shape
    (4, 4)
    """


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times `gain`, via the QR decomposition of a normal matrix.

    Shapes of rank above 2 are treated as `(prod(shape[:-1]), shape[-1])` and reshaped.

    Args:
        gain: the multiplier.
        seed: None, an int, or a `SeedGenerator`.

    Example:
    >>> q = Orthogonal(seed=0)((3, 3))
    >>> np.allclose(q @ q.T, np.eye(3), atol=1e-5)
    True
    """

    def __init__(self, gain: float = 1.0, seed: Any = None) -> None:
        super().__init__(seed)
        self.gain = float(gain)

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        shape = _shape(shape)
        dtype = _float_dtype(dtype, "Orthogonal")
        if len(shape) < 2:
            raise ValueError(
                "The orthogonal initializer needs a shape of rank 2 or more. "
                f"Received: shape={shape} of rank {len(shape)}"
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)), dtype="float64")
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))  # makes the decomposition unique, hence uniformly spread
        if rows < cols:
            q = q.T
        return to_device((self.gain * q).reshape(shape).astype(dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain, **super().get_config()}


for _cls in (
    Zeros,
    Ones,
    Constant,
    Identity,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    GlorotUniform,
    GlorotNormal,
    HeUniform,
    HeNormal,
    LecunUniform,
    LecunNormal,
    Orthogonal,
):
    _REGISTRY.add(_cls)
for _name, _cls in {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "identity": Identity,
    "IdentityInitializer": Identity,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
    "OrthogonalInitializer": Orthogonal,
    "orthogonal_initializer": Orthogonal,
    # Keras's short spellings.
    "uniform": RandomUniform,
    "normal": RandomNormal,
    "one": Ones,
    "zero": Zeros,
}.items():
    _REGISTRY.objects[_name] = _cls

# Keras's other spellings of the classes (`keras.initializers.glorot_uniform is GlorotUniform`).
zeros = Zeros
ones = Ones
constant = Constant
identity = IdentityInitializer = Identity
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = OrthogonalInitializer = Orthogonal


def get(identifier: Any) -> Any:
    """Return an initializer for a name, a config dict, a class, an instance or a callable.

    Raises:
        ValueError: for an unknown name; the message lists the known ones.

    Example:
    >>> isinstance(lamina.initializers.get("he_normal"), HeNormal)
    True
    """
    if identifier is None:
        return None
    return serialization.get(identifier, _REGISTRY, Initializer)


def serialize(initializer: Any) -> Any:
    """Return a JSON-safe config dict for an initializer."""
    return serialization.serialize(initializer, _REGISTRY)


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    """Rebuild an initializer from `serialize`'s output or a name."""
    return serialization.deserialize(config, _REGISTRY, custom_objects)


__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "constant",
    "deserialize",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]
