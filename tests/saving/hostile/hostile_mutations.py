"""Seeded mutations of valid files, for the fuzzer: bytes, zip members, JSON, safetensors.

Every mutator takes a `random.Random` and the valid bytes and returns `(bytes, description)`;
the description says what changed, so a failing case can be rebuilt by hand.
"""

import json
import random
import zipfile
from typing import Any

from hostile_builders import (
    CONFIG,
    METADATA,
    WEIGHTS,
    forge,
    member_info,
    members,
    st_join,
    st_split,
    zip_of,
)

INTERESTING_INTS = [0, 1, -1, 2, 3, 7, 255, 256, 65535, 2**31 - 1, 2**31, 2**32, 2**63 - 1]
INTERESTING_INTS += [2**63, -(2**63), 10**6, 10**9, 10**18, 2**64]
INTERESTING_STRINGS = [
    "",
    "x",
    "os.system",
    "builtins.eval",
    "__import__",
    "subprocess.Popen",
    "../x",
    "/etc/passwd",
    "file:///etc/passwd",
    "http://example.com/x",
    "Lambda",
    "lamina.layers",
    "lamina.models",
    "os",
    "F32",
    "BF16",
    "O",
    "float64",
    "int8",
    "bool",
    "string",
    "\u0000",
    "\udcff",
    "a" * 300,
]
CLASS_NAMES = ["Dense", "Flatten", "Add", "InputLayer", "Sequential", "Functional", "OpLayer"]
CLASS_NAMES += ["Lambda", "TextVectorization", "Dropout", "Activation", "Softmax", "Reshape"]
CLASS_NAMES += ["RepeatVector", "Concatenate", "Model", "Layer", "__tuple__", "__numpy__"]
CLASS_NAMES += ["__slice__", "__ellipsis__", "__keras_tensor__", "Adam", "GlorotUniform"]
INTERESTING_VALUES: list[Any] = [None, True, False, 0.5, -0.0, 1e308, -1e-308, [], {}, [None]]
INTERESTING_VALUES += [
    {"class_name": "__tuple__", "config": {}},
    {"class_name": "__numpy__", "config": {"value": [1], "dtype": "float32", "shape": [1]}},
    {"class_name": "__keras_tensor__", "config": {"keras_history": ["x", 0, 0]}},
    {"module": "os", "class_name": "system", "config": {}, "registered_name": None},
    {"class_name": "Lambda", "config": {"function": "lambda x: x"}},
    [[None, 4]],
    [None, 4],
    [3, 4],
]


def random_value(rng: random.Random) -> Any:
    kind = rng.randrange(4)
    if kind == 0:
        return rng.choice(INTERESTING_INTS)
    if kind == 1:
        return rng.choice(INTERESTING_STRINGS)
    if kind == 2:
        return rng.choice(CLASS_NAMES)
    return json.loads(json.dumps(rng.choice(INTERESTING_VALUES)))


# ----- bytes ------------------------------------------------------------------------------------


def _position(rng: random.Random, blob: bytes) -> int:
    """A byte position, half the time in the zip records at the end (or the start)."""
    n = len(blob)
    if n == 0:
        return 0
    if rng.random() < 0.5:
        return rng.randrange(n)
    if rng.random() < 0.5:
        return max(0, n - 1 - rng.randrange(min(n, 250)))
    return rng.randrange(min(n, 64))


def mutate_bytes(rng: random.Random, blob: bytes) -> tuple[bytes, str]:
    """One random byte-level change: a flip, a value, a cut, an insertion, a deletion, ..."""
    data = bytearray(blob)
    op = rng.randrange(8)
    pos = _position(rng, blob)
    if op == 0 and data:
        bit = 1 << rng.randrange(8)
        data[min(pos, len(data) - 1)] ^= bit
        return bytes(data), f"flip bit {bit} at {pos}"
    if op == 1 and data:
        value = rng.choice([0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)])
        data[min(pos, len(data) - 1)] = value
        return bytes(data), f"set byte {pos} to {value}"
    if op == 2:
        return bytes(data[:pos]), f"truncate to {pos}"
    if op == 3:
        extra = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 17)))
        return bytes(data[:pos] + extra + data[pos:]), f"insert {extra!r} at {pos}"
    if op == 4:
        end = min(len(data), pos + rng.randrange(1, 33))
        return bytes(data[:pos] + data[end:]), f"delete [{pos}:{end}]"
    if op == 5:
        end = min(len(data), pos + rng.randrange(1, 65))
        return bytes(data[:end] + data[pos:end] + data[end:]), f"duplicate [{pos}:{end}]"
    if op == 6 and len(data) >= 4:
        value = rng.choice([0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, len(data), len(data) + 1])
        at = min(pos, len(data) - 4)
        data[at : at + 4] = value.to_bytes(4, "little")
        return bytes(data), f"write u32 {value} at {at}"
    return bytes(data) + bytes(rng.randrange(256) for _ in range(3)), "append 3 bytes"


# ----- zip members ------------------------------------------------------------------------------


def mutate_members(
    rng: random.Random, blob: bytes, other: bytes | None = None
) -> tuple[bytes, str]:
    """One change to the member list of a zip (`other`: another valid lamina model file, whose
    members may be mixed in; without it only the archive's own members are changed)."""
    parts = list(members(blob).items())
    op = rng.randrange(9 if other is not None else 7)
    if op == 0:
        rng.shuffle(parts)
        return zip_of(parts), f"reorder to {[n for n, _ in parts]}"
    if op == 1:
        i, j = rng.sample(range(len(parts)), 2)
        swapped = list(parts)
        swapped[i], swapped[j] = (parts[i][0], parts[j][1]), (parts[j][0], parts[i][1])
        return zip_of(swapped), f"swap the contents of {parts[i][0]} and {parts[j][0]}"
    if op == 2:
        i = rng.randrange(len(parts))
        return zip_of(parts[:i] + parts[i + 1 :]), f"drop {parts[i][0]}"
    if op == 3:
        i = rng.randrange(len(parts))
        name = rng.choice([CONFIG, WEIGHTS, METADATA, "../x", "/x", "a/b", "model.weights.h5"])
        entry = member_info(name, zipfile.ZIP_STORED if name == WEIGHTS else zipfile.ZIP_DEFLATED)
        renamed = parts[:i] + [(entry, parts[i][1])] + parts[i + 1 :]
        return zip_safely(renamed), f"rename {parts[i][0]} to {name!r}"
    if op == 4:
        i = rng.randrange(len(parts))
        method = rng.choice([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
        recompressed = list(parts)
        recompressed[i] = (member_info(parts[i][0], method), parts[i][1])
        return zip_of(recompressed), f"compress {parts[i][0]} with method {method}"
    if op == 5:
        name = rng.choice(["extra.txt", CONFIG, "assets/x"])
        return zip_safely(parts + [(name, b"{}")]), f"add member {name!r}"
    if op == 6:
        i = rng.randrange(len(parts))
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))
        replaced = parts[:i] + [(parts[i][0], junk)] + parts[i + 1 :]
        return zip_of(replaced), f"replace {parts[i][0]} with {len(junk)} random bytes"
    theirs = members(other)
    if op == 7:
        name = rng.choice([CONFIG, WEIGHTS])
        mixed = dict(parts) | {name: theirs[name]}
        return forge(blob, config=mixed[CONFIG], weights=mixed[WEIGHTS]), f"forge {name} of other"
    name = rng.choice([CONFIG, WEIGHTS, METADATA])
    mixed = [(n, theirs[name] if n == name else data) for n, data in parts]
    return zip_of(mixed), f"take {name} from the other file (hashes not fixed)"


def zip_safely(entries: list) -> bytes:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        return zip_of(entries)


# ----- JSON -------------------------------------------------------------------------------------


def _containers(value: Any) -> list[Any]:
    """Every dict and list inside `value` (itself included)."""
    out, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            out.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            out.append(item)
            stack.extend(item)
    return out


def mutate_json(rng: random.Random, document: Any, ops: int | None = None) -> tuple[Any, str]:
    """1 to 3 random changes to a parsed JSON document (returns a changed copy)."""
    document = json.loads(json.dumps(document))
    done = []
    for _ in range(ops or rng.randint(1, 3)):
        container = rng.choice(_containers(document))
        keys = list(container) if isinstance(container, dict) else list(range(len(container)))
        op = rng.randrange(7)
        if not keys:
            key = "x" if isinstance(container, dict) else None
            value = random_value(rng)
            if key is None:
                container.append(value)
            else:
                container[key] = value
            done.append(f"add {value!r:.60}")
            continue
        key = rng.choice(keys)
        old = container[key]
        if op == 0:
            container[key] = random_value(rng)
            done.append(f"set [{key!r}] = {container[key]!r:.60}")
        elif op == 1:
            del container[key]
            done.append(f"delete [{key!r}]")
        elif op == 2 and isinstance(old, int | float) and not isinstance(old, bool):
            new = rng.choice([old + 1, old - 1, old * 2, old * 1000, -old, 0])
            container[key] = new
            done.append(f"number [{key!r}] {old} -> {new}")
        elif op == 3 and isinstance(old, str):
            new = rng.choice([old + "_1", old.upper(), old[:-1], old * 2, rng.choice(CLASS_NAMES)])
            container[key] = new
            done.append(f"string [{key!r}] {old!r:.40} -> {new!r:.40}")
        elif op == 4 and isinstance(container, list):
            container.insert(key, json.loads(json.dumps(old)))
            done.append(f"duplicate item {key}")
        elif op == 5 and isinstance(container, dict):
            new_key = rng.choice([*keys, "name", "config", "class_name", "module", "x"])
            container[new_key] = container.pop(key)
            done.append(f"rename key {key!r} -> {new_key!r}")
        elif op == 6 and len(keys) > 1:
            other = rng.choice(keys)
            container[key], container[other] = container[other], old
            done.append(f"swap [{key!r}] and [{other!r}]")
        else:
            container[key] = random_value(rng)
            done.append(f"set [{key!r}] = {container[key]!r:.60}")
    return document, "; ".join(done)


def mutate_json_text(rng: random.Random, text: str) -> tuple[str, str]:
    """A change to JSON text itself: a cut, a NaN, a duplicated key, a stray byte."""
    op = rng.randrange(5)
    pos = rng.randrange(len(text) + 1)
    if op == 0:
        return text[:pos], f"cut the text at {pos}"
    if op == 1:
        return text.replace(":", ': NaN, "nan":', 1), "insert NaN"
    if op == 2:
        brace = text.find("{", pos)
        at = brace + 1 if brace >= 0 else 1
        return text[:at] + '"name": 1, "name": 2, ' + text[at:], "insert a duplicated key"
    if op == 3:
        return text[:pos] + rng.choice(["\\", '"', "}", "]", "\x00", "1e999"]) + text[pos:], (
            f"insert a stray character at {pos}"
        )
    return "[" * 3000 + text + "]" * 3000, "nest 3000 lists deep"


def mutate_config(rng: random.Random, blob: bytes) -> tuple[bytes, str]:
    """A change to config.json, re-zipped with matching sizes and sha256 (`forge`)."""
    config = json.loads(members(blob)[CONFIG])
    if rng.random() < 0.1:
        text, what = mutate_json_text(rng, json.dumps(config))
        return forge(blob, config=text.encode("utf-8", "surrogatepass")), what
    changed, what = mutate_json(rng, config)
    return forge(blob, config=dumps(changed)), what


def mutate_metadata(rng: random.Random, blob: bytes) -> tuple[bytes, str]:
    """A change to metadata.json (the other members and their hashes kept)."""
    parts = members(blob)
    metadata = json.loads(parts[METADATA])
    changed, what = mutate_json(rng, metadata, ops=1)
    return forge(blob, metadata=dumps(changed)), what


def dumps(document: Any) -> bytes:
    return json.dumps(document).encode("utf-8", "surrogatepass")


# ----- safetensors ------------------------------------------------------------------------------


def mutate_safetensors(rng: random.Random, blob: bytes) -> tuple[bytes, str]:
    """A change to a safetensors blob: its header (JSON or length) or its data."""
    header, data = st_split(blob)
    op = rng.randrange(10)
    if op < 6:
        changed, what = mutate_json(rng, header, ops=1)
        return st_join(dumps(changed), data), f"header: {what}"
    if op == 6:
        length = int.from_bytes(blob[:8], "little")
        new = rng.choice([0, 1, length - 1, length + 1, length + 8, 2**32, 2**63, len(blob)])
        return new.to_bytes(8, "little") + blob[8:], f"header length {length} -> {new}"
    if op == 7:
        text, what = mutate_json_text(rng, json.dumps(header))
        return st_join(text.encode("utf-8", "surrogatepass"), data), f"header text: {what}"
    if op == 8 and data:
        changed = bytearray(data)
        pos = rng.randrange(len(changed))
        changed[pos] ^= 1 << rng.randrange(8)
        return st_join(header, bytes(changed)), f"flip a data bit at {pos}"
    cut = rng.randrange(len(data) + 1)
    return st_join(header, data[:cut]), f"cut the data to {cut} bytes"


def mutate_model_weights(rng: random.Random, blob: bytes) -> tuple[bytes, str]:
    """A change to the weights member of a model file, re-zipped with matching sha256."""
    weights, what = mutate_safetensors(rng, members(blob)[WEIGHTS])
    return forge(blob, weights=weights), what


def unchanged_content(original: bytes, mutated: bytes) -> bool:
    """Whether a mutated model file still holds the original config and weights."""
    try:
        old, new = members(original), members(mutated)
    except Exception:  # a file too broken for zipfile holds nothing
        return False
    return all(new.get(name) == old[name] for name in (CONFIG, WEIGHTS))
