"""Tests for get_file: file:// origins only, archives crafted in tmp_path."""

import hashlib
import io
import os
import re
import tarfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from lamina.utils import file_utils
from lamina.utils.file_utils import extract_archive, get_file

_real_urlopen = urllib.request.urlopen


def _no_network(url, *args, **kwargs):
    if str(url).startswith("file:"):
        return _real_urlopen(url, *args, **kwargs)
    raise urllib.error.URLError("network disabled in tests")


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def source(tmp_path) -> Path:
    folder = tmp_path / "origin"
    folder.mkdir()
    (folder / "a.bin").write_bytes(b"lamina" * 100)
    return folder


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.startswith(".")]


def test_downloads_into_the_cache_then_uses_it(home, source, capsys):
    path = get_file("a.bin", origin=(source / "a.bin").as_uri())
    assert path == str(home / "datasets" / "a.bin")
    assert Path(path).read_bytes() == b"lamina" * 100
    assert "Downloading data from file:" in capsys.readouterr().out
    (source / "a.bin").unlink()  # the second call must not need the origin
    assert get_file("a.bin", origin=(source / "a.bin").as_uri()) == path
    assert capsys.readouterr().out == ""


def test_name_comes_from_the_url(home, source):
    (source / "b c.txt").write_text("x")
    path = get_file(origin=(source / "b c.txt").as_uri())
    assert Path(path) == home / "datasets" / "b c.txt"


def test_cache_dir_and_subdir(tmp_path, source):
    origin = (source / "a.bin").as_uri()
    assert get_file("a.bin", origin, cache_dir=tmp_path / "c") == str(tmp_path / "c/datasets/a.bin")
    absolute = tmp_path / "abs"
    assert get_file("a.bin", origin, cache_subdir=absolute) == str(absolute / "a.bin")


def test_hashes_sha256_md5_and_auto(source):
    data = (source / "a.bin").read_bytes()
    origin = (source / "a.bin").as_uri()
    md5 = hashlib.md5(data).hexdigest()
    assert Path(get_file("s.bin", origin, file_hash=_sha256(data))).is_file()
    assert Path(get_file("m.bin", origin, md5_hash=md5)).is_file()
    assert Path(get_file("n.bin", origin, file_hash=md5.upper(), hash_algorithm="md5")).is_file()
    assert file_utils.validate_file(source / "a.bin", md5)
    assert not file_utils.validate_file(source / "a.bin", "0" * 64)


def test_wrong_hash_deletes_the_download(home, source):
    with pytest.raises(ValueError, match="wrong sha256, so it was deleted.*Received: sha256="):
        get_file("a.bin", (source / "a.bin").as_uri(), file_hash="0" * 64)
    assert list((home / "datasets").iterdir()) == []


def test_cached_file_with_wrong_hash_is_downloaded_again(home, source, capsys):
    cached = home / "datasets" / "a.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"stale")
    data = (source / "a.bin").read_bytes()
    get_file("a.bin", (source / "a.bin").as_uri(), file_hash=_sha256(data))
    assert cached.read_bytes() == data
    assert "wrong sha256" in capsys.readouterr().out


def test_force_download(home, source):
    origin = (source / "a.bin").as_uri()
    get_file("a.bin", origin)
    (source / "a.bin").write_bytes(b"new")
    assert Path(get_file("a.bin", origin)).read_bytes() != b"new"
    assert Path(get_file("a.bin", origin, force_download=True)).read_bytes() == b"new"


def test_failed_download_leaves_nothing(home, source):
    with pytest.raises(OSError, match="Could not download file:.*missing.bin"):
        get_file("missing.bin", (source / "missing.bin").as_uri())
    with pytest.raises(OSError, match="network disabled in tests"):
        get_file("x.bin", "https://example.invalid/x.bin")
    assert list((home / "datasets").iterdir()) == []


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(fname="a.bin"), "origin"),
        (dict(fname="a.bin", origin="data:,hello"), "schemes"),
        (dict(fname="sub/a.bin", origin="file:///x/a.bin"), "not a path"),
        (dict(fname="..", origin="file:///x/a.bin"), "not a path"),
        (dict(origin="file:///x/"), "Cannot take a file name"),
        (dict(fname="a", origin="file:///x/a", hash_algorithm="sha1"), "hash_algorithm"),
        (dict(fname="a", origin="file:///x/a", extract=True, archive_format="rar"), "rar"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        get_file(**kwargs)


def test_large_download_shows_a_progress_bar(source, capsys):
    big = source / "big.bin"
    big.write_bytes(os.urandom(file_utils.PROGRESS_MIN_BYTES + 1))
    get_file("big.bin", big.as_uri())
    out = capsys.readouterr().out
    assert re.search(r"1\.0/1\.0 MB [━=]{20} \d+s [\d.]+ MB/s\n", out), out
    get_file("small.bin", (source / "a.bin").as_uri())
    assert "MB/s" not in capsys.readouterr().out


# Extraction


def _add(tar: tarfile.TarFile, name: str, data: bytes = b"x", **attrs) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data) if attrs.get("type", tarfile.REGTYPE) == tarfile.REGTYPE else 0
    for key, value in attrs.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if info.size else None)


def _tar(path: Path, members: list[dict]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for member in members:
            _add(tar, **member)
    return path


def _zip(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777) << 16  # a symbolic link
            z.writestr(info, target)
    return path


GOOD_TAR = [
    dict(name="pkg", type=tarfile.DIRTYPE, mode=0o755),
    dict(name="pkg/a.txt", data=b"hello", mode=0o4755),
    dict(name="pkg/sub/b.txt", data=b"world"),
    dict(name="pkg/link", type=tarfile.SYMTYPE, linkname="sub/b.txt"),
    dict(name="pkg/hard", type=tarfile.LNKTYPE, linkname="pkg/a.txt"),
]


def test_extracts_tar_with_keras_naming(home, source):
    _tar(source / "pkg.tar.gz", GOOD_TAR)
    out = Path(get_file("pkg.tar.gz", (source / "pkg.tar.gz").as_uri(), extract=True))
    assert out == home / "datasets" / "pkg_extracted"
    assert (home / "datasets" / "pkg.tar.gz").is_file()
    assert (out / "pkg/a.txt").read_bytes() == b"hello"
    assert (out / "pkg/link").is_symlink() and (out / "pkg/link").read_bytes() == b"world"
    assert (out / "pkg/hard").read_bytes() == b"hello"
    assert (out / "pkg/a.txt").stat().st_mode & 0o7777 == 0o755  # no setuid
    assert _leftovers(home) == []


def test_fname_without_dot_names_the_folder(home, source):
    _tar(source / "pkg.tgz", GOOD_TAR)
    out = Path(get_file("photos", (source / "pkg.tgz").as_uri(), untar=True))
    assert out == home / "datasets" / "photos" and (out / "pkg/a.txt").is_file()
    assert (home / "datasets" / "photos_archive").is_file()
    out = Path(get_file(origin=(source / "pkg.tgz").as_uri(), extract=True))
    assert out == home / "datasets" / "pkg.tgz" and out.is_dir()


def test_extracts_zip(home, source):
    _zip(source / "z.zip", {"d/": b"", "d/a.txt": b"zip!"}, links={"d/l": "a.txt"})
    out = Path(get_file("z.zip", (source / "z.zip").as_uri(), extract=True))
    assert (out / "d/a.txt").read_bytes() == b"zip!" and (out / "d/l").is_symlink()


def test_extraction_is_kept_until_a_new_download(home, source):
    _tar(source / "pkg.tar.gz", GOOD_TAR)
    origin = (source / "pkg.tar.gz").as_uri()
    out = Path(get_file("pkg.tar.gz", origin, extract=True))
    (out / "pkg/a.txt").write_bytes(b"edited")
    get_file("pkg.tar.gz", origin, extract=True)
    assert (out / "pkg/a.txt").read_bytes() == b"edited"
    get_file("pkg.tar.gz", origin, extract=True, force_download=True)
    assert (out / "pkg/a.txt").read_bytes() == b"hello"


def test_not_an_archive(source):
    with pytest.raises(ValueError, match="not an archive of the formats"):
        get_file("a.bin", (source / "a.bin").as_uri(), extract=True)


def test_cut_archive_is_reported(tmp_path):
    archive = _tar(
        tmp_path / "pkg.tar", [dict(name=f"f{i}", data=os.urandom(4000)) for i in range(3)]
    )
    archive.write_bytes(archive.read_bytes()[:5000])
    with pytest.raises(ValueError, match="corrupt or cut tar archive"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path) == []


UNSAFE_TARS = {
    "absolute path": [dict(name="/tmp/evil.txt")],
    "dot-dot": [dict(name="ok.txt"), dict(name="../evil.txt")],
    "nested dot-dot": [dict(name="a/../../evil.txt")],
    "symlink to absolute": [dict(name="l", type=tarfile.SYMTYPE, linkname="/etc/passwd")],
    "symlink out": [dict(name="a/l", type=tarfile.SYMTYPE, linkname="../../evil.txt")],
    "symlink chain out": [
        dict(name="l1", type=tarfile.SYMTYPE, linkname="."),
        dict(name="l1/l2", type=tarfile.SYMTYPE, linkname=".."),
    ],
    "hardlink out": [dict(name="h", type=tarfile.LNKTYPE, linkname="../evil.txt")],
    "hardlink absolute": [dict(name="h", type=tarfile.LNKTYPE, linkname="/etc/passwd")],
    "fifo": [dict(name="p", type=tarfile.FIFOTYPE)],
    "device": [dict(name="d", type=tarfile.CHRTYPE)],
    "backslash": [dict(name="a\\..\\..\\evil.txt")],
}


@pytest.mark.parametrize("case", sorted(UNSAFE_TARS))
def test_unsafe_tar_members_are_refused(tmp_path, home, case):
    folder = tmp_path / "origin"
    folder.mkdir()
    archive = _tar(folder / "bad.tar.gz", UNSAFE_TARS[case])
    with pytest.raises(ValueError, match=r"Refusing to extract .*bad\.tar\.gz: member"):
        get_file("bad.tar.gz", archive.as_uri(), extract=True)
    assert not (home / "datasets" / "bad_extracted").exists()
    assert _leftovers(home) == []
    assert not list(tmp_path.rglob("evil.txt"))


UNSAFE_ZIPS = {
    "dot-dot": ({"../evil.txt": b"x"}, {}),
    "absolute": ({"/tmp/evil.txt": b"x"}, {}),
    "drive": ({"C:/evil.txt": b"x"}, {}),
    "backslash": ({"a\\..\\..\\evil.txt": b"x"}, {}),
    "symlink out": ({}, {"l": "../evil.txt"}),
    "symlink absolute": ({}, {"l": "/etc/passwd"}),
}


@pytest.mark.parametrize("case", sorted(UNSAFE_ZIPS))
def test_unsafe_zip_members_are_refused(tmp_path, case):
    members, links = UNSAFE_ZIPS[case]
    archive = _zip(tmp_path / "bad.zip", {"ok.txt": b"fine", **members}, links)
    with pytest.raises(ValueError, match=r"Refusing to extract .*bad\.zip: member"):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path) == []
    assert not list(tmp_path.parent.rglob("evil.txt"))


def test_extract_archive_replaces_an_existing_folder(tmp_path):
    archive = _zip(tmp_path / "z.zip", {"new.txt": b"new"})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("old")
    assert extract_archive(archive, tmp_path / "out") == tmp_path / "out"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["new.txt"]
