"""Reshape, Permute and RepeatVector: layers that move elements around."""

import math
from typing import Any

from lamina import ops
from lamina.layers.layer import Layer


class Reshape(Layer):
    """Reshape each sample to `target_shape` (one entry may be -1).

    Example:
    >>> lamina.layers.Reshape((28, 28))(np.zeros((2, 784))).shape
    (2, 28, 28)
    """

    keeps_input_dtype = True

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(int(n) for n in target_shape)
        if self.target_shape.count(-1) > 1 or any(n < -1 or n == 0 for n in self.target_shape):
            raise ValueError(
                "Expected target_shape to hold positive sizes and at most one -1. "
                f"Received: target_shape={target_shape}"
            )

    def call(self, inputs: Any) -> Any:
        return ops.reshape(inputs, (inputs.shape[0], *self.target_shape))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = list(self.target_shape)
        if None not in input_shape[1:]:
            size = math.prod(input_shape[1:])
            known = math.prod(n for n in shape if n != -1)
            if (size % known if -1 in shape else size - known) != 0:
                raise ValueError(
                    f"Reshape {self.name!r}: a sample of shape {tuple(input_shape[1:])} has "
                    f"{size} values, which cannot take target_shape={self.target_shape}. "
                    f"Received: input_shape={tuple(input_shape)}"
                )
            if -1 in shape:
                shape[shape.index(-1)] = size // known
        return (input_shape[0], *[None if n == -1 else n for n in shape])

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Permute(Layer):
    """Permute the non-batch axes; `dims` counts from 1 (the batch axis stays first).

    Example:
    >>> lamina.layers.Permute((2, 1))(np.zeros((2, 3, 4))).shape
    (2, 4, 3)
    """

    keeps_input_dtype = True

    def __init__(self, dims: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Expected dims to be a permutation of 1..{len(self.dims)}. Received: dims={dims}"
            )

    def call(self, inputs: Any) -> Any:
        return ops.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(
                f"Permute {self.name!r} with dims={self.dims} expects inputs of rank "
                f"{len(self.dims) + 1}. Received: input_shape={tuple(input_shape)}"
            )
        return (input_shape[0], *[input_shape[d] for d in self.dims])

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """Repeat a `(batch, features)` input `n` times: `(batch, n, features)`.

    Example:
    >>> lamina.layers.RepeatVector(3)(np.zeros((2, 5))).shape
    (2, 3, 5)
    """

    keeps_input_dtype = True

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"Expected n to be a positive integer. Received: n={n!r}")
        self.n = n

    def call(self, inputs: Any) -> Any:
        if inputs.ndim != 2:
            raise ValueError(
                f"RepeatVector expects 2-D inputs (batch, features). Received: shape={inputs.shape}"
            )
        return ops.broadcast_to(
            ops.expand_dims(inputs, 1), (inputs.shape[0], self.n, inputs.shape[1])
        )

    def compute_output_shape(self, input_shape: Any) -> tuple:
        if len(input_shape) != 2:
            raise ValueError(
                "RepeatVector expects 2-D inputs (batch, features). "
                f"Received: input_shape={tuple(input_shape)}"
            )
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}
