"""Graph nodes for the Keras 2 functions that the functional API's layers do not cover:
`K.shape(x)`, random values of a shape like `(K.shape(z)[0], 2)`, and the concatenation of
symbolic tensors with constants."""

from typing import Any

import numpy as np

from lamina import ops
from lamina.layers.layer import Layer
from lamina.layers.symbolic import KerasTensor


class ShapeLayer(Layer):
    """The shape of its input, as an int32 tensor of one value per axis."""

    def call(self, inputs: Any) -> Any:
        return ops.convert_to_tensor(np.array(inputs.shape, dtype="int32"))

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> KerasTensor:
        return KerasTensor((len(inputs.shape),), "int32")


class RandomLayer(Layer):
    """Random values of a shape whose None entries are given, in order, by its scalar inputs.

    Args:
        kind: the function of `lamina.ops.random` (`"normal"`, `"uniform"`, ...).
        template: the shape, None where an input gives the size.
        params: the function's parameters (`mean`, `stddev`, ...).
        seed: the seed, or None for the global generator.
    """

    def __init__(self, kind: str, template: list, params: dict, seed: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.kind = kind
        self.template = list(template)
        self.params = dict(params)
        self.seed = seed

    def call(self, inputs: Any) -> Any:
        sizes = iter(int(size) for size in inputs)
        shape = tuple(next(sizes) if n is None else n for n in self.template)
        fn = getattr(ops.random, self.kind)
        return fn(shape, dtype=self.dtype, seed=self.seed, **self.params)

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> KerasTensor:
        return KerasTensor(tuple(self.template), self.dtype)


class ConcatenateConstants(Layer):
    """Symbolic tensors and constants joined along `axis`, in the order of `parts`.

    Args:
        parts: one entry per piece: a constant array, or None where an input goes (in order).
        axis: the axis to join along.
    """

    def __init__(self, parts: list, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.parts = list(parts)
        self.axis = axis

    def call(self, inputs: Any) -> Any:
        symbols = iter(inputs)
        return ops.concatenate([next(symbols) if p is None else p for p in self.parts], self.axis)

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> KerasTensor:
        symbols = iter(inputs)
        shapes = [tuple((next(symbols) if p is None else p).shape) for p in self.parts]
        axis = self.axis % len(shapes[0])
        sizes = [s[axis] for s in shapes]
        joined = None if None in sizes else sum(sizes)
        return KerasTensor((*shapes[0][:axis], joined, *shapes[0][axis + 1 :]), inputs[0].dtype)
