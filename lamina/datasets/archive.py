"""Reading the regular files of a (compressed) tar archive in one pass, strictly.

Python's `tarfile` stream mode stops at the tar end marker and never reads the rest of the
compressed stream, so a cut `.tar.xz` or `.tar.gz` can load as a shorter archive without an
error. Here the compressed stream is opened by its own module (which checks the end-of-stream
marker and the checksum) and read to its end.
"""

import bz2
import gzip
import lzma
import re
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_MAGIC = (
    (b"\xfd7zXZ\x00", lzma.open),
    (b"\x1f\x8b", gzip.open),
    (b"BZh", bz2.open),
)
_ERRORS = (tarfile.TarError, lzma.LZMAError, EOFError, zlib.error, OSError)


def iter_tar(path: Path, pattern: re.Pattern, what: str) -> Iterator[tuple[re.Match, bytes]]:
    """Yields `(match, content)` for each regular file whose name matches `pattern` in full.

    Args:
        path: a tar file, plain or compressed with xz, gzip or bzip2.
        pattern: the member names to read; others are skipped.
        what: how error messages name the file, e.g. `"The IMDB reviews archive"`.

    Raises:
        ValueError: the file is cut short, corrupt or not a tar archive; the message names it.

    Example:
        >>> for match, data in iter_tar(path, re.compile(r"a/(.*)\\.txt"), "The archive"):
        ...     print(match.group(1), len(data))  # doctest: +SKIP
    """
    try:
        with _open(path) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                match = pattern.fullmatch(member.name)
                if match is not None and member.isfile():
                    yield match, tar.extractfile(member).read()
            # Reaching the end checks the compressed stream's end marker and checksum.
            while stream.read(1 << 20):
                pass
    except _ERRORS as e:
        raise ValueError(
            f"{what} {path} is cut short or corrupt; replace it with a good copy. "
            f"Received: error={e!r}"
        ) from e


def _open(path: Path) -> BinaryIO:
    with open(path, "rb") as f:
        head = f.read(6)
    for magic, opener in _MAGIC:
        if head.startswith(magic):
            return opener(path, "rb")
    return open(path, "rb")
