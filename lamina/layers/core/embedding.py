"""Embedding: turns integer ids into dense vectors of fixed size."""

from typing import Any

from lamina import constraints, initializers, ops, regularizers
from lamina.layers.layer import Layer
from lamina.ops.embedding import embedding
from lamina.validation import check_int


class Embedding(Layer):
    """Map each integer id in `[0, input_dim)` to a trainable vector of size `output_dim`.

    Args:
        input_dim: the vocabulary size: the largest id plus 1.
        output_dim: the size of each vector.
        embeddings_initializer: default `"uniform"` (in [-0.05, 0.05]).
        embeddings_regularizer, activity_regularizer: optional penalties.
        embeddings_constraint: an optional constraint on the table.
        mask_zero: whether id 0 is padding: the layer then outputs a mask (False at the 0s)
            that the layers after it (LSTM, GRU, ...) honour; id 0 must not be a real word.
        input_length: Keras 2's length of the input sequences; sets the input shape.

    Input shape:
        `(batch, ...)` integer ids.

    Output shape:
        `(batch, ..., output_dim)`.

    Example:
    >>> layer = lamina.layers.Embedding(1000, 64)
    >>> layer(np.array([[4, 20, 0]])).shape
    (1, 3, 64)
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        activity_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        input_length = kwargs.pop("input_length", None)
        if input_length is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (check_int("input_length", input_length, minimum=1),)
        super().__init__(**kwargs)
        self.input_dim = check_int("input_dim", input_dim, minimum=1, owner="Embedding")
        self.output_dim = check_int("output_dim", output_dim, minimum=1, owner="Embedding")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            name="embeddings",
        )

    def call(self, inputs: Any) -> Any:
        try:
            x = embedding(inputs, self.embeddings)
        except (IndexError, TypeError) as e:  # the op's message names the bad id and where
            raise type(e)(f"Embedding {self.name!r}: {e}") from None
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(x))
        return x

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*input_shape, self.output_dim)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        }
