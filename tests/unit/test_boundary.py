"""The hexagon's boundary (lint-imports checks it too): the domain imports no framework and no
adapter, feature by feature; the API holds no SQL; and a feature reaches another only through
the public modules that feature declares, never through a private name."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_DOMAIN = {"api", "adapters", "fastapi", "starlette", "sqlalchemy", "asyncpg", "arq",
                       "httpx", "pydantic_settings", "pydantic", "jose", "passlib", "redis"}
FORBIDDEN_IN_API = {"adapters", "sqlalchemy", "asyncpg", "arq", "redis"}
FEATURES = sorted(path.name for path in (ROOT / "domain").iterdir()
                  if (path / "__init__.py").exists() and path.name != "shared")


def imports_of(path: Path, *, typing_only: bool = True) -> list[tuple[str, list[str]]]:
    """(module, names imported from it) for every absolute import of a file; without
    `typing_only`, those under `if TYPE_CHECKING:` are left out."""
    tree = ast.parse(path.read_text(), filename=str(path))
    if not typing_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
                node.body = []
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def imported_roots(path: Path) -> set[str]:
    return {module.split(".")[0] for module, _ in imports_of(path)}


def offenders(package: str, forbidden: set[str]) -> dict[str, set[str]]:
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        bad = imported_roots(path) & forbidden
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


@pytest.mark.parametrize("feature", [*FEATURES, "shared"])
def test_each_domain_package_is_plain_python(feature: str) -> None:
    assert offenders(f"domain/{feature}", FORBIDDEN_IN_DOMAIN) == {}


def test_api_holds_no_sql_and_no_adapter() -> None:
    assert offenders("api", FORBIDDEN_IN_API) == {}


def public_modules(feature: str) -> set[str]:
    """What a feature offers the others, as its package declares it."""
    return set(importlib.import_module(f"domain.{feature}").PUBLIC_MODULES)


def reaches_into(path: Path, own: str | None) -> list[str]:
    """Where a file of feature `own` imports another feature's internals: a module that
    feature does not declare public, or a private name."""
    wrong = []
    for module, names in imports_of(path):
        parts = module.split(".")
        if parts[0] != "domain" or len(parts) < 2 or parts[1] in ("shared", own):
            continue
        feature = parts[1]
        if len(parts) == 2 or parts[2] not in public_modules(feature):
            wrong.append(module)
        wrong += [f"{module}.{name}" for name in names if name.startswith("_")]
    return wrong


@pytest.mark.parametrize("feature", FEATURES)
def test_a_feature_uses_another_only_through_its_public_modules(feature: str) -> None:
    found = {str(path.relative_to(ROOT)): wrong
             for path in (ROOT / "domain" / feature).rglob("*.py")
             if (wrong := reaches_into(path, feature))}
    assert found == {}


def test_shared_depends_on_no_feature_at_run_time() -> None:
    """The unit of work's Protocol names every feature's repositories, for the type checker
    only; nothing else in shared knows a feature."""
    found = {}
    for path in (ROOT / "domain" / "shared").rglob("*.py"):
        modules = [module for module, _ in imports_of(path, typing_only=False)
                   if module.startswith("domain.") and module.split(".")[1] in FEATURES]
        if modules:
            found[str(path.relative_to(ROOT))] = modules
    assert found == {}


@pytest.mark.parametrize("feature", FEATURES)
def test_every_feature_declares_what_it_owns_and_offers(feature: str) -> None:
    package = importlib.import_module(f"domain.{feature}")
    assert (package.__doc__ or "").strip(), f"domain/{feature}/__init__.py: say what it owns"
    for module in public_modules(feature):
        assert (ROOT / "domain" / feature / f"{module}.py").exists(), (feature, module)


def test_the_checks_themselves_catch_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("import sqlalchemy\nfrom fastapi import FastAPI\n"
                   "from domain.leads.routing import _turn\n"
                   "from domain.customers.model import _check\n")
    assert imported_roots(bad) & FORBIDDEN_IN_DOMAIN == {"sqlalchemy", "fastapi"}
    assert reaches_into(bad, "pipeline") == ["domain.leads.routing",
                                             "domain.leads.routing._turn",
                                             "domain.customers.model._check"]
