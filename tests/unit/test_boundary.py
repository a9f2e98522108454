"""The hexagon's boundary: the domain imports no framework and no adapter (lint-imports too)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_DOMAIN = {"api", "adapters", "fastapi", "starlette", "sqlalchemy", "asyncpg", "arq",
                       "httpx", "pydantic_settings", "pydantic", "jose", "passlib", "redis"}
FORBIDDEN_IN_API = {"adapters", "sqlalchemy", "asyncpg", "arq", "redis"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def offenders(package: str, forbidden: set[str]) -> dict[str, set[str]]:
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        bad = imported_roots(path) & forbidden
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_domain_is_plain_python() -> None:
    assert offenders("domain", FORBIDDEN_IN_DOMAIN) == {}


def test_api_holds_no_sql_and_no_adapter() -> None:
    assert offenders("api", FORBIDDEN_IN_API) == {}


def test_the_check_itself_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("import sqlalchemy\nfrom fastapi import FastAPI\n")
    assert imported_roots(bad) & FORBIDDEN_IN_DOMAIN == {"sqlalchemy", "fastapi"}
