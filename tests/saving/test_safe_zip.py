"""The one hardened zip reader behind lamina model files, Keras `.keras` files and `.npz`."""

import io
import stat
import zipfile

import numpy as np
import pytest

import lamina
from lamina.saving import ModelFileError, npz_reader, safe_zip
from lamina.saving.keras_import import KerasFileError, load_keras_archive
from lamina.saving.safe_zip import SafeZip, member_names


def zip_bytes(entries, compression=zipfile.ZIP_STORED, comment=b""):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
        zf.comment = comment
    return buffer.getvalue()


def test_reads_capped_members_exactly_and_nothing_else():
    blob = zip_bytes([("a.json", b"[1, 2]"), ("assets/", b""), ("assets/v.txt", b"xyz")], 8, b"c")
    with SafeZip(io.BytesIO(blob), "'t.zip'", {"a.json": 100}) as archive:
        assert archive.names == {"a.json", "assets/v.txt"}
        assert archive.read("a.json") == b"[1, 2]"
        assert archive.size("assets/v.txt") == 3
        with pytest.raises(KeyError, match="no readable member 'assets/v.txt'"):
            archive.read("assets/v.txt")
    with SafeZip(io.BytesIO(blob), "'t.zip'", 6) as archive:  # one cap for every member
        assert archive.read("assets/v.txt") == b"xyz"
    with pytest.raises(ModelFileError, match="'a.json' claims 6 bytes, more than its cap of 5"):
        SafeZip(io.BytesIO(blob), "'t.zip'", {"a.json": 5})


def test_exact_archives_hold_just_the_named_members_as_lamina_writes_them():
    caps = {"a": 10, "b": 10}
    blob = zip_bytes([("a", b"1"), ("b", b"2")])
    with SafeZip(io.BytesIO(blob), "'m'", caps, kind="a test file", exact=True) as archive:
        assert archive.read("b") == b"2"
    cases = [
        (zip_bytes([("a", b"1"), ("b", b"2")], comment=b"hi"), "no archive comment"),
        (zip_bytes([("a", b"1"), ("c", b"2")]), "unexpected member 'c'; a test file holds"),
        (zip_bytes([("a", b"1")]), "holds 1 zip members; a test file holds exactly 2"),
        (zip_bytes([("a", b"1"), ("d/b", b"2")]), "unsafe name: one in a folder"),
        (b"PK\x03\x04" + zip_bytes([("a", b"1"), ("b", b"2")]), "data before or between"),
    ]
    for blob, match in cases:
        with pytest.raises(ModelFileError, match=match):
            SafeZip(io.BytesIO(blob), "'m'", caps, kind="a test file", exact=True)


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("../x", "unsafe name: one that climbs out"),
        ("/etc/x", "unsafe name: an absolute path"),
        ("C:x", "unsafe name: an absolute path"),
        ("a\\b", "unsafe name: one with a backslash"),
        ("a\x07b", "unsafe name: one with a control character"),
    ],
)
def test_unsafe_names_are_refused_with_the_callers_error(name, match):
    blob = zip_bytes([("ok", b"1"), (name, b"2")])
    with pytest.raises(KerasFileError, match=match):
        SafeZip(io.BytesIO(blob), "'k'", {}, error=KerasFileError)


def test_links_and_garbage_are_refused_and_member_names_never_raises(tmp_path):
    link = zipfile.ZipInfo("assets/link")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    blob = zip_bytes([(link, b"/etc/passwd")])
    with pytest.raises(ModelFileError, match="'assets/link' is a symbolic link"):
        SafeZip(io.BytesIO(blob), "'k'", {})
    with pytest.raises(ModelFileError, match="is not a .keras file: it is not a zip archive"):
        SafeZip(io.BytesIO(b"hello, not a zip"), "'k'", {})
    (tmp_path / "z.zip").write_bytes(zip_bytes([("a", b"1")]))
    (tmp_path / "g.zip").write_bytes(b"PK\x05\x06 garbage")
    assert member_names(tmp_path / "z.zip") == {"a"}
    assert member_names(tmp_path / "g.zip") is None
    assert member_names(tmp_path / "missing.zip") is None


def test_one_set_of_limits_guards_model_files_keras_archives_and_npz(tmp_path, monkeypatch):
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    keras_like = zip_bytes([("config.json", b"[" + b"0, " * 5000 + b"0]")], zipfile.ZIP_DEFLATED)
    (tmp_path / "k.keras").write_bytes(keras_like)
    np.savez_compressed(tmp_path / "w.npz", w=np.zeros(5000))
    lamina.models.load_model(tmp_path / "m.keras")  # loads under the usual limits
    monkeypatch.setattr(safe_zip, "RATIO_CHECK_BYTES", 0)
    monkeypatch.setattr(safe_zip, "MAX_RATIO", 1)
    with pytest.raises(ModelFileError, match="'config.json' unpacks from .* zip bomb"):
        lamina.models.load_model(tmp_path / "m.keras")
    with pytest.raises(KerasFileError, match="'config.json' unpacks from .* zip bomb"):
        load_keras_archive(tmp_path / "k.keras")
    with pytest.raises(ModelFileError, match="'w.npy' unpacks from .* zip bomb"):
        with open(tmp_path / "w.npz", "rb") as f:
            npz_reader.read_npz(f, f.seek(0, 2), "w.npz")
