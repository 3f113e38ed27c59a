"""Hostile `config.json` members: code, module paths, file paths and URLs, absurd sizes.

Each case changes the config of a valid model file and re-zips it with matching sizes and
sha256s (`forge`), so the change reaches the config parser. Every one must be refused with a
ModelFileError naming the problem, within a second, with no code run and no file opened
outside the test's folder (see hostile_sandbox.py).
"""

import pytest
from hostile_builders import forge, write
from hostile_sandbox import assert_refused

import lamina
from lamina.saving import register_serializable


@register_serializable(package="hostile_tests")
def not_a_layer(x):
    """A registered function, which a layer entry must not resolve to."""
    return x


def seq_config(change):
    """A case builder: the valid Sequential file with its parsed config changed in place."""
    return lambda valid: forge(valid.sequential, config=change)


def func_config(change):
    """The same for the valid functional file."""
    return lambda valid: forge(valid.functional, config=change)


def raw_config(text: bytes):
    return lambda valid: forge(valid.sequential, config=text)


def layer(config: dict, i: int = 1) -> dict:
    """Layer entry `i` of a Sequential or functional config (1: the first Dense)."""
    return config["config"]["layers"][i]


def set_top(**values):
    return seq_config(lambda c: c.update(values))


def set_entry(i: int = 1, **values):
    return seq_config(lambda c: layer(c, i).update(values))


def set_arg(key, value, i: int = 1):
    return seq_config(lambda c: layer(c, i)["config"].update({key: value}))


def set_compile(key, value):
    return seq_config(lambda c: c["compile_config"].update({key: value}))


def insert(entry: dict, at: int = 1, input_shape: list | None = None):
    """Insert a layer entry into the Sequential (after its input), optionally resizing it."""

    def change(config):
        if input_shape is not None:
            layer(config, 0)["config"]["batch_shape"] = input_shape
        config["config"]["layers"].insert(at, entry)

    return seq_config(change)


def entry(class_name: str, module: str | None = "lamina.layers", **config) -> dict:
    base = {"name": f"hostile_{class_name.lower()}", "trainable": True, "dtype": "float32"}
    return {
        "module": module,
        "class_name": class_name,
        "config": base | config,
        "registered_name": None,
    }


def op_layer(op: str, args: list, kwargs: dict | None = None):
    """Feed the functional model's sum through `lamina.ops.<op>` in a new OpLayer."""

    def change(config):
        layers = config["config"]["layers"]
        new = entry("OpLayer", op=op, args=args, kwargs=kwargs or {})
        new["name"] = new["config"]["name"]
        tensor = {"shape": [None, 6], "dtype": "float32", "keras_history": ["add", 0, 0]}
        new["inbound_nodes"] = [
            {"args": [[{"class_name": "__keras_tensor__", "config": tensor}]], "kwargs": {}}
        ]
        layers.insert(5, new)

    return func_config(change)


def history(config, layer_index: int) -> list:
    """The keras_history of the first argument of a functional layer entry's first node."""
    arg = config["config"]["layers"][layer_index]["inbound_nodes"][0]["args"][0]
    return (arg[0] if isinstance(arg, list) else arg)["config"]["keras_history"]


def func_history(layer_index: int, value: list):
    def change(config):
        history(config, layer_index)[:] = value

    return func_config(change)


LAMBDA_SOURCE = "lambda x: __import__('os').system('echo pwned') or x"
MARSHAL_CODE = {
    "class_name": "__lambda__",
    "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAAD", "defaults": None},
}
TEXT_VECTORIZATION = {"max_tokens": None, "output_mode": "int", "standardize": None}


CASES = [
    # --- not a config
    ("config_not_json", raw_config(b"{not json"), "config.json.*not valid JSON"),
    ("config_list", raw_config(b"[]"), "'config.json' is not a JSON object"),
    ("config_bad_utf8", raw_config(b'{"class_name": "\xc3\x28"}'), "not valid JSON"),
    ("config_duplicate_key", raw_config(b'{"class_name": "A", "class_name": "B"}'), "twice"),
    ("config_nan", raw_config(b'{"units": NaN}'), "NaN"),
    ("config_overflowing_float", raw_config(b'{"units": -1e400}'), "too large for a float"),
    ("config_huge_integer", raw_config(b'{"units": ' + b"7" * 5000 + b"}"), "not valid JSON"),
    ("config_deep_nesting", raw_config(b'{"a":' * 50_000 + b"1" + b"}" * 50_000), "too deeply"),
    ("config_unknown_top_key", set_top(__reduce__=["os.system", "ls"]), "unknown keys"),
    ("config_entry_not_object", set_top(config=["x"]), "'config' must be an object"),
    # --- class names and modules that would be code
    ("model_class_builtins_eval", set_top(class_name="builtins.eval"), "'builtins.eval'"),
    ("model_module_os", set_top(module="os", class_name="system"), "never imports modules"),
    ("model_module_subprocess", set_top(module="subprocess", class_name="Popen"), "never imports"),
    ("model_module_builtins", set_top(module="builtins", class_name="exec"), "never imports"),
    (
        "model_module_importlib",
        set_top(module="importlib", class_name="import_module"),
        "never imports",
    ),
    (
        "model_is_a_layer",
        set_top(class_name="Flatten", config={"name": "f"}),
        "Flatten, not a model",
    ),
    ("layer_class_os_system", set_entry(class_name="os.system"), "unknown layer class 'os.system'"),
    ("layer_class_dunder_import", set_entry(class_name="__import__"), "'__import__'"),
    ("layer_class_eval_user", set_entry(class_name="eval", module=None), "unknown layer class"),
    ("layer_class_popen", set_entry(class_name="subprocess.Popen"), "'subprocess.Popen'"),
    ("layer_class_empty", set_entry(class_name=""), "non-empty string"),
    ("layer_class_number", set_entry(class_name=7), "non-empty string"),
    ("layer_module_os", set_entry(module="os"), "module='os'"),
    ("layer_module_posix", set_entry(module="posix", class_name="system"), "never imports"),
    ("layer_module_dotted", set_entry(module="lamina.layers.core.dense"), "never imports"),
    ("layer_module_list", set_entry(module=["os"]), "never imports"),
    ("registered_os_system", set_entry(module=None, registered_name="os>system"), "'os>system'"),
    (
        "registered_builtins_eval",
        set_entry(module=None, class_name="eval", registered_name="builtins>eval"),
        "'builtins>eval'",
    ),
    ("registered_name_number", set_entry(registered_name=42), "'registered_name' must be"),
    (
        "registered_function_as_layer",
        set_entry(
            module=None, class_name="not_a_layer", registered_name="hostile_tests>not_a_layer"
        ),
        "not a Layer class",
    ),
    ("lambda_source", insert(entry("Lambda", function=LAMBDA_SOURCE)), "Lambda layer holds"),
    ("lambda_marshal", insert(entry("Lambda", function=MARSHAL_CODE)), "Lambda layer holds"),
    (
        "lambda_registered_name",
        insert(entry("Lambda", module=None, function=LAMBDA_SOURCE)),
        "Lambda layer holds Python code",
    ),
    ("unregistered_user_class", insert(entry("Scale", module=None)), "unknown layer class 'Scale'"),
    # --- functions and objects named inside a layer config
    ("activation_eval", set_arg("activation", "eval"), "Unknown activation 'eval'"),
    ("activation_os_system", set_arg("activation", "os.system"), "Unknown activation 'os.system'"),
    (
        "activation_module_record",
        set_arg("activation", {"module": "os", "class_name": "system", "config": {}}),
        "Unknown activation 'system'",
    ),
    ("activation_exec", set_arg("activation", "builtins.exec"), "Unknown activation"),
    (
        "initializer_os_system",
        set_arg("kernel_initializer", {"class_name": "os.system", "config": {}}),
        "Unknown initializer 'os.system'",
    ),
    (
        "initializer_popen",
        set_arg(
            "kernel_initializer",
            {"module": "subprocess", "class_name": "Popen", "config": {"args": ["sh"]}},
        ),
        "Unknown initializer 'Popen'",
    ),
    ("regularizer_exec", set_arg("kernel_regularizer", "builtins.exec"), "Unknown regularizer"),
    ("constraint_eval", set_arg("bias_constraint", {"class_name": "eval"}), "Unknown constraint"),
    # --- config values that are paths or URLs
    ("initializer_path", set_arg("kernel_initializer", "/etc/passwd"), "Unknown initializer"),
    ("activation_file_url", set_arg("activation", "file:///etc/passwd"), "Unknown activation"),
    ("activation_http_url", set_arg("activation", "http://x/act.py"), "Unknown activation"),
    ("loss_os_system", set_compile("loss", "os.system"), "Unknown loss 'os.system'"),
    ("loss_relative_path", set_compile("loss", "../x"), "Unknown loss '../x'"),
    ("loss_record", set_compile("loss", {"module": "os", "class_name": "system"}), "Unknown loss"),
    ("optimizer_eval", set_compile("optimizer", {"class_name": "eval"}), "Unknown optimizer"),
    ("optimizer_url", set_compile("optimizer", "http://example.com/opt"), "Unknown optimizer"),
    ("metric_exec", set_compile("metrics", ["builtins.exec"]), "Unknown metric"),
    ("metric_path", set_compile("metrics", ["/etc/passwd"]), "Unknown metric"),
    ("compile_unknown_key", set_compile("run_this", "os.system('x')"), "unknown keys"),
    (
        "vocabulary_path",
        insert(entry("TextVectorization", vocabulary="/etc/passwd", **TEXT_VECTORIZATION)),
        "'vocabulary' is a string, which TextVectorization would open as a file",
    ),
    (
        "vocabulary_file_url",
        insert(entry("TextVectorization", vocabulary="file:///etc/passwd", **TEXT_VECTORIZATION)),
        "never opens a path",
    ),
    (
        "vocabulary_http_url",
        insert(entry("TextVectorization", vocabulary="http://x/v.txt", **TEXT_VECTORIZATION)),
        "never opens a path",
    ),
    (
        "vocabulary_relative",
        insert(entry("TextVectorization", vocabulary="../vocab.txt", **TEXT_VECTORIZATION)),
        "never opens a path",
    ),
    (
        "vocabulary_home",
        insert(entry("TextVectorization", vocabulary="~/.ssh/id_rsa", **TEXT_VECTORIZATION)),
        "never opens a path",
    ),
    # --- OpLayers: only public functions of lamina.ops, plain values
    ("op_os_system", op_layer("system", [None, "echo pwned"]), "unknown op"),
    ("op_dunder_import", op_layer("__import__", [None]), "unknown op"),
    ("op_module", op_layer("random", [None]), "unknown op"),
    ("op_private", op_layer("_get_xp", [None]), "unknown op"),
    (
        "op_numpy_object",
        op_layer("add", [None, {"class_name": "__numpy__", "config": {"value": 1, "dtype": "O"}}]),
        "__numpy__ marker needs a dtype",
    ),
    (
        "op_slice_of_text",
        op_layer("getitem", [None, {"class_name": "__slice__", "config": {"start": "os"}}]),
        "__slice__ holds integers",
    ),
    (
        "op_tuple_without_value",
        op_layer("getitem", [None, {"class_name": "__tuple__", "config": {}}]),
        "__tuple__ marker needs",
    ),
    # --- sizes: nothing is allocated that the file cannot fill
    ("units_1e7", set_arg("units", 10**7), r"asks for weight 'kernel' of shape \(4, 10000000\)"),
    ("units_1e9", set_arg("units", 10**9), r"would return a tensor of shape \(None, 1000000000\)"),
    ("units_1e15", set_arg("units", 10**15), "would return a tensor of shape"),
    ("units_2_64", set_arg("units", 2**64), "would return a tensor of shape"),
    ("units_1e7_second_layer", set_arg("units", 10**7, i=2), "asks for weight 'kernel'"),
    (
        "giant_input_to_dense",
        seq_config(lambda c: layer(c, 0)["config"].update(batch_shape=[None, 10**9])),
        r"would be probed on a tensor of shape \(None, 1000000000\)",
    ),
    (
        "giant_input_to_activation",
        insert(entry("Activation", activation="relu"), input_shape=[None, 10**9]),
        r"would be probed on a tensor of shape \(None, 1000000000\)",
    ),
    (
        "giant_image_input",
        insert(entry("Flatten"), input_shape=[None, 100_000, 100_000, 3]),
        "would be probed on a tensor",
    ),
    (
        "repeat_vector_1e9",
        insert(entry("RepeatVector", n=10**9), at=2),
        r"would return a tensor of shape \(None, 1000000000, 8\)",
    ),
    (
        "build_config_giant",
        set_top(build_config={"input_shape": [None, 10**9]}),
        "'build_config' holds a too large shape",
    ),
    ("build_config_path", set_top(build_config={"input_shape": "/etc/passwd"}), "malformed"),
    ("weight_dtype_complex", set_arg("dtype", "complex128"), "dtype complex128"),
    ("weight_dtype_long_double", set_arg("dtype", "float128"), "dtype float128"),
    ("weight_dtype_void", set_arg("dtype", "V100000000"), "data type 'void800000000'"),
    ("weight_dtype_object", set_arg("dtype", "object"), "data type 'string'"),
    (
        "input_shape_1e5_features",
        seq_config(lambda c: layer(c, 0)["config"].update(batch_shape=[None, 10**5])),
        r"'hidden': weight 'kernel' has shape \(100000, 8\) but .* holds shape \(4, 8\)",
    ),
    ("units_negative", set_arg("units", -1), "positive integer. Received: units=-1"),
    ("units_text", set_arg("units", "8"), "Expected units to be a positive integer"),
    ("units_shape_mismatch", set_arg("units", 9), r"has shape \(4, 9\)"),
    ("op_tile_1e9", op_layer("tile", [None, [1, 10**9]]), "OpLayer 'tile' is given sizes"),
    ("op_zeros_huge", op_layer("zeros", [[2**40]]), "OpLayer 'zeros' is given sizes"),
    (
        "op_broadcast_huge",
        op_layer(
            "broadcast_to",
            [None, {"class_name": "__tuple__", "config": {"value": [3, 10**5, 10**5]}}],
        ),
        "OpLayer 'broadcast_to' is given sizes",
    ),
    ("op_one_hot_huge", op_layer("one_hot", [None, 10**10]), "OpLayer 'one_hot'"),
    ("op_pad_huge", op_layer("pad", [None, [[0, 0], [0, 10**9]]]), "OpLayer 'pad'"),
    (
        "metric_auc_thresholds",
        set_compile("metrics", [{"class_name": "AUC", "config": {"num_thresholds": 10**9}}]),
        "a loss or metric setting is 1000000000",
    ),
    (
        "metric_iou_classes",
        set_compile("metrics", [{"class_name": "MeanIoU", "config": {"num_classes": 10**6}}]),
        "a loss or metric setting is 1000000",
    ),
    # --- functional graphs
    ("history_missing_layer", func_history(2, ["ghost", 0, 0]), "ghost"),
    ("history_node_out_of_range", func_history(2, ["a", 5, 0]), "node"),
    ("history_tensor_out_of_range", func_history(2, ["a", 0, 3]), "3"),
    ("history_cycle", func_history(2, ["add", 0, 0]), "cycle|never|depend"),
    ("history_not_a_list", func_history(2, ["a", "0", None]), "keras_history|history"),
    (
        "inputs_name_a_non_input",
        func_config(lambda c: c["config"].update(input_layers={"a": ["add", 0, 0]})),
        "input",
    ),
    (
        "outputs_missing",
        func_config(lambda c: c["config"].update(output_layers=[])),
        "output",
    ),
    (
        "layers_not_a_list",
        func_config(lambda c: c["config"].update(layers="/etc/passwd")),
        "layers",
    ),
]


def test_cases_are_distinct():
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("make", "match"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_config_is_refused(valid, tmp_path, make, match):
    path = write(tmp_path, "hostile.keras", make(valid))
    assert_refused(lambda: lamina.models.load_model(path), tmp_path, match)
