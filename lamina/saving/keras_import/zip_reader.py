"""Reading members of a zip archive (a Keras `.keras` file) with limits on what they may be.

The size of the central directory (the member list) is read from the archive's last record and
capped before Python's zipfile parses it, so a list of millions of members costs nothing.
Every member is checked when the archive is opened, whether lamina reads it or not: no absolute
names, no `..`, no backslashes, no symlinks, no encryption, no duplicate names, a bounded count
and total size. A member is read only through `read`, which caps its size, refuses compression
ratios typical of zip bombs, and checks that the bytes read match the size the archive declares.
Nothing is ever extracted to disk.
"""

import os
import stat
import zipfile
from typing import IO, Any

from lamina.saving.keras_import.errors import KerasFileError

MAX_MEMBERS = 10_000
# The member list itself (about 100 bytes a member).
MAX_DIRECTORY_BYTES = 4 * 2**20
# The sum of the declared sizes of all members.
MAX_TOTAL_BYTES = 64 * 2**30
# Members larger than this may not be compressed more than MAX_RATIO times.
RATIO_CHECK_BYTES = 2**20
MAX_RATIO = 200
_CHUNK = 2**20
_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


class SafeArchive:
    """A zip archive opened for reading, its member list checked.

    Args:
        source: a path or a seekable binary file object.
        where: how to name the archive in error messages.

    Raises:
        KerasFileError: for a damaged archive or a member that breaks a rule above.

    Example:
    >>> with SafeArchive("model.keras", "'model.keras'") as archive:
    ...     config = archive.read("config.json", limit=2**26)
    """

    def __init__(self, source: str | os.PathLike | IO[bytes], where: str) -> None:
        self.where = where
        try:
            size, count = directory_size(source)
            if size > MAX_DIRECTORY_BYTES or count > MAX_MEMBERS:
                raise KerasFileError(
                    f"{where} lists {count:,} members in {size:,} bytes; lamina accepts at most "
                    f"{MAX_MEMBERS:,} members in {MAX_DIRECTORY_BYTES:,} bytes in a .keras file."
                )
            self._zip = zipfile.ZipFile(source, "r")
        except zipfile.BadZipFile as e:
            raise KerasFileError(f"{where} is not a zip archive (a .keras file is one): {e}") from e
        except (FileNotFoundError, IsADirectoryError, PermissionError, KerasFileError, MemoryError):
            raise
        except Exception as e:  # zipfile raises many types for damaged archives
            raise KerasFileError(f"{where} could not be read as a zip archive: {e}") from e
        try:
            self._members = self._check_members()
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> "SafeArchive":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    @property
    def names(self) -> set[str]:
        """The names of the file members (directories excluded)."""
        return {name for name in self._members if not name.endswith("/")}

    def size(self, name: str) -> int:
        """The size member `name` declares (uncompressed)."""
        return self._members[name].file_size

    def read(self, name: str, limit: int) -> bytes:
        """The bytes of member `name`, at most `limit` of them.

        Raises:
            KerasFileError: when the member is larger than `limit`, compressed suspiciously
                well, or its data does not match its declared size or checksum.
        """
        info = self._members[name]
        if info.file_size > limit:
            raise KerasFileError(
                f"{self.where}: the member {name!r} declares {info.file_size:,} bytes, more than "
                f"the {limit:,} lamina reads for it; refusing to read it."
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_BYTES and ratio > MAX_RATIO:
            raise KerasFileError(
                f"{self.where}: the member {name!r} unpacks from {info.compress_size:,} to "
                f"{info.file_size:,} bytes (more than {MAX_RATIO} times), as a zip bomb does; "
                "refusing to read it."
            )
        chunks, total = [], 0
        try:
            with self._zip.open(info) as member:
                while True:
                    chunk = member.read(min(_CHUNK, limit + 1 - total))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    total += len(chunk)
                    if total > info.file_size or total > limit:
                        raise KerasFileError(
                            f"{self.where}: the member {name!r} holds more data than the "
                            f"{info.file_size:,} bytes it declares; refusing it."
                        )
        except (KerasFileError, MemoryError):
            raise
        except Exception as e:  # BadZipFile, zlib.error, EOFError, NotImplementedError, ...
            raise KerasFileError(f"{self.where}: could not read the member {name!r}: {e}") from e
        if total != info.file_size:
            raise KerasFileError(
                f"{self.where}: the member {name!r} declares {info.file_size:,} bytes but holds "
                f"{total:,}; the archive is damaged."
            )
        return b"".join(chunks)

    def _check_members(self) -> dict[str, zipfile.ZipInfo]:
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise KerasFileError(
                f"{self.where} holds {len(infos):,} members, more than the {MAX_MEMBERS:,} "
                "lamina accepts in a .keras archive."
            )
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = info.filename
            problem = _name_problem(name)
            if problem:
                raise KerasFileError(
                    f"{self.where} holds a member named {name!r}, {problem}; refused."
                )
            if name in members:
                raise KerasFileError(
                    f"{self.where} holds two members named {name!r}; which one counts would be "
                    "ambiguous, so the archive is refused."
                )
            mode = info.external_attr >> 16
            if info.create_system == 3 and stat.S_ISLNK(mode):
                raise KerasFileError(
                    f"{self.where}: the member {name!r} is a symbolic link; refused."
                )
            if info.flag_bits & 0x1:
                raise KerasFileError(f"{self.where}: the member {name!r} is encrypted; refused.")
            if info.compress_type not in _COMPRESSIONS:
                raise KerasFileError(
                    f"{self.where}: the member {name!r} uses zip compression method "
                    f"{info.compress_type}, which lamina does not read."
                )
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise KerasFileError(
                    f"{self.where}: its members declare more than {MAX_TOTAL_BYTES:,} bytes in "
                    "all; refusing the archive."
                )
            members[name] = info
        return members


def directory_size(source: str | os.PathLike | IO[bytes]) -> tuple[int, int]:
    """The byte size and member count of a zip archive's central directory, from its end record.

    Raises:
        zipfile.BadZipFile: when there is no end record (so the file is no zip archive).
    """
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            return _directory_size(f)
    position = source.tell()
    try:
        return _directory_size(source)
    finally:
        source.seek(position)


def _directory_size(f: IO[bytes]) -> tuple[int, int]:
    end = f.seek(0, os.SEEK_END)
    tail_start = max(0, end - (22 + 0xFFFF))  # the end record, then a comment of up to 64 KiB
    f.seek(tail_start)
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise zipfile.BadZipFile("no end of central directory record")
    count = int.from_bytes(tail[at + 10 : at + 12], "little")
    size = int.from_bytes(tail[at + 12 : at + 16], "little")
    locator = at - 20
    if (size == 0xFFFFFFFF or count == 0xFFFF) and locator >= 0:
        if tail[locator : locator + 4] == b"PK\x06\x07":  # zip64: the sizes are further up
            f.seek(int.from_bytes(tail[locator + 8 : locator + 16], "little"))
            record = f.read(56)
            if record[:4] == b"PK\x06\x06" and len(record) == 56:
                count = int.from_bytes(record[32:40], "little")
                size = int.from_bytes(record[40:48], "little")
    return size, count


def _name_problem(name: str) -> str | None:
    """Why a member name is unsafe, or None."""
    if not name:
        return "an empty name"
    if "\x00" in name:
        return "which holds a NUL character"
    if "\\" in name:
        return "which holds a backslash"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in name.split("/"):
        return "which climbs out of the archive with '..'"
    return None
