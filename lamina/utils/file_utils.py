"""`get_file`: Keras's download-and-cache helper, with atomic writes and safe extraction.

A download goes to a temporary file beside its target and is renamed into place only once
complete and, when a hash is given, checked. Extraction happens in a temporary folder that is
renamed into place only once complete, and refuses any archive member that would land outside
it: absolute paths, `..`, symbolic or hard links pointing out, paths through such links, and
device or FIFO entries.
"""

import hashlib
import os
import posixpath
import shutil
import stat
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

DOWNLOAD_TIMEOUT_S = 60
PROGRESS_MIN_BYTES = 1 << 20  # smaller downloads print no progress bar
_SCHEMES = ("http", "https", "ftp", "file")
_CHUNK = 1 << 20


def get_file(
    fname: str | os.PathLike | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str | os.PathLike = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: str | Sequence[str] | None = "auto",
    cache_dir: str | os.PathLike | None = None,
    force_download: bool = False,
) -> str:
    """Downloads a file from a URL unless it is already in the cache, like Keras's.

    The file goes to `<cache_dir>/<cache_subdir>/<fname>`, by default
    `$LAMINA_HOME/datasets/<fname>` (`LAMINA_HOME` defaults to `~/.lamina`). A cached file is
    used as is, unless `file_hash` is given and differs (then it is downloaded again) or
    `force_download` is set. Downloads of 1 MiB or more show a progress bar.

    Args:
        fname: the local file name; None takes the last part of `origin`'s path. With
            `extract`, a name without a dot names the extraction folder instead (the archive
            is then saved as `<fname>_archive`), and a name with a dot extracts into
            `<name before the first dot>_extracted`. A name, never a path: use `cache_dir`.
        origin: the URL (`http`, `https`, `ftp` or `file`).
        untar: deprecated: `extract=True, archive_format="tar"`.
        md5_hash: deprecated: `file_hash` with `hash_algorithm="md5"`.
        file_hash: the expected sha256 or md5 hex digest of the file.
        cache_subdir: the folder under `cache_dir`; an absolute path is used as is.
        hash_algorithm: `"sha256"`, `"md5"`, or `"auto"` (sha256 for 64-character hashes).
        extract: extract the archive (tar, tar.gz, tar.bz2, tar.xz or zip).
        archive_format: `"auto"` (tar then zip), `"tar"`, `"zip"`, or a list of those.
        cache_dir: the cache root; None for `$LAMINA_HOME` or `~/.lamina`.
        force_download: download again even if the file is cached.

    Returns:
        The path of the file, or with `extract` the path of the extraction folder.

    Raises:
        ValueError: an argument is invalid, the download's hash differs (the download is
            deleted), the file is not an archive of `archive_format`, or an archive member
            would land outside the extraction folder (nothing is extracted).
        OSError: the download failed (the partial file is deleted).

    Example:
        >>> path = get_file(
        ...     origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        ...     file_hash="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        ... )  # doctest: +SKIP
    """
    if not origin:
        raise ValueError(f"`origin` must be the URL of the file. Received: origin={origin!r}")
    scheme = urllib.parse.urlsplit(origin).scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(
            f"`origin` must be a URL with one of the schemes {_SCHEMES}. Received: {origin=}"
        )
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    algorithm = _hash_algorithm(hash_algorithm, file_hash)
    if untar:
        extract, archive_format = True, "tar"
    if extract:
        _archive_formats(archive_format)  # a bad value fails before downloading

    datadir = _cache_root(cache_dir) / cache_subdir
    datadir.mkdir(parents=True, exist_ok=True)
    name_given = fname is not None and str(fname) != ""
    name = str(fname) if name_given else _name_from_url(origin)
    if "/" in name or os.sep in name or name in (".", ".."):
        raise ValueError(
            "`fname` must be a file name, not a path; choose the folder with `cache_dir` or "
            f"`cache_subdir`. Received: fname={name!r}"
        )
    extraction_dir = None
    if extract and name_given and "." in name:
        target = datadir / name
        extraction_dir = datadir / f"{name[: name.find('.')]}_extracted"
    elif extract:
        target = datadir / f"{name}_archive"
        extraction_dir = datadir / name
    else:
        target = datadir / name

    download = force_download or not target.is_file()
    if not download and file_hash is not None:
        received = hash_file(target, algorithm)
        if received != file_hash.lower():
            print(
                f"The cached {target} has the wrong {algorithm} ({received}, expected "
                f"{file_hash}); downloading it again."
            )
            download = True
    if download:
        _download(origin, target, file_hash, algorithm)

    if extraction_dir is None:
        return str(target)
    if download or not extraction_dir.is_dir():
        extract_archive(target, extraction_dir, archive_format)
    return str(extraction_dir)


def hash_file(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Returns the `"sha256"` or `"md5"` hex digest of a file.

    Example:
        >>> hash_file("mnist.npz")  # doctest: +SKIP
        '731c5ac6...'
    """
    with open(path, "rb") as f:
        return hashlib.file_digest(f, _hash_algorithm(algorithm, None)).hexdigest()


def validate_file(path: str | os.PathLike, file_hash: str, algorithm: str = "auto") -> bool:
    """Returns whether a file's sha256 or md5 (`"auto"`: by the hash's length) is `file_hash`."""
    return hash_file(path, _hash_algorithm(algorithm, file_hash)) == file_hash.lower()


def extract_archive(
    path: str | os.PathLike,
    target: str | os.PathLike,
    archive_format: str | Sequence[str] | None = "auto",
) -> Path:
    """Extracts a tar or zip archive into the folder `target`, refusing unsafe members.

    The members are extracted into a temporary folder beside `target`, which replaces
    `target` only once everything is out. Links stay links when they point inside.

    Args:
        path: the archive.
        target: the folder to create (an existing one is replaced).
        archive_format: `"auto"` (tar then zip), `"tar"`, `"zip"`, or a list of those.

    Returns:
        `target` as a Path.

    Raises:
        ValueError: `path` is none of the formats, is corrupt, or has a member that would land
            outside `target` (absolute, `..`, or through or as a link pointing out) or is a
            device or FIFO; the message names the archive and the member.

    Example:
        >>> extract_archive("photos.tar.gz", "photos")  # doctest: +SKIP
        PosixPath('photos')
    """
    path, target = Path(path), Path(target)
    formats = _archive_formats(archive_format)
    kind = next((f for f in formats if _is_archive(path, f)), None)
    if kind is None:
        raise ValueError(f"{path} is not an archive of the formats {formats}; cannot extract it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        if kind == "tar":
            _extract_tar(path, staging)
        else:
            _extract_zip(path, staging)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def _cache_root(cache_dir: str | os.PathLike | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    # The rule of lamina.datasets.files.cache_dir: LAMINA_HOME, else ~/.lamina.
    return Path(os.environ.get("LAMINA_HOME") or "~/.lamina").expanduser()


def _name_from_url(origin: str) -> str:
    name = posixpath.basename(urllib.parse.urlsplit(origin).path)
    if not name:
        raise ValueError(
            f"Cannot take a file name from `origin`; pass `fname`. Received: {origin=}"
        )
    return urllib.parse.unquote(name)


def _hash_algorithm(algorithm: str, file_hash: str | None) -> str:
    if algorithm == "auto":
        return "sha256" if file_hash is None or len(file_hash) == 64 else "md5"
    if algorithm not in ("sha256", "md5"):
        raise ValueError(
            f"`hash_algorithm` must be 'auto', 'sha256' or 'md5'. Received: {algorithm=}"
        )
    return algorithm


def _download(origin: str, target: Path, file_hash: str | None, algorithm: str) -> None:
    print(f"Downloading data from {origin}")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                # Only the schemes in _SCHEMES get here (checked by get_file).
                with urllib.request.urlopen(origin, timeout=DOWNLOAD_TIMEOUT_S) as response:
                    total = response.headers.get("Content-Length")
                    _copy_with_progress(response, out, int(total) if total else None)
            except urllib.error.HTTPError as e:
                e.close()
                raise OSError(f"Could not download {origin}: HTTP {e.code} {e.reason}.") from e
            except (urllib.error.URLError, OSError) as e:
                raise OSError(f"Could not download {origin}: {getattr(e, 'reason', e)}.") from e
            out.flush()
            os.fsync(out.fileno())
        if file_hash is not None:
            received = hash_file(tmp, algorithm)
            if received != file_hash.lower():
                raise ValueError(
                    f"The file downloaded from {origin} has the wrong {algorithm}, so it was "
                    f"deleted (expected {file_hash}); the source may have changed or the "
                    f"download was corrupted. Received: {algorithm}={received}"
                )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _copy_with_progress(source: BinaryIO, out: BinaryIO, total: int | None) -> None:
    bar = _Progress(total) if total is None or total >= PROGRESS_MIN_BYTES else None
    done = 0
    while chunk := source.read(_CHUNK):
        out.write(chunk)
        done += len(chunk)
        if bar is not None:
            bar.update(done)
    if bar is not None:
        bar.update(done, final=True)


class _Progress:
    """`12.3/45.6 MB ━━━━━━────────────── 2s 5.1 MB/s`, redrawn in place on a terminal."""

    def __init__(self, total: int | None, stream: TextIO | None = None):
        self.total = total
        self.stream = stream or sys.stdout
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = self.last = time.perf_counter()

    def update(self, done: int, final: bool = False) -> None:
        now = time.perf_counter()
        if not final and (not self.interactive or now - self.last < 0.1):
            return
        self.last = now
        elapsed = now - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        if self.total:
            filled = min(20, int(20 * done / self.total))
            size = f"{done / 1e6:.1f}/{self.total / 1e6:.1f} MB"
        else:
            filled, size = 20 if final else 0, f"{done / 1e6:.1f} MB"
        bar = "━" * filled + "─" * (20 - filled)
        if not _encodable(bar, self.stream):
            bar = "=" * filled + "." * (20 - filled)
        line = f"{size} {bar} {elapsed:.0f}s {rate / 1e6:.1f} MB/s"
        end = "\n" if final else ""
        self.stream.write(("\r" + line + "\x1b[K" if self.interactive else line) + end)
        self.stream.flush()


def _encodable(text: str, stream: TextIO) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _archive_formats(archive_format: str | Sequence[str] | None) -> list[str]:
    if archive_format is None:
        return []
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    formats = [formats] if isinstance(formats, str) else list(formats)
    for f in formats:
        if f not in ("tar", "zip"):
            raise ValueError(
                f"`archive_format` must be 'auto', 'tar', 'zip' or a list of them. "
                f"Received: archive_format={archive_format!r}"
            )
    return formats


def _is_archive(path: Path, kind: str) -> bool:
    return tarfile.is_tarfile(path) if kind == "tar" else zipfile.is_zipfile(path)


def _unsafe(archive: Path, member: str, why: str) -> ValueError:
    return ValueError(
        f"Refusing to extract {archive}: member {member!r} {why}. Nothing was extracted. "
        "Only extract archives from sources you trust."
    )


def _inside(root: Path, path: str | os.PathLike) -> bool:
    """Whether `path` (links already on disk followed) is `root` or inside it."""
    real_root = os.path.realpath(root)
    return os.path.commonpath([real_root, os.path.realpath(path)]) == real_root


def _member_path(archive: Path, root: Path, name: str) -> Path:
    """The destination of a member named `name`, or ValueError when it would leave `root`."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or "\\" in name:
        raise _unsafe(archive, name, "has an absolute or non-portable path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts:
        raise _unsafe(archive, name, "has an empty path")
    if ".." in parts:
        raise _unsafe(archive, name, "has a '..' component")
    dest = root.joinpath(*parts)
    # A parent that is a link (made by an earlier member) must not lead out of root.
    if not _inside(root, dest.parent) or (dest.is_symlink() and not _inside(root, dest)):
        raise _unsafe(archive, name, "goes through a link that points outside the folder")
    return dest


def _check_link(archive: Path, root: Path, name: str, dest: Path, link: str, hard: bool) -> Path:
    if not link or link.startswith(("/", "\\")) or (len(link) > 1 and link[1] == ":"):
        raise _unsafe(archive, name, f"is a link to an absolute path ({link!r})")
    # Symbolic links are relative to their folder, hard links to the archive's root.
    source = (root if hard else dest.parent) / link
    if not _inside(root, source):
        raise _unsafe(archive, name, f"is a link pointing outside the folder ({link!r})")
    return source


def _extract_tar(archive: Path, root: Path) -> None:
    try:
        with tarfile.open(archive) as tar:
            for member in tar:
                dest = _member_path(archive, root, member.name)
                if member.isdir():
                    dest.mkdir(parents=True, exist_ok=True)
                elif member.isfile():
                    _write_file(tar.extractfile(member), dest, member.mode)
                elif member.issym():
                    _check_link(archive, root, member.name, dest, member.linkname, hard=False)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    _clear(archive, member.name, dest)
                    os.symlink(member.linkname, dest)
                elif member.islnk():
                    source = _check_link(archive, root, member.name, dest, member.linkname, True)
                    if not source.is_file():
                        raise _unsafe(archive, member.name, "is a hard link to a missing file")
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, dest)
                else:
                    raise _unsafe(archive, member.name, "is a device, FIFO or other special file")
    except (tarfile.TarError, EOFError, OSError) as e:
        raise ValueError(f"{archive} is a corrupt or cut tar archive. Received: error={e!r}") from e


def _extract_zip(archive: Path, root: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                dest = _member_path(archive, root, info.filename)
                mode = info.external_attr >> 16
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                elif stat.S_ISLNK(mode):
                    link = zf.read(info).decode("utf-8")
                    _check_link(archive, root, info.filename, dest, link, hard=False)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    _clear(archive, info.filename, dest)
                    os.symlink(link, dest)
                else:
                    with zf.open(info) as source:
                        _write_file(source, dest, mode)
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise ValueError(f"{archive} is a corrupt or cut zip archive. Received: error={e!r}") from e


def _clear(archive: Path, name: str, dest: Path) -> None:
    """Removes an earlier member at `dest` (a later one replaces it, as with tar)."""
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.exists():
        raise _unsafe(archive, name, "would replace a folder")


def _write_file(source: BinaryIO, dest: Path, mode: int) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_symlink():
        dest.unlink()  # never write through a link
    with open(dest, "wb") as out:
        shutil.copyfileobj(source, out, _CHUNK)
    # Keep the owner's execute bit; drop setuid/setgid/sticky and group/other write bits.
    os.chmod(dest, (mode & 0o755) | 0o600 if mode else 0o644)
