"""200 random models (layer stacks and functional graphs) save, load and predict bit-identically,
as whole models and as weights only."""

import numpy as np
import pytest

import lamina
from lamina import layers

ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear", "softmax", "elu", "softplus", "gelu", "silu"]
MERGES = ["add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]


class Generator:
    """Random architectures from a seed: the same seed gives the same architecture."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def pick(self, items):
        return items[int(self.rng.integers(len(items)))]

    def int(self, low, high):
        return int(self.rng.integers(low, high + 1))

    # ----- layers on one tensor ---------------------------------------------------------------

    def unary(self, shape):
        """A layer that accepts inputs of `shape` (no batch axis) and the shape it returns."""
        options = ["dense", "activation", "dropout", "relu", "leaky", "elu", "softmax"]
        if len(shape) == 1:
            options += ["repeat"] + (["reshape"] if shape[0] % 2 == 0 else [])
        else:
            options += ["flatten", "permute", "reshape"]
        kind = self.pick(options)
        if kind == "dense":
            units = self.int(1, 5)
            return layers.Dense(units, activation=self.pick(ACTIVATIONS)), (*shape[:-1], units)
        if kind == "activation":
            return layers.Activation(self.pick(ACTIVATIONS)), shape
        if kind == "dropout":
            return layers.Dropout(self.pick([0.0, 0.3, 0.5]), seed=self.int(0, 9)), shape
        if kind == "relu":
            return layers.ReLU(max_value=self.pick([None, 1.5]), negative_slope=0.1), shape
        if kind == "leaky":
            return layers.LeakyReLU(negative_slope=self.pick([0.1, 0.3])), shape
        if kind == "elu":
            return layers.ELU(alpha=self.pick([0.5, 1.0])), shape
        if kind == "softmax":
            return layers.Softmax(axis=self.pick([-1, 1])), shape
        if kind == "repeat":
            n = self.int(1, 3)
            return layers.RepeatVector(n), (n, shape[0])
        if kind == "flatten":
            return layers.Flatten(), (shape[0] * shape[1],)
        if kind == "permute":
            return layers.Permute((2, 1)), (shape[1], shape[0])
        if len(shape) == 1:
            return layers.Reshape((2, shape[0] // 2)), (2, shape[0] // 2)
        return layers.Reshape((-1,)), (shape[0] * shape[1],)

    def stack(self, shape, depth):
        out = []
        for _ in range(depth):
            layer, shape = self.unary(shape)
            out.append(layer)
        return out, shape

    def sequential(self):
        shape = (self.int(2, 6),)
        if self.rng.random() < 0.5:
            return lamina.Sequential([lamina.Input(shape), *self.stack(shape, self.int(1, 5))[0]])
        units = self.int(2, 4)
        first = layers.Dense(units, input_shape=shape)
        return lamina.Sequential([first, *self.stack((units,), self.int(0, 4))[0]])

    # ----- functional graphs ------------------------------------------------------------------

    def flat(self, t, shape, size=None):
        """`t` as a rank-1 tensor, of `size` features when given."""
        if len(shape) == 2:
            t, shape = layers.Flatten()(t), (shape[0] * shape[1],)
        if size is not None and shape[0] != size:
            t, shape = layers.Dense(size)(t), (size,)
        return t, shape

    def merge(self, pool):
        kind = self.pick(MERGES)
        count = 2 if kind in ("subtract", "dot") else self.int(2, 3)
        chosen = [pool[self.int(0, len(pool) - 1)] for _ in range(count)]
        if kind == "concatenate":
            parts = [self.flat(t, s) for t, s in chosen]
            return layers.Concatenate()([t for t, _ in parts]), (sum(s[0] for _, s in parts),)
        size = self.int(2, 4)
        tensors = [self.flat(t, s, size)[0] for t, s in chosen]
        if kind == "dot":
            return layers.Dot(axes=1, normalize=self.rng.random() < 0.5)(tensors), (1,)
        cls = {
            "add": layers.Add,
            "subtract": layers.Subtract,
            "multiply": layers.Multiply,
            "average": layers.Average,
            "maximum": layers.Maximum,
            "minimum": layers.Minimum,
        }[kind]
        return cls()(tensors), (size,)

    def op(self, pool):
        t, shape = pool[self.int(0, len(pool) - 1)]
        kind = self.pick(["slice", "index", "ellipsis", "affine", "neg", "abs", "square", "pair"])
        if kind == "slice":
            k = self.int(1, shape[0])
            return t[:, :k], (k, *shape[1:])
        if kind == "index" and len(shape) == 2:
            return t[:, self.int(0, shape[0] - 1)], (shape[1],)
        if kind == "ellipsis":
            return t[..., :1], (*shape[:-1], 1)
        if kind == "affine":
            return 2.0 - t * 0.5 + 1.25, shape
        if kind == "neg":
            return -t, shape
        if kind == "abs":
            return abs(t), shape
        if kind == "square":
            return t**2, shape
        same = [u for u, s in pool if s == shape]
        return t + self.pick(same) if kind == "pair" else t / 3.0, shape

    def nested(self, t, shape):
        stack, out_shape = self.stack(shape, self.int(1, 3))
        kind = self.pick(["sequential", "sequential_no_input", "functional"])
        if kind == "sequential":
            inner = lamina.Sequential([lamina.Input(shape), *stack])
        elif kind == "sequential_no_input":
            inner = lamina.Sequential(stack)
        else:
            x = lamina.Input(shape)
            y = x
            for layer in stack:
                y = layer(y)
            inner = lamina.Model(x, y)
        return inner(t), out_shape

    def functional(self):
        inputs = [lamina.Input((self.int(2, 5),), name=f"in{i}") for i in range(self.int(1, 3))]
        pool = [(t, t.shape[1:]) for t in inputs]
        for _ in range(self.int(2, 6)):
            kind = self.pick(["unary", "unary", "merge", "op", "op", "nested"])
            if kind == "unary":
                t, shape = pool[self.int(0, len(pool) - 1)]
                layer, shape = self.unary(shape)
                pool.append((layer(t), shape))
            elif kind == "merge":
                pool.append(self.merge(pool))
            elif kind == "op":
                pool.append(self.op(pool))
            else:
                pool.append(self.nested(*pool[self.int(0, len(pool) - 1)]))
        made = [t for t, _ in pool[len(inputs) :]]
        outputs = [made[-1]] + [self.pick(made) for _ in range(self.int(0, 2))]
        outputs = list({id(t): t for t in outputs}.values())
        shape_of_outputs = self.pick(["single", "list", "dict"])
        if shape_of_outputs == "single":
            outputs = outputs[0]
        elif shape_of_outputs == "dict":
            outputs = {f"out{i}": t for i, t in enumerate(outputs)}
        if len(inputs) == 1 and self.rng.random() < 0.5:
            return lamina.Model(inputs[0], outputs)
        if self.rng.random() < 0.5:
            return lamina.Model({t.name: t for t in inputs}, outputs)
        return lamina.Model(inputs, outputs)

    def model(self):
        return self.sequential() if self.rng.random() < 0.4 else self.functional()


def sample_inputs(model, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=(3, *t.shape[1:])).astype("float32") for t in model.inputs]
    if isinstance(getattr(model, "_input_struct", None), dict):
        return dict(zip(model._input_struct, arrays, strict=True))
    return arrays if len(arrays) > 1 else arrays[0]


def assert_identical(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        a, b = list(a.values()), list(b.values())
    if not isinstance(a, list):
        a, b = [a], [b]
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


BATCHES = 10  # 10 tests of 20 models each: 200 models


@pytest.mark.parametrize("batch", range(BATCHES))
def test_random_models_round_trip(tmp_path, batch):
    for seed in range(batch * 20, batch * 20 + 20):
        lamina.utils.set_random_seed(seed)
        model = Generator(seed).model()
        x = sample_inputs(model, seed)
        expected = model.predict(x, verbose=0)

        model.save(tmp_path / "m.keras")
        loaded = lamina.models.load_model(tmp_path / "m.keras")
        assert type(loaded) is type(model)
        assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]
        assert_identical(loaded.predict(x, verbose=0), expected)

        model.save_weights(tmp_path / "m.weights.safetensors")
        twin = Generator(seed).model()  # the same architecture, other names and weights
        twin.load_weights(tmp_path / "m.weights.safetensors")
        assert_identical(twin.predict(x, verbose=0), expected)
