"""InputLayer and Input: the entry points of a functional graph."""

from typing import Any

from lamina.backend import floatx
from lamina.layers.layer import Layer
from lamina.layers.symbolic import KerasTensor, Node


class InputLayer(Layer):
    """The layer behind `Input`: it holds the shape and dtype of a model input.

    Args:
        shape: the shape of one sample (without the batch axis).
        batch_size: a fixed batch size, or None.
        dtype: the input dtype (floatx by default).
        batch_shape: the full shape including the batch axis, instead of `shape`.
        name: the layer name.
    """

    keeps_input_dtype = True

    def __init__(
        self,
        shape: Any = None,
        batch_size: int | None = None,
        dtype: Any = None,
        batch_shape: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        batch_shape = kwargs.pop("batch_input_shape", batch_shape)
        kwargs.pop("sparse", None)
        kwargs.pop("ragged", None)
        if shape is None and batch_shape is None:
            raise ValueError(
                "Input needs a `shape` (one sample, e.g. shape=(784,)) or a `batch_shape`. "
                "Received: shape=None"
            )
        if batch_shape is None:
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size, *shape)
        batch_shape = tuple(None if n is None else int(n) for n in batch_shape)
        if any(n is not None and n < 0 for n in batch_shape):
            raise ValueError(
                f"Input dimensions must be non-negative. Received: shape={batch_shape}"
            )
        super().__init__(name=name, dtype=dtype or floatx(), **kwargs)
        self.batch_shape = batch_shape
        self.built = True
        output = KerasTensor(batch_shape, self.dtype, name=self.name)
        node = Node(self, [], (), {}, output)
        output.node = node
        self._inbound_nodes.append(node)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "name": self.name}


def Input(  # noqa: N802 - Keras's name
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    batch_shape: Any = None,
    name: str | None = None,
    **kwargs: Any,
) -> "KerasTensor":
    """Make a symbolic model input.

    Args:
        shape: the shape of one sample, e.g. `(784,)`; use None for a variable length.
        batch_size: a fixed batch size, or None.
        dtype: the dtype (floatx by default; `"int32"` for token ids).
        batch_shape: the full shape including the batch axis, instead of `shape`.
        name: the input's name (also the key for dict inputs).

    Example:
    >>> inputs = lamina.Input(shape=(784,))
    >>> outputs = lamina.layers.Dense(10, activation="softmax")(inputs)
    >>> model = lamina.Model(inputs, outputs)
    """
    layer = InputLayer(shape, batch_size, dtype, batch_shape, name, **kwargs)
    return layer._inbound_nodes[0].output_value
