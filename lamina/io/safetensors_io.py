"""A dependency-free reader and writer of the safetensors format, strict about what it reads.

The format (https://github.com/huggingface/safetensors): an 8-byte little-endian unsigned
header length N, then N bytes of UTF-8 JSON, then the raw data. The JSON maps each tensor name
to `{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}` (offsets into the data
that follows the header) and may hold `"__metadata__"`, a dict of strings. Values are stored
little-endian, C order.

lamina writes the format itself rather than depending on the `safetensors` package: the
format is small, lamina's only required dependency stays NumPy, and the checks below are
explicit where lamina can test them. Files are compatible both ways (tested against the
package when it is installed).

The reader refuses, before it allocates any tensor: a header longer than `MAX_HEADER_BYTES`
or than the file, or holding more than `MAX_TENSORS` tensors, JSON that is not one object
(or has duplicate keys, NaN or infinities), an entry without exactly `dtype`, `shape` and
`data_offsets`, a dtype outside `DTYPES`, a shape that is not a list of non-negative
integers, offsets that are not contiguous from 0 to the end of the data (so no gaps, overlaps
or bytes out of bounds), and a byte length that is not `prod(shape) * itemsize`. Boolean
tensors must hold only 0 and 1.
"""

import hashlib
import json
import math
from typing import IO, Any

import numpy as np

from lamina.serialization.errors import ModelFileError

# safetensors dtype code -> NumPy dtype (little-endian). BF16 and the F8 types have no NumPy
# dtype, so files holding them are refused.
DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_CODES = {(d.kind, d.itemsize): code for code, d in DTYPES.items()}
MAX_HEADER_BYTES = 100_000_000  # the cap the safetensors package uses
MAX_RANK = 64
MAX_TENSORS = 1 << 15
_CHUNK = 1 << 24
_METADATA = "__metadata__"


def dtype_code(dtype: Any) -> str:
    """The safetensors code of a NumPy dtype (`float32` -> `"F32"`).

    Raises:
        ValueError: for a dtype the format cannot hold (complex, strings, objects).
    """
    d = np.dtype(dtype)
    code = _CODES.get((d.kind, d.itemsize))
    if code is None:
        raise ValueError(
            f"safetensors holds floats, integers and booleans only. Received: dtype={d.name!r}"
        )
    return code


def encode_header(arrays: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> bytes:
    """The 8-byte length and the JSON header for `arrays`, padded so the data starts 8-aligned.

    Tensors are laid out in the order of `arrays`.

    Raises:
        ValueError: for a bad name, dtype or metadata value.
    """
    header: dict[str, Any] = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError(f"safetensors metadata maps strings to strings. Received: {metadata}")
        header[_METADATA] = dict(metadata)
    offset = 0
    for name, array in arrays.items():
        if not isinstance(name, str) or not name or name == _METADATA:
            raise ValueError(f"Expected a non-empty tensor name. Received: name={name!r}")
        nbytes = int(array.size) * np.dtype(array.dtype).itemsize
        header[name] = {
            "dtype": dtype_code(array.dtype),
            "shape": [int(n) for n in array.shape],
            "data_offsets": [offset, offset + nbytes],
        }
        offset += nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    return len(text).to_bytes(8, "little") + text


def data_size(arrays: dict[str, np.ndarray]) -> int:
    """The number of data bytes `write_data` writes for `arrays`."""
    return sum(int(a.size) * np.dtype(a.dtype).itemsize for a in arrays.values())


def write_data(f: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    """Write the raw little-endian bytes of `arrays`, in order, after `encode_header`'s bytes."""
    for array in arrays.values():
        a = np.ascontiguousarray(array)
        a = a.astype(a.dtype.newbyteorder("<"), copy=False) if a.dtype.byteorder == ">" else a
        if a.size:
            f.write(memoryview(a.reshape(-1)).cast("B"))


def write(f: IO[bytes], arrays: dict[str, np.ndarray], metadata: dict | None = None) -> None:
    """Write `arrays` (name -> NumPy array) and string `metadata` to the binary file `f`.

    Example:
    >>> with open("w.safetensors", "wb") as f:
    ...     write(f, {"w": np.zeros((2, 3), "float32")}, {"format": "demo"})
    """
    f.write(encode_header(arrays, metadata))
    write_data(f, arrays)


def read(
    f: IO[bytes], size: int, source: str = "the file"
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read the tensors and metadata of a safetensors stream of `size` bytes.

    Args:
        f: a binary stream positioned at the start of the data.
        size: its length in bytes (the file size, or a zip member's size).
        source: how error messages name the data.

    Returns:
        `(arrays, metadata)`: writable native-endian arrays by name, in the order of their
        offsets, and the `__metadata__` strings (empty if none).

    Raises:
        ModelFileError: for anything that is not a valid safetensors file (see the module
            docstring for every check).

    Example:
    >>> with open("w.safetensors", "rb") as f:
    ...     arrays, metadata = read(f, os.fstat(f.fileno()).st_size)
    """
    if size < 8:
        raise ModelFileError(f"{source} is not a safetensors file: it is only {size} bytes long.")
    n = int.from_bytes(read_exact(f, 8, source), "little")
    if n > MAX_HEADER_BYTES:
        raise ModelFileError(
            f"{source}: the safetensors header claims {n} bytes, more than the limit of "
            f"{MAX_HEADER_BYTES}."
        )
    if 8 + n > size:
        raise ModelFileError(
            f"{source}: the safetensors header claims {n} bytes but only {size - 8} follow."
        )
    header = parse_header(read_exact(f, n, source), source)
    entries, metadata = check_header(header, size - 8 - n, source)
    arrays = {}
    for name, dtype, shape, nbytes in entries:
        array = np.empty(shape, dtype=dtype)
        if nbytes:
            _read_into(f, memoryview(array.reshape(-1)).cast("B"), source)
        if dtype.kind == "b" and (array.view(np.uint8) > 1).any():
            raise ModelFileError(f"{source}: boolean tensor {name!r} holds bytes other than 0/1.")
        arrays[name] = array if dtype.isnative else array.astype(dtype.newbyteorder("="))
    return arrays, metadata


def parse_header(raw: bytes, source: str) -> dict:
    """Decode the JSON header (trailing spaces allowed) into a dict, strictly."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ModelFileError(f"{source}: the safetensors header is not UTF-8 ({e}).") from None
    text = text.rstrip(" ")
    if not text.startswith("{"):
        raise ModelFileError(f"{source}: the safetensors header is not a JSON object.")
    # Each tensor is one JSON object: count them before parsing (which costs about 10 us a
    # tensor), so a header of a million empty tensors is refused at once.
    if text.count("{") > MAX_TENSORS + 2:
        raise ModelFileError(
            f"{source}: the safetensors header holds more than {MAX_TENSORS} objects; lamina "
            f"reads at most {MAX_TENSORS} tensors from one file."
        )
    header = strict_json_loads(text, f"{source} (safetensors header)")
    if not isinstance(header, dict):
        raise ModelFileError(f"{source}: the safetensors header is not a JSON object.")
    return header


def check_header(
    header: dict, data_length: int, source: str
) -> tuple[list[tuple[str, np.dtype, tuple, int]], dict[str, str]]:
    """Validate every entry of a parsed header against `data_length` bytes of data.

    Returns:
        `(entries, metadata)`: `(name, dtype, shape, nbytes)` in the order of the offsets.
    """
    metadata = header.get(_METADATA, {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise ModelFileError(f"{source}: '__metadata__' must map strings to strings.")
    spans = []
    for name, entry in header.items():
        if name == _METADATA:
            continue
        if not name:
            raise ModelFileError(f"{source}: a tensor has an empty name.")
        where = f"{source}: tensor {name!r}"
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise ModelFileError(
                f"{where} must be an object with exactly 'dtype', 'shape' and 'data_offsets'."
            )
        code = entry["dtype"]
        if not isinstance(code, str) or code not in DTYPES:
            raise ModelFileError(f"{where} has dtype {code!r}; lamina reads {', '.join(DTYPES)}.")
        shape = entry["shape"]
        if (
            not isinstance(shape, list)
            or len(shape) > MAX_RANK
            or not all(_is_int(s) and s >= 0 for s in shape)
        ):
            raise ModelFileError(
                f"{where} has shape {shape!r:.80}; expected a list of at most {MAX_RANK} "
                "non-negative integers."
            )
        offsets = entry["data_offsets"]
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(_is_int(o) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1]
        ):
            raise ModelFileError(
                f"{where} has data_offsets {offsets!r:.80}; expected [begin, end] with "
                "0 <= begin <= end."
            )
        dtype = DTYPES[code]
        nbytes = math.prod(shape) * dtype.itemsize
        if offsets[1] - offsets[0] != nbytes:
            raise ModelFileError(
                f"{where} of dtype {code} and shape {shape} needs {nbytes} bytes but its "
                f"data_offsets {offsets} span {offsets[1] - offsets[0]}."
            )
        spans.append((offsets[0], offsets[1], name, dtype, tuple(shape)))
    spans.sort(key=lambda s: (s[0], s[1]))
    end = 0
    for begin, stop, name, _, _ in spans:
        if begin != end:
            problem = "overlaps the one before" if begin < end else "leaves a gap before it"
            raise ModelFileError(
                f"{source}: tensor {name!r} starts at byte {begin} and {problem} (which ends "
                f"at {end}); offsets must be contiguous."
            )
        end = stop
    if end != data_length:
        raise ModelFileError(
            f"{source}: the tensors cover {end} bytes but the data section holds "
            f"{data_length}; offsets must cover it exactly."
        )
    return [(name, dtype, shape, stop - begin) for begin, stop, name, dtype, shape in spans], (
        dict(metadata)
    )


def read_exact(f: IO[bytes], n: int, source: str) -> bytes:
    """Read exactly `n` bytes, in chunks, or raise a ModelFileError naming the truncation."""
    parts, left = [], n
    while left:
        chunk = f.read(min(left, _CHUNK))
        if not chunk:
            raise ModelFileError(f"{source} is truncated: {left} of {n} expected bytes missing.")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _read_into(f: IO[bytes], view: memoryview, source: str) -> None:
    pos, total = 0, len(view)
    while pos < total:
        got = f.readinto(view[pos : min(total, pos + _CHUNK)])
        if not got:
            raise ModelFileError(
                f"{source} is truncated: {total - pos} bytes of tensor data missing."
            )
        pos += got


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def strict_json_loads(text: str | bytes, source: str) -> Any:
    """`json.loads` that refuses duplicate keys, NaN and infinities (also as 1e999), deep nesting.

    Raises:
        ModelFileError: naming `source` and the problem.
    """

    def no_duplicates(pairs: list) -> dict:
        out = dict(pairs)
        if len(out) != len(pairs):
            seen: set = set()
            key = next(k for k, _ in pairs if k in seen or seen.add(k))
            raise ModelFileError(f"{source}: the key {key!r} appears twice in one object.")
        return out

    def no_constants(name: str) -> Any:
        raise ModelFileError(f"{source}: JSON holds {name}, which lamina does not accept.")

    def finite(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):  # 1e999 parses to inf
            raise ModelFileError(
                f"{source}: JSON holds the number {literal:.40}, too large for a float."
            )
        return value

    try:
        return json.loads(
            text, object_pairs_hook=no_duplicates, parse_constant=no_constants, parse_float=finite
        )
    except ModelFileError:
        raise
    except RecursionError:
        raise ModelFileError(f"{source}: the JSON is nested too deeply.") from None
    except (ValueError, TypeError) as e:
        raise ModelFileError(f"{source} is not valid JSON: {e}") from None


class HashingReader:
    """A binary stream wrapper that feeds everything read through sha256."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha256.update(data)
        return data

    def readinto(self, view: Any) -> int:
        got = self.raw.readinto(view)
        if got:
            self.sha256.update(view[:got])
        return got


class HashingWriter:
    """A binary stream wrapper that feeds everything written through sha256."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: Any) -> int:
        self.sha256.update(data)
        self.size += memoryview(data).nbytes
        return self.raw.write(data)
