"""Keras 3 configs of the convolution, pooling, normalization, noise and spatial-shape layers
become lamina layers."""

import json

import pytest

from lamina import layers
from lamina.saving.keras_import.config_translation import layer_from_record
from lamina.saving.keras_import.config_values import Ctx

POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}
INIT = {"module": "keras.initializers", "config": {}, "registered_name": None}


def _record(class_name, **config):
    config = {"name": class_name.lower(), "trainable": True, "dtype": POLICY, **config}
    return {"module": "keras.layers", "class_name": class_name, "config": config}


def _norm_weights(**extra):
    return {
        "beta_initializer": INIT | {"class_name": "Zeros"},
        "gamma_initializer": INIT | {"class_name": "Ones"},
        "beta_regularizer": None,
        "gamma_regularizer": None,
        "beta_constraint": None,
        "gamma_constraint": None,
        **extra,
    }


def _conv(rank, **extra):
    return {
        "kernel_size": [3] * rank,
        "strides": [2] * rank,
        "padding": "same",
        "data_format": "channels_last",
        "dilation_rate": [1] * rank,
        "activation": "relu",
        "use_bias": True,
        "bias_initializer": INIT | {"class_name": "Zeros"},
        "bias_regularizer": None,
        "activity_regularizer": None,
        "bias_constraint": None,
        **extra,
    }


def _kernel(prefix="kernel"):
    return {
        f"{prefix}_initializer": INIT | {"class_name": "GlorotUniform", "config": {"seed": None}},
        f"{prefix}_regularizer": None,
        f"{prefix}_constraint": None,
    }


def _pool(rank, **extra):
    return {"pool_size": [2] * rank, "padding": "valid", "strides": [2] * rank, **extra}


# The configs as Keras 3 writes them (every key of get_config).
RECORDS = {
    "Conv1D": _conv(1, filters=4, groups=1, **_kernel(), padding="causal"),
    "Conv2D": _conv(2, filters=4, groups=2, **_kernel(), lora_rank=None),
    # Keras 3 leaves output_padding out of its config; Keras 2 wrote it.
    "Conv1DTranspose": _conv(1, filters=4, **_kernel(), output_padding=[1]),
    "Conv2DTranspose": _conv(2, filters=4, **_kernel()),
    "DepthwiseConv1D": _conv(1, depth_multiplier=2, **_kernel("depthwise")),
    "DepthwiseConv2D": _conv(2, depth_multiplier=2, **_kernel("depthwise")),
    "SeparableConv1D": _conv(
        1, filters=4, depth_multiplier=1, **_kernel("depthwise"), **_kernel("pointwise")
    ),
    "SeparableConv2D": _conv(
        2, filters=4, depth_multiplier=3, **_kernel("depthwise"), **_kernel("pointwise")
    ),
    "MaxPooling1D": _pool(1),
    "MaxPooling2D": _pool(2, data_format="channels_first", padding="same"),
    "AveragePooling1D": _pool(1, data_format="channels_last"),
    "AveragePooling2D": _pool(2, strides=[1, 1]),
    "GlobalMaxPooling1D": {"data_format": "channels_last", "keepdims": False},
    "GlobalMaxPooling2D": {"data_format": "channels_first", "keepdims": True},
    "GlobalAveragePooling1D": {"data_format": "channels_last", "keepdims": True},
    "GlobalAveragePooling2D": {"data_format": "channels_last", "keepdims": False},
    "BatchNormalization": _norm_weights(
        axis=-1,
        momentum=0.9,
        epsilon=0.001,
        center=True,
        scale=False,
        moving_mean_initializer=INIT | {"class_name": "Zeros"},
        moving_variance_initializer=INIT | {"class_name": "Ones"},
        synchronized=False,
    ),
    "LayerNormalization": _norm_weights(
        axis=[-1], epsilon=0.001, center=True, scale=True, rms_scaling=False
    ),
    "GroupNormalization": _norm_weights(groups=4, axis=-1, epsilon=0.001, center=True, scale=True),
    "SpatialDropout1D": {"rate": 0.25, "seed": None},
    "SpatialDropout2D": {"rate": 0.25, "seed": 3, "data_format": "channels_first"},
    "GaussianNoise": {"stddev": 0.5, "seed": None},
    "GaussianDropout": {"rate": 0.5, "seed": 1},
    "PReLU": {
        "alpha_initializer": INIT | {"class_name": "Zeros"},
        "alpha_regularizer": None,
        "alpha_constraint": None,
        "shared_axes": [1, 2],
    },
    "UpSampling1D": {"size": 3},
    "UpSampling2D": {"size": [2, 3], "data_format": "channels_last", "interpolation": "bilinear"},
    "ZeroPadding1D": {"padding": [1, 2], "data_format": "channels_last"},
    "ZeroPadding2D": {"padding": [[1, 0], [2, 2]], "data_format": "channels_first"},
    "Cropping1D": {"cropping": [1, 0]},
    "Cropping2D": {"cropping": [[0, 1], [2, 2]], "data_format": "channels_last"},
}


@pytest.mark.parametrize("class_name", list(RECORDS))
def test_keras3_config_translates(class_name):
    record = _record(class_name, **RECORDS[class_name])
    layer = layer_from_record(record, Ctx("config.json", None))[0]
    assert type(layer) is getattr(layers, class_name)
    config = json.loads(json.dumps(layer.get_config()))  # tuples as lists, as in the record
    for key, value in RECORDS[class_name].items():
        if not key.endswith(("_initializer", "_regularizer", "_constraint", "synchronized")):
            if key != "lora_rank":
                assert config[key] == (value[0] if key == "axis" and value == [-1] else value), key
