"""Winograd F(2x2, 3x3) (`lamina.ops.winograd`) vs the im2col convolution (`lamina.ops.conv`)
on the MNIST convnet's second and third convolutions and a few other shapes, one thread.

Each repeat times every variant once, in turn, so that load on the machine hits all of them
alike; the medians are printed in milliseconds. Backward is the kernel's and the input's
gradients from the output's gradient. Winograd runs with its compiled (Numba) transforms,
and with NumPy's ("numpy"); the im2col side with Numba as `ops.conv` runs it.

Usage:
    python benchmarks/winograd_conv.py --repeats 50
"""

import argparse
import sys
import time

import harness
import numpy as np
from threadpoolctl import threadpool_limits

SHAPES = {  # (n, h, w, channels, filters) of the padded input
    "conv2": (64, 13, 13, 32, 64),
    "conv3": (64, 5, 5, 64, 64),
    "16 channels": (64, 13, 13, 16, 32),
    "7x7 output": (64, 9, 9, 32, 64),
    "10x10 output": (64, 12, 12, 32, 64),
    "32x32 output": (32, 34, 34, 32, 32),
}


def im2col_op():
    """A 'valid', stride-1 ConvOp with its attributes set, to call its products directly."""
    from lamina.ops.conv import ConvOp

    op = ConvOp.__new__(ConvOp)
    op.strides, op.dilation, op.pads, op.groups = (1, 1), (1, 1), ((0, 0), (0, 0)), 1
    return op


def variants(x: np.ndarray, kernel: np.ndarray, grad: np.ndarray) -> dict:
    from lamina.backend import set_jit_enabled
    from lamina.ops import winograd

    op = im2col_op()
    _, cols, _ = op._conv(x, kernel)
    _, tiles = winograd.conv3x3(x, kernel)

    def im2col_backward():
        op._kernel_grad(cols, grad, kernel.shape)
        op._input_grad(grad, kernel, x.shape)

    def numpy_only(fn):
        def run():
            previous = set_jit_enabled(False)
            try:
                fn()
            finally:
                set_jit_enabled(previous)

        return run

    def winograd_forward():
        winograd.conv3x3(x, kernel)

    def winograd_backward():
        winograd.conv3x3_grads(grad, tiles, kernel, x.shape)

    return {
        "im2col forward": lambda: op._conv(x, kernel),
        "winograd forward": winograd_forward,
        "winograd forward (numpy)": numpy_only(winograd_forward),
        "im2col backward": im2col_backward,
        "winograd backward": winograd_backward,
        "winograd backward (numpy)": numpy_only(winograd_backward),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    repeats = parser.parse_args().repeats
    sys.path.insert(0, str(harness.ROOT))  # the working tree's lamina
    rng = np.random.default_rng(0)
    with threadpool_limits(1):
        for name, (n, h, w, c, k) in SHAPES.items():
            x = rng.normal(size=(n, h, w, c)).astype(np.float32)
            kernel = rng.normal(size=(3, 3, c, k)).astype(np.float32)
            grad = rng.normal(size=(n, h - 2, w - 2, k)).astype(np.float32)
            timed = variants(x, kernel, grad)
            times = {label: [] for label in timed}
            for _ in range(repeats + 1):  # the first round warms up
                for label, fn in timed.items():
                    start = time.perf_counter()
                    fn()
                    times[label].append(time.perf_counter() - start)
            medians = (f"{label} {np.median(t[1:]) * 1e3:.2f}" for label, t in times.items())
            print(f"{name} {x.shape} -> {k} filters, ms:", ", ".join(medians))


if __name__ == "__main__":
    main()
