"""Registry entries for convolutions and pooling, against direct loops over output positions."""

import itertools

import numpy as np

from lamina import ops
from lamina.testing.op_registry.base import ErrorCase, OpInfo, Sample, distinct, strided, uniform


def _tuple(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def _last(x, data_format):
    return x if data_format != "channels_first" else np.moveaxis(x, 1, -1)


def _first(y, data_format):
    return y if data_format != "channels_first" else np.moveaxis(y, -1, 1)


def _same(n, k, s):
    """TensorFlow's 'same' pads of one axis: `ceil(n / s)` outputs, the odd pixel right."""
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def _conv(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x = _last(x, data_format)
    nd = x.ndim - 2
    s, d, size = _tuple(strides, nd), _tuple(dilation_rate, nd), kernel.shape[:-2]
    eff = [(k - 1) * r + 1 for k, r in zip(size, d, strict=True)]
    pads = [
        _same(n, e, t) if padding == "same" else (0, 0)
        for n, e, t in zip(x.shape[1:-1], eff, s, strict=True)
    ]
    x = np.pad(x, [(0, 0), *pads, (0, 0)])
    cg, filters = kernel.shape[-2:]
    groups = x.shape[-1] // cg
    og = filters // groups
    out = [(n - e) // t + 1 for n, e, t in zip(x.shape[1:-1], eff, s, strict=True)]
    y = np.zeros((x.shape[0], *out, filters), dtype=x.dtype)
    for pos in itertools.product(*map(range, out)):
        for q in itertools.product(*map(range, size)):
            v = x[(slice(None), *(p * t + a * r for p, t, a, r in zip(pos, s, q, d, strict=True)))]
            for g in range(groups):
                cols, outs = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
                y[(slice(None), *pos, outs)] += v[:, cols] @ kernel[q][:, outs]
    return _first(y, data_format)


def _depthwise(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    k = kernel.reshape(*kernel.shape[:-2], 1, -1)
    return _conv(x, k, strides, padding, data_format, dilation_rate)


def _separable(x, dw, pw, strides=1, padding="valid", data_format=None, dilation_rate=1):
    y = _depthwise(x, dw, strides, padding, data_format, dilation_rate)
    return _conv(y, pw, 1, "valid", data_format)


def _conv_transpose(
    x, kernel, strides=1, padding="valid", output_padding=None, data_format=None, dilation_rate=1
):
    """Each input pixel adds `x[i] * kernel` at `i * stride`; Keras's output sizes then crop."""
    x = _last(x, data_format)
    nd = x.ndim - 2
    s, d, size = _tuple(strides, nd), _tuple(dilation_rate, nd), kernel.shape[:-2]
    extra = (None,) * nd if output_padding is None else _tuple(output_padding, nd)
    full = [
        (n - 1) * t + (k - 1) * r + 1 for n, t, k, r in zip(x.shape[1:-1], s, size, d, strict=True)
    ]
    y = np.zeros((x.shape[0], *full, kernel.shape[-2]), dtype=x.dtype)
    for pos in itertools.product(*map(range, x.shape[1:-1])):
        for q in itertools.product(*map(range, size)):
            at = tuple(p * t + a * r for p, t, a, r in zip(pos, s, q, d, strict=True))
            y[(slice(None), *at)] += x[(slice(None), *pos)] @ kernel[q].T
    crops = []
    for n, t, k, r, e in zip(x.shape[1:-1], s, size, d, extra, strict=True):
        k = (k - 1) * r + 1
        if padding == "valid":
            length = (n - 1) * t + k + (max(k, t) - k if e is None else e)
            left = 0
        else:
            length = n * t if e is None else (n - 1) * t + k % 2 + e
            total = t + k - 2 if e is None else k + k % 2 - 2 + e
            left = k - 1 - min(total // 2 + total % 2, k - 1)
        crops.append((left, length))
    y = np.pad(
        y,
        [
            (0, 0),
            *((0, max(lo + n - f, 0)) for (lo, n), f in zip(crops, full, strict=True)),
            (0, 0),
        ],
    )
    y = y[(slice(None), *(slice(lo, lo + n) for lo, n in crops))]
    return _first(y, data_format)


def _pool(reduce):
    def pool(x, pool_size, strides=None, padding="valid", data_format=None):
        x = _last(x, data_format)
        nd = x.ndim - 2
        size = _tuple(pool_size, nd)
        s = size if strides is None else _tuple(strides, nd)
        spatial = x.shape[1:-1]
        pads = [
            _same(n, k, t) if padding == "same" else (0, 0)
            for n, k, t in zip(spatial, size, s, strict=True)
        ]
        out = [
            (n + lo + hi - k) // t + 1
            for n, (lo, hi), k, t in zip(spatial, pads, size, s, strict=True)
        ]
        y = np.zeros((x.shape[0], *out, x.shape[-1]), dtype=x.dtype)
        for pos in itertools.product(*map(range, out)):
            index = tuple(
                slice(max(p * t - lo, 0), min(p * t - lo + k, n))
                for p, t, (lo, _), k, n in zip(pos, s, pads, size, spatial, strict=True)
            )
            y[(slice(None), *pos)] = reduce(x[(slice(None), *index)], axis=tuple(range(1, nd + 1)))
        return _first(y, data_format)

    return pool


def _samples(*specs):
    """`(input shapes, kwargs, desc)` specs; a leading "S" makes the first input strided and
    "0" marks a forward-only sample (an empty batch)."""

    def make(rng):
        out = []
        for shapes, kwargs, desc in specs:
            inputs = [uniform(rng, shape) for shape in shapes]
            if desc.startswith("strided"):
                inputs[0] = strided(inputs[0])
            out.append(Sample(tuple(inputs), kwargs, desc, grad=not desc.startswith("empty")))
        return out

    return make


def _pool_samples(rng):
    specs = [
        ((2, 4, 4, 2), {"pool_size": 2}, "2d"),
        ((2, 5, 5, 1), {"pool_size": 2, "padding": "same"}, "2d same odd"),
        ((1, 5, 4, 2), {"pool_size": (3, 2), "strides": 1}, "2d overlapping"),
        ((2, 5, 4, 3), {"pool_size": 3, "strides": 2, "padding": "same"}, "2d same strides"),
        ((2, 2, 4, 4), {"pool_size": 2, "data_format": "channels_first"}, "channels_first"),
        ((2, 7, 3), {"pool_size": 2}, "1d"),
        ((2, 7, 3), {"pool_size": 3, "strides": 2, "padding": "same"}, "1d same"),
        ((1, 1, 1, 1), {"pool_size": 1}, "size-1"),
        ((0, 4, 4, 2), {"pool_size": 2}, "empty batch"),
    ]
    out = [
        Sample((distinct(rng, shape),), kw, desc, grad=desc != "empty batch")
        for shape, kw, desc in specs
    ]
    x = distinct(rng, (2, 4, 6, 2))
    return [*out, Sample((x[:, :, ::2],), {"pool_size": 2}, "strided")]


def _raises(op, x, k, extra=()):
    return (
        ErrorCase((np.ones((4, 4)), k), {}, ValueError, rf"^{op}: expected inputs of rank"),
        ErrorCase((x, k), {"padding": "full"}, ValueError, rf"^{op}: expected padding"),
        ErrorCase((x, k), {"strides": 0}, ValueError, rf"^{op}: expected strides"),
        ErrorCase((x, k), {"data_format": "nhwc"}, ValueError, rf"^{op}: expected data_format"),
        *extra,
    )


_X, _K = np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 3))
_POOL_RAISES = (
    ErrorCase((np.ones((4, 4)),), {"pool_size": 2}, ValueError, r"^max_pool: expected inputs of"),
    ErrorCase((np.ones((1, 2, 2, 1)),), {"pool_size": 3}, ValueError, r"^max_pool: the pool size"),
    ErrorCase((np.ones((1, 4, 4, 1)),), {"pool_size": 0}, ValueError, r"^max_pool: expected pool_"),
)

OPS = [
    OpInfo(
        "conv",
        ops.conv,
        _conv,
        _samples(
            (((2, 5, 5, 2), (3, 3, 2, 3)), {}, "2d valid"),
            (((2, 5, 4, 2), (3, 2, 2, 3)), {"strides": 2, "padding": "same"}, "2d same strides"),
            (((1, 6, 6, 2), (2, 2, 2, 2)), {"dilation_rate": 2}, "2d dilation"),
            (
                ((1, 5, 5, 2), (3, 3, 2, 2)),
                {"padding": "same", "dilation_rate": (2, 1)},
                "same dil",
            ),
            (((2, 4, 4, 4), (3, 3, 2, 4)), {"padding": "same"}, "2 groups"),
            (((2, 4, 4, 3), (2, 2, 1, 6)), {}, "depthwise groups"),
            (((2, 2, 5, 4), (3, 3, 2, 3)), {"data_format": "channels_first"}, "channels_first"),
            (((2, 7, 3), (3, 3, 4)), {"strides": 2}, "1d strides"),
            (((2, 7, 3), (2, 3, 2)), {"padding": "same", "dilation_rate": 3}, "1d same dil"),
            (((1, 1, 1, 1), (1, 1, 1, 1)), {}, "size-1"),
            (((0, 4, 4, 2), (3, 3, 2, 2)), {}, "empty batch"),
            (((2, 4, 5, 2), (3, 3, 2, 2)), {}, "strided input"),
        ),
        raises=_raises(
            "conv",
            _X,
            _K,
            (
                ErrorCase(
                    (_X, np.ones((5, 5, 2, 3))), {}, ValueError, r"^conv: the kernel .*larger"
                ),
                ErrorCase(
                    (_X, np.ones((3, 3, 3, 3))), {}, ValueError, r"^conv: the input channels"
                ),
                ErrorCase((_X, np.ones((3, 2, 3))), {}, ValueError, r"^conv: expected a kernel of"),
            ),
        ),
    ),
    OpInfo(
        "depthwise_conv",
        ops.depthwise_conv,
        _depthwise,
        _samples(
            (((2, 5, 5, 3), (3, 3, 3, 2)), {}, "2d multiplier 2"),
            (((2, 5, 4, 2), (2, 2, 2, 1)), {"strides": 2, "padding": "same"}, "2d same strides"),
            (((1, 6, 6, 2), (2, 2, 2, 1)), {"dilation_rate": 2}, "2d dilation"),
            (((2, 3, 4, 4), (2, 2, 3, 2)), {"data_format": "channels_first"}, "channels_first"),
            (((2, 6, 3), (3, 3, 2)), {"padding": "same"}, "1d"),
            (((1, 1, 1, 1), (1, 1, 1, 1)), {}, "size-1"),
            (((2, 4, 4, 2), (2, 2, 2, 2)), {}, "strided input"),
        ),
        raises=_raises(
            "depthwise_conv",
            _X,
            np.ones((3, 3, 2, 1)),
            (
                ErrorCase(
                    (_X, np.ones((3, 3, 3, 1))), {}, ValueError, r"^depthwise_conv: the kernel's"
                ),
            ),
        ),
    ),
    OpInfo(
        "separable_conv",
        ops.separable_conv,
        _separable,
        _samples(
            (((2, 5, 5, 2), (3, 3, 2, 2), (1, 1, 4, 3)), {}, "2d"),
            (((2, 5, 4, 2), (3, 3, 2, 1), (1, 1, 2, 3)), {"padding": "same", "strides": 2}, "same"),
            (((2, 2, 4, 4), (2, 2, 2, 1), (1, 1, 2, 3)), {"data_format": "channels_first"}, "cf"),
            (((2, 7, 2), (3, 2, 1), (1, 2, 3)), {"dilation_rate": 2}, "1d dilation"),
            (((1, 1, 1, 1), (1, 1, 1, 1), (1, 1, 1, 2)), {}, "size-1"),
            (((2, 4, 4, 2), (2, 2, 2, 1), (1, 1, 2, 2)), {}, "strided input"),
        ),
    ),
    OpInfo(
        "conv_transpose",
        ops.conv_transpose,
        _conv_transpose,
        _samples(
            (((2, 3, 3, 2), (3, 3, 4, 2)), {}, "2d valid"),
            (((2, 3, 3, 2), (3, 3, 3, 2)), {"strides": 2}, "2d strides"),
            (((2, 3, 4, 2), (3, 3, 2, 2)), {"strides": 2, "padding": "same"}, "2d same"),
            (((1, 3, 3, 2), (4, 4, 2, 2)), {"strides": 2, "padding": "same"}, "even kernel"),
            (((1, 3, 3, 1), (2, 2, 2, 1)), {"strides": 3}, "stride > kernel"),
            (((1, 3, 3, 2), (3, 3, 2, 2)), {"strides": 2, "output_padding": 1}, "output_padding"),
            (
                ((1, 3, 3, 2), (3, 3, 2, 2)),
                {"padding": "same", "strides": 2, "output_padding": 1},
                "same op",
            ),
            (((1, 3, 3, 2), (2, 2, 2, 2)), {"dilation_rate": 2}, "dilation"),
            (((2, 2, 3, 3), (3, 3, 2, 2)), {"strides": 2, "data_format": "channels_first"}, "cf"),
            (((2, 4, 3), (3, 2, 3)), {"strides": 2, "padding": "same"}, "1d"),
            (((1, 1, 1, 1), (1, 1, 1, 1)), {}, "size-1"),
            (((0, 3, 3, 2), (3, 3, 2, 2)), {}, "empty batch"),
            (((1, 3, 3, 2), (3, 3, 2, 2)), {"strides": 2}, "strided input"),
        ),
        raises=_raises(
            "conv_transpose",
            _X,
            np.ones((3, 3, 1, 2)),
            (
                ErrorCase(
                    (_X, np.ones((3, 3, 2, 3))), {}, ValueError, r"^conv_transpose: the kernel's"
                ),
            ),
        ),
    ),
    OpInfo("max_pool", ops.max_pool, _pool(np.max), _pool_samples, raises=_POOL_RAISES),
    OpInfo(
        "average_pool",
        ops.average_pool,
        _pool(np.mean),
        _pool_samples,
        raises=tuple(
            ErrorCase(c.inputs, c.kwargs, c.error, c.match.replace("max_pool", "average_pool"))
            for c in _POOL_RAISES
        ),
    ),
]
