"""Hostile `.keras` model files, at the level of the zip archive and of `metadata.json`.

Each case starts from a valid file lamina wrote and changes one thing. Every one must be
refused with a ModelFileError naming the problem, within a second, with no code run and no
file opened outside the test's folder (see hostile_sandbox.py).
"""

import json
import os
import pickle
import stat
import warnings
import zipfile

import pytest
from hostile_builders import (
    CONFIG,
    METADATA,
    WEIGHTS,
    forge,
    member_info,
    members,
    metadata_for,
    patch_central,
    patch_end,
    patch_local,
    rename_member,
    sample_inputs,
    write,
    zip_of,
)
from hostile_sandbox import assert_refused, run_armed

import lamina


class _Payload:
    """Pickles to a call of os.system; only ever pickled here, never unpickled."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


PICKLE = pickle.dumps(_Payload(), protocol=4)
PICKLE_V0 = b"cos\nsystem\n(S'echo pwned'\ntR."


def replace_member(blob: bytes, old: str, new_info, data: bytes | None = None) -> bytes:
    """The archive with member `old` replaced by `new_info` (a name or ZipInfo)."""
    parts = members(blob)
    entries = []
    for name, content in parts.items():
        if name == old:
            entries.append((new_info, content if data is None else data))
        else:
            entries.append((name, content))
    return zip_of(entries)


def typed(name: str, file_type: int) -> zipfile.ZipInfo:
    info = member_info(name)
    info.create_system = 3
    info.external_attr = (file_type | 0o777) << 16
    return info


def recompressed(blob: bytes, name: str, method: int) -> bytes:
    return replace_member(blob, name, member_info(name, method))


def with_metadata(change):
    """A case builder: the valid file with its metadata (a dict) changed, hashes kept."""

    def make(valid):
        parts = members(valid.sequential)
        record = json.loads(parts[METADATA])
        change(record)
        return forge(valid.sequential, metadata=json.dumps(record).encode())

    return make


def raw_metadata(text: bytes):
    return lambda valid: forge(valid.sequential, metadata=text)


def _set(path, value):
    def change(record):
        target = record
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path):
    def change(record):
        target = record
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def seq(valid):
    return valid.sequential


CASES = [
    # --- not an archive, or a damaged one
    ("empty_file", lambda v: b"", "only 0 bytes"),
    ("text_file", lambda v: b"this is not a model file\n" * 4, "does not start with a zip member"),
    ("pickle_file", lambda v: PICKLE, "does not start with a zip member"),
    ("pickle_v0_file", lambda v: PICKLE_V0 * 3, "does not start with a zip member"),
    ("truncated_half", lambda v: seq(v)[: len(seq(v)) // 2], "end record"),
    ("truncated_by_one", lambda v: seq(v)[:-1], "end record"),
    ("truncated_to_header", lambda v: seq(v)[:40], "end record"),
    ("trailing_byte", lambda v: seq(v) + b"\0", "end record"),
    ("leading_bytes", lambda v: b"MZ\x90\x00" + seq(v), "does not start with a zip member"),
    ("two_archives_concatenated", lambda v: seq(v) + v.functional, "data before or between"),
    (
        "archive_comment",
        lambda v: zip_of(list(members(seq(v)).items()), b"hi"),
        "no archive comment",
    ),
    # --- members: count, names, kinds
    (
        "extra_member",
        lambda v: zip_of([*members(seq(v)).items(), ("notes.txt", b"x")]),
        "holds 4 zip members",
    ),
    ("missing_member", lambda v: zip_of(list(members(seq(v)).items())[:2]), "holds 2 zip members"),
    ("empty_archive", lambda v: zip_of([]), "only 22 bytes"),
    ("dotdot_name", lambda v: replace_member(seq(v), CONFIG, "../config.json"), "unsafe name"),
    (
        "deep_dotdot",
        lambda v: replace_member(seq(v), CONFIG, "../../../etc/cron.d/x"),
        "unsafe name",
    ),
    ("absolute_name", lambda v: replace_member(seq(v), CONFIG, "/etc/passwd"), "unsafe name"),
    ("drive_name", lambda v: replace_member(seq(v), CONFIG, "C:config.json"), "unsafe name"),
    ("folder_name", lambda v: replace_member(seq(v), CONFIG, "sub/config.json"), "unsafe name"),
    ("backslash_name", lambda v: replace_member(seq(v), CONFIG, "..\\config.json"), "unsafe name"),
    ("control_char_name", lambda v: replace_member(seq(v), CONFIG, "config\n.json"), "unsafe name"),
    ("directory_name", lambda v: replace_member(seq(v), CONFIG, "config.json/"), "unsafe name"),
    ("nul_in_name", lambda v: nul_name(seq(v)), "unsafe name"),
    (
        "unexpected_name",
        lambda v: replace_member(seq(v), METADATA, "settings.json"),
        "unexpected member 'settings.json'",
    ),
    ("local_name_differs", lambda v: rename_member_local(seq(v)), "damaged"),
    (
        "symlink_config",
        lambda v: replace_member(seq(v), CONFIG, typed(CONFIG, stat.S_IFLNK)),
        "member .config.json. is a symbolic link",
    ),
    (
        "symlink_weights",
        lambda v: replace_member(seq(v), WEIGHTS, typed(WEIGHTS, stat.S_IFLNK), b"/etc/passwd"),
        "symbolic link",
    ),
    (
        "fifo_member",
        lambda v: replace_member(seq(v), CONFIG, typed(CONFIG, stat.S_IFIFO)),
        "not a regular file",
    ),
    (
        "device_member",
        lambda v: replace_member(seq(v), CONFIG, typed(CONFIG, stat.S_IFCHR)),
        "not a regular file",
    ),
    (
        "folder_member",
        lambda v: replace_member(seq(v), CONFIG, typed(CONFIG, stat.S_IFDIR)),
        "not a regular file",
    ),
    ("duplicate_member", lambda v: duplicate(seq(v)), "appears twice"),
    ("encrypted_member", lambda v: patch_central(seq(v), CONFIG, flags=0x1), "encrypted"),
    # --- compression and sizes
    (
        "weights_deflated",
        lambda v: recompressed(seq(v), WEIGHTS, zipfile.ZIP_DEFLATED),
        "compression method 8",
    ),
    (
        "config_bzip2",
        lambda v: recompressed(seq(v), CONFIG, zipfile.ZIP_BZIP2),
        "compression method 12",
    ),
    (
        "metadata_lzma",
        lambda v: recompressed(seq(v), METADATA, zipfile.ZIP_LZMA),
        "compression method 14",
    ),
    ("unknown_method", lambda v: patch_central(seq(v), CONFIG, method=99), "compression method 99"),
    ("zip_bomb_config", lambda v: zip_bomb(seq(v)), "zip bomb"),
    (
        "metadata_over_cap",
        lambda v: forge(seq(v), metadata=b" " * (2 << 20)),
        "'metadata.json' claims .* more than its cap",
    ),
    (
        "declares_huge_metadata",
        lambda v: patch_central(seq(v), METADATA, size=2**31),
        "'metadata.json' claims 2147483648 bytes",
    ),
    (
        "declares_huge_config",
        lambda v: patch_central(seq(v), CONFIG, size=0xFFFFFFFE),
        "'config.json' claims .* more than its cap",
    ),
    (
        "weights_larger_than_file",
        lambda v: grow_stored(seq(v), 10**6),
        "'model.weights.safetensors' claims .* more than its cap",
    ),
    (
        "stored_sizes_disagree",
        lambda v: patch_central(seq(v), WEIGHTS, compressed_size=16),
        "sizes of member 'model.weights.safetensors' do not fit",
    ),
    (
        "member_outside_file",
        lambda v: patch_central(seq(v), WEIGHTS, offset=len(seq(v)) + 100),
        "do not fit the archive",
    ),
    ("metadata_size_shrunk", lambda v: resize(seq(v), METADATA, -5), "Bad CRC-32"),
    (
        "metadata_size_grown",
        lambda v: resize(seq(v), METADATA, +5),
        r"holds \d+ bytes, not the \d+ its zip entry declares",
    ),
    ("config_size_grown", lambda v: resize(seq(v), CONFIG, +1), "'config.json' is recorded as"),
    ("wrong_crc_metadata", lambda v: both(seq(v), METADATA, crc=1234), "damaged.*CRC"),
    ("wrong_crc_weights", lambda v: both(seq(v), WEIGHTS, crc=1234), "damaged.*CRC"),
    ("crc_only_in_directory", lambda v: patch_central(seq(v), CONFIG, crc=1), "local header"),
    ("local_method_lies", lambda v: patch_local(seq(v), CONFIG, method=0), "local header"),
    ("local_size_lies", lambda v: patch_local(seq(v), WEIGHTS, size=1), "local header"),
    ("local_crc_lies", lambda v: patch_local(seq(v), METADATA, crc=7), "local header"),
    ("data_descriptor_flag", lambda v: patch_local(seq(v), CONFIG, flags=0x8), "local header"),
    # --- the end record and directory
    ("directory_too_big", lambda v: patch_end(seq(v), directory_size=70000), "zip directory"),
    ("directory_outside", lambda v: patch_end(seq(v), directory_offset=len(seq(v))), "outside"),
    ("directory_shifted", lambda v: patch_end(seq(v), directory_offset=1), "does not end where"),
    ("multi_disk", lambda v: patch_end(seq(v), disk=1), "multi-part"),
    ("entries_disagree", lambda v: patch_end(seq(v), entries_here=2), "multi-part"),
    (
        "zip64_marker",
        lambda v: patch_end(seq(v), directory_offset=0xFFFFFFFF),
        "no zip64 directory|but there is none",
    ),
    ("entries_65535", lambda v: patch_end(seq(v), entries=0xFFFF, entries_here=0xFFFF), "65535"),
    # --- nested archives and payloads as members
    ("nested_zip_as_weights", lambda v: forge(seq(v), weights=v.functional), "header claims"),
    ("nested_zip_as_config", lambda v: forge(seq(v), config=v.functional), "not valid JSON"),
    ("pickle_as_weights", lambda v: forge(seq(v), weights=PICKLE), "safetensors header claims"),
    ("pickle_as_config", lambda v: forge(seq(v), config=PICKLE), "not valid JSON"),
    ("pickle_as_metadata", raw_metadata(PICKLE), "not valid JSON"),
    # --- metadata.json
    ("metadata_not_json", raw_metadata(b"format: lamina.model"), "metadata.json.*not valid JSON"),
    ("metadata_list", raw_metadata(b"[1, 2]"), "'format' is not 'lamina.model'"),
    ("metadata_bad_utf8", raw_metadata(b'{"format": "\xff\xfe"}'), "not valid JSON"),
    ("metadata_format_keras", with_metadata(_set(["format"], "keras")), "'format' is not"),
    ("metadata_format_missing", with_metadata(_delete(["format"])), "'format' is not"),
    ("format_version_2", with_metadata(_set(["format_version"], 2)), "newer lamina"),
    ("format_version_text", with_metadata(_set(["format_version"], "1")), "positive integer"),
    ("format_version_bool", with_metadata(_set(["format_version"], True)), "positive integer"),
    ("format_version_zero", with_metadata(_set(["format_version"], 0)), "positive integer"),
    ("format_version_float", with_metadata(_set(["format_version"], 1.0)), "positive integer"),
    ("format_version_huge", with_metadata(_set(["format_version"], 10**30)), "newer lamina"),
    ("members_missing", with_metadata(_delete(["members", CONFIG])), "'members' must describe"),
    (
        "members_extra",
        with_metadata(_set(["members", "evil.py"], {"sha256": "0" * 64, "size": 1})),
        "'members' must describe",
    ),
    ("members_list", with_metadata(_set(["members"], [CONFIG, WEIGHTS])), "must describe"),
    ("member_entry_text", with_metadata(_set(["members", CONFIG], "x")), "64 hex digits"),
    ("sha256_not_hex", with_metadata(_set(["members", CONFIG, "sha256"], "z" * 64)), "64 hex"),
    ("sha256_upper", with_metadata(_set(["members", WEIGHTS, "sha256"], "A" * 64)), "64 hex"),
    ("sha256_short", with_metadata(_set(["members", CONFIG, "sha256"], "ab")), "64 hex digits"),
    ("size_recorded_wrong", with_metadata(_set(["members", CONFIG, "size"], 1)), "recorded as"),
    ("size_as_text", with_metadata(_set(["members", WEIGHTS, "size"], "732")), "recorded as"),
    (
        "wrong_sha256_config",
        with_metadata(_set(["members", CONFIG, "sha256"], "0" * 64)),
        "'config.json' does not match the sha256",
    ),
    (
        "wrong_sha256_weights",
        with_metadata(_set(["members", WEIGHTS, "sha256"], "f" * 64)),
        "'model.weights.safetensors' does not match the sha256",
    ),
    ("tampered_config", lambda v: tampered(seq(v)), "does not match the sha256"),
    ("metadata_duplicate_key", lambda v: duplicate_key_metadata(seq(v)), "appears twice"),
    ("metadata_nan", lambda v: constant_metadata(seq(v), "NaN"), "NaN"),
    ("metadata_infinity", lambda v: constant_metadata(seq(v), "-Infinity"), "Infinity"),
    ("metadata_overflowing_float", lambda v: constant_metadata(seq(v), "1e999"), "too large"),
    ("metadata_huge_integer", lambda v: constant_metadata(seq(v), "9" * 5000), "not valid JSON"),
    ("metadata_deep_nesting", raw_metadata(b"[" * 100_000 + b"]" * 100_000), "nested too deeply"),
]


def rename_member_local(blob: bytes) -> bytes:
    """The local header names `../fig.json` where the directory says `config.json`."""
    data = bytearray(blob)
    local = data.find(CONFIG.encode(), 0, 100)
    data[local : local + len(CONFIG)] = b"../fig.json"
    return bytes(data)


def duplicate(blob: bytes) -> bytes:
    parts = members(blob)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        return zip_of([(CONFIG, parts[CONFIG]), (CONFIG, b"{}"), (WEIGHTS, parts[WEIGHTS])])


def nul_name(blob: bytes) -> bytes:
    """config.json stored as `config.json<NUL>py` (zipfile cuts names at NUL)."""
    renamed = replace_member(blob, CONFIG, "config.jsonXpy")
    return rename_member(renamed, "config.jsonXpy", "config.json\0py")


def zip_bomb(blob: bytes) -> bytes:
    """config.json padded with 16 MiB of spaces (valid JSON, deflated about 1000 times)."""
    return forge(blob, config=members(blob)[CONFIG] + b" " * (16 << 20))


def grow_stored(blob: bytes, extra: int) -> bytes:
    parts = members(blob)
    size = len(parts[WEIGHTS]) + extra
    return patch_central(blob, WEIGHTS, size=size, compressed_size=size)


def resize(blob: bytes, name: str, delta: int) -> bytes:
    """Both headers of `name` declare `delta` bytes more (or fewer) than it holds."""
    return both(blob, name, size=len(members(blob)[name]) + delta)


def both(blob: bytes, name: str, **fields: int) -> bytes:
    return patch_local(patch_central(blob, name, **fields), name, **fields)


def tampered(blob: bytes) -> bytes:
    parts = members(blob)
    config = parts[CONFIG].replace(b'"units": 8', b'"units": 9')
    metadata = json.loads(parts[METADATA])
    metadata["members"][CONFIG]["size"] = len(config)
    return zip_of([(CONFIG, config), (WEIGHTS, parts[WEIGHTS]), (METADATA, json.dumps(metadata))])


def duplicate_key_metadata(blob: bytes) -> bytes:
    parts = members(blob)
    text = metadata_for(parts[CONFIG], parts[WEIGHTS]).decode()
    text = text.replace('"format": "lamina.model"', '"format": "lamina.model", "format": "x"')
    return forge(blob, metadata=text.encode())


def constant_metadata(blob: bytes, literal: str) -> bytes:
    parts = members(blob)
    text = metadata_for(parts[CONFIG], parts[WEIGHTS]).decode()
    return forge(blob, metadata=text.replace('"lamina.model"', f'"lamina.model", "x": {literal}'))


def test_cases_are_distinct():
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("make", "match"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_archive_is_refused(valid, tmp_path, make, match):
    path = write(tmp_path, "hostile.keras", make(valid))
    assert_refused(lambda: lamina.models.load_model(path), tmp_path, match)


def test_the_valid_files_load_armed(valid, tmp_path):
    """The sandbox itself lets a valid load through (so refusals above are the loader's)."""
    for blob in (valid.sequential, valid.functional):
        path = write(tmp_path, "ok.keras", blob)
        model, error, seconds = run_armed(lambda p=path: lamina.models.load_model(p), tmp_path)
        assert error is None and seconds < 1.0
        model.predict(sample_inputs(model), verbose=0)
