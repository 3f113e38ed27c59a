"""Small models built through Keras 3's interface, by Keras (to write the files) or by lamina.

Each builder takes the module to build with (`keras`, or `lamina` standing in for it) and
returns an unbuilt-weights model; `make_keras_files.py` builds them with Keras and saves them,
and the tests build lamina twins from the same code to load the `.weights.h5` files into.
`COMPILE` gives the models saved compiled; `NEEDS` names the layer classes a model needs
that lamina may not have yet; `INT_INPUTS` gives the vocabulary size of the models that take
token ids; `PADDED` names the models whose inputs end in zeros, which they mask.
"""

from collections.abc import Callable
from typing import Any


def conv1d(k: Any) -> Any:
    return k.Sequential(
        [
            k.Input((22, 3)),
            k.layers.Conv1D(4, 3, padding="valid", activation="relu"),
            k.layers.Conv1D(4, 3, strides=2, padding="same"),
            k.layers.Conv1D(3, 3, dilation_rate=2, padding="causal", use_bias=False),
            k.layers.SeparableConv1D(4, 3, depth_multiplier=2, padding="same"),
            k.layers.MaxPooling1D(2),
            k.layers.AveragePooling1D(3, strides=1, padding="same"),
            k.layers.UpSampling1D(3),
            k.layers.ZeroPadding1D((2, 1)),
            k.layers.Conv1DTranspose(3, 3, strides=2, padding="same"),
            k.layers.DepthwiseConv1D(3, depth_multiplier=2, strides=2),
            k.layers.Cropping1D((1, 2)),
            k.layers.MaxPooling1D(3, strides=2, padding="same"),
            k.layers.GlobalMaxPooling1D(),
            k.layers.Dense(2),
        ]
    )


def conv2d(k: Any) -> Any:
    inputs = k.Input((12, 10, 2))
    x = k.layers.Conv2D(4, 3, padding="valid", activation="tanh")(inputs)
    x = k.layers.Conv2D(4, 3, strides=2, padding="same")(x)
    x = k.layers.Conv2D(3, 3, dilation_rate=2, padding="same")(x)
    x = k.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")(x)
    x = k.layers.SeparableConv2D(4, 3, depth_multiplier=2, padding="same")(x)
    x = k.layers.AveragePooling2D(2, padding="same")(x)
    x = k.layers.Conv2DTranspose(3, 3, strides=2, padding="same")(x)
    x = k.layers.Conv2DTranspose(2, (3, 2), strides=(2, 1), padding="valid")(x)
    x = k.layers.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1)(x)
    x = k.layers.MaxPooling2D(3, strides=2, padding="same")(x)
    first = k.layers.Permute((3, 1, 2))(x)  # a channels_first branch
    first = k.layers.Conv2D(2, 3, strides=2, padding="same", data_format="channels_first")(first)
    first = k.layers.BatchNormalization(axis=1)(first)
    first = k.layers.AveragePooling2D(2, padding="same", data_format="channels_first")(first)
    first = k.layers.GlobalMaxPooling2D(data_format="channels_first")(first)
    pooled = [k.layers.GlobalMaxPooling2D()(x), k.layers.GlobalAveragePooling2D()(x), first]
    outputs = k.layers.Dense(2)(k.layers.Concatenate()(pooled))
    return k.Model(inputs, outputs)


def vision_block(k: Any) -> Any:
    inputs = k.Input((4, 3, 3))
    x = k.layers.UpSampling2D((2, 3))(inputs)
    x = k.layers.ZeroPadding2D(((1, 0), (2, 1)))(x)
    x = k.layers.Conv2D(4, 3, use_bias=False)(x)
    x = k.layers.BatchNormalization()(x)
    shortcut = k.layers.Activation("relu")(x)
    x = k.layers.Conv2D(4, 3, padding="same")(shortcut)
    x = k.layers.LayerNormalization()(x)
    x = k.layers.GroupNormalization(groups=2)(x)
    x = k.layers.BatchNormalization(axis=1, center=False)(x)
    x = k.layers.Add()([x, shortcut])
    x = k.layers.PReLU(shared_axes=[1, 2])(x)
    x = k.layers.Cropping2D(((1, 2), (0, 3)))(x)
    x = k.layers.MaxPooling2D(2)(x)
    x = k.layers.LeakyReLU(negative_slope=0.2)(x)
    x = k.layers.Flatten()(k.layers.ReLU()(x))
    x = k.layers.BatchNormalization(scale=False)(k.layers.Dense(3)(x))
    outputs = k.layers.Dense(3, activation="softmax")(k.layers.PReLU()(x))
    return k.Model(inputs, outputs)


def recurrent(k: Any) -> Any:
    """Token ids through every recurrent layer; an LSTM's state starts a GRU."""
    inputs = k.Input((7,), dtype="int32")
    x = k.layers.Embedding(20, 4)(inputs)
    x = k.layers.SimpleRNN(5, return_sequences=True)(x)
    lstm = k.layers.LSTM(4, return_sequences=True, return_state=True, unit_forget_bias=False)
    x, h, c = lstm(x)
    x = k.layers.Dropout(0.5)(x)
    x = k.layers.SimpleRNN(3, activation="relu", go_backwards=True, return_sequences=True)(x)
    x = k.layers.GRU(4, reset_after=False, return_sequences=True)(x, initial_state=[h])
    x = k.layers.GRU(3, reset_after=True, return_sequences=True)(x)
    x = k.layers.GlobalAveragePooling1D()(x)
    return k.Model(inputs, [k.layers.Dense(2)(x), c])


def nested(k: Any) -> Any:
    """A Sequential and a Dense shared by two inputs, then branches of unequal depth."""
    left, right = k.Input((4,)), k.Input((4,))
    tower = k.Sequential([k.Input((4,)), k.layers.Dense(3, activation="relu"), k.layers.Dense(3)])
    shared = k.layers.Dense(3, activation="sigmoid")
    a, b = shared(tower(left)), shared(tower(right))
    # Keras lists layers deepest first: the longer branch's first Dense comes before `short`.
    short = k.layers.Dense(3)(a)
    long = k.layers.Dense(3)(k.layers.Dense(3, activation="tanh")(b))
    merged = [
        k.layers.Subtract()([short, long]),
        k.layers.Multiply()([short, long]),
        k.layers.Dot(axes=1)([short, long]),
        k.layers.Maximum()([short, long]),
    ]
    x = k.layers.Concatenate()(merged)
    x = k.layers.RepeatVector(2)(k.layers.Dense(4, activation="elu")(x))
    x = k.layers.Reshape((4, 2))(x)
    return k.Model([left, right], k.layers.Flatten()(x))


def wrappers(k: Any) -> Any:
    return k.Sequential(
        [
            k.Input((5, 3)),
            k.layers.Bidirectional(k.layers.LSTM(3, return_sequences=True)),
            k.layers.Bidirectional(k.layers.GRU(2, return_sequences=True), merge_mode="sum"),
            k.layers.TimeDistributed(k.layers.Dense(2)),
        ]
    )


def masked(k: Any) -> Any:
    """Padded ids masked by an Embedding, padded float steps by Masking; an RNN started from a
    state, which Keras runs without the mask."""
    ids, steps = k.Input((8,), dtype="int32"), k.Input((8, 3))
    x = k.layers.Embedding(12, 4, mask_zero=True)(ids)
    sequence, h, _ = k.layers.LSTM(5, return_sequences=True, return_state=True)(x)
    last = k.layers.GRU(3)(sequence)
    pooled = k.layers.GlobalAveragePooling1D()(sequence)
    started = k.layers.SimpleRNN(5)(sequence, initial_state=[h])
    branch = k.layers.SimpleRNN(2)(k.layers.Masking()(steps))
    merged = k.layers.Concatenate()([last, pooled, started, branch])
    return k.Model([ids, steps], k.layers.Dense(2)(merged))


MODELS: dict[str, Callable[[Any], Any]] = {
    "conv1d": conv1d,
    "conv2d": conv2d,
    "vision_block": vision_block,
    "recurrent": recurrent,
    "nested": nested,
    "wrappers": wrappers,
    "masked": masked,
}
# The layer classes each model needs beyond the common ones, for models lamina may lack.
NEEDS = {"wrappers": ("Bidirectional", "TimeDistributed")}
# Models compiled (and trained a few steps) before saving, with these arguments.
COMPILE = {
    "vision_block": {
        "optimizer": "adam",
        "loss": "categorical_crossentropy",
        "metrics": ["accuracy"],
    }
}
# Models that take token ids below this vocabulary size (their int inputs); the others take floats.
INT_INPUTS = {"recurrent": 20, "masked": 12}
# Models whose inputs end in padding (zeros), the i-th sample's last 2 * i steps.
PADDED = ("masked",)
