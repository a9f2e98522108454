"""The audit trail: every write, log-in and denial, with a diff; append-only; admins read it."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.bootstrap import Container
from tests.conftest import PASSWORD, World


async def entries(client: httpx.AsyncClient, world: World, **params: str) -> list[dict]:  # type: ignore[type-arg]
    r = await client.get("/api/v1/audit-log", headers=world.auth("admin"), params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_user_writes_are_audited_with_a_field_diff(client: httpx.AsyncClient,
                                                          world: World) -> None:
    rep = world.users["rep"]
    r = await client.patch(f"/api/v1/users/{rep.id}", headers=world.auth("admin"),
                           json={"name": "Li Lei", "role": "manager"})
    assert r.status_code == 200
    (entry,) = await entries(client, world, action="user.updated", target_type="user",
                             target_id=str(rep.id))
    assert entry["diff"] == {"name": ["Rep", "Li Lei"], "role": ["sales_rep", "manager"]}
    assert entry["actor_id"] == str(world.users["admin"].id)
    assert entry["ip"] == "203.0.113.7" and entry["request_id"]
    created = await entries(client, world, action="user.created", target_type="user",
                             target_id=str(rep.id))
    assert created[0]["diff"]["email"] == [None, rep.email]
    assert "password_hash" not in created[0]["diff"]


async def test_logins_and_failures_are_audited(client: httpx.AsyncClient, world: World) -> None:
    email = world.users["rep"].email
    await client.post("/api/v1/auth/token", data={"username": email, "password": "nope-nope"})
    await client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    await client.post("/api/v1/auth/token", data={"username": "ghost@example.com",
                                                  "password": "whatever"})
    failed = await entries(client, world, action="auth.login_failed")
    assert {e["actor_label"] for e in failed} == {email, "ghost@example.com"}
    ok = await entries(client, world, action="auth.login")
    assert ok[0]["actor_id"] == str(world.users["rep"].id)


async def test_filters_by_actor_and_time(client: httpx.AsyncClient, world: World) -> None:
    await client.post("/api/v1/departments", json={"name": "Ops"}, headers=world.auth("admin"))
    mine = await entries(client, world, actor_id=str(world.users["admin"].id))
    assert [e["action"] for e in mine] == ["department.created"]
    assert await entries(client, world, since="2999-01-01T00:00:00Z") == []


async def test_the_log_is_append_only(container: Container, world: World) -> None:
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with container.engine.begin() as conn:
                await conn.execute(text(statement))
    async with container.engine.connect() as conn:
        assert (await conn.scalar(text("SELECT count(*) FROM audit_log"))) > 0


async def test_only_admins_read_the_log(client: httpx.AsyncClient, world: World) -> None:
    for role in ("manager", "executive", "rep"):
        r = await client.get("/api/v1/audit-log", headers=world.auth(role))
        assert r.status_code == 403


async def test_filters_by_user_record_and_time_range_together(client: httpx.AsyncClient,
                                                               world: World) -> None:
    admin = world.auth("admin")
    made = [(await client.post("/api/v1/departments", json={"name": f"Team {i}"},
                               headers=admin)).json() for i in range(3)]
    first = made[0]["id"]
    await client.patch(f"/api/v1/departments/{first}", json={"name": "Renamed"},
                       headers={**admin, "If-Match": f'"{made[0]["version"]}"'})
    record = await entries(client, world, target_type="department", target_id=first,
                           actor_id=str(world.users["admin"].id))
    assert [e["action"] for e in record] == ["department.updated", "department.created"]
    at = record[-1]["at"]
    assert [e["action"] for e in await entries(client, world, target_type="department",
                                               target_id=first, until=at)] == []
    assert len(await entries(client, world, target_type="department", target_id=first,
                             since=at, until="2999-01-01T00:00:00Z")) == 2

    # Newest first, page by page, nothing repeated or skipped.
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params = {"actor_id": str(world.users["admin"].id), "limit": "2",
                  **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/audit-log", headers=admin, params=params)).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) >= 4 and seen == sorted(seen, reverse=True)


async def test_filters_that_cannot_match_name_the_field(client: httpx.AsyncClient,
                                                        world: World) -> None:
    r = await client.get("/api/v1/audit-log", headers=world.auth("admin"),
                         params={"target_id": "42"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "target_type"
    r = await client.get("/api/v1/audit-log", headers=world.auth("admin"), params={
        "since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "until"
