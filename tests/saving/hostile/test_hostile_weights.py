"""Hostile weights: safetensors headers and data, and legacy `.weights.npz` archives.

Each safetensors case changes the weights of a valid model and is tried twice: as the weights
member of a model file (re-zipped with matching sha256, so it reaches the safetensors reader)
and as a `.weights.safetensors` file given to `load_weights`. Every one must be refused with a
ModelFileError naming the problem, within a second, with no code run (see hostile_sandbox.py).
"""

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest
from hostile_builders import (
    WEIGHTS,
    forge,
    legacy_npz,
    members,
    sequential_model,
    st_join,
    st_split,
    write,
)
from hostile_sandbox import assert_refused

import lamina


class _Payload:
    """Pickles to a call of os.system; only ever pickled here, never unpickled."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


PICKLE = pickle.dumps(_Payload(), protocol=4)
KERNEL, BIAS, KERNEL_2 = "layers/hidden/vars/0", "layers/hidden/vars/1", "layers/out/vars/0"


def header_change(change):
    """A case: the weights' header (a dict) changed in place, data kept."""

    def make(blob):
        header, data = st_split(blob)
        change(header)
        return st_join(header, data)

    return make


def entry_change(name, **values):
    return header_change(lambda h: h[name].update(values))


def raw(make_bytes):
    """A case: the weights replaced by `make_bytes(valid weights blob)`."""
    return make_bytes


def rename(old, new):
    def change(header):
        header[new] = header.pop(old)

    return header_change(change)


def set_metadata(key, value):
    return header_change(lambda h: h["__metadata__"].update({key: value}))


def shift_after(name, by, extra_data=0):
    """Move tensor `name` and all after it by `by` bytes (and add data at the end)."""

    def make(blob):
        header, data = st_split(blob)
        begin = header[name]["data_offsets"][0]
        for key, entry in header.items():
            if key != "__metadata__" and entry["data_offsets"][0] >= begin:
                entry["data_offsets"] = [o + by for o in entry["data_offsets"]]
        return st_join(header, data + b"\0" * extra_data)

    return make


def header_text(blob, replace):
    """The header's JSON text changed by `replace(text)`, padded or not, length fixed."""
    header, data = st_split(blob)
    return st_join(replace(json.dumps(header)).encode(), data)


def bool_bias(blob):
    header, data = st_split(blob)
    begin, end = header[BIAS]["data_offsets"]
    header[BIAS] = {"dtype": "BOOL", "shape": [end - begin], "data_offsets": [begin, end]}
    return st_join(header, data)


def path_named_tensor(blob):
    """An extra empty tensor named like a path out of a folder (names are never paths)."""
    header, data = st_split(blob)
    end = len(data)
    header["layers/../../etc/passwd/vars/0"] = {
        "dtype": "F32",
        "shape": [0],
        "data_offsets": [end, end],
    }
    return st_join(header, data)


def many_empty_tensors(blob, count=40_000):
    header, data = st_split(blob)
    for i in range(count):
        header[f"layers/x{i}/vars/0"] = {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}
    return st_join(header, data)


SAFETENSORS_CASES = [
    ("empty", raw(lambda b: b""), "only 0 bytes"),
    ("seven_bytes", raw(lambda b: b[:7]), "only 7 bytes"),
    ("pickle", raw(lambda b: PICKLE), "safetensors header claims"),
    ("zip_archive", raw(lambda b: zipfile_blob()), "safetensors header claims"),
    ("header_length_huge", raw(lambda b: (2**63).to_bytes(8, "little") + b[8:]), "more than"),
    ("header_length_past_end", raw(lambda b: (len(b)).to_bytes(8, "little") + b[8:]), "follow"),
    ("header_length_zero", raw(lambda b: bytes(8) + b[8:]), "not a JSON object"),
    ("header_cut_short", raw(lambda b: (16).to_bytes(8, "little") + b[8:]), "not valid JSON"),
    ("header_not_json", raw(lambda b: st_join(b"not json at all!", b"")), "not a JSON object"),
    ("header_list", raw(lambda b: st_join(b"[1, 2, 3]", b"")), "not a JSON object"),
    ("header_bad_utf8", raw(lambda b: st_join(b'{"\xff": 1}', b"")), "not UTF-8"),
    ("header_nan", raw(lambda b: header_text(b, lambda t: t[:-1] + ', "x": NaN}')), "NaN"),
    (
        "header_duplicate_tensor",
        raw(lambda b: header_text(b, lambda t: t.replace('"layers/out/vars/1"', f'"{BIAS}"'))),
        "appears twice",
    ),
    (
        "header_deep_nesting",
        raw(lambda b: st_join(b'{"a":' * 20_000 + b"1" + b"}" * 20_000, b"")),
        "nested too deeply",
    ),
    ("dtype_object", entry_change(KERNEL, dtype="O"), "has dtype 'O'"),
    ("dtype_bf16", entry_change(KERNEL, dtype="BF16"), "has dtype 'BF16'"),
    ("dtype_f8", entry_change(KERNEL, dtype="F8_E4M3"), "has dtype 'F8_E4M3'"),
    ("dtype_list", entry_change(KERNEL, dtype=["F32"]), r"has dtype \['F32'\]"),
    ("dtype_lowercase", entry_change(KERNEL, dtype="f32"), "has dtype 'f32'"),
    ("dtype_pickle", entry_change(KERNEL, dtype="pickle"), "has dtype 'pickle'"),
    ("shape_negative", entry_change(KERNEL, shape=[-4, 8]), r"has shape \[-4, 8\]"),
    ("shape_float", entry_change(KERNEL, shape=[4.0, 8]), "non-negative integers"),
    ("shape_bool", entry_change(KERNEL, shape=[True, 32]), "non-negative integers"),
    ("shape_text", entry_change(KERNEL, shape="4,8"), "non-negative integers"),
    ("shape_rank_65", entry_change(KERNEL, shape=[1] * 65), "at most 64"),
    ("shape_huge", entry_change(KERNEL, shape=[2**40, 2**40]), "needs .* bytes but its"),
    ("shape_itemsize_mismatch", entry_change(KERNEL, dtype="F64"), "needs 256 bytes"),
    ("shape_too_small", entry_change(KERNEL, shape=[2, 8]), "needs 64 bytes"),
    ("offsets_overlap", shift_after(BIAS, -32, 0), "overlaps the one before"),
    ("offsets_gap", shift_after(BIAS, 4, 4), "leaves a gap"),
    ("offsets_past_data", shift_after(BIAS, 4, 0), "leaves a gap|cover"),
    ("offsets_reversed", entry_change(KERNEL, data_offsets=[128, 0]), "0 <= begin <= end"),
    ("offsets_negative", entry_change(KERNEL, data_offsets=[-1, 127]), "0 <= begin"),
    ("offsets_three", entry_change(KERNEL, data_offsets=[0, 128, 256]), "data_offsets"),
    ("offsets_floats", entry_change(KERNEL, data_offsets=[0.0, 128.0]), "data_offsets"),
    ("offsets_huge", entry_change(KERNEL, data_offsets=[2**64, 2**64 + 128]), "gap"),
    ("data_truncated", raw(lambda b: b[:-4]), "offsets must cover it exactly"),
    ("data_extra", raw(lambda b: b + bytes(8)), "offsets must cover it exactly"),
    ("entry_extra_key", entry_change(KERNEL, code="os.system('x')"), "exactly 'dtype'"),
    ("entry_missing_key", header_change(lambda h: h[KERNEL].pop("shape")), "exactly 'dtype'"),
    ("entry_not_object", header_change(lambda h: h.update({KERNEL: "x"})), "must be an object"),
    ("empty_name", rename(KERNEL, ""), "empty name"),
    ("metadata_not_strings", set_metadata("format_version", 1), "strings to strings"),
    ("metadata_list", header_change(lambda h: h.update(__metadata__=[1])), "strings to strings"),
    ("bool_tensor_not_0_1", raw(bool_bias), "boolean tensor .* other than 0/1"),
    ("name_outside_scheme", rename(KERNEL, "evil"), "not named like a lamina weight"),
    ("name_like_a_path", raw(path_named_tensor), "does not match the tensors"),
    ("name_leading_zero", rename(BIAS, "layers/hidden/vars/01"), "not named like"),
    ("name_superscript", rename(BIAS, "layers/hidden/vars/\u00b2"), "not named like"),
    ("index_gap", rename(BIAS, "layers/hidden/vars/2"), "numbered"),
    ("layers_mismatch", set_metadata("layers", '[["layers/hidden", 2]]'), "does not match"),
    ("layers_not_json", set_metadata("layers", "os.system('x')"), "not valid JSON"),
    ("layers_nan", set_metadata("layers", "[NaN]"), "NaN"),
    ("layers_not_pairs", set_metadata("layers", '[["layers/hidden", "2"]]'), "list of"),
    ("format_other", set_metadata("format", "pickle"), "names the format 'pickle'"),
    ("version_99", set_metadata("format_version", "99"), "newer lamina"),
    ("version_text", set_metadata("format_version", "x"), "must be a number"),
    ("version_superscript", set_metadata("format_version", "\u00b2"), "must be a number"),
    ("version_long", set_metadata("format_version", "1" * 30), "must be a number"),
    ("many_empty_tensors", raw(many_empty_tensors), "more than 32768 objects"),
    ("many_tensors_under_the_cap", raw(lambda b: many_empty_tensors(b, 32_000)), "does not match"),
]


def zipfile_blob():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a.txt", "x")
    return buffer.getvalue()


# Cases that only a model file's weights member (with the optimizer's state) can hold.
MODEL_ONLY_CASES = [
    ("optimizer_positions", set_metadata("optimizer_variables", "[99]"), "weight positions"),
    ("optimizer_positions_text", set_metadata("optimizer_variables", "x"), "not valid JSON"),
    ("optimizer_numbering", rename("optimizer/vars/8", "optimizer/vars/9"), "not numbered"),
    ("optimizer_foreign", rename("optimizer/vars/8", "optimizer/evil/0"), "tensors other than"),
    (
        "optimizer_shape",
        entry_change("optimizer/vars/1", shape=[8, 4]),
        r"variable .* has shape \(4, 8\) but the file holds \(8, 4\)",
    ),
    (
        "weights_transposed",
        entry_change(KERNEL, shape=[8, 4]),
        r"'hidden': weight 'kernel' has shape \(4, 8\) but .* holds shape \(8, 4\)",
    ),
]


def all_ids(cases):
    return [c[0] for c in cases]


def test_cases_are_distinct():
    ids = all_ids(SAFETENSORS_CASES + MODEL_ONLY_CASES)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("make", "match"),
    [c[1:] for c in SAFETENSORS_CASES + MODEL_ONLY_CASES],
    ids=all_ids(SAFETENSORS_CASES + MODEL_ONLY_CASES),
)
def test_hostile_weights_in_a_model_file_are_refused(valid, tmp_path, make, match):
    weights = make(members(valid.sequential)[WEIGHTS])
    path = write(tmp_path, "hostile.keras", forge(valid.sequential, weights=weights))
    assert_refused(lambda: lamina.models.load_model(path), tmp_path, match)


@pytest.mark.parametrize(
    ("make", "match"), [c[1:] for c in SAFETENSORS_CASES], ids=all_ids(SAFETENSORS_CASES)
)
def test_hostile_weights_file_is_refused(valid, tmp_path, make, match):
    path = write(tmp_path, "hostile.weights.safetensors", make(valid.weights))
    model = sequential_model()
    before = model.get_weights()
    assert_refused(lambda: model.load_weights(path), tmp_path, match)
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)  # a refused file changes nothing


# ----- legacy .weights.npz ----------------------------------------------------------------------


def legacy(**changes) -> bytes:
    return legacy_npz(sequential_model(), **changes)


def npy_member(header: bytes, data: bytes = b"", version: int = 1) -> bytes:
    width = 2 if version == 1 else 4
    return (
        b"\x93NUMPY" + bytes([version, 0]) + len(header).to_bytes(width, "little") + header + data
    )


def zip_members(**named: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in named.items():
            zf.writestr(name.replace("__slash__", "/").replace("__dot__", "."), data)
    return buffer.getvalue()


def one_npy(header: str, data: bytes = b"", version: int = 1) -> bytes:
    return zip_members(**{"w00000__dot__npy": npy_member(header.encode(), data, version)})


NPZ_CASES = [
    ("npz_object_array", lambda: legacy(__names__=np.array([_Payload()])), "Python objects"),
    (
        "npz_object_weight",
        lambda: legacy(w00000=np.array([_Payload(), 1], dtype=object)),
        "never unpickles",
    ),
    ("npz_raw_pickle", lambda: PICKLE, r"not a lamina weights file \(a NumPy .npz archive\)"),
    (
        "npz_single_npy",
        lambda: npy_member(b"{}"),
        r"not a lamina weights file \(a NumPy .npz archive\)",
    ),
    (
        "npz_header_code",
        lambda: one_npy("{'descr': __import__('os').system('x'), 'fortran_order': False}"),
        "not the one NumPy writes",
    ),
    (
        "npz_header_eval_shape",
        lambda: one_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (eval('1'),), }"),
        "not the one NumPy writes",
    ),
    (
        "npz_dtype_void",
        lambda: one_npy("{'descr': '|V8', 'fortran_order': False, 'shape': (1,), }", bytes(8)),
        "holds dtype '|V8'",
    ),
    (
        "npz_dtype_structured",
        lambda: one_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"),
        "not the one NumPy writes",
    ),
    (
        "npz_shape_lies",
        lambda: one_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (10000000000,), }"),
        "needs 40000000000 bytes",
    ),
    (
        "npz_header_huge",
        lambda: zip_members(w00000__dot__npy=b"\x93NUMPY\x02\x00" + (2**31).to_bytes(4, "little")),
        "header claims",
    ),
    ("npz_member_path", lambda: zip_members(**{"__dot____dot____slash__x__dot__npy": b""}), "one"),
    ("npz_not_npy_member", lambda: zip_members(evil__dot__py=b"import os"), "not one uniquely"),
    ("npz_version_array", lambda: legacy(__version__=np.array([1, 2])), "must be one integer"),
    ("npz_version_float", lambda: legacy(__version__=np.array(1.5)), "must be one integer"),
    ("npz_version_missing", lambda: legacy(__version__=None), "must be one integer"),
    ("npz_names_scalar", lambda: legacy(__names__=np.array("x")), "not a lamina weights file"),
    ("npz_format_other", lambda: legacy(__format__=np.array("keras")), "not a lamina weights"),
    ("npz_missing_weight", lambda: legacy(w00003=None), "lacks the arrays"),
    ("npz_weight_shape", lambda: legacy(w00000=np.zeros((8, 4), "f4")), r"has shape \(4, 8\)"),
]


def test_npz_cases_are_distinct():
    assert len(all_ids(NPZ_CASES)) == len(set(all_ids(NPZ_CASES)))


@pytest.mark.parametrize(("make", "match"), [c[1:] for c in NPZ_CASES], ids=all_ids(NPZ_CASES))
def test_hostile_legacy_npz_is_refused(tmp_path, make, match):
    path = write(tmp_path, "hostile.weights.npz", make())
    model = sequential_model()
    assert_refused(lambda: model.load_weights(path), tmp_path, match)


def test_a_valid_legacy_npz_loads_armed(tmp_path):
    from hostile_sandbox import run_armed

    path = write(tmp_path, "ok.weights.npz", legacy())
    model = lamina.Sequential([lamina.Input((4,)), lamina.layers.Dense(8), lamina.layers.Dense(3)])
    _, error, _ = run_armed(lambda: model.load_weights(path), tmp_path)
    assert error is None
    np.testing.assert_array_equal(model.get_weights()[0], sequential_model().get_weights()[0])
