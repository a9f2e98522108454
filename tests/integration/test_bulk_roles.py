"""Each role against the bulk-data routes: tags, custom fields, segments, imports, exports,
duplicates and merge."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import World
from tests.integration.customers_helpers import create

ROLES = ["admin", "manager", "rep", "north_rep", "finance", "executive", "legal",
         "service_agent"]
WRITERS = {"admin", "manager", "rep", "north_rep"}  # customers:write
REVEALERS = {"admin", "manager"}


@pytest.mark.parametrize("role", ROLES)
async def test_bulk_routes_by_role(client: httpx.AsyncClient, world: World, role: str) -> None:
    c = await create(client, world, "rep")
    d = await create(client, world, "rep", name="上海明远精密机械制造有限公司", contacts=[])
    routes: list[tuple[str, str, dict | None, dict | None, int]] = [  # type: ignore[type-arg]
        ("GET", "/api/v1/tags", None, None, 200),
        ("POST", "/api/v1/tags", {"name": f"t-{role}"}, None, 201 if role in WRITERS else 403),
        ("POST", "/api/v1/tags/apply", {"filter": {}, "add": ["x"]}, None,
         200 if role in WRITERS else 403),
        ("GET", "/api/v1/custom-fields", None, None, 200),
        ("POST", "/api/v1/custom-fields", {"key": f"f_{role}", "label": "F", "type": "text"},
         None, 201 if role == "admin" else 403),
        ("GET", "/api/v1/segments", None, None, 200),
        ("POST", "/api/v1/segments", {"name": "s", "filter": {"industry": "retail"}}, None,
         201),
        ("POST", "/api/v1/exports", {}, None, 202),
        ("POST", "/api/v1/exports", {"reveal": True}, None, 202 if role in REVEALERS else 403),
        ("POST", "/api/v1/imports", None, {"file": ("a.csv", "客户名称\n测试有限公司\n".encode())},
         202 if role in WRITERS else 403),
        ("GET", f"/api/v1/customers/{c['id']}/duplicates", None, None,
         404 if role == "north_rep" else 200),
        ("POST", f"/api/v1/customers/{c['id']}/merge", {"from": [d["id"]]}, None,
         403 if role not in WRITERS else 404 if role == "north_rep" else 200),
    ]
    failures = []
    for method, path, body, files, expected in routes:
        r = await client.request(method, path, json=body, files=files, headers=world.auth(role))
        if r.status_code != expected:
            failures.append(f"{method} {path}: {r.status_code}, wanted {expected}: {r.text[:100]}")
    assert failures == []
