"""The paths of Keras 3's `.weights.h5` layout, checked against files Keras 3.15 wrote.

`KERAS_LAYOUT` is what `model.save_weights` wrote, with Keras 3.15.1, for the same three
models built from the same classes: each `vars` group (its path without `/vars`) and the
shapes of its datasets.
"""

import h5py
import numpy as np
import pytest

import lamina
from lamina import layers, ops
from lamina.saving import load_keras_h5_weights
from lamina.saving.keras_layout import keras_layer_order, keras_slots


class MyDense(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units))
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, x):
        return ops.matmul(x, self.w) + self.b


class Block(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.proj = layers.Dense(3)
        self.blocks = [layers.Dense(3), MyDense(3), layers.Dense(3)]
        self.Zed = layers.Dense(3)  # noqa: N815 - upper case sorts before lower case
        self._hidden = layers.Dense(4)
        self.scale = self.add_weight(shape=(4,), initializer="ones")

    def call(self, x):
        x = self.proj(x)
        for block in self.blocks:
            x = block(x)
        return self._hidden(self.Zed(x)) * self.scale


class Sub(lamina.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(5)
        self.out = layers.Dense(2)  # sorted after `layers`: stored as layers/dense_1
        self.block = Block()
        self.heads = {"b": layers.Dense(2), "a": layers.Dense(2)}
        self.t = (layers.Dense(2),)
        self.shared = self.t[0]  # `shared` and `t` sort after `layers`: layers/dense_4

    def call(self, x):
        h = self.block(self.hidden(x))
        return self.out(h) + self.heads["a"](h) + self.heads["b"](h) + self.t[0](h)


def _sequential():
    return lamina.Sequential([lamina.Input((4,)), Block(), layers.Dense(2)])


def _functional():
    inputs = lamina.Input((4,))
    return lamina.Model(inputs, layers.Dense(2)(Block()(inputs)))


def _subclassed():
    model = Sub()
    model(np.zeros((1, 4), "float32"))
    return model


def _block(prefix, proj_in):
    return {
        f"{prefix}block/Zed": [(3, 3), (3,)],
        f"{prefix}block/_hidden": [(3, 4), (4,)],
        f"{prefix}block/blocks/dense": [(3, 3), (3,)],
        f"{prefix}block/blocks/dense_1": [(3, 3), (3,)],
        f"{prefix}block/blocks/my_dense": [(3, 3), (3,)],
        f"{prefix}block/proj": [(proj_in, 3), (3,)],
        f"{prefix}block": [(4,)],
    }


KERAS_LAYOUT = {
    "sequential": {**_block("layers/", 4), "layers/dense": [(4, 2), (2,)], "": []},
    "functional": {
        **_block("layers/", 4),
        "layers/dense": [(4, 2), (2,)],
        "layers/input_layer": [],
        "": [],
    },
    "subclassed": {
        **_block("", 5),
        "heads/dense": [(4, 2), (2,)],
        "heads/dense_1": [(4, 2), (2,)],
        "hidden": [(4, 5), (5,)],
        "layers/dense_1": [(4, 2), (2,)],
        "layers/dense_4": [(4, 2), (2,)],
        "": [],
    },
}
BUILDERS = {"sequential": _sequential, "functional": _functional, "subclassed": _subclassed}


def _file_layout(path):
    out = {}
    with h5py.File(path, "r") as f:

        def visit(name, obj):
            if isinstance(obj, h5py.Group) and name.rsplit("/", 1)[-1] == "vars":
                out[name[: -len("/vars")]] = [obj[str(i)].shape for i in range(len(obj))]

        f.visititems(visit)
        out[""] = [f["vars"][str(i)].shape for i in range(len(f["vars"]))]
    return out


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_keras_slots_are_the_paths_keras_3_writes(kind):
    slots = keras_slots(BUILDERS[kind]())
    assert {s.path: [tuple(v.shape) for v in s.variables] for s in slots} == KERAS_LAYOUT[kind]
    assert len(slots) == len(KERAS_LAYOUT[kind])  # no layer twice
    assert slots[0].path == ""


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_save_weights_writes_keras_3_layout(tmp_path, kind):
    model = BUILDERS[kind]()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    assert _file_layout(path) == KERAS_LAYOUT[kind]
    with h5py.File(path, "r") as f:
        for slot in keras_slots(model):
            group = f[f"{slot.path}/vars" if slot.path else "vars"]
            assert group.attrs["name"] == slot.layer.name


def _keras_file(path, layout, seed=0):
    """A file laid out as Keras writes it, with random values, and an optimizer's state."""
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w") as f:
        for key, shapes in layout.items():
            group = f.create_group(f"{key}/vars" if key else "vars")
            for i, shape in enumerate(shapes):
                group.create_dataset(str(i), data=rng.normal(size=shape).astype("float32"))
        f.create_group("optimizer/vars").create_dataset("0", data=np.int64(7))


def test_a_keras_file_of_a_subclassed_model_loads_each_value_where_keras_put_it(tmp_path):
    path = tmp_path / "keras.weights.h5"
    _keras_file(path, KERAS_LAYOUT["subclassed"])
    model = _subclassed()
    load_keras_h5_weights(model, path)
    with h5py.File(path, "r") as f:
        expected = {
            "hidden/vars/0": model.hidden.kernel,
            "layers/dense_1/vars/0": model.out.kernel,
            "layers/dense_4/vars/1": model.t[0].bias,
            "heads/dense/vars/0": model.heads["b"].kernel,
            "heads/dense_1/vars/0": model.heads["a"].kernel,
            "block/vars/0": model.block.scale,
            "block/_hidden/vars/0": model.block._hidden.kernel,
            "block/blocks/my_dense/vars/0": model.block.blocks[1].w,
            "block/blocks/dense_1/vars/1": model.block.blocks[2].bias,
        }
        for key, variable in expected.items():
            np.testing.assert_array_equal(variable.numpy(), f[key][()])


def test_a_keras_file_of_a_sequential_model_with_a_custom_block(tmp_path):
    path = tmp_path / "keras.weights.h5"
    _keras_file(path, KERAS_LAYOUT["sequential"], seed=1)
    model = _sequential()
    model.load_weights(path)
    block = model.layers[0]
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(block.proj.kernel.numpy(), f["layers/block/proj/vars/0"])
        np.testing.assert_array_equal(block.Zed.bias.numpy(), f["layers/block/Zed/vars/1"])
        np.testing.assert_array_equal(model.layers[1].kernel.numpy(), f["layers/dense/vars/0"])


def test_functional_layers_are_listed_in_keras_order():
    # Keras 3.15.1 lists this model's layers as KERAS_ORDER: deepest first, a shared layer at
    # its deepest call, an unused input among the layers of depth 0.
    a, b, unused = (lamina.Input((2,), name=n) for n in ("a", "b", "u"))
    shared = layers.Dense(2, name="shared")
    x = shared(layers.Dense(2, name="d1")(a))
    z = layers.Dense(2, name="d2")(shared(b))
    w = layers.Dense(2, name="d3")(layers.Dense(2, name="d4")(z))
    out = layers.Add(name="add")([x, w, layers.Dense(2, name="d5")(b)])
    model = lamina.Model([a, b, unused], [out, layers.Dense(2, name="head")(x)])
    keras_order = ["a", "d1", "b", "shared", "d2", "d4", "d3", "d5", "u", "add", "head"]
    assert [layer.name for layer in keras_layer_order(model)] == keras_order
    dense = [(s.path, s.layer.name) for s in keras_slots(model) if s.class_name == "Dense"]
    assert dense[:3] == [
        ("layers/dense", "d1"),
        ("layers/dense_1", "shared"),
        ("layers/dense_2", "d2"),
    ]
