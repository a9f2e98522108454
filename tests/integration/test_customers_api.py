"""Customers over HTTP on PostgreSQL: creating one, who sees which, edits, grade moves,
reassigning, soft delete and restore, and bad input. Personal data, follow-ups and tasks, and
the list have modules of their own."""

from __future__ import annotations

import asyncio
import re

import httpx
from sqlalchemy import select, text

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import World, drain
from tests.integration.customers_helpers import CARD, MOBILE, create, new_customer


async def test_a_rep_creates_a_customer_with_masked_contacts(client: httpx.AsyncClient,
                                                             world: World) -> None:
    r = await client.post("/api/v1/customers", json=new_customer(), headers=world.auth("rep"))
    assert r.status_code == 201, r.text
    c = r.json()
    assert re.fullmatch(r"C\d{6}\d{6}", c["number"])
    assert c["owner_id"] == str(world.users["rep"].id)
    assert c["owner_department_id"] == str(world.departments["east"].id)
    assert c["tier"] == "strategic" and c["grade"] == "potential"
    assert c["annual_purchase"] == "1500000.00"
    primary, second = c["contacts"]
    assert primary["is_primary"] and not second["is_primary"]
    assert primary["mobile"] == "138****5678" and primary["email"] == "Z***@example.com"
    assert second["landline"] == "021-****7777"
    assert r.headers["etag"] == '"1"'
    assert MOBILE not in r.text and "Zhang.San" not in r.text


async def test_records_of_others_are_404_on_every_route(client: httpx.AsyncClient,
                                                        world: World,
                                                        container: Container) -> None:
    c = await create(client, world)
    cid = c["id"]
    h = world.auth("north_rep")
    for method, path, body in [
        ("GET", f"/api/v1/customers/{cid}", None),
        ("PATCH", f"/api/v1/customers/{cid}", {"key_needs": "x"}),
        ("DELETE", f"/api/v1/customers/{cid}", None),
        ("POST", f"/api/v1/customers/{cid}/reveal", None),
        ("GET", f"/api/v1/customers/{cid}/timeline", None),
        ("GET", f"/api/v1/customers/{cid}/followups", None),
        ("POST", f"/api/v1/customers/{cid}/followups", {"method": "phone", "summary": "hi"}),
        ("POST", "/api/v1/followups", {"customer_id": cid, "method": "phone", "summary": "x"}),
        ("POST", "/api/v1/tasks", {"title": "x", "related_type": "customer", "related_id": cid}),
    ]:
        r = await client.request(method, path, json=body, headers=h)
        expected = 403 if method == "DELETE" else 404  # reps may not delete at all
        assert r.status_code == expected, (method, path, r.text)
    listed = await client.get("/api/v1/customers", headers=h)
    assert listed.json()["items"] == []
    async with container.engine.connect() as conn:
        denials = await conn.scalar(select(text("count(*)")).select_from(tables.audit_log).where(
            tables.audit_log.c.action == "permission.denied",
            tables.audit_log.c.actor_id == world.users["north_rep"].id))
    assert denials >= 8, "hidden records are audited as permission failures"


async def test_who_sees_which_customers(client: httpx.AsyncClient, world: World) -> None:
    east = await create(client, world, "rep")
    north = await create(client, world, "north_rep", name="北京华北重工有限公司")

    async def ids(who: str) -> set[str]:
        r = await client.get("/api/v1/customers", headers=world.auth(who))
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()["items"]}

    assert await ids("rep") == {east["id"]}
    assert await ids("north_rep") == {north["id"]}
    assert await ids("manager") == {east["id"]}
    assert await ids("north_manager") == {north["id"]}
    for everyone in ("admin", "executive", "finance", "legal", "service_agent"):
        assert await ids(everyone) == {east["id"], north["id"]}, everyone
    write = await client.patch(f"/api/v1/customers/{east['id']}", json={"key_needs": "x"},
                               headers=world.auth("finance"))
    assert write.status_code == 403


async def test_grade_moves_follow_the_lifecycle(client: httpx.AsyncClient, world: World) -> None:
    c = await create(client, world)
    h = world.auth("rep")
    jump = await client.patch(f"/api/v1/customers/{c['id']}", json={"grade": "closed"}, headers=h)
    assert jump.status_code == 409 and "potential to closed" in jump.json()["detail"]
    for grade in ("intent", "closed", "churned", "intent"):
        r = await client.patch(f"/api/v1/customers/{c['id']}", json={"grade": grade}, headers=h)
        assert r.status_code == 200 and r.json()["grade"] == grade


async def test_a_new_customer_starts_where_the_lifecycle_lets_it(client: httpx.AsyncClient,
                                                                 world: World) -> None:
    for grade in ("closed", "churned"):
        r = await client.post("/api/v1/customers", json=new_customer(grade=grade),
                              headers=world.auth("rep"), params={"allow_duplicate": "true"})
        assert r.status_code == 422, grade
        assert r.json()["errors"][0]["field"] == "grade"
    assert (await create(client, world, grade="intent"))["grade"] == "intent"
    assert (await create(client, world))["grade"] == "potential"


async def test_a_stale_edit_gets_412_and_loses_nothing(client: httpx.AsyncClient,
                                                       world: World) -> None:
    c = await create(client, world)
    h = world.auth("rep")
    fresh = await client.patch(f"/api/v1/customers/{c['id']}", json={"key_needs": "二期扩产"},
                               headers={**h, "If-Match": '"1"'})
    assert fresh.status_code == 200 and fresh.headers["etag"] == '"2"'
    stale = await client.patch(f"/api/v1/customers/{c['id']}", json={"key_needs": "offline"},
                               headers={**h, "If-Match": '"1"'})
    assert stale.status_code == 412
    now = await client.get(f"/api/v1/customers/{c['id']}", headers=h)
    assert now.json()["key_needs"] == "二期扩产"


async def test_managers_reassign_within_their_team_and_the_owner_is_told(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    c = await create(client, world)
    rep2 = await world.user("rep2", world.users["rep"].role, world.departments["east"])
    world.users["rep2"] = rep2
    r = await client.patch(f"/api/v1/customers/{c['id']}", json={"owner_id": str(rep2.id)},
                           headers=world.auth("rep"))
    assert r.status_code == 403
    outside = await client.patch(f"/api/v1/customers/{c['id']}",
                                 json={"owner_id": str(world.users["north_rep"].id)},
                                 headers=world.auth("manager"))
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "owner_id"
    r = await client.patch(f"/api/v1/customers/{c['id']}", json={"owner_id": str(rep2.id)},
                           headers=world.auth("manager"))
    assert r.status_code == 200 and r.json()["owner_id"] == str(rep2.id)
    assert (await client.get(f"/api/v1/customers/{c['id']}",
                             headers=world.auth("rep"))).status_code == 404
    await drain(container)
    inbox = (await client.get("/api/v1/notifications", headers=world.auth("rep2"))).json()
    assert "customer_assigned" in [n["kind"] for n in inbox["items"]]
    timeline = (await client.get(f"/api/v1/customers/{c['id']}/timeline",
                                 headers=world.auth("manager"))).json()
    assert timeline["items"][0]["kind"] == "owner_changed"


async def test_soft_delete_restore_and_tombstones_for_sync(client: httpx.AsyncClient,
                                                           world: World) -> None:
    c = await create(client, world)
    before = (await client.get(f"/api/v1/customers/{c['id']}", headers=world.auth("rep"))).json()
    assert (await client.delete(f"/api/v1/customers/{c['id']}",
                                headers=world.auth("rep"))).status_code == 403
    assert (await client.delete(f"/api/v1/customers/{c['id']}",
                                headers=world.auth("manager"))).status_code == 204
    assert (await client.get(f"/api/v1/customers/{c['id']}",
                             headers=world.auth("rep"))).status_code == 404
    assert (await client.get("/api/v1/customers", headers=world.auth("rep"))).json()["items"] == []
    sync = await client.get("/api/v1/customers", headers=world.auth("rep"),
                            params={"updated_since": before["updated_at"]})
    assert sync.json()["items"] == [
        {"id": c["id"], "deleted": True, "version": 2, "merged_into": None,
         "updated_at": sync.json()["items"][0]["updated_at"]}]
    assert (await client.get("/api/v1/customers", params={"deleted": "true"},
                             headers=world.auth("rep"))).status_code == 403
    bin_ = await client.get("/api/v1/customers", params={"deleted": "true"},
                            headers=world.auth("manager"))
    assert [x["id"] for x in bin_.json()["items"]] == [c["id"]]
    restored = await client.post(f"/api/v1/customers/{c['id']}/restore",
                                 headers=world.auth("manager"))
    assert restored.status_code == 200 and restored.json()["contacts"][0]["name"] == "张三"
    timeline = (await client.get(f"/api/v1/customers/{c['id']}/timeline",
                                 headers=world.auth("rep"))).json()
    assert [e["kind"] for e in timeline["items"]] == ["restored", "deleted", "created"]


async def test_bad_input_names_the_field(client: httpx.AsyncClient, world: World) -> None:
    h = world.auth("rep")
    cases = [
        ({"contacts": [{"name": "x", "mobile": "12345"}]}, "contacts.0.mobile"),
        ({"contacts": [{"name": "x", "landline": "12345678"}]}, "contacts.0.landline"),
        ({"contacts": [{"name": "x", "email": "not-an-email"}]}, "contacts.0.email"),
        ({"kind": "person", "id_card_number": "110101199003071234"}, "id_card_number"),
        ({"id_card_number": CARD}, "id_card_number"),  # a company has no ID card
        ({"name": "x"}, "name"),
        ({"industry": "astrology"}, "industry"),
        ({"annual_purchase": "-5"}, "annual_purchase"),
        ({"annual_purchase": "1.234"}, "annual_purchase"),
        ({"custom": {"Bad Key": 1}}, "custom.Bad Key"),
        ({"custom": {"employees": "many"}}, "custom.employees"),
        ({"custom": {"undefined_field": "x"}}, "custom.undefined_field"),
        ({"contacts": [{"name": "a", "is_primary": True}, {"name": "b", "is_primary": True}]},
         "contacts"),
        ({"owner_id": "not-a-uuid"}, "owner_id"),
        ({"surprise": 1}, "surprise"),
    ]
    for over, field in cases:
        r = await client.post("/api/v1/customers", json=new_customer(**over), headers=h)
        assert r.status_code == 422, (over, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in r.json()["errors"]], (over, r.json())
    assert (await client.get("/api/v1/customers", headers=h)).json()["items"] == []


async def test_concurrent_creation_gives_unique_numbers(client: httpx.AsyncClient,
                                                        world: World) -> None:
    results = await asyncio.gather(*[
        client.post("/api/v1/customers", headers=world.auth("rep"),
                    json=new_customer(name=f"并发测试{i:02d}有限公司", contacts=[]))
        for i in range(25)])
    assert {r.status_code for r in results} == {201}
    numbers = [r.json()["number"] for r in results]
    assert len(set(numbers)) == 25


async def test_picklists_are_admin_managed(client: httpx.AsyncClient, world: World) -> None:
    r = await client.get("/api/v1/picklists/industry", headers=world.auth("rep"))
    assert "manufacturing" in r.json()["values"]
    denied = await client.post("/api/v1/picklists/industry", headers=world.auth("manager"),
                               json={"value": "robotics", "label": "机器人"})
    assert denied.status_code == 403
    ok = await client.post("/api/v1/picklists/industry", headers=world.auth("admin"),
                           json={"value": "robotics", "label": "机器人"})
    assert ok.status_code == 204
    await create(client, world, industry="robotics")
    assert (await client.get("/api/v1/picklists/colours",
                             headers=world.auth("rep"))).status_code == 404


async def test_times_without_a_zone_are_refused_or_read_as_utc(client: httpx.AsyncClient,
                                                               world: World) -> None:
    c = await create(client, world)
    h = world.auth("rep")
    r = await client.post(f"/api/v1/customers/{c['id']}/followups", headers=h, json={
        "method": "phone", "summary": "x", "occurred_at": "2026-11-20T09:00:00Z",
        "next_followup_at": "2026-11-27T09:00:00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "next_followup_at"
    for param in ("updated_since", "created_from", "last_followup_before"):
        r = await client.get("/api/v1/customers", params={param: "2026-01-01T00:00:00"},
                             headers=h)
        assert r.status_code in (200, 422), (param, r.text)
    r = await client.get("/api/v1/tasks", params={"due_before": "2026-01-01T00:00:00"},
                         headers=h)
    assert r.status_code in (200, 422)
