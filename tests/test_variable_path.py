"""Variable.name is the short name, Variable.path the layers that made it (Keras 3)."""

import numpy as np

import lamina
from lamina import layers, optimizers


class Block(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(2, name="inner")

    def build(self, input_shape):
        self.inner.build(input_shape)
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

    def call(self, x):
        return self.inner(x) * self.scale


class Lazy(lamina.Model):
    """Its Dense is built by the model's first call, not by a build method."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.head = layers.Dense(1, name="head")

    def call(self, x):
        return self.head(x)


def test_name_is_short_and_path_names_the_layer():
    inputs = lamina.Input((3,))
    model = lamina.Model(inputs, layers.Dense(2, name="dense_1")(inputs))
    assert [w.name for w in model.weights] == ["kernel", "bias"]
    assert [w.path for w in model.weights] == ["dense_1/kernel", "dense_1/bias"]
    assert lamina.Variable(np.zeros(2), name="w").path == "w"


def test_nested_layers_are_joined_with_slashes():
    block = Block(name="block")
    block(np.ones((1, 3), np.float32))
    assert [w.path for w in block.weights] == [
        "block/scale",
        "block/inner/kernel",
        "block/inner/bias",
    ]
    lazy = Lazy(name="lazy")
    lazy(lamina.Input((3,)))
    assert [w.path for w in lazy.weights] == ["lazy/head/kernel", "lazy/head/bias"]
    seq = lamina.Sequential([lamina.Input((3,)), layers.Dense(2, name="d")], name="seq")
    assert [w.path for w in seq.weights] == ["seq/d/kernel", "seq/d/bias"]


def test_optimizer_slots_and_weight_decay_use_the_path():
    seq = lamina.Sequential([lamina.Input((3,)), layers.Dense(2, name="d")], name="seq")
    opt = optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.build(seq.trainable_weights)
    slot_names = [v.name for v in opt.variables[1:]]
    assert "seq_d_kernel_momentum" in slot_names and "seq_d_bias_velocity" in slot_names
    kernel, bias = seq.weights
    kernel.assign(np.ones((3, 2))), bias.assign(np.ones(2))
    opt.apply([np.zeros((3, 2)), np.zeros(2)], [kernel, bias])
    assert np.all(kernel.numpy() < 1) and np.all(bias.numpy() == 1)  # only the kernel decays


def test_files_do_not_depend_on_variable_names(tmp_path):
    # Weights are stored by layer and position (`layers/<layer>/vars/<i>`), so files written
    # when names were long ("d/kernel") load into models whose names are short, and back.
    from lamina.io import safetensors_io

    seq = lamina.Sequential([lamina.Input((3,)), layers.Dense(2, name="d")])
    seq.save_weights(tmp_path / "w.weights.safetensors")
    with open(tmp_path / "w.weights.safetensors", "rb") as f:
        arrays, _ = safetensors_io.read(f, (tmp_path / "w.weights.safetensors").stat().st_size, "w")
    assert sorted(arrays) == ["layers/d/vars/0", "layers/d/vars/1"]
    seq.save(tmp_path / "m.keras")
    loaded = lamina.models.load_model(tmp_path / "m.keras")
    assert [w.path for w in loaded.weights] == [w.path for w in seq.weights]
    for a, b in zip(loaded.get_weights(), seq.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
