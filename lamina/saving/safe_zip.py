"""Reading zip archives (`.keras` files, lamina's and Keras's) without trusting them.

Before Python's zipfile parses the member list, the archive's end record gives the list's size
and member count, which are capped, so a list of millions of members costs nothing. When the
archive is opened every member is checked, whether it is read or not: a safe name (no absolute
path, no `..`, no backslash, no control character), a regular file (no link, no device), not
encrypted, an allowed compression, a unique name, a size that fits the archive and a bounded
total. A member is read only through `read` or `open`, and only if it has a size cap; such a
member may not declare more than its cap nor unpack from more than `MAX_RATIO` times fewer
bytes (as zip bombs do), and `read` checks that it holds exactly the bytes it declares.
Nothing is ever extracted to disk.

With `exact=True` (lamina's own model files) the archive must moreover be laid out as lamina
writes it: it starts with a member and ends with a plain end record (no comment, no data before,
between or after the parts), holds exactly the capped members, none in a folder, and each
member's local header agrees with the zip directory (another tool may read those).
"""

import os
import stat
import struct
import zipfile
from collections.abc import Collection, Mapping
from typing import IO, Any

from lamina.serialization.errors import ModelFileError

MAX_MEMBERS = 10_000
# The member list itself (about 100 bytes a member); an exact archive's list is far smaller.
MAX_DIRECTORY_BYTES = 4 << 20
MAX_EXACT_DIRECTORY_BYTES = 64 << 10
# The sum of the declared sizes of all members.
MAX_TOTAL_BYTES = 64 << 30
# A member larger than this may not unpack from more than MAX_RATIO times fewer bytes:
# JSON compresses about 10 times, zip bombs about 1000 times.
RATIO_CHECK_BYTES = 1 << 20
MAX_RATIO = 200
_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
_EXACT_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_END_RECORD = struct.Struct("<4s4H2LH")
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_ZIP64 = 0xFFFFFFFF
_CHUNK = 1 << 20


class SafeZip:
    """A zip archive opened for reading once its directory and every member passed the checks.

    Args:
        source: a path or a seekable binary file object (left open by `close`).
        where: how messages name the archive.
        caps: member name -> the most bytes it may declare (only these members can be read),
            or one cap for every member.
        kind: what the archive should be, for messages (`"a lamina model file"`).
        error: the error raised (a `ModelFileError` subclass).
        exact: the archive must be laid out as lamina writes model files (see above).
        stored: members that must be stored uncompressed (so they can be streamed).

    Raises:
        ModelFileError: (or `error`) for a damaged archive or one that breaks a rule.
        OSError: when the file cannot be opened.

    Example:
    >>> with SafeZip("model.keras", "'model.keras'", {"config.json": 2**26}) as archive:
    ...     config = archive.read("config.json")
    """

    def __init__(
        self,
        source: str | os.PathLike | IO[bytes],
        where: str,
        caps: Mapping[str, int] | int,
        *,
        kind: str = "a .keras file",
        error: type[ModelFileError] = ModelFileError,
        exact: bool = False,
        stored: Collection[str] = (),
    ) -> None:
        self.where, self._kind, self._error = where, kind, error
        self._caps = caps if isinstance(caps, int) else dict(caps)
        self._exact, self._stored = exact, set(stored)
        self._owned = isinstance(source, str | os.PathLike)
        self._file = open(source, "rb") if self._owned else source  # closed by close()
        self._zip: zipfile.ZipFile | None = None
        try:
            size = self._file.seek(0, os.SEEK_END)
            self._check_directory(size)
            try:
                self._zip = zipfile.ZipFile(self._file)
            except MemoryError:
                raise
            except Exception as e:  # zipfile raises many types for damaged archives
                raise error(f"{where} is not a readable zip archive: {e}") from e
            self._members = self._check_members(size)
            if exact:
                for info in self._members.values():
                    self._check_local_header(info)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "SafeZip":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        if self._owned:
            self._file.close()

    @property
    def names(self) -> set[str]:
        """The names of the file members (folders excluded)."""
        return {name for name in self._members if not name.endswith("/")}

    def size(self, name: str) -> int:
        """The size member `name` declares (uncompressed)."""
        return self._members[name].file_size

    def open(self, name: str) -> IO[bytes]:
        """A stream of member `name` (one with a cap), for readers that check what they read.

        zipfile checks the CRC when the stream is read to its end.
        """
        return self._zip.open(self._readable(name))

    def read(self, name: str) -> bytes:
        """The bytes of member `name` (one with a cap), exactly as many as it declares.

        Raises:
            ModelFileError: (or the archive's `error`) when the member is damaged or holds
                another number of bytes than it declares.
        """
        info = self._readable(name)
        chunks, total = [], 0
        try:
            with self._zip.open(info) as member:
                while total <= info.file_size:
                    chunk = member.read(min(_CHUNK, info.file_size + 1 - total))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    total += len(chunk)
        except MemoryError:
            raise
        except Exception as e:  # BadZipFile, zlib.error, EOFError, NotImplementedError, ...
            raise self._error(f"{self.where}: member {name!r} is damaged: {e}") from e
        if total != info.file_size:
            held = "more than" if total > info.file_size else f"{total} bytes, not"
            raise self._error(
                f"{self.where}: member {name!r} holds {held} the {info.file_size} its zip entry "
                "declares; the archive is damaged."
            )
        return b"".join(chunks)

    def _readable(self, name: str) -> zipfile.ZipInfo:
        if self._cap(name) is None or name not in self._members:
            raise KeyError(f"{self.where} has no readable member {name!r}.")
        return self._members[name]

    # ----- checks ------------------------------------------------------------------------------

    def _cap(self, name: str) -> int | None:
        return self._caps if isinstance(self._caps, int) else self._caps.get(name)

    def _fail(self, message: str) -> ModelFileError:
        return self._error(f"{self.where}{message}")

    def _check_directory(self, size: int) -> None:
        """Check, from the archive's first and last bytes alone, the size of its member list."""
        f, not_zip = self._file, f" is not {self._kind}: it is not a zip archive"
        if size < _END_RECORD.size + 4:
            raise self._fail(f"{not_zip} (it is only {size} bytes).")
        f.seek(0)
        if f.read(4) != b"PK\x03\x04":
            raise self._fail(f"{not_zip} (it does not start with a zip member).")
        # The end record, then (unless exact) an archive comment of up to 64 KiB.
        tail_start = size - _END_RECORD.size - (0 if self._exact else 0xFFFF)
        f.seek(max(0, tail_start))
        tail = f.read()
        at = tail.rfind(b"PK\x05\x06")
        record = tail[at : at + _END_RECORD.size] if at >= 0 else b""
        if self._exact and (at != 0 or record[-2:] != b"\0\0"):
            raise self._fail(
                f" is not {self._kind}: it does not end with a plain zip end record (no archive "
                "comment, no trailing data)."
            )
        if len(record) < _END_RECORD.size:
            raise self._fail(f"{not_zip} (it has no zip end record).")
        _, disk, cd_disk, entries_here, count, cd_size, cd_offset, _ = _END_RECORD.unpack(record)
        end = size - len(tail) + at
        if disk or cd_disk or entries_here != count:
            raise self._fail(f": it is a multi-part zip archive, which {self._kind} never is.")
        if _ZIP64 in (cd_offset, cd_size) or count == 0xFFFF:
            count, cd_size = self._zip64_directory(tail, at, count, cd_size, cd_offset)
        if self._exact and count != len(self._caps):
            raise self._fail(
                f" holds {count} zip members; {self._kind} holds exactly {len(self._caps)}: "
                f"{', '.join(self._caps)}."
            )
        most_members = len(self._caps) if self._exact else MAX_MEMBERS
        most_bytes = MAX_EXACT_DIRECTORY_BYTES if self._exact else MAX_DIRECTORY_BYTES
        if count > most_members or cd_size > most_bytes:
            raise self._fail(
                f": its zip directory lists {count} members in {cd_size} bytes; lamina reads at "
                f"most {most_members} members in {most_bytes} bytes in {self._kind}."
            )
        if cd_offset != _ZIP64 and cd_offset + cd_size > end:
            raise self._fail(": its zip directory lies outside the file.")
        if self._exact and cd_offset != _ZIP64 and cd_offset + cd_size != end:
            # zipfile would read such an archive shifted (it tolerates data put before it), so
            # a second archive appended to a first one would be what gets loaded.
            raise self._fail(
                ": its zip directory does not end where the end record starts; the file holds "
                "data before or between the archive's parts."
            )

    def _zip64_directory(
        self, tail: bytes, at: int, count: int, cd_size: int, cd_offset: int
    ) -> tuple[int, int]:
        """The member count and directory size a zip64 end record gives, if there is one."""
        locator = at - 20
        if locator < 0 or tail[locator : locator + 4] != b"PK\x06\x07":
            if _ZIP64 in (cd_offset, cd_size):
                raise self._fail(": its end record points to a zip64 directory, but there is none.")
            return count, cd_size
        self._file.seek(int.from_bytes(tail[locator + 8 : locator + 16], "little"))
        record = self._file.read(56)
        if record[:4] != b"PK\x06\x06" or len(record) != 56:
            raise self._fail(": its zip64 end record is missing or cut off.")
        return int.from_bytes(record[32:40], "little"), int.from_bytes(record[40:48], "little")

    def _check_members(self, size: int) -> dict[str, zipfile.ZipInfo]:
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in self._zip.infolist():
            name = info.filename
            problem = _name_problem(info.orig_filename, folders=not self._exact)
            if problem:
                raise self._fail(
                    f": member {info.orig_filename!r:.100} has an unsafe name: {problem}; "
                    "refusing the file."
                )
            if self._exact and name not in self._caps:
                hint = " (this looks like a Keras file)" if name == "model.weights.h5" else ""
                raise self._fail(
                    f": unexpected member {name!r:.100}{hint}; {self._kind} holds exactly "
                    f"{', '.join(self._caps)}."
                )
            if name in members:
                raise self._fail(
                    f" holds two members named {name!r} (the name appears twice); which one "
                    "counts would be ambiguous, so the archive is refused."
                )
            # Unix file type bits, when the archive sets them (many writers leave them 0).
            file_type = stat.S_IFMT(info.external_attr >> 16) if info.create_system == 3 else 0
            folder = file_type == stat.S_IFDIR and name.endswith("/")
            if file_type and file_type != stat.S_IFREG and not folder:
                what = "a symbolic link" if file_type == stat.S_IFLNK else "not a regular file"
                raise self._fail(f": member {name!r} is {what}; refusing the file.")
            if info.flag_bits & 0x1:
                raise self._fail(f": member {name!r} is encrypted; refusing the file.")
            self._check_compression(info)
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise self._fail(
                    f": its members declare more than {MAX_TOTAL_BYTES} bytes in all; refusing "
                    "the archive."
                )
            if self._cap(name) is not None:
                self._check_cap(info)
            # (zipfile reports a stored member's wrong size as a bad CRC; exact archives are
            # refused before anything is read.)
            stored = info.compress_type == zipfile.ZIP_STORED
            if (self._exact and stored and info.compress_size != info.file_size) or (
                info.header_offset + info.compress_size > size
            ):
                raise self._fail(f": the sizes of member {name!r} do not fit the archive.")
            members[name] = info
        missing = [name for name in self._caps if name not in members] if self._exact else []
        if missing:
            raise self._fail(f" lacks the member(s) {missing}.")
        return members

    def _check_compression(self, info: zipfile.ZipInfo) -> None:
        if info.filename in self._stored:
            allowed: tuple = (zipfile.ZIP_STORED,)
        else:
            allowed = _EXACT_COMPRESSIONS if self._exact else _COMPRESSIONS
        if info.compress_type not in allowed:
            note = " (it must be stored uncompressed)" if info.filename in self._stored else ""
            raise self._fail(
                f": member {info.filename!r} uses zip compression method {info.compress_type}"
                f"{note}; lamina reads methods {allowed} here."
            )

    def _check_cap(self, info: zipfile.ZipInfo) -> None:
        name, cap = info.filename, self._cap(info.filename)
        if info.file_size > cap:
            raise self._fail(
                f": member {name!r} claims {info.file_size} bytes, more than its cap of {cap}; "
                "refusing to read it."
            )
        if info.file_size > RATIO_CHECK_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise self._fail(
                f": member {name!r} unpacks from {info.compress_size} to {info.file_size} bytes "
                f"(more than {MAX_RATIO} times), as a zip bomb does; refusing the file."
            )

    def _check_local_header(self, info: zipfile.ZipInfo) -> None:
        """Refuse a member whose local header says something else than the zip directory.

        zipfile reads the directory and ignores most of the local header; another tool may
        read the local headers, so a file whose two disagree could show it something else.
        """
        self._file.seek(info.header_offset)
        header = self._file.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size:
            raise self._fail(f": the local header of member {info.filename!r} is cut off.")
        sig, _, flags, method, _, _, crc, compressed, size, name_length, _ = _LOCAL_HEADER.unpack(
            header
        )
        sizes, expected = (compressed, size), (info.compress_size, info.file_size)
        if _ZIP64 in sizes:  # zip64: the sizes are in the extra field
            sizes, expected = (), ()
        encoding = "utf-8" if flags & 0x800 else "cp437"
        if (
            sig != b"PK\x03\x04"
            or flags != info.flag_bits
            or method != info.compress_type
            or crc != info.CRC
            or sizes != expected
            or name_length != len(info.orig_filename.encode(encoding))
        ):
            raise self._fail(
                f": the local header of member {info.filename!r} disagrees with the zip "
                "directory (signature, flags, compression, crc, sizes or name); refusing the file."
            )


def member_names(path: str | os.PathLike) -> set[str] | None:
    """The member names of a zip archive whose directory is within the caps, else None.

    For telling file formats apart: nothing is read but the directory, and no error is raised.
    """
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - _END_RECORD.size - 0xFFFF))
            tail = f.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _END_RECORD.size:
            return None
        fields = _END_RECORD.unpack(tail[at : at + _END_RECORD.size])
        if fields[4] > MAX_MEMBERS or fields[5] > MAX_DIRECTORY_BYTES:
            return None
        with zipfile.ZipFile(path) as archive:
            return set(archive.namelist())
    except MemoryError:
        raise
    except Exception:  # zipfile raises many types for damaged archives
        return None


def _name_problem(name: str, folders: bool) -> str | None:
    """Why a member name is unsafe, or None."""
    if not name:
        return "an empty name"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "one with a control character"
    if "\\" in name:
        return "one with a backslash"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in name.split("/"):
        return "one that climbs out of the archive with '..'"
    if not folders and "/" in name:
        return "one in a folder"
    return None
