"""coordination/disclosure.py is the only place where suppression is decided (issue 14).

An AST walk over the project's code (not tests): outside the module, nothing reads the disclosure
settings, calls the module's private checks, or compares a count of nations/contributors with a small
literal (the ad-hoc "fewer than 3" a view might write for itself). Callers only pass contributions in and
show ``Figure.value`` or ``Figure.note``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "coordination", "pledges", "stockpiles", "notifications", "web", "loaders")
OWNER = Path("coordination/disclosure.py")
SETTINGS_MODULE = Path("config/settings.py")  # defines the settings (reads the environment), decides nothing
SETTINGS = {"AGGREGATE_MIN_OTHER_NATIONS", "AGGREGATE_DOMINANCE_PERCENT", "AGGREGATE_ROUNDING",
            "AGGREGATE_PROTECTION_PERCENT"}
PRIVATE_CHECKS = {"min_other_nations", "pinned_reason", "exact_range", "protection", "_split"}
# Comparisons of a count with a small literal that are not about disclosure, with why.
NOT_DISCLOSURE = {Path("loaders/scale.py"): "validates the scale generator's number of nations (input)"}
COUNT_WORDS = ("nation", "contributor", "donor", "other", "given", "holder")


def code_files() -> list[Path]:
    return sorted(p.relative_to(ROOT) for app in APPS for p in (ROOT / app).rglob("*.py")
                  if "migrations" not in p.parts)


def _names(node: ast.AST) -> str:
    return " ".join(n.id for n in ast.walk(node) if isinstance(n, ast.Name)).lower() + " " + " ".join(
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)).lower()


def _counts_nations(node: ast.AST) -> bool:
    """``len(<something about nations>)`` or a name about nations/contributors."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("len", "sum"):
        return any(word in _names(node) for word in COUNT_WORDS)
    return isinstance(node, ast.Name | ast.Attribute) and any(word in _names(node) for word in COUNT_WORDS)


def _small_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and 2 <= node.value <= 5


def offences(path: Path) -> list[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in SETTINGS and path != SETTINGS_MODULE:
            found.append(f"{path}:{node.lineno} reads settings.{node.attr}")
        if isinstance(node, ast.Name) and node.id in SETTINGS and path != SETTINGS_MODULE:
            found.append(f"{path}:{node.lineno} uses {node.id}")
        if isinstance(node, ast.Constant) and node.value in SETTINGS and path != SETTINGS_MODULE:
            found.append(f"{path}:{node.lineno} names {node.value}")
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE_CHECKS and "disclosure" in _names(node.value):
            found.append(f"{path}:{node.lineno} calls disclosure.{node.attr}")
        if isinstance(node, ast.Compare) and path not in NOT_DISCLOSURE:
            sides = [node.left, *node.comparators]
            if any(_small_literal(s) for s in sides) and any(_counts_nations(s) for s in sides):
                found.append(f"{path}:{node.lineno} compares a count of nations with a small literal")
    return found


def test_only_the_disclosure_module_decides_suppression():
    files = code_files()
    assert OWNER in files and len(files) > 50  # the walk sees the project
    found = [o for path in files if path != OWNER for o in offences(path)]
    assert found == []


def test_the_check_finds_an_ad_hoc_suppression(tmp_path, monkeypatch):
    """The walk is not blind: a view that hides a total itself is reported."""
    bad = ROOT / "web" / "_disclosure_owner_probe.py"
    bad.write_text(
        "from django.conf import settings\n"
        "def total(rows):\n"
        "    nations = {r.nation_id for r in rows}\n"
        "    if len(nations) < 3:\n"
        "        return None\n"
        "    return round(sum(r.q for r in rows), -settings.AGGREGATE_ROUNDING)\n",
        encoding="utf-8",
    )
    try:
        found = offences(bad.relative_to(ROOT))
    finally:
        bad.unlink()
    assert any("compares a count of nations" in f for f in found)
    assert any("AGGREGATE_ROUNDING" in f for f in found)
