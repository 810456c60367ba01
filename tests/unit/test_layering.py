"""Imports flow reader -> annotations -> corpus; outside engines have one import point each."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = {"flask", "flask_login", "flask_wtf", "werkzeug", "jinja2", "wtforms"}
ENGINES = {
    "whoosh": "corpus/search",
    "bleach": "annotations/sanitize",
    "markdown_it": "corpus/markdown",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("corpus", {"annotations", "reader"} | WEB), ("annotations", {"reader"} | WEB)],
)
def test_domain_packages_do_not_import_upwards_or_the_web(package: str, forbidden: set) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & forbidden)
        for path in _modules(package)
        if _imports(path) & forbidden
    }
    assert offenders == {}


def test_each_outside_engine_has_one_import_point() -> None:
    for engine, home in ENGINES.items():
        users = {
            str(path.relative_to(ROOT).with_suffix(""))
            for package in ("reader", "corpus", "annotations")
            for path in _modules(package)
            if engine in _imports(path)
        }
        # home is a module, or a package whose modules may all import the engine
        assert {u for u in users if u != home and not u.startswith(home + "/")} == set(), engine
