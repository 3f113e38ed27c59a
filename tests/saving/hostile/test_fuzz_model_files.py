"""A seeded mutation fuzzer over valid model and weights files (11,250 cases).

Each case mutates a valid file (bytes, zip members, config or metadata JSON re-zipped with
matching sha256s, safetensors headers and data, Keras configs) and loads it with the sandbox
armed (hostile_sandbox.py). The only outcomes allowed:

- a ModelFileError (KerasFileError for Keras files), within a second;
- a successful load of a mutation that is benign, after which the model must predict: for
  byte-level changes to a model file this means its config and weights are unchanged (the
  mutation hit bytes the format does not use); a weights file (safetensors or legacy npz)
  may load with changed values.

Any other exception (IndexError, KeyError, UnicodeDecodeError, struct.error, BadZipFile,
MemoryError, RecursionError, ...) fails the test with the case's seed and mutation, so it can
be replayed with `make_case(strategy, index)`.
"""

import json
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hostile_builders import (
    CONFIG,
    keras2_h5,
    keras2_model_config,
    keras_archive,
    keras_config,
    keras_target_model,
    members,
    write,
)
from hostile_mutations import (
    mutate_bytes,
    mutate_config,
    mutate_json,
    mutate_json_text,
    mutate_members,
    mutate_metadata,
    mutate_model_weights,
    mutate_safetensors,
    unchanged_content,
)
from hostile_sandbox import run_armed

import lamina
from lamina.saving import ModelFileError

SEED = 20261125
CHUNK = 125


def _keras_archive_config(rng, valid):
    config = keras_config()
    if rng.random() < 0.1:
        text, what = mutate_json_text(rng, json.dumps(config))
        return keras_archive(config=text.encode("utf-8", "surrogatepass")), what
    changed, what = mutate_json(rng, config)
    return keras_archive(config=json.dumps(changed).encode("utf-8", "surrogatepass")), what


def _keras_archive_members(rng, valid):
    return mutate_members(rng, valid.keras_archive)


def _keras_h5_config(rng, valid):
    changed, what = mutate_json(rng, keras2_model_config())
    return keras2_h5(model_config=json.dumps(changed)), what


# strategy -> (number of cases, suffix, loader kind, mutator(rng, valid) -> (bytes, what))
STRATEGIES: dict[str, tuple[int, str, str, Callable]] = {
    "seq_bytes": (2500, ".keras", "model", lambda r, v: mutate_bytes(r, v.sequential)),
    "func_bytes": (1000, ".keras", "model", lambda r, v: mutate_bytes(r, v.functional)),
    "seq_members": (
        500,
        ".keras",
        "model",
        lambda r, v: mutate_members(r, v.sequential, v.functional),
    ),
    "func_members": (
        250,
        ".keras",
        "model",
        lambda r, v: mutate_members(r, v.functional, v.sequential),
    ),
    "seq_config": (1500, ".keras", "model", lambda r, v: mutate_config(r, v.sequential)),
    "func_config": (1500, ".keras", "model", lambda r, v: mutate_config(r, v.functional)),
    "metadata": (375, ".keras", "model", lambda r, v: mutate_metadata(r, v.sequential)),
    "model_weights": (1000, ".keras", "model", lambda r, v: mutate_model_weights(r, v.sequential)),
    "weights_bytes": (
        750,
        ".weights.safetensors",
        "weights",
        lambda r, v: mutate_bytes(r, v.weights),
    ),
    "weights_header": (
        750,
        ".weights.safetensors",
        "weights",
        lambda r, v: mutate_safetensors(r, v.weights),
    ),
    "npz_bytes": (250, ".weights.npz", "weights", lambda r, v: mutate_bytes(r, v.legacy_npz)),
    "keras_config": (500, ".keras", "keras", _keras_archive_config),
    "keras_members": (125, ".keras", "keras", _keras_archive_members),
    "keras_h5_config": (250, ".h5", "keras", _keras_h5_config),
}
CHUNKS = [
    (name, start) for name, (count, *_) in STRATEGIES.items() for start in range(0, count, CHUNK)
]


def make_case(strategy: str, index: int, valid: Any) -> tuple[bytes, str]:
    """The mutated bytes of case `index` of `strategy`, and what was changed."""
    rng = random.Random(f"{SEED}-{strategy}-{index}")
    return STRATEGIES[strategy][3](rng, valid)


def test_the_suite_has_at_least_10000_cases():
    assert sum(count for count, *_ in STRATEGIES.values()) >= 10_000
    assert all(count % CHUNK == 0 for count, *_ in STRATEGIES.values())


def predict_inputs(model: Any) -> tuple[Any, bool]:
    """Inputs for whatever input structure a loaded model has, and whether all of them leave
    the batch size free (batch 2 then; a fixed first axis is taken as it is)."""
    arrays, free = [], True
    for t in model.inputs:
        free = free and t.shape[0] is None
        shape = (
            2 if t.shape[0] is None else t.shape[0],
            *[1 if n is None else n for n in t.shape[1:]],
        )
        if t.dtype.kind in "USO":
            arrays.append(np.full(shape, "a b", dtype=object))
        else:
            arrays.append(np.full(shape, 0.5).astype(t.dtype))
    structure = getattr(model, "_input_struct", None)
    if isinstance(structure, dict):
        return dict(zip(structure, arrays, strict=True)), free
    return (arrays[0] if len(arrays) == 1 else arrays), free


def check_loaded(model: Any, strategy: str, original: bytes, blob: bytes, what: str) -> None:
    """A loaded mutation must be benign, and the model must predict.

    Byte and member changes to a model file (without re-hashing) are benign only when its
    config and weights are unchanged; JSON changes are re-zipped with valid hashes, so any
    model they give is a valid one.
    """
    if strategy.endswith(("_bytes", "_members")) and original is not None:
        benign = unchanged_content(original, blob) or what.startswith("forge")
        assert benign, f"a damaged model file loaded ({what})"
    inputs, free = predict_inputs(model)
    with np.errstate(all="ignore"):
        if free:
            outputs = model.predict(inputs, verbose=0)
            for out in outputs if isinstance(outputs, list) else [outputs]:
                assert np.shape(out)[0] == 2
        else:  # a fixed batch axis: one call on exactly that batch
            model(inputs, training=False)


@pytest.mark.parametrize(("strategy", "start"), CHUNKS, ids=[f"{s}-{i}" for s, i in CHUNKS])
def test_fuzz(valid, tmp_path, strategy, start):
    count, suffix, kind, _ = STRATEGIES[strategy]
    original = {"seq": valid.sequential, "func": valid.functional}.get(strategy.split("_")[0])
    path = str(tmp_path / f"case{suffix}")
    target = keras_target_model() if kind == "weights" else None
    failures = []
    slowest = 0.0
    for index in range(start, min(start + CHUNK, count)):
        blob, what = make_case(strategy, index, valid)
        write(tmp_path, f"case{suffix}", blob)
        if kind == "weights":
            load = lambda: target.load_weights(path)  # noqa: E731
        else:
            load = lambda: lamina.models.load_model(path)  # noqa: E731
        result, error, seconds = run_armed(load, tmp_path)
        slowest = max(slowest, seconds)
        case = f"{strategy}[{index}] ({what})"
        if error is not None and not isinstance(error, ModelFileError):
            failures.append(f"{case}: {type(error).__name__}: {error}")
        elif seconds >= 1.0:
            failures.append(f"{case}: took {seconds:.2f} s")
        elif error is None:
            try:
                model = target if kind == "weights" else result
                check_loaded(model, strategy, original, blob, what)
            except Exception as e:  # reported with the case below
                failures.append(f"{case}: loaded, then {type(e).__name__}: {e}")
    assert not failures, f"{len(failures)} bad cases (slowest {slowest:.2f} s):\n" + "\n".join(
        failures[:20]
    )


def test_unmutated_files_load_and_predict(valid, tmp_path):
    for name, blob in [("a.keras", valid.sequential), ("b.keras", valid.functional)]:
        path = write(tmp_path, name, blob)
        model, error, _ = run_armed(lambda p=path: lamina.models.load_model(p), tmp_path)
        assert error is None
        check_loaded(model, "seq_bytes", blob, blob, "nothing")
    assert json.loads(members(valid.sequential)[CONFIG])["class_name"] == "Sequential"
