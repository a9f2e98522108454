"""Each role against each route of the foundation. A record out of sight is 404, not 403."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import World

ROLES = ["admin", "manager", "rep", "finance", "executive", "legal", "service_agent"]
ADMIN_ONLY = {"admin"}
READERS = {"admin", "manager", "executive"}  # users:read / departments:read

Route = tuple[str, Callable[[World], str], Callable[[World], Any] | None, set[str], int]

ROUTES: list[Route] = [
    ("GET", lambda w: "/api/v1/me", None, set(ROLES), 200),
    ("GET", lambda w: "/api/v1/notifications", None, set(ROLES), 200),
    ("GET", lambda w: "/api/v1/notifications/unread-count", None, set(ROLES), 200),
    ("GET", lambda w: "/api/v1/users", None, READERS, 200),
    ("GET", lambda w: "/api/v1/users/directory", None, set(ROLES), 200),
    ("GET", lambda w: "/api/v1/roles", None, READERS, 200),
    ("POST", lambda w: "/api/v1/users", lambda w: {
        "email": f"new.{uuid.uuid4().hex[:6]}@example.com", "name": "New", "role": "sales_rep",
        "password": "long-enough-pass"}, ADMIN_ONLY, 201),
    ("GET", lambda w: f"/api/v1/users/{w.users['rep'].id}", None, READERS, 200),
    ("PATCH", lambda w: f"/api/v1/users/{w.users['legal'].id}", lambda w: {"name": "Renamed"},
     ADMIN_ONLY, 200),
    ("POST", lambda w: f"/api/v1/users/{w.users['legal'].id}/password",
     lambda w: {"new_password": "reset-password-1"}, ADMIN_ONLY, 204),
    ("GET", lambda w: "/api/v1/departments", None, READERS, 200),
    ("POST", lambda w: "/api/v1/departments", lambda w: {"name": "Ops"}, ADMIN_ONLY, 201),
    ("GET", lambda w: f"/api/v1/departments/{w.departments['east'].id}", None, READERS, 200),
    ("PATCH", lambda w: f"/api/v1/departments/{w.departments['north'].id}",
     lambda w: {"name": "North China"}, ADMIN_ONLY, 200),
    ("GET", lambda w: "/api/v1/api-keys", None, ADMIN_ONLY, 200),
    ("POST", lambda w: "/api/v1/api-keys", lambda w: {"name": "k", "scopes": ["leads:write"]},
     ADMIN_ONLY, 201),
    ("GET", lambda w: "/api/v1/audit-log", None, ADMIN_ONLY, 200),
]


@pytest.mark.parametrize("role", ROLES)
async def test_every_route_for_every_role(client: httpx.AsyncClient, world: World,
                                          container: Container, role: str) -> None:
    failures = []
    for method, path_of, body_of, allowed, ok in ROUTES:
        path = path_of(world)
        body = body_of(world) if body_of else None
        r = await client.request(method, path, json=body, headers=world.auth(role))
        expected = ok if role in allowed else 403
        if r.status_code != expected:
            failures.append(f"{method} {path}: {r.status_code} (wanted {expected}) {r.text[:120]}")
        if expected == 403:
            assert r.headers["content-type"] == "application/problem+json"
    assert failures == []
    denied = sum(1 for _, _, _, allowed, _ in ROUTES if role not in allowed)
    async with container.engine.connect() as conn:
        audited = (await conn.execute(select(tables.audit_log.c.target_id).where(
            tables.audit_log.c.action == "permission.denied",
            tables.audit_log.c.actor_id == world.users[role].id))).scalars().all()
    assert len(audited) == denied, "every permission failure is audited"


async def test_deleting_a_department_is_admin_only(client: httpx.AsyncClient,
                                                   world: World) -> None:
    r = await client.post("/api/v1/departments", json={"name": "Temp"}, headers=world.auth("admin"))
    path = f"/api/v1/departments/{r.json()['id']}"
    for role in ROLES[1:]:
        assert (await client.delete(path, headers=world.auth(role))).status_code == 403
    assert (await client.delete(path, headers=world.auth("admin"))).status_code == 204
    assert (await client.get(path, headers=world.auth("admin"))).status_code == 404
    busy = f"/api/v1/departments/{world.departments['east'].id}"
    assert (await client.delete(busy, headers=world.auth("admin"))).status_code == 409


async def test_a_manager_sees_its_subtree_and_gets_404_outside(client: httpx.AsyncClient,
                                                               world: World) -> None:
    h = world.auth("manager")
    inside = await client.get(f"/api/v1/users/{world.users['rep'].id}", headers=h)
    assert inside.status_code == 200
    outside = await client.get(f"/api/v1/users/{world.users['north_rep'].id}", headers=h)
    assert outside.status_code == 404
    missing = await client.get(f"/api/v1/users/{uuid.uuid4()}", headers=h)
    assert missing.status_code == 404 and missing.json()["detail"].endswith("was not found")
    listed = await client.get("/api/v1/users", headers=h)
    assert {u["id"] for u in listed.json()["items"]} == {
        str(world.users["manager"].id), str(world.users["rep"].id)}
    filtered = await client.get("/api/v1/users", headers=h,
                                params={"department_id": str(world.departments["north"].id)})
    assert filtered.json()["items"] == []


async def test_a_sales_rep_cannot_administer_users(client: httpx.AsyncClient,
                                                   world: World) -> None:
    h = world.auth("rep")
    assert (await client.get("/api/v1/users", headers=h)).status_code == 403
    r = await client.patch(f"/api/v1/users/{world.users['rep'].id}", json={"role": "admin"},
                           headers=h)
    assert r.status_code == 403, "no promoting yourself"


async def test_everyone_may_read_the_directory_of_names_but_no_addresses(
        client: httpx.AsyncClient, world: World) -> None:
    await client.patch(f"/api/v1/users/{world.users['legal'].id}", headers=world.auth("admin"),
                       json={"is_active": False})
    r = await client.get("/api/v1/users/directory", headers=world.auth("rep"),
                         params={"limit": 200})
    assert r.status_code == 200, r.text
    by_id = {e["id"]: e for e in r.json()["items"]}
    assert set(by_id) == {str(u.id) for u in world.users.values()}
    finance = by_id[str(world.users["finance"].id)]
    assert set(finance) == {"id", "name", "role", "department_id", "is_active"}
    assert (finance["name"], finance["role"]) == (world.users["finance"].name, "finance")
    assert by_id[str(world.users["legal"].id)]["is_active"] is False, "still named, marked"
    assert all("email" not in e for e in by_id.values())
    assert "@" not in r.text
    assert (await client.get("/api/v1/users/directory")).status_code == 401


async def test_an_api_key_needs_users_read_for_the_directory(
        client: httpx.AsyncClient, world: World) -> None:
    for scopes, status in ((["leads:write"], 403), (["users:read"], 200)):
        r = await client.post("/api/v1/api-keys", headers=world.auth("admin"),
                              json={"name": f"k {scopes[0]}", "scopes": scopes})
        got = await client.get("/api/v1/users/directory",
                               headers={"X-API-Key": r.json()["secret"]})
        assert got.status_code == status, got.text


async def test_the_permission_matrix_is_what_each_role_gets(
        client: httpx.AsyncClient, world: World) -> None:
    r = await client.get("/api/v1/roles", headers=world.auth("admin"))
    assert r.status_code == 200, r.text
    matrix = {row["role"]: row["scopes"] for row in r.json()}
    assert set(matrix) == {"admin", "manager", "sales_rep", "finance", "executive", "legal",
                           "service_agent"}
    assert "contracts:payments" in matrix["finance"] and "pii:reveal" not in matrix["sales_rep"]
    for key in ROLES:  # the matrix says exactly what /me gives each role
        me = (await client.get("/api/v1/me", headers=world.auth(key))).json()
        assert sorted(matrix[me["role"]]) == sorted(me["scopes"]), key
