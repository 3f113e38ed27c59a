"""Metrics that track a loss: cross-entropies, KL divergence, Poisson and the hinge losses."""

from typing import Any

from lamina import losses
from lamina.metrics.reduction import MeanMetricWrapper


class BinaryCrossentropy(MeanMetricWrapper):
    """Mean binary cross-entropy over all samples seen.

    Example:
    >>> m = BinaryCrossentropy()
    >>> m.update_state([[0.0], [1.0]], [[0.5], [0.5]])
    >>> round(float(m.result()), 4)
    0.6931
    """

    def __init__(
        self,
        name: str = "binary_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(
            losses.binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
        )


class CategoricalCrossentropy(MeanMetricWrapper):
    """Mean categorical cross-entropy over all samples seen.

    Example:
    >>> m = CategoricalCrossentropy()
    >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]])
    >>> round(float(m.result()), 4)
    0.6931
    """

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
    ) -> None:
        super().__init__(
            losses.categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=axis,
        )


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Mean sparse categorical cross-entropy over all samples seen.

    Example:
    >>> m = SparseCategoricalCrossentropy()
    >>> m.update_state([1], [[0.5, 0.5]])
    >>> round(float(m.result()), 4)
    0.6931
    """

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        axis: int = -1,
    ) -> None:
        super().__init__(
            losses.sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            axis=axis,
        )


class KLDivergence(MeanMetricWrapper):
    """Mean Kullback-Leibler divergence over all samples seen.

    Example:
    >>> m = KLDivergence()
    >>> m.update_state([[0.5, 0.5]], [[0.5, 0.5]])
    >>> float(m.result())
    0.0
    """

    def __init__(self, name: str = "kl_divergence", dtype: Any = None) -> None:
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """Mean Poisson loss over all samples seen.

    Example:
    >>> m = Poisson()
    >>> m.update_state([[1.0]], [[1.0]])
    >>> round(float(m.result()), 4)
    1.0
    """

    def __init__(self, name: str = "poisson", dtype: Any = None) -> None:
        super().__init__(losses.poisson, name=name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    """Mean hinge loss over all samples seen.

    Example:
    >>> m = Hinge()
    >>> m.update_state([[1.0, 0.0]], [[0.5, -2.0]])
    >>> float(m.result())
    0.25
    """

    def __init__(self, name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(losses.hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """Mean squared hinge loss over all samples seen.

    Example:
    >>> m = SquaredHinge()
    >>> m.update_state([[1.0, 0.0]], [[0.5, -2.0]])
    >>> float(m.result())
    0.125
    """

    def __init__(self, name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(losses.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """Mean categorical hinge loss over all samples seen.

    Example:
    >>> m = CategoricalHinge()
    >>> m.update_state([[0.0, 1.0]], [[0.3, 0.8]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(losses.categorical_hinge, name=name, dtype=dtype)
