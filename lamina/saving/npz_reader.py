"""A strict reader of NumPy `.npz` archives of plain arrays, for the legacy weights files.

`np.load` parses each `.npy` header (a Python dict literal) with `ast.literal_eval`, so it
compiles text taken from the file, and it leaves the file open when the archive is damaged.
This reader matches the header with a regular expression instead, accepts only the layout
NumPy writes for numbers, booleans and text, and never unpickles: an object array (which
`np.save` pickles) is refused.
"""

import math
import re
from typing import IO

import numpy as np

from lamina.saving.safe_zip import MAX_RATIO, RATIO_CHECK_BYTES, SafeZip
from lamina.serialization.errors import ModelFileError

MAGIC = b"\x93NUMPY"
MAX_HEADER_BYTES = 10_000  # NumPy's own limit for header parsing
_HEADER = re.compile(
    r"\{'descr': '(?P<descr>[^']{1,20})', 'fortran_order': (?P<fortran>True|False), "
    r"'shape': \((?P<shape>(?:\d{1,19}, ?)*\d{0,19})\), \}"
)
_DESCR = re.compile(r"[<>|=]?(?:[fiu][1248]|b1|U\d{1,6}|\?)")


def read_npz(f: IO[bytes], size: int, where: str) -> dict[str, np.ndarray]:
    """The arrays of an `.npz` archive, by name.

    Args:
        f: the open binary file.
        size: its size in bytes.
        where: how messages name the file.

    Raises:
        ModelFileError: for anything but an archive of `.npy` members holding numbers,
            booleans or text.
    """
    # No member can unpack to more than MAX_RATIO times the whole file.
    cap = max(size, RATIO_CHECK_BYTES) * MAX_RATIO
    arrays: dict[str, np.ndarray] = {}
    with SafeZip(f, where, cap, kind="a lamina weights file (a NumPy .npz archive)") as archive:
        for name in sorted(archive.names):
            if not name.endswith(".npy") or "/" in name:
                raise ModelFileError(
                    f"{where}: member {name!r:.80} is not one uniquely named .npy array."
                )
            try:
                with archive.open(name) as member:
                    arrays[name[:-4]] = _read_npy(
                        member, archive.size(name), f"{where}, {name!r:.80}"
                    )
            except (ModelFileError, MemoryError):
                raise
            except Exception as e:  # BadZipFile (CRC), zlib.error, EOFError, ...
                raise ModelFileError(f"{where}: member {name!r:.80} is damaged: {e}") from e
    return arrays


def _read_npy(member: IO[bytes], size: int, where: str) -> np.ndarray:
    prefix = member.read(8)
    if len(prefix) != 8 or prefix[:6] != MAGIC or prefix[6] not in (1, 2, 3) or prefix[7]:
        raise ModelFileError(f"{where} is not a .npy array (its first bytes are {prefix!r}).")
    width = 2 if prefix[6] == 1 else 4
    length = int.from_bytes(member.read(width), "little")
    if length > MAX_HEADER_BYTES:
        raise ModelFileError(f"{where}: its header claims {length} bytes; refusing it.")
    raw = member.read(length)
    try:
        header = raw.decode("utf-8" if prefix[6] == 3 else "latin-1").rstrip(" \n")
    except UnicodeDecodeError as e:
        raise ModelFileError(f"{where}: its header is not text: {e}") from None
    match = _HEADER.fullmatch(header)
    if len(raw) != length or match is None:
        raise ModelFileError(f"{where}: its header is not the one NumPy writes: {header!r:.120}")
    descr = match["descr"]
    if descr.lstrip("<>|=").startswith("O"):
        raise ModelFileError(
            f"{where} is not a lamina weights file: it holds Python objects, which NumPy "
            "stores with pickle and loads only with allow_pickle on; lamina never unpickles."
        )
    if not _DESCR.fullmatch(descr):
        raise ModelFileError(f"{where} holds dtype {descr!r}; lamina reads numbers and text only.")
    dtype = np.dtype(descr)
    shape = tuple(int(n) for n in match["shape"].replace(" ", "").split(",") if n)
    nbytes = math.prod(shape) * dtype.itemsize
    if 8 + width + length + nbytes != size:
        raise ModelFileError(
            f"{where}: its shape {shape} of {dtype} needs {nbytes} bytes of data, but the "
            f"member holds {size - 8 - width - length}."
        )
    data = member.read(nbytes + 1)
    if len(data) != nbytes:
        raise ModelFileError(f"{where} is truncated: {len(data)} of {nbytes} bytes of data.")
    order = "F" if match["fortran"] == "True" else "C"
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order=order)
    return array.astype(dtype.newbyteorder("="), copy=True)
