"""Global max and average pooling: one value per channel over all spatial axes."""

from typing import Any

from lamina import ops
from lamina.layers.convolutional.base_conv import check_input_rank, errors_naming
from lamina.layers.layer import Layer
from lamina.ops.conv import normalize_data_format
from lamina.ops.reduce import max, mean


class _GlobalPooling(Layer):
    rank: int = 2
    reduce: Any = None

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(type(self).__name__, data_format)
        self.keepdims = bool(keepdims)

    def _axes(self) -> tuple:
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def call(self, inputs: Any) -> Any:
        check_input_rank(self, inputs.shape, self.rank + 2)
        with errors_naming(self):
            return type(self).reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        check_input_rank(self, input_shape, self.rank + 2)
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else n for i, n in enumerate(input_shape))
        return tuple(n for i, n in enumerate(input_shape) if i not in axes)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


_DOC = """Global {kind} pooling over the {rank} spatial axes.

    Args:
        data_format: `"channels_last"` (default) or `"channels_first"`.
        keepdims: keep the spatial axes with size 1.

    Input shape:
        `(batch, {spatial}, channels)` (channels_last).

    Output shape:
        `(batch, channels)`, or `(batch, {ones}, channels)` with `keepdims=True`.
    """


_MASK_DOC = """
    Call arguments:
        inputs: `(batch, steps, channels)`.
        mask: booleans `(batch, steps)` (from `Embedding(mask_zero=True)`, say): the False
            steps are left out of the average (a sample with none left gives zeros).
    """


def _doc(kind: str, rank: int) -> str:
    spatial = "steps" if rank == 1 else "height, width"
    return _DOC.format(kind=kind, rank=rank, spatial=spatial, ones=", ".join("1" * rank))


class GlobalMaxPooling1D(_GlobalPooling):
    __doc__ = _doc("max", 1)
    rank = 1
    reduce = staticmethod(max)


class GlobalMaxPooling2D(_GlobalPooling):
    __doc__ = _doc("max", 2)
    rank = 2
    reduce = staticmethod(max)


class GlobalAveragePooling1D(_GlobalPooling):
    __doc__ = _doc("average", 1) + _MASK_DOC
    rank = 1
    reduce = staticmethod(mean)
    # It uses the mask up: the output has no time axis left to mask.
    supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return super().call(inputs)
        check_input_rank(self, inputs.shape, 3)
        steps = self._axes()[0]
        if tuple(mask.shape) != (inputs.shape[0], inputs.shape[steps]):
            raise ValueError(
                f"GlobalAveragePooling1D {self.name!r}: the mask must be (batch, steps) = "
                f"{(inputs.shape[0], inputs.shape[steps])}. "
                f"Received: mask.shape={tuple(mask.shape)}"
            )
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), 2 if steps == 1 else 1)
        total = ops.sum(inputs * weights, axis=steps, keepdims=self.keepdims)
        # A sample with every step masked averages nothing: 0, where Keras divides 0 by 0.
        count = ops.maximum(ops.sum(weights, axis=steps, keepdims=self.keepdims), 1.0)
        return total / count

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    __doc__ = _doc("average", 2)
    rank = 2
    reduce = staticmethod(mean)
