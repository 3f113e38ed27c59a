"""`predict` throughput of two pretrained architectures, lamina vs PyTorch eager (torchvision).

- VGG16 with its top (224x224x3, 138,357,544 parameters) and MobileNetV2 (224x224x3, alpha 1,
  3,538,984 parameters), random weights, batch 32, float32, softmax outputs.
- lamina: `lamina.applications.VGG16(weights=None)` / `MobileNetV2(weights=None)` and
  `model.predict(x, batch_size=32)` on channels-last images, as a Keras user writes it.
- torch: `torchvision.models.vgg16()` / `mobilenet_v2()` in `eval()` mode under
  `torch.inference_mode()`, channels-first (its native layout), softmax on the logits.

Each (architecture, thread count) pair is one harness session: the sides run in their own
processes, pinned to the same thread count, warmed up, then alternated A B A B; the table
shows medians of images per second and each side's peak RSS (`ru_maxrss` of the child).

torchvision is not in lamina's environment: give the torch side's interpreter with
`--torch-python` or `TORCH_PYTHON` (default: this interpreter). That environment needs torch,
torchvision, numpy and threadpoolctl, e.g. `python3 -m venv /work/tvenv &&
/work/tvenv/bin/pip install torch==2.14.1 torchvision==0.29.1 numpy threadpoolctl`.

Measured (2-core machine shared with about ten other jobs, so throughput is far below what
the chip does alone; rounds=3 repeats=2; torch 2.14.1 CPU threads pinned like lamina's BLAS):
MobileNetV2: lamina 0.97x torch's images/s at 1 thread and 1.08x at 2; peak RSS 666 MB vs
1,256 MB and 695 MB vs 1,222 MB. Where lamina's time went (cProfile, 1 thread, after the
changes below): the 3x3 depthwise convolutions 38%, BatchNormalization's scale and shift 31%,
the 1x1 convolutions' products 14%, relu6 8%, padding 4%. Changes made for this benchmark:
the functional forward pass drops each activation after its last reader (peak RSS 2.7 GB ->
0.65 GB), BatchNormalization folds its statistics in inference, `ReLU(6.0)` is one op,
depthwise convolution multiplies into one buffer (1.6x faster than an einsum per position).
VGG16 at 1 thread, one round only (a round takes about 10 minutes at this load): lamina
2.42x torch's images/s (Winograd 3x3 convolutions), peak RSS 2,506 MB vs 2,536 MB; VGG16 at 2
threads is not measured yet.

Usage:
    python benchmarks/applications_inference.py --torch-python /work/tvenv/bin/python
    python benchmarks/applications_inference.py --model mobilenet_v2 --threads 1 --rounds 3
    python benchmarks/applications_inference.py --model vgg16 --side lamina --profile 30
"""

import argparse
import os
import sys

import harness
import numpy as np

BATCH, SIZE = 32, 224
MODELS = ("vgg16", "mobilenet_v2")
SEED = 0
# Every row of a softmax sums to 1: the check catches a side computing something else.
CHECK_RTOL = 1e-3


def parse_options() -> argparse.Namespace:
    """This script's own options, removed from `sys.argv` before the harness parses the rest."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--model", choices=MODELS, help="one architecture only")
    parser.add_argument(
        "--torch-python",
        default=os.environ.get("TORCH_PYTHON"),
        help="interpreter with torch and torchvision (default: $TORCH_PYTHON, else this one)",
    )
    parser.add_argument(
        "--thread-counts", default="1,2", help="comma-separated, when --threads is not given"
    )
    options, rest = parser.parse_known_args()
    sys.argv[1:] = rest
    return options


OPTIONS = parse_options() if __name__ == "__main__" else argparse.Namespace(model="vgg16")


def images() -> np.ndarray:
    """A batch of seeded random images, float32 (32, 224, 224, 3) in [0, 1)."""
    return np.random.default_rng(SEED).random((BATCH, SIZE, SIZE, 3), dtype=np.float32)


def lamina_side():
    import lamina
    from lamina import applications

    lamina.utils.set_random_seed(SEED)
    build = {"vgg16": applications.VGG16, "mobilenet_v2": applications.MobileNetV2}
    model = build[OPTIONS.model](weights=None, input_shape=(SIZE, SIZE, 3))
    x = images()
    check: dict[str, float] = {}

    def step():
        check["probability_sum"] = float(model.predict(x, batch_size=BATCH, verbose=0).sum())

    return step, check


def torch_side():
    import torch
    import torchvision

    torch.manual_seed(SEED)
    model = getattr(torchvision.models, OPTIONS.model)().eval()
    x = torch.from_numpy(images().transpose(0, 3, 1, 2).copy())
    check: dict[str, float] = {}

    def step():
        with torch.inference_mode():
            check["probability_sum"] = float(model(x).softmax(dim=1).sum())

    return step, check


def session(model: str) -> dict | None:
    """One harness session of `model`, at the thread count of `--threads` in `sys.argv`."""
    OPTIONS.model = model
    return harness.main(
        {"lamina": lamina_side, "torch": torch_side},
        title=f"applications_inference: {model} predict, batch {BATCH}, {SIZE}x{SIZE}x3, float32",
        speedups=[("lamina", "torch")],
        repeats=5,
        warmup=2,
        throughput=(BATCH, "images"),
        check_rtol=CHECK_RTOL,
        child_args=["--model", model],
        executables={"torch": OPTIONS.torch_python},
    )


def main() -> None:
    if "--side" in sys.argv:  # a child: one side of one session
        session(OPTIONS.model)
        return
    models = [OPTIONS.model] if OPTIONS.model else list(MODELS)
    given = "--threads" in sys.argv
    counts = [None] if given else [int(n) for n in OPTIONS.thread_counts.split(",")]
    argv = list(sys.argv)
    results = {}
    for model in models:
        for threads in counts:
            sys.argv = argv if threads is None else [*argv, "--threads", str(threads)]
            results[(model, threads)] = session(model)
    lines = []
    for (model, threads), figures in results.items():
        if figures and {"lamina", "torch"} <= figures.keys():
            ratio = figures["lamina"]["median"] / figures["torch"]["median"]
            memory = figures["lamina"]["peak_rss_mb"] / figures["torch"]["peak_rss_mb"]
            label = f"{model} {threads} thr" if threads else model
            lines.append(f"{label}: {ratio:.2f}x images/s, {memory:.2f}x peak RSS")
    if lines:
        print("lamina vs torch: " + "; ".join(lines))


if __name__ == "__main__":
    main()
