"""The VGG network of Simonyan and Zisserman (2014), shared by `VGG16` and `VGG19`."""

from typing import Any

from lamina.applications import imagenet_utils
from lamina.layers import Conv2D, Dense, Flatten, MaxPooling2D
from lamina.models import Model

_FILTERS = (64, 128, 256, 512, 512)


_DOC = """Instantiates the {model} model, with Keras's layer names ({params} parameters).

Args:
    include_top: whether to include the 3 fully-connected layers at the top.
    weights: `None` (seeded random initialization), `"imagenet"` (Keras's published file,
        fetched as `imagenet_utils.get_keras_file` says), or the path of a Keras
        `.h5` / `.weights.h5` file.
    input_tensor: a symbolic tensor (e.g. `keras.Input`) to use as the image input.
    input_shape: `(height, width, channels)`, at least 32x32; only without the top
        (with it and ImageNet weights, `(224, 224, 3)`).
    pooling: without the top, `None` (4-D output), `"avg"` or `"max"` (global pooling).
    classes: the number of classes, with the top (1000 for ImageNet weights).
    classifier_activation: the top layer's activation (`"softmax"` or None with weights).
    name: the model's name.

Returns:
    A functional `Model`. Its input expects `{module}.preprocess_input`'s output.

Example:
>>> conv_base = {model}(weights=None, include_top=False, input_shape=(180, 180, 3))
>>> conv_base.output.shape
(None, 5, 5, 512)
"""


def vgg_doc(model: str, params: str) -> str:
    """The docstring of `VGG16` and `VGG19`, which differ only in their depth."""
    return _DOC.format(model=model, module=model.lower(), params=params)


def build_vgg(
    name: str,
    convs_per_block: tuple[int, ...],
    files: dict[bool, tuple[str, str, str]],
    include_top: bool,
    weights: Any,
    input_tensor: Any,
    input_shape: Any,
    pooling: str | None,
    classes: int,
    classifier_activation: Any,
) -> Model:
    """A VGG with `convs_per_block[i]` 3x3 convolutions in block `i + 1`, Keras's layer names.

    `files` maps `include_top` to Keras's ImageNet file (name, URL, md5).
    """
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, require_flatten=include_top, weights=weights
    )
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = img_input
    for block, (filters, convs) in enumerate(zip(_FILTERS, convs_per_block, strict=True), 1):
        for conv in range(1, convs + 1):
            x = Conv2D(
                filters, 3, activation="relu", padding="same", name=f"block{block}_conv{conv}"
            )(x)
        x = MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Flatten(name="flatten")(x)
        x = Dense(4096, activation="relu", name="fc1")(x)
        x = Dense(4096, activation="relu", name="fc2")(x)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pool(x, pooling)
    inputs = img_input if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    model = Model(inputs, x, name=name)
    imagenet_utils.load_weights(model, weights, files[include_top])
    return model
