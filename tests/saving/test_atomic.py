"""atomic_write / atomic_open: all or nothing, no temporary file left behind."""

import errno
import os
import stat

import pytest

import lamina
from lamina.io import atomic
from lamina.io.atomic import atomic_open, atomic_write


def write_bytes(data):
    return lambda f: f.write(data)


def test_writes_a_new_file(tmp_path):
    path = tmp_path / "a.bin"
    assert atomic_write(path, write_bytes(b"hello")) == 5
    assert path.read_bytes() == b"hello"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_replaces_an_existing_file(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old and longer")
    atomic_write(str(path), write_bytes(b"new"))
    assert path.read_bytes() == b"new"


def test_text_mode(tmp_path):
    path = tmp_path / "a.txt"
    with atomic_open(path, "w") as f:
        f.write("héllo\n")
    assert path.read_text(encoding="utf-8") == "héllo\n"


@pytest.mark.parametrize("error", [ValueError("bad data"), KeyboardInterrupt()])
def test_error_midway_keeps_the_previous_file(tmp_path, error):
    path = tmp_path / "a.bin"
    path.write_bytes(b"previous")

    def half_then_fail(f):
        f.write(b"half")
        f.flush()
        raise error

    with pytest.raises(type(error)):
        atomic_write(path, half_then_fail)
    assert path.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_error_on_a_new_file_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_open(tmp_path / "a.bin") as f:
            f.write(b"x")
            raise RuntimeError
    assert os.listdir(tmp_path) == []


def test_failed_replace_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "a.bin"
    path.write_bytes(b"previous")

    def refuse(src, dst):
        raise OSError("replace failed")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="replace failed"):
        atomic_write(path, write_bytes(b"new"))
    assert path.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_data_and_folder_are_fsynced(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def spy(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    atomic_write(tmp_path / "a.bin", write_bytes(b"x"))
    assert synced[0] is False  # the file first
    if os.name != "nt":
        assert synced[-1] is True  # then the folder holding the new name


def test_folder_target_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError, match="Received: path="):
        atomic_write(tmp_path / "d", write_bytes(b"x"))
    assert os.listdir(tmp_path) == ["d"]


def test_missing_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "no" / "a.bin", write_bytes(b"x"))


def test_bad_mode(tmp_path):
    with pytest.raises(ValueError, match="Received: mode='ab'"):
        atomic_write(tmp_path / "a.bin", write_bytes(b"x"), mode="ab")


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_keeps_the_permissions_of_the_replaced_file(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    path.chmod(0o640)
    atomic_write(path, write_bytes(b"new"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_new_file_gets_the_umask_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "a.bin", write_bytes(b"x"))
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.bin").stat().st_mode) == 0o644


@pytest.mark.skipif(os.name == "nt", reason="symbolic links")
def test_follows_a_symbolic_link(tmp_path):
    real = tmp_path / "real.bin"
    real.write_bytes(b"old")
    link = tmp_path / "link.bin"
    link.symlink_to(real)
    atomic_write(link, write_bytes(b"new"))
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_temporary_name_stays_short(tmp_path, monkeypatch):
    names = []
    real_create = atomic._create_temp

    def spy(folder, name):
        fd, tmp = real_create(folder, name)
        names.append(os.path.basename(tmp))
        return fd, tmp

    monkeypatch.setattr(atomic, "_create_temp", spy)
    atomic_write(tmp_path / ("n" * 250), write_bytes(b"x"))
    assert len(names[0]) < 255 and names[0].startswith(".")


def test_read_only_folder(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"previous")
    tmp_path.chmod(0o500)
    try:
        skip_unless_read_only(tmp_path)
        with pytest.raises(PermissionError):
            atomic_write(path, write_bytes(b"new"))
    finally:
        tmp_path.chmod(0o700)
    assert path.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["a.bin"]


def skip_unless_read_only(folder):
    """Skip when permissions do not apply (root with CAP_DAC_OVERRIDE, some file systems)."""
    probe = folder / ".probe"
    try:
        probe.write_bytes(b"")
    except PermissionError:
        return
    probe.unlink()
    pytest.skip("this user can write into read-only folders")


def test_a_missing_folder_is_named_not_the_temporary_file(tmp_path):
    missing = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError, match="Create it first") as info:
        atomic_write(missing / "x.bin", lambda f: f.write(b"x"))
    message = str(info.value)
    assert repr(str(missing)) in message and ".tmp" not in message
    assert info.value.errno == errno.ENOENT
    model = lamina.Sequential([lamina.Input((2,)), lamina.layers.Dense(1)])
    for save in (model.save, model.save_weights):
        name = "m.keras" if save == model.save else "m.weights.safetensors"
        with pytest.raises(FileNotFoundError, match=r"folder .*no/such' does not exist"):
            save(missing / name)
