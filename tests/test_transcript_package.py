"""The transcript package: what it may import, and how large its pieces are."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "amacast" / "transcript"
MODULES = sorted(PACKAGE.glob("*.py"))


def _amacast_imports(path: Path) -> set[str]:
    """Every amacast module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return {name for name in found if name == "amacast" or name.startswith("amacast.")}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_a_transcript_module_imports_only_the_model_markup_and_its_own_package(path: Path) -> None:
    outside = {
        name
        for name in _amacast_imports(path)
        if name not in ("amacast.model", "amacast.markup")
        and not name.startswith("amacast.transcript.")
    }
    assert outside == set()


def test_the_package_has_its_modules_and_none_too_large() -> None:
    assert {path.stem for path in MODULES} >= {
        "parse", "decode", "front_matter", "text_checks", "blocks", "legend", "turns",
        "validate", "files",
    }  # fmt: skip
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert tree.body[-1].end_lineno is not None and tree.body[-1].end_lineno < 500, path.name
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.end_lineno is not None:
                assert node.end_lineno - node.lineno < 80, f"{path.name}: {node.name}"


def test_no_module_is_left_at_the_old_paths() -> None:
    for name in ("parse.py", "validate.py"):
        assert not (PACKAGE.parent / name).exists()
