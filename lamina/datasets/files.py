"""Finding dataset files: the user's folder, then the cache, then a download.

The places, in order, for a file `<file>` of dataset `<name>`:
1. `$LAMINA_DATA/<name>/<file>` when `LAMINA_DATA` is set (offline machines, shared copies);
2. `$LAMINA_HOME/datasets/<name>/<file>`, the cache (`LAMINA_HOME` defaults to `~/.lamina`);
3. a download from each origin in turn, into the cache.
"""

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

DOWNLOAD_TIMEOUT_S = 60
_SCHEMES = ("https://", "http://", "file://")

Digest = Callable[[Path], str]


def sha256_file(path: str | os.PathLike) -> str:
    """Returns the sha256 hex digest of a file's bytes.

    Example:
        >>> sha256_file("train-labels-idx1-ubyte.gz")  # doctest: +SKIP
        '3552534a...'
    """
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def data_dir(name: str) -> Path | None:
    """Returns `$LAMINA_DATA/<name>`, or None when `LAMINA_DATA` is not set."""
    root = os.environ.get("LAMINA_DATA")
    return Path(root).expanduser() / name if root else None


def cache_dir(name: str) -> Path:
    """Returns `$LAMINA_HOME/datasets/<name>` (`LAMINA_HOME` defaults to `~/.lamina`)."""
    home = os.environ.get("LAMINA_HOME") or "~/.lamina"
    return Path(home).expanduser() / "datasets" / name


def find_dataset_files(
    name: str,
    sha256s: Mapping[str, str | None],
    origins: Sequence[str],
    digest: Digest = sha256_file,
) -> dict[str, Path]:
    """Finds (or downloads) the files of a dataset and checks their digests.

    Args:
        name: the dataset's folder name, e.g. `"fashion_mnist"`.
        sha256s: the expected digest of each file name; None where no digest is published
            (any copy is accepted: the caller must check the content).
        origins: base URLs tried in order; `origin + file` is downloaded. May be empty for
            files that have no public origin.
        digest: computes a file's digest, `sha256_file` unless the caller hashes content.

    Returns:
        The path of each file name, in the order of `sha256s`.

    Raises:
        ValueError: a file in `LAMINA_DATA` or a download has the wrong digest.
        FileNotFoundError: some files are nowhere and could not be downloaded; the message
            lists each file, each place looked and what to do.

    Example:
        >>> sha256s = {"a.gz": "3552..."}
        >>> paths = find_dataset_files("demo", sha256s, ["https://x.org/"])  # doctest: +SKIP
    """
    found: dict[str, Path] = {}
    tried: dict[str, list[str]] = {}
    dead_origins: set[str] = set()
    for filename, expected in sha256s.items():
        lines = tried.setdefault(filename, [])
        path = _find_local(name, filename, expected, digest, lines)
        if path is None:
            path = _fetch(
                cache_dir(name) / filename, expected, origins, digest, dead_origins, lines
            )
        if path is not None:
            found[filename] = path
    missing = [f for f in sha256s if f not in found]
    if missing:
        raise FileNotFoundError(_not_found_message(name, missing, tried, bool(origins)))
    return found


def _find_local(
    name: str, filename: str, expected: str | None, digest: Digest, lines: list[str]
) -> Path | None:
    user_dir = data_dir(name)
    if user_dir is None:
        lines.append(f"$LAMINA_DATA/{name}/{filename}: LAMINA_DATA is not set")
    elif (user_dir / filename).is_file():
        path = user_dir / filename
        if expected is None:
            return path
        received = digest(path)
        if received != expected:
            raise ValueError(
                f"{path} (from LAMINA_DATA) is not the expected file: its sha256 should be "
                f"{expected}. Replace it with a good copy. Received: sha256={received}"
            )
        return path
    else:
        lines.append(f"{user_dir / filename} (LAMINA_DATA): not found")
    cached = cache_dir(name) / filename
    if not cached.is_file():
        lines.append(f"{cached} (cache): not found")
        return None
    if expected is None:
        return cached
    try:
        received = digest(cached)
    except ValueError as e:
        received = f"unreadable ({e})"
    if received == expected:
        return cached
    # A bad cache entry is replaced by the download below (os.replace overwrites it).
    lines.append(f"{cached} (cache): wrong sha256, to be downloaded again")
    return None


def _fetch(
    dest: Path,
    expected: str | None,
    origins: Sequence[str],
    digest: Digest,
    dead_origins: set[str],
    lines: list[str],
) -> Path | None:
    for origin in origins:
        url = origin + dest.name
        if not url.startswith(_SCHEMES):
            raise ValueError(
                f"Origins must start with one of {_SCHEMES}. Received: origin={origin!r}"
            )
        if origin in dead_origins:
            lines.append(f"{url}: skipped, this origin failed before")
            continue
        try:
            _download(url, dest, expected, digest)
            return dest
        except urllib.error.HTTPError as e:
            e.close()
            lines.append(f"{url}: download failed: {e}")
        except (OSError, http.client.HTTPException) as e:
            # Unreachable (offline, DNS, timeout): don't wait on it again for the next files.
            dead_origins.add(origin)
            lines.append(f"{url}: download failed: {e}")
    return None


def _download(url: str, dest: Path, expected: str | None, digest: Digest) -> None:
    """Downloads into a temporary file beside `dest`, checks it, then renames it atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            # _fetch allowed only http(s) and file: (local mirrors, tests) URLs.
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                shutil.copyfileobj(response, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        if expected is None:
            os.replace(tmp, dest)
            return
        try:
            received = digest(tmp)
        except ValueError as e:
            raise ValueError(f"Downloaded {url} is unreadable; it was deleted. {e}") from e
        if received != expected:
            raise ValueError(
                f"Downloaded {url} has the wrong sha256 (expected {expected}); it was deleted. "
                f"Received: sha256={received}"
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _not_found_message(
    name: str, missing: list[str], tried: dict[str, list[str]], downloadable: bool
) -> str:
    parts = [f"Could not find {len(missing)} file(s) of the '{name}' dataset."]
    for filename in missing:
        parts.append(f"  {filename}, looked in:")
        parts.extend(f"    - {line}" for line in tried[filename])
    cache = cache_dir(name)
    parts.append(
        "To fix this, do one of:\n"
        f"  - set LAMINA_DATA to a folder holding {name}/<file> for each file above, e.g. "
        f"LAMINA_DATA=/data with /data/{name}/{missing[0]};\n"
        f"  - copy the files into the cache folder {cache}/"
        + (
            ";\n  - connect to the network and load again."
            if downloadable
            else ".\nNo download origin is known for these files, so lamina cannot fetch them."
        )
    )
    parts.append(f"Received: name={name!r}, missing={missing}")
    return "\n".join(parts)
