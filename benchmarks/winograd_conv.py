"""Winograd F(2x2, 3x3) (`lamina.ops.winograd`) vs the im2col convolution (`lamina.ops.conv`)
on the MNIST convnet's second and third convolutions, forward and backward, one thread.

Each repeat times every variant once, in turn, so that load on the machine hits all of them
alike; the medians are printed in milliseconds. Backward is the kernel's and the input's
gradients from the output's gradient (im2col: its kernel-gradient product and its
input-gradient product summed into place; Winograd: the output transform's adjoint, the two
batched products and the kernel and input transforms' adjoints).

Usage:
    python benchmarks/winograd_conv.py --repeats 50
"""

import argparse
import sys
import time

import harness
import numpy as np
from threadpoolctl import threadpool_limits

SHAPES = {"conv2": (64, 13, 13, 32, 64), "conv3": (64, 5, 5, 64, 64)}  # (n, h, w, c, filters)


def im2col_op():
    """A 'valid', stride-1 ConvOp with its attributes set, to call its products directly."""
    from lamina.ops.conv import ConvOp

    op = ConvOp.__new__(ConvOp)
    op.strides, op.dilation, op.pads, op.groups = (1, 1), (1, 1), ((0, 0), (0, 0)), 1
    return op


def variants(x: np.ndarray, kernel: np.ndarray, grad: np.ndarray) -> dict:
    from lamina.ops import winograd

    op = im2col_op()
    _, cols, _ = op._conv(x, kernel)
    _, tiles = winograd.conv3x3(x, kernel)

    def im2col_backward():
        op._kernel_grad(cols, grad, kernel.shape)
        op._input_grad(grad, kernel, x.shape)

    def winograd_backward():
        dm = winograd.output_grad_tiles(grad)
        winograd.kernel_grad(tiles, dm)
        winograd.input_grad(dm, kernel, x.shape)

    return {
        "im2col forward": lambda: op._conv(x, kernel),
        "winograd forward": lambda: winograd.conv3x3(x, kernel),
        "im2col backward": im2col_backward,
        "winograd backward": winograd_backward,
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
