"""Per-call cost of running the book's MNIST convnet (5.1) on ONE 28x28 image, five ways.

- kfunction: `K.function([model.input], [model.output])([x])` (Keras 2's backend, as the
  book's chapter 5 and 8 programs call it in a loop);
- call: `model(x)`, the eager call on a tensor;
- predict: `model.predict(x, verbose=0)`;
- predict_on_batch: `model.predict_on_batch(x)`;
- torch: the same network in eager PyTorch (channels_first), `model(x).softmax(1)` under
  `torch.inference_mode()`.

The lamina network is `examples/mnist_convnet.py`'s `build_model`. For one image the work is
small (about 2.5 MFLOP), so the figures measure what each path costs per call beyond the
arithmetic: graph ordering, tape setup, argument checks, copies. Each side runs in its own
process, alternating A B A B after a warm-up, one thread each; the table shows medians.

Usage:
    python benchmarks/kfunction_overhead.py --rounds 5
    python benchmarks/kfunction_overhead.py --side kfunction --profile 30
"""

import sys

import harness
import numpy as np

SEED = 0


def image() -> np.ndarray:
    return np.random.default_rng(SEED).uniform(size=(1, 28, 28, 1)).astype(np.float32)


def lamina_model():
    sys.path.insert(0, str(harness.ROOT / "examples"))
    from mnist_convnet import build_model

    import lamina

    lamina.utils.set_random_seed(SEED)
    return build_model()


def lamina_side(run_once):
    """A setup function timing `run_once(model, x)` (which returns the probabilities)."""

    def setup():
        model, x = lamina_model(), image()
        step_fn = run_once(model, x)
        check = {"probability_sum": float(np.sum(step_fn()))}
        return step_fn, check

    return setup


def kfunction(model, x):
    from lamina import backend as K

    f = K.function([model.input], [model.output])
    return lambda: f([x])[0]


def call(model, x):
    from lamina import ops

    tensor = ops.convert_to_tensor(x)
    return lambda: ops.convert_to_numpy(model(tensor))


def predict(model, x):
    return lambda: model.predict(x, verbose=0)


def predict_on_batch(model, x):
    return lambda: model.predict_on_batch(x)


def torch_side():
    import torch
    from mnist_convnet import torch_model  # the same network as benchmarks/mnist_convnet.py

    model = torch_model().eval()
    x = torch.from_numpy(image().transpose(0, 3, 1, 2).copy())

    def step():
        with torch.inference_mode():
            return model(x).softmax(dim=1).numpy()

    return step, {"probability_sum": float(step().sum())}


SIDES = {
    "kfunction": lamina_side(kfunction),
    "call": lamina_side(call),
    "predict": lamina_side(predict),
    "predict_on_batch": lamina_side(predict_on_batch),
    "torch": torch_side,
}

if __name__ == "__main__":
    result = harness.main(
        SIDES,
        title="kfunction_overhead: book 5.1 MNIST convnet, one 28x28 image per call",
        repeats=200,
        warmup=20,
    )
    if result and "torch" in result:
        torch_ms = result["torch"]["median"]
        ratios = ", ".join(
            f"{name} {result[name]['median'] / torch_ms:.2f}x" for name in result if name != "torch"
        )
        print(f"per-call time vs torch eager: {ratios}")
