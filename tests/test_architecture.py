"""The package's import ladder (docs/architecture.md): no module imports upward at module level.

Each module of `lamina` stands on one rung; at module level it may import only modules on its
own rung or below. An import made inside a function (to close a real cycle of concepts) must
say why in a comment on its line or the line above.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "lamina"

# The rungs, lowest first; a module takes the rung of its longest matching prefix.
RUNGS: list[tuple[str, list[str]]] = [
    (
        "engine",
        [
            "lamina.backend",
            "lamina.tensor",
            "lamina.function",
            "lamina.gradient_tape",
            "lamina.variable",
            "lamina.naming",
            "lamina.tree",
            "lamina.validation",
            "lamina.serialization",
            "lamina.io",
        ],
    ),
    ("ops", ["lamina.ops", "lamina.random"]),
    (
        "catalogue",
        [
            "lamina.activations",
            "lamina.initializers",
            "lamina.regularizers",
            "lamina.constraints",
            "lamina.losses",
            "lamina.metrics",
            "lamina.optimizers",
        ],
    ),
    ("layers", ["lamina.layers"]),
    ("distribution", ["lamina.distribution"]),
    ("callbacks", ["lamina.callbacks"]),
    ("training", ["lamina.training"]),
    ("models", ["lamina.models"]),
    ("saving", ["lamina.saving"]),
    (
        "applications",
        [
            "lamina.applications",
            "lamina.datasets",
            "lamina.preprocessing",
            "lamina.utils",
            "lamina.visualization",
            "lamina.testing",
            "lamina",
        ],
    ),
]


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def rung_of(module: str) -> int:
    best, rung = -1, None
    for index, (_, prefixes) in enumerate(RUNGS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rung = len(prefix), index
    if rung is None:
        raise AssertionError(f"{module} stands on no rung: add it to RUNGS")
    return rung


def resolve(node: ast.ImportFrom | ast.Import, module: str, is_package: bool) -> list[str]:
    """The lamina modules an import statement loads (`from lamina import ops` loads lamina.ops)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.startswith("lamina")]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    if not source.startswith("lamina"):
        return []
    targets = []
    for alias in node.names:
        candidate = f"{source}.{alias.name}"
        targets.append(candidate if candidate in MODULES else source)
    return targets


def module_level_imports(tree: ast.Module) -> list[ast.stmt]:
    """Import statements run when the module is imported (not those under TYPE_CHECKING)."""
    found, pending = [], list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                pending += node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody
            for handler in node.handlers:
                pending += handler.body
    return found


def test_every_module_stands_on_a_rung():
    for module in MODULES:
        rung_of(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_upward_import_at_module_level(module):
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    rung = rung_of(module)
    upward = []
    for node in module_level_imports(tree):
        for target in resolve(node, module, path.name == "__init__.py"):
            if rung_of(target) > rung:
                upward.append(f"line {node.lineno}: {target} ({RUNGS[rung_of(target)][0]})")
    assert not upward, (
        f"{module} ({RUNGS[rung][0]}) imports upward at module level: {upward}. "
        "Move the code to the rung it belongs on (docs/architecture.md)."
    )


def test_imports_inside_functions_say_why():
    unexplained = []
    for module, path in MODULES.items():
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                relative = getattr(node, "level", 0)
                if not relative and not resolve(node, module, path.name == "__init__.py"):
                    continue
                here = lines[node.lineno - 1]
                above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
                if "#" not in here and not above.startswith("#"):
                    unexplained.append(f"{module}:{node.lineno}")
    assert not unexplained, (
        "imports inside functions without a one-line reason (a comment on the line or the "
        f"line above): {sorted(set(unexplained))}"
    )
