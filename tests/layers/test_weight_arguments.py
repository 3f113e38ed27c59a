import numpy as np

import lamina
from lamina.layers.weight_arguments import (
    add_weight_of,
    set_weight_arguments,
    weight_arguments_config,
)


def test_stored_arguments_make_the_weight_and_round_trip_through_the_config():
    layer = lamina.layers.Layer()
    set_weight_arguments(layer, "gamma", "ones", "l2", "non_neg")
    weight = add_weight_of(layer, "gamma", (3,))
    assert weight.name == "gamma"
    np.testing.assert_array_equal(weight.numpy(), np.ones(3))
    assert layer.gamma_constraint is weight.constraint
    config = weight_arguments_config(layer, ("gamma",))
    assert sorted(config) == ["gamma_constraint", "gamma_initializer", "gamma_regularizer"]
    again = lamina.layers.Layer()
    set_weight_arguments(again, "gamma", *config.values())
    assert weight_arguments_config(again, ("gamma",)) == config


def test_conv_configs_hold_each_weight_kinds_arguments():
    expected = {
        lamina.layers.Conv2D(2, 3): "kernel",
        lamina.layers.Conv2DTranspose(2, 3): "kernel",
        lamina.layers.DepthwiseConv2D(3): "depthwise",
        lamina.layers.SeparableConv2D(2, 3): "pointwise",
    }
    for layer, kind in expected.items():
        config = layer.get_config()
        for key in ("initializer", "regularizer", "constraint"):
            assert f"{kind}_{key}" in config and f"bias_{key}" in config
        assert type(layer).from_config(config).get_config() == config
