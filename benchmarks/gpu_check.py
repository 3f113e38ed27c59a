"""The CuPy path on a real NVIDIA GPU: every op against NumPy, then the book's MNIST network.

Needs CuPy and a GPU (`pip install lamina[gpu]`). Three parts, each reporting what failed:

1. Every sample of every op in `lamina.testing.op_registry`: the forward result and the
   gradients of `sum(outputs * cotangent)` computed on the GPU are compared with the same
   computation on the CPU (float64, so the two sides agree to rounding).
2. The book's first network (2.1) trains on MNIST on the GPU and on the CPU from the same seed:
   one warm-up epoch, then `--epochs` timed ones; test accuracies and epoch times are printed.
3. The trained GPU model is saved, loaded back on the GPU and must predict bit-identically.

    python benchmarks/gpu_check.py --epochs 4   # 5 epochs in all, as in the book

The last line gives the counts and the accuracies.
"""

import argparse
import os
import sys
import tempfile
import time
import traceback

import numpy as np

import lamina
from lamina import layers, models
from lamina.backend import set_device, to_numpy
from lamina.testing.device_parity import compare_devices
from lamina.testing.op_registry import REGISTRY
from lamina.utils import set_random_seed, to_categorical


def check_ops() -> tuple[int, list[str]]:
    failures, count = [], 0
    for info in REGISTRY.values():
        if info.is_random:
            continue
        for i, sample in enumerate(info.sample_inputs()):
            count += 1
            where = f"{info.name}[{i}:{sample.desc}]"
            try:
                compare_devices(info, sample)
            except Exception as err:  # noqa: BLE001 - every failure is reported, none stops
                last = traceback.extract_tb(err.__traceback__)[-1]
                failures.append(
                    f"{where}: {type(err).__name__}: {str(err).splitlines()[0][:160]} "
                    f"(at {os.path.basename(last.filename)}:{last.lineno})"
                )
    return count, failures


def train_mnist(device: str, epochs: int):
    set_device(device)
    set_random_seed(1)
    (x, y), (xt, yt) = lamina.datasets.mnist.load_data()
    x = x.reshape((60000, 784)).astype("float32") / 255
    xt = xt.reshape((10000, 784)).astype("float32") / 255
    y, yt = to_categorical(y), to_categorical(yt)
    model = models.Sequential(
        [layers.Input((784,)), layers.Dense(512, activation="relu"), layers.Dense(10, "softmax")]
    )
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=128, verbose=0)  # warm-up: kernels compile
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=128, verbose=0)
    per_epoch = (time.perf_counter() - start) / epochs
    _, acc = model.evaluate(xt, yt, verbose=0)
    return model, xt, acc, per_epoch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    import cupy

    gpu = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    print(f"cupy {cupy.__version__}, numpy {np.__version__}, {gpu}")
    count, failures = check_ops()
    print(f"ops: {count} samples, {len(failures)} failed")
    for line in failures:
        print("  " + line)
    sys.stdout.flush()

    results = {}
    for device in ("gpu", "cpu"):
        try:
            model, xt, acc, per_epoch = train_mnist(device, args.epochs)
            results[device] = (model, xt, acc, per_epoch)
            print(f"mnist on {device}: test_acc {acc:.4f}, {per_epoch:.2f} s per epoch")
        except Exception:  # noqa: BLE001 - reported, the other device still runs
            print(f"mnist on {device} failed:\n{traceback.format_exc()}")
        sys.stdout.flush()
    identical = False
    if "gpu" in results:
        model, xt, _, _ = results["gpu"]
        set_device("gpu")
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "m.keras")
                before = model.predict(xt, verbose=0)
                model.save(path)
                after = models.load_model(path).predict(xt, verbose=0)
                identical = bool(np.array_equal(to_numpy(before), to_numpy(after)))
                print(f"save/load on gpu: predictions identical: {identical}")
        except Exception:  # noqa: BLE001
            print(f"save/load on gpu failed:\n{traceback.format_exc()}")
    accs = " ".join(f"{d}_acc {r[2]:.4f} ({r[3]:.2f} s/epoch)" for d, r in results.items())
    print(f"op_failures {len(failures)}/{count} | {accs} | save_load_identical {identical}")


if __name__ == "__main__":
    main()
