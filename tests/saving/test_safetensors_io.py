"""The dependency-free safetensors reader and writer: round trips, compatibility, strictness."""

import io
import json

import numpy as np
import pytest

from lamina.io import safetensors_io
from lamina.saving import ModelFileError

DTYPES = ["float64", "float32", "float16", "int64", "int32", "int16", "int8"]
DTYPES += ["uint64", "uint32", "uint16", "uint8", "bool"]


def sample_arrays():
    rng = np.random.default_rng(0)
    out = {f"t/{d}": (rng.normal(size=(2, 3)) * 50).astype(d) for d in DTYPES}
    out["scalar"] = np.array(3.5, dtype="float32")
    out["empty"] = np.zeros((0, 4), dtype="float32")
    out["big-endian"] = np.arange(5, dtype=">i4")
    return out


def dump(arrays, metadata=None):
    f = io.BytesIO()
    safetensors_io.write(f, arrays, metadata)
    return f.getvalue()


def load(blob):
    return safetensors_io.read(io.BytesIO(blob), len(blob), "blob")


def raw_file(header, data=b""):
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + data


def test_round_trip_every_dtype():
    arrays = sample_arrays()
    blob = dump(arrays, {"who": "me"})
    assert (8 + int.from_bytes(blob[:8], "little")) % 8 == 0  # data starts 8-aligned
    back, metadata = load(blob)
    assert metadata == {"who": "me"}
    for name, a in arrays.items():
        assert back[name].dtype == a.dtype.newbyteorder("=")
        np.testing.assert_array_equal(back[name], a)
        assert back[name].flags.writeable


def test_compatible_with_the_safetensors_package():
    st = pytest.importorskip("safetensors.numpy")
    arrays = {k: v for k, v in sample_arrays().items() if k != "big-endian"}
    for name, a in st.load(dump(arrays)).items():
        np.testing.assert_array_equal(a, arrays[name])
    back, _ = load(st.save(arrays, metadata={"m": "1"}))
    for name, a in back.items():
        np.testing.assert_array_equal(a, arrays[name])
        assert a.dtype == arrays[name].dtype


@pytest.mark.parametrize(
    ("header", "data", "match"),
    [
        ({"a": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, b"\0\0", "dtype 'BF16'"),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4, "needs 8"),
        ({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\0" * 4, "shape"),
        ({"a": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, b"\0" * 4, "shape"),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, b"\0" * 4, "offsets"),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 8, "cover 4"),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8, "gap"),
        (
            {
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
            },
            b"\0" * 8,
            "overlaps",
        ),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"", "cover 4"),
        ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}, b"", "exactly"),
        ({"__metadata__": {"k": 1}}, b"", "strings to strings"),
        ({"a": {"dtype": "BOOL", "shape": [1], "data_offsets": [0, 1]}}, b"\x02", "0/1"),
        ({"a": {"dtype": "U8", "shape": [1] * 65, "data_offsets": [0, 1]}}, b"\0", "at most 64"),
    ],
)
def test_invalid_headers_are_refused(header, data, match):
    with pytest.raises(ModelFileError, match=match):
        load(raw_file(header, data))


def test_header_length_and_json_checks():
    with pytest.raises(ModelFileError, match="only 3 bytes"):
        load(b"abc")
    with pytest.raises(ModelFileError, match="more than the limit"):
        load((safetensors_io.MAX_HEADER_BYTES + 1).to_bytes(8, "little") + b"{}")
    with pytest.raises(ModelFileError, match="only 2 follow"):
        load((100).to_bytes(8, "little") + b"{}")
    with pytest.raises(ModelFileError, match="not UTF-8"):
        load((2).to_bytes(8, "little") + b"\xff\xfe")
    with pytest.raises(ModelFileError, match="not a JSON object"):
        load((2).to_bytes(8, "little") + b"[]")
    dup = b'{"__metadata__": {}, "__metadata__": {}}'
    with pytest.raises(ModelFileError, match="appears twice"):
        load(len(dup).to_bytes(8, "little") + dup)
    nan = b'{"a": {"dtype": "F32", "shape": [NaN], "data_offsets": [0, 0]}}'
    with pytest.raises(ModelFileError, match="NaN"):
        load(len(nan).to_bytes(8, "little") + nan)
    deep = b"{" + b'"a":' * 1 + b"[" * 100000 + b"]" * 100000 + b"}"
    with pytest.raises(ModelFileError, match="nested too deeply|not valid JSON"):
        load(len(deep).to_bytes(8, "little") + deep)


def test_truncated_streams():
    blob = dump({"a": np.ones(100, "float32")})
    with pytest.raises(ModelFileError, match="truncated"):
        safetensors_io.read(io.BytesIO(blob[:-10]), len(blob), "blob")


def test_the_writer_refuses_what_the_format_cannot_hold():
    with pytest.raises(ValueError, match="complex64"):
        dump({"c": np.zeros(2, "complex64")})
    with pytest.raises(ValueError, match="tensor name"):
        dump({"__metadata__": np.zeros(2)})
    with pytest.raises(ValueError, match="strings to strings"):
        dump({"a": np.zeros(1)}, {"k": 1})
