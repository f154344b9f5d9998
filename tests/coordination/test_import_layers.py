"""The layers, checked a second way (independently of import-linter): every ``import`` in the app packages,
at module level and inside functions, read with ``ast``.

- Imports point down only: ``config > web | loaders > notifications > stockpiles > pledges > coordination``
  (web and loaders are siblings: neither imports the other).
- An import inside a function carries a one-line reason: a ``#`` comment with words in it (not only
  ``noqa`` codes) on the import's line or on the line directly above.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RANK = {"coordination": 0, "pledges": 1, "stockpiles": 2, "notifications": 3, "web": 4, "loaders": 4, "config": 5}
APPS = tuple(RANK)
# Functions whose first argument names a module to import (a string literal is checked like an import).
IMPORTING_CALLS = {"import_module", "import_string", "__import__"}


@dataclass(frozen=True)
class Import:
    module: str  # the module this file belongs to, e.g. "stockpiles.engine.marks"
    target: str  # the absolute module (or module.name) imported
    line: int
    end_line: int
    in_function: bool


def module_name(path: Path, root: Path) -> tuple[str, bool]:
    """The dotted module name of ``path`` and whether it is a package's ``__init__``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module of ``from <level dots><name> import ...`` written in ``module``."""
    if level == 0:
        return name or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    if level - 1 > len(package) or not base:
        raise ValueError(f"{module}: relative import beyond the top-level package (level {level})")
    return ".".join(base + ([name] if name else []))


def imports_in(source: str, module: str, is_package: bool) -> list[Import]:
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            end = getattr(child, "end_lineno", None) or getattr(child, "lineno", 0)
            if isinstance(child, ast.Import):
                found.extend(Import(module, alias.name, child.lineno, end, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = resolve(module, is_package, child.level, child.module)
                # "from a import b" may import the module a.b: keep both so a submodule is judged by its app
                found.extend(Import(module, f"{base}.{alias.name}" if alias.name != "*" else base, child.lineno,
                                    end, in_function) for alias in child.names)
            elif isinstance(child, ast.Call):
                func = child.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                first = child.args[0] if child.args else None
                if called in IMPORTING_CALLS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.append(Import(module, first.value, child.lineno, end, in_function))
            visit(child, inside)

    visit(ast.parse(source), False)
    return found


def app_of(module: str) -> str | None:
    top = module.split(".", 1)[0]
    return top if top in RANK else None


def layer_violation(imp: Import) -> str | None:
    """Why this import breaks the layers, or None."""
    source, target = app_of(imp.module), app_of(imp.target)
    if source is None or target is None or source == target:
        return None
    if RANK[target] > RANK[source]:
        return f"{source} imports {target}, a layer above it"
    if RANK[target] == RANK[source]:
        return f"{source} imports {target}: siblings never import each other"
    return None


REASON_MIN_LETTERS = 8
NOQA = re.compile(r"^noqa(:\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*)?", re.IGNORECASE)


def comments_by_line(source: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            out[token.start[0]] = token.string
    return out


def has_reason(comment: str | None) -> bool:
    """A comment that says something: not only ``noqa`` codes (``# noqa: F401, PLC0415`` is no reason)."""
    if not comment:
        return False
    text = NOQA.sub("", comment.lstrip("#").strip())
    return sum(c.isalpha() for c in text) >= REASON_MIN_LETTERS


def unexplained_function_imports(source: str, imports: list[Import]) -> list[Import]:
    comments = comments_by_line(source)
    lines = source.splitlines()
    missing = []
    for imp in imports:
        if not imp.in_function:
            continue
        if not lines[imp.line - 1].lstrip().startswith(("import ", "from ")):
            continue  # an import_module("...") call: a layer question only
        candidates = [comments.get(n) for n in range(imp.line, imp.end_line + 1)] + [comments.get(imp.line - 1)]
        above = lines[imp.line - 2].strip() if imp.line >= 2 else ""
        if not above.startswith("#"):
            candidates.pop()  # the line above counts only when it is a comment line of its own
        if not any(has_reason(c) for c in candidates):
            missing.append(imp)
    return missing


def app_files(root: Path = ROOT) -> list[Path]:
    return sorted(p for app in APPS for p in (root / app).rglob("*.py"))


def scan(root: Path = ROOT) -> tuple[list[str], list[str]]:
    """(layer violations, function-level imports without a reason) under ``root``, one line each."""
    layers, reasons = [], []
    for path in app_files(root):
        source = path.read_text(encoding="utf-8")
        module, is_package = module_name(path, root)
        imports = imports_in(source, module, is_package)
        where = path.relative_to(root)
        layers += [f"{where}:{imp.line}: {why} ({imp.target})" for imp in imports if (why := layer_violation(imp))]
        if "migrations" not in path.parts:
            seen = set()
            for imp in unexplained_function_imports(source, imports):
                if imp.line not in seen:
                    seen.add(imp.line)
                    reasons.append(f"{where}:{imp.line}: an import inside a function without a reason comment")
    return layers, reasons


def test_the_apps_exist_and_are_scanned():
    files = app_files()
    assert {p.relative_to(ROOT).parts[0] for p in files} == set(APPS)
    assert len(files) > 100


def test_imports_point_down_only():
    layers, _ = scan()
    assert layers == [], "\n".join(layers)


def test_every_import_inside_a_function_says_why():
    _, reasons = scan()
    assert reasons == [], "\n".join(reasons)


# --- The check itself can fail -------------------------------------------------------------------------

BAD_TREE = {
    "coordination/__init__.py": "",
    "coordination/models.py": "from stockpiles.models import Shortfall\n",  # up: two layers
    "coordination/api/__init__.py": "",
    "coordination/api/views.py": (
        "def view():\n"
        "    from ..services import record_save  # noqa: PLC0415  (relative: coordination.services, fine)\n"
        "    from . import base\n"  # no reason
        "    return record_save, base\n"
    ),
    "pledges/__init__.py": "",
    "pledges/services.py": (
        "import importlib\n"
        "\n"
        "def later():\n"
        "    import notifications.tasks\n"  # up, and no reason
        "    return importlib.import_module('web.views')\n"  # up, by name
    ),
    "stockpiles/__init__.py": "",
    "stockpiles/engine/__init__.py": "",
    "stockpiles/engine/run.py": (
        "from .. import hooks\n"  # stockpiles.hooks: fine
        "from . import store\n"
        "\n"
        "async def go():\n"
        "    # noqa: F401\n"  # only a code: no reason
        "    from pledges import hooks as ph\n"
        "    from coordination import access  # (the access rule is read lazily: a cycle with models)\n"
        "    return ph, access\n"
    ),
    "notifications/__init__.py": "",
    "notifications/receivers.py": "from config import settings\n",
    "web/__init__.py": "",
    "web/views.py": "from loaders import demo\n",  # siblings
    "loaders/__init__.py": "from stockpiles import engine\n",
    "config/__init__.py": "from web import views\n",
}


@pytest.fixture
def bad_tree(tmp_path):
    for name, text in BAD_TREE.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_check_finds_upward_imports_and_unexplained_ones(bad_tree):
    layers, reasons = scan(bad_tree)
    assert layers == [
        "coordination/models.py:1: coordination imports stockpiles, a layer above it (stockpiles.models.Shortfall)",
        "notifications/receivers.py:1: notifications imports config, a layer above it (config.settings)",
        "pledges/services.py:4: pledges imports notifications, a layer above it (notifications.tasks)",
        "pledges/services.py:5: pledges imports web, a layer above it (web.views)",
        "web/views.py:1: web imports loaders: siblings never import each other (loaders.demo)",
    ]
    assert reasons == [
        "coordination/api/views.py:3: an import inside a function without a reason comment",
        "pledges/services.py:4: an import inside a function without a reason comment",
        "stockpiles/engine/run.py:6: an import inside a function without a reason comment",
    ]


@pytest.mark.parametrize(("module", "is_package", "level", "name", "expected"), [
    ("stockpiles.engine.run", False, 1, "store", "stockpiles.engine.store"),
    ("stockpiles.engine.run", False, 2, None, "stockpiles"),
    ("stockpiles.engine", True, 1, "run", "stockpiles.engine.run"),
    ("stockpiles.engine", True, 2, "hooks", "stockpiles.hooks"),
    ("web.dashboard.pages", False, 0, "pledges.models", "pledges.models"),
])
def test_relative_imports_resolve(module, is_package, level, name, expected):
    assert resolve(module, is_package, level, name) == expected


def test_a_reason_is_words_not_codes():
    assert has_reason("# noqa: PLC0415  (cycle: coordination.api.serializers imports this module)")
    assert has_reason("# models load after the app registry")
    assert not has_reason("# noqa: F401, PLC0415")
    assert not has_reason("# noqa")
    assert not has_reason(None)
