"""What the chapter 8 programs need when ImageNet weights are out of reach: a small convnet
trained by lamina on CIFAR-10, and real photos from the cats-vs-dogs archive.

The convnet has VGG's layer names (`block1_conv1`, ..., `block3_conv1`) and takes images of
any size scaled to [-1, 1] (as `inception_v3.preprocess_input` scales them), so DeepDream can
grow its octaves and style transfer can reuse VGG's layer lists. Training on the 10,000-image
CIFAR-10 subset for 3 epochs took 57 s, 104 s and 102 s on a shared 2-core CPU (training
accuracy 0.22, 0.29, 0.34); the weights are saved in the output folder and read back by later
runs.
"""

import os
import tarfile
from pathlib import Path

import numpy as np

from lamina import Input, Model, layers
from lamina.applications import imagenet_utils
from lamina.datasets import cifar10
from lamina.utils import set_random_seed

FILTERS = (16, 32, 64)
PHOTOS = "cats_vs_dogs/cats_and_dogs_filtered.tar.gz"


def build_convnet(input_tensor=None, include_top=True):
    """The convnet: two 3x3 convolutions and a max pooling per block, then a third block's
    convolution; with the top, global average pooling and a 10-way softmax."""
    inputs = Input((None, None, 3)) if input_tensor is None else input_tensor
    x = inputs
    for block, filters in enumerate(FILTERS, start=1):
        for conv in (1, 2) if block < len(FILTERS) else (1,):
            name = f"block{block}_conv{conv}"
            x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=name)(x)
        if block < len(FILTERS):
            x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(10, activation="softmax", name="predictions")(x)
    sources = inputs if input_tensor is None else imagenet_utils.source_inputs(input_tensor)
    return Model(sources, x, name="cifar_convnet")


def trained_convnet(out_dir, epochs=3, limit=None, seed=1, input_tensor=None, include_top=False):
    """The convnet with weights trained on CIFAR-10 (trained once, then read from `out_dir`).

    Args:
        out_dir: the folder that keeps `cifar_convnet.weights.h5`.
        epochs: training epochs when no weight file is there.
        limit: train on only the first `limit` images (for quick checks).
        seed: the seed of the initial weights and the batch order.
        input_tensor: a symbolic tensor to build the network on (as `VGG19(input_tensor=...)`).
        include_top: keep the pooling and classifier layers.
    """
    path = Path(out_dir) / f"cifar_convnet_{epochs}_{limit}.weights.h5"
    trained = build_convnet()
    if path.exists():
        trained.load_weights(path)
    else:
        set_random_seed(seed)
        trained = build_convnet()
        (x_train, y_train), _ = cifar10.load_data()
        x_train = x_train[:limit].astype("float32") / 127.5 - 1
        trained.compile("rmsprop", "sparse_categorical_crossentropy", metrics=["accuracy"])
        trained.fit(x_train, y_train[:limit], epochs=epochs, batch_size=64, verbose=2)
        path.parent.mkdir(parents=True, exist_ok=True)
        trained.save_weights(path)
    model = build_convnet(input_tensor=input_tensor, include_top=include_top)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights(trained.get_layer(layer.name).get_weights())
    return model


def photo(member, out_dir):
    """Copies `member` of the cats-vs-dogs archive (`train/cats/cat.1.jpg`) to `out_dir`;
    returns its path."""
    data = os.environ.get("LAMINA_DATA")
    if not data:
        raise FileNotFoundError(f"Set LAMINA_DATA to the folder that holds {PHOTOS}.")
    target = Path(out_dir) / member.replace("/", "_")
    if not target.exists():
        with tarfile.open(Path(data) / PHOTOS) as archive:
            content = archive.extractfile(f"cats_and_dogs_filtered/{member}").read()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return str(target)


def resize(img, size):
    """`img` (batch, height, width, channels) resized to `size` by bilinear interpolation, with
    scipy's `ndimage.zoom` as in the book, else with Pillow one channel at a time."""
    try:
        import scipy.ndimage
    except ImportError:
        from PIL import Image

        channels = [
            np.asarray(Image.fromarray(c).resize(size[::-1], Image.BILINEAR))
            for c in np.moveaxis(np.asarray(img[0], dtype="float32"), -1, 0)
        ]
        return np.stack(channels, axis=-1)[None]
    img = np.copy(img)
    factors = (1, float(size[0]) / img.shape[1], float(size[1]) / img.shape[2], 1)
    return scipy.ndimage.zoom(img, factors, order=1)
