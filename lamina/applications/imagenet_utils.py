"""What the ImageNet models share: input-shape checks, weight files, `preprocess_input` and
`decode_predictions`.

Keras's published files are looked for in `$LAMINA_DATA/models/<file>`, then in the cache
`$LAMINA_HOME/models/<file>` (`LAMINA_HOME` defaults to `~/.lamina`), then downloaded into the
cache by `lamina.utils.get_file` with Keras's published hash.
"""

import functools
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from lamina.layers import GlobalAveragePooling2D, GlobalMaxPooling2D, Input
from lamina.layers.symbolic import KerasTensor
from lamina.utils.file_utils import get_file, validate_file

CLASS_INDEX_FILE = "imagenet_class_index.json"
CLASS_INDEX_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

# Channel means and deviations of ImageNet, in RGB order.
_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype="float32")
_TORCH_MEAN = np.array([0.485, 0.456, 0.406], dtype="float32")
_TORCH_STD = np.array([0.229, 0.224, 0.225], dtype="float32")


def models_cache_dir() -> Path:
    """`$LAMINA_HOME/models`, where downloaded weight files are kept (`~/.lamina/models`)."""
    # The rule of lamina.utils.get_file's cache: LAMINA_HOME, else ~/.lamina.
    return Path(os.environ.get("LAMINA_HOME") or "~/.lamina").expanduser() / "models"


def keras_weight_files(folder: str, model: str, top_md5: str, notop_md5: str) -> dict:
    """Keras's published ImageNet files of `model`, by `include_top`: `(name, URL, md5)`.

    Example:
    >>> keras_weight_files("vgg16", "vgg16", "6437...", "6d6b...")[False][0]
    'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5'
    """
    base = f"https://storage.googleapis.com/tensorflow/keras-applications/{folder}/"
    names = {
        True: f"{model}_weights_tf_dim_ordering_tf_kernels.h5",
        False: f"{model}_weights_tf_dim_ordering_tf_kernels_notop.h5",
    }
    md5 = {True: top_md5, False: notop_md5}
    return {top: (name, base + name, md5[top]) for top, name in names.items()}


def get_keras_file(fname: str, origin: str, file_hash: str | None = None) -> str:
    """Finds one of Keras's published files: `LAMINA_DATA`, then the cache, then a download.

    Args:
        fname: the file's name, as Keras names it.
        origin: the URL Keras downloads it from.
        file_hash: Keras's published md5 or sha256 of the file, or None where Keras has none.

    Returns:
        The path of the file.

    Raises:
        ValueError: the copy in `LAMINA_DATA` has the wrong hash.
        FileNotFoundError: the file is nowhere and cannot be downloaded; the message says
            where lamina looked and how to place the file by hand.
    """
    looked = []
    root = os.environ.get("LAMINA_DATA")
    if root:
        local = Path(root).expanduser() / "models" / fname
        if local.is_file():
            if file_hash is not None and not validate_file(local, file_hash):
                raise ValueError(
                    f"{local} (from LAMINA_DATA) is not Keras's {fname}: its hash should be "
                    f"{file_hash}. Replace it with a good copy from {origin}. "
                    f"Received: path={str(local)!r}"
                )
            return str(local)
        looked.append(f"{local} (LAMINA_DATA): not found")
    else:
        looked.append(f"$LAMINA_DATA/models/{fname}: LAMINA_DATA is not set")
    cache = models_cache_dir()
    looked.append(f"{cache / fname} (cache): not found or wrong hash")
    try:
        return get_file(fname, origin, file_hash=file_hash, cache_subdir=cache)
    except OSError as e:
        looked.append(f"{origin}: {e}")
        lines = "\n".join(f"  - {line}" for line in looked)
        raise FileNotFoundError(
            f"Could not find Keras's weight file {fname}. Looked in:\n{lines}\n"
            f"To fix this, download {origin} on a machine with network access, then either "
            f"copy it to {cache / fname} or set LAMINA_DATA to a folder holding "
            f"models/{fname}. Or pass `weights=None` for random weights, or `weights=<path>` "
            f"for a Keras `.h5` / `.weights.h5` file. Received: fname={fname!r}"
        ) from e


def check_weights_argument(weights: Any, include_top: bool, classes: int) -> None:
    """Keras's checks of `weights` and `classes`, made before any layer is built."""
    if not (weights is None or weights == "imagenet" or _is_file(weights)):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded. Received: weights={weights!r}"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            "If using `weights='imagenet'` with `include_top=True`, `classes` should be "
            f"1000. Pass `include_top=False` to add your own classifier. Received: {classes=}"
        )


def _is_file(weights: Any) -> bool:
    return isinstance(weights, str | os.PathLike) and os.path.isfile(weights)


def validate_activation(classifier_activation: Any, weights: Any) -> None:
    """Pretrained weights go only with a softmax (or no) classifier activation."""
    if weights is not None and classifier_activation not in ("softmax", None):
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the "
            "`classifier_activation` argument when using pretrained weights, with "
            f"`include_top=True`. Received: classifier_activation={classifier_activation!r}"
        )


def obtain_input_shape(
    input_shape: Any,
    default_size: int,
    min_size: int,
    require_flatten: bool,
    weights: Any = None,
) -> tuple:
    """The model's `(height, width, channels)` input shape, checked as Keras checks it.

    Args:
        input_shape: the user's shape, or None for the default.
        default_size: the height and width the published weights were trained at.
        min_size: the smallest height and width the model accepts.
        require_flatten: whether a classifier on flattened features follows (`include_top`).
        weights: `None`, `"imagenet"` or a path.

    Raises:
        ValueError: for a shape the model cannot take.
    """
    if input_shape is not None:
        input_shape = tuple(input_shape)
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        if input_shape[-1] not in (1, 3):
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed "
                f"an input_shape with {input_shape[-1]} input channels.",
                stacklevel=3,
            )
        default_shape = (default_size, default_size, input_shape[-1])
    else:
        default_shape = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, "
                f"`input_shape` should be {default_shape}. Received: {input_shape=}"
            )
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError(
                "`input_shape` must be a tuple of three integers (height, width, channels). "
                f"Received: {input_shape=}"
            )
        if input_shape[-1] != 3 and weights == "imagenet":
            raise ValueError(
                f"The input must have 3 channels with ImageNet weights. Received: {input_shape=}"
            )
        if any(size is not None and size < min_size for size in input_shape[:2]):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}. Received: {input_shape=}"
            )
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: {input_shape=}"
        )
    return input_shape


def image_input(input_tensor: Any, input_shape: tuple) -> KerasTensor:
    """The model's image input: `input_tensor` when given, else a new `Input`."""
    if input_tensor is None:
        return Input(shape=input_shape)
    if not isinstance(input_tensor, KerasTensor):
        raise TypeError(
            "`input_tensor` must be a symbolic tensor such as the output of `keras.Input` "
            f"or of a layer called on one. Received: input_tensor={type(input_tensor)}"
        )
    return input_tensor


def source_inputs(tensor: KerasTensor) -> list[KerasTensor]:
    """The model inputs a symbolic tensor is computed from (Keras's `get_source_inputs`)."""
    found, seen, stack = [], set(), [tensor.node]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if not node.parents:
            found.extend(t for t in _flatten(node.output_value) if t not in found)
        stack.extend(reversed(node.parents))
    return found or [tensor]


def _flatten(value: Any) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def pool(x: KerasTensor, pooling: str | None, avg_name: str | None = None, max_name=None):
    """Keras's `pooling` argument for models without their top: None, "avg" or "max"."""
    if pooling is None:
        return x
    if pooling == "avg":
        return GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return GlobalMaxPooling2D(name=max_name)(x)
    raise ValueError(f'`pooling` must be None, "avg" or "max". Received: pooling={pooling!r}')


def load_weights(model: Any, weights: Any, file: tuple[str, str, str | None] | None) -> None:
    """Loads `weights` into `model`: a path, or `"imagenet"` with `file` (name, URL, hash)."""
    if weights == "imagenet":
        if file is None:
            raise ValueError(
                f"Keras publishes no ImageNet weights for this configuration of {model.name}. "
                "Pass `weights=None`. Received: weights='imagenet'"
            )
        weights = get_keras_file(*file)
    if weights is not None:
        model.load_weights(weights)


def preprocess_input(x: Any, data_format: str | None = None, mode: str = "caffe") -> Any:
    """Scales a batch of RGB images (0-255) as an ImageNet model expects.

    Args:
        x: a NumPy array, a tensor or a symbolic tensor, 3-D or 4-D, channels last unless
            `data_format="channels_first"`.
        data_format: `"channels_last"` (None) or `"channels_first"`.
        mode: `"caffe"` (RGB to BGR, minus ImageNet's channel means), `"tf"` (to [-1, 1]) or
            `"torch"` (to [0, 1], then minus ImageNet's means over its deviations).

    Returns:
        The preprocessed images, float32 for integer NumPy input. Unlike Keras, a NumPy
        input is never modified in place.
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f'`mode` must be "caffe", "tf" or "torch". Received: mode={mode!r}')
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(
            '`data_format` must be "channels_last" or "channels_first". '
            f"Received: data_format={data_format!r}"
        )
    if isinstance(x, np.ndarray | list | tuple | int | float):
        x = np.asarray(x)
        x = x.astype("float32") if not np.issubdtype(x.dtype, np.floating) else x.copy()
    if mode == "tf":
        return x / 127.5 - 1.0
    channels_first = data_format == "channels_first"
    shape = (3, 1, 1) if channels_first else (3,)
    if mode == "torch":
        return (x / 255.0 - _TORCH_MEAN.reshape(shape)) / _TORCH_STD.reshape(shape)
    if channels_first:
        axis = 0 if len(x.shape) == 3 else 1
        x = x[(slice(None),) * axis + (slice(None, None, -1),)]
    else:
        x = x[..., ::-1]
    return x - _CAFFE_MEAN_BGR.reshape(shape)


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The `top` ImageNet classes of each prediction, as `(class_id, name, score)`.

    Args:
        preds: predictions of shape `(samples, 1000)`.
        top: how many classes to return for each sample.

    Returns:
        One list per sample of `(class_id, class_name, score)`, best first.

    Raises:
        ValueError: `preds` is not `(samples, 1000)`.
        FileNotFoundError: the class index (`imagenet_class_index.json`) is not available.
    """
    preds = np.asarray(getattr(preds, "numpy", lambda: preds)())
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
            f"(samples, 1000)). Received: preds.shape={preds.shape}"
        )
    index = _class_index(get_keras_file(CLASS_INDEX_FILE, CLASS_INDEX_URL, CLASS_INDEX_HASH))
    results = []
    for pred in preds:
        best = np.argsort(-pred, kind="stable")[:top]
        results.append([(*index[str(i)], float(pred[i])) for i in best])
    return results


@functools.lru_cache(maxsize=2)
def _class_index(path: str) -> dict[str, list[str]]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)
