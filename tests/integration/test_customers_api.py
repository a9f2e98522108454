"""Customer 360 over HTTP on PostgreSQL: personal data, visibility, follow-ups, tasks, sync."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import httpx
from sqlalchemy import select, text

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import World, drain

MOBILE = "13812345678"
CARD = "110101199003071233"


def new_customer(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "上海明远精密机械制造有限公司", "kind": "company", "industry": "manufacturing",
        "region": "east", "annual_purchase": "1500000.00", "tags": ["vip", "b2b"],
        "custom": {"erp_code": "MY-001", "employees": 120},
        "contacts": [
            {"name": "张三", "title": "采购经理", "mobile": "+86 138 1234 5678",
             "email": "Zhang.San@Example.com"},
            {"name": "李四", "landline": "021 6666 7777"},
        ],
    }
    body.update(over)
    return body


async def create(client: httpx.AsyncClient, world: World, who: str = "rep",
                 **over: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/customers", json=new_customer(**over), headers=world.auth(who),
                          params={"allow_duplicate": "true"})
    assert r.status_code == 201, r.text
    return r.json()


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


async def test_the_database_holds_no_personal_data_in_clear(client: httpx.AsyncClient,
                                                            world: World,
                                                            container: Container) -> None:
    await create(client, world, kind="person", name="王小明", id_card_number=CARD)
    async with container.engine.connect() as conn:
        rows = []
        for table in ("customers", "contacts", "audit_log", "outbox", "customer_activity"):
            rows += [str(tuple(r)) for r in await conn.execute(text(f"SELECT * FROM {table}"))]
    dump = "\n".join(rows)
    for secret in (MOBILE, "138 1234 5678", "66667777", "zhang.san", CARD, "19900307"):
        assert secret not in dump.lower(), f"{secret} found in clear"
    assert "k1:" in dump, "ciphertext carries its key id"


async def test_phone_and_email_lookup_use_the_blind_index(client: httpx.AsyncClient,
                                                          world: World) -> None:
    c = await create(client, world)
    await create(client, world, name="北京另一家科技有限公司", contacts=[
        {"name": "王五", "mobile": "13900001111"}])
    for phone in (MOBILE, "+86 138-1234-5678", "021-66667777"):
        r = await client.get("/api/v1/customers", params={"phone": phone},
                             headers=world.auth("rep"))
        assert [x["id"] for x in r.json()["items"]] == [c["id"]], phone
    r = await client.get("/api/v1/customers", params={"email": "zhang.san@EXAMPLE.com"},
                         headers=world.auth("rep"))
    assert [x["id"] for x in r.json()["items"]] == [c["id"]]
    r = await client.get("/api/v1/customers", params={"phone": "12"}, headers=world.auth("rep"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "phone"


async def test_reveal_gives_cleartext_to_pii_reveal_only_and_is_audited(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    c = await create(client, world, kind="person", name="王小明", id_card_number=CARD)
    denied = await client.post(f"/api/v1/customers/{c['id']}/reveal", headers=world.auth("rep"))
    assert denied.status_code == 403
    r = await client.post(f"/api/v1/customers/{c['id']}/reveal", headers=world.auth("manager"))
    assert r.status_code == 200
    assert r.json()["id_card_number"] == CARD
    assert r.json()["contacts"][0]["mobile"] == MOBILE
    assert r.json()["contacts"][0]["email"] == "Zhang.San@example.com"
    async with container.engine.connect() as conn:
        actors = list((await conn.execute(select(tables.audit_log.c.actor_id).where(
            tables.audit_log.c.action == "customer.revealed",
            tables.audit_log.c.target_id == c["id"]))).scalars())
    assert actors == [world.users["manager"].id]
    outside = await client.post(f"/api/v1/customers/{c['id']}/reveal",
                                headers=world.auth("north_manager"))
    assert outside.status_code == 404


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


async def test_a_followup_updates_the_customer_and_the_timeline(client: httpx.AsyncClient,
                                                                world: World) -> None:
    c = await create(client, world)
    h = world.auth("rep")
    r = await client.post(f"/api/v1/customers/{c['id']}/followups", headers=h, json={
        "method": "visit", "occurred_at": "2026-11-20T09:30:00+08:00",
        "summary": "拜访，确认二期需求", "feedback": "价格敏感", "next_action": "发送报价单",
        "next_followup_at": "2026-11-27T10:00:00+08:00",
        "check_in": {"latitude": 31.2304, "longitude": 121.4737, "accuracy_m": 12}})
    assert r.status_code == 201, r.text
    assert r.json()["check_in"]["latitude"] == 31.2304
    after = (await client.get(f"/api/v1/customers/{c['id']}", headers=h)).json()
    assert after["last_followup_at"] == "2026-11-20T01:30:00Z"
    assert after["next_followup_plan"] == "发送报价单"
    assert after["next_followup_at"] == "2026-11-27T02:00:00Z"
    assert after["first_contact_date"] == "2026-11-20"
    older = await client.post("/api/v1/followups", headers=h, json={
        "customer_id": c["id"], "method": "phone", "occurred_at": "2026-11-01T09:00:00Z",
        "summary": "first call"})
    assert older.status_code == 201
    again = (await client.get(f"/api/v1/customers/{c['id']}", headers=h)).json()
    assert again["last_followup_at"] == "2026-11-20T01:30:00Z", "an older one changes nothing"
    timeline = (await client.get(f"/api/v1/customers/{c['id']}/timeline", headers=h)).json()
    assert [e["kind"] for e in timeline["items"]] == ["followup", "followup", "created"]
    bad = await client.post(f"/api/v1/customers/{c['id']}/followups", headers=h, json={
        "method": "phone", "summary": "x", "check_in": {"latitude": 1, "longitude": 2}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "check_in"


async def test_tasks_make_a_to_do_list(client: httpx.AsyncClient, world: World) -> None:
    c = await create(client, world)
    h = world.auth("rep")
    due = [("2026-12-01T09:00:00Z", "call back"), ("2026-11-30T09:00:00Z", "send quote"),
           ("2027-03-01T09:00:00Z", "renewal")]
    for due_at, title in due:
        r = await client.post("/api/v1/tasks", headers=h, json={
            "title": title, "due_at": due_at, "related_type": "customer", "related_id": c["id"]})
        assert r.status_code == 201
    todo = await client.get("/api/v1/tasks", headers=h, params={
        "assignee": "me", "status": "open", "due_before": "2027-01-01T00:00:00Z"})
    assert [x["title"] for x in todo.json()["items"]] == ["send quote", "call back"]
    task_id = todo.json()["items"][0]["id"]
    done = await client.patch(f"/api/v1/tasks/{task_id}", json={"status": "done"}, headers=h)
    assert done.status_code == 200 and done.json()["completed_at"]
    refused = await client.patch(f"/api/v1/tasks/{task_id}", json={"status": "cancelled"},
                                 headers=h)
    assert refused.status_code == 409
    to_other = await client.post("/api/v1/tasks", headers=h, json={
        "title": "yours", "assignee_id": str(world.users["north_rep"].id)})
    assert to_other.status_code == 403
    assert (await client.get(f"/api/v1/tasks/{task_id}",
                             headers=world.auth("north_rep"))).status_code == 404
    mine = await client.get("/api/v1/tasks", headers=world.auth("north_rep"))
    assert mine.json()["items"] == []
    team = await client.get("/api/v1/tasks", headers=world.auth("manager"))
    assert len(team.json()["items"]) == 3


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


async def test_industry_region_and_tags_together(client: httpx.AsyncClient,
                                               world: World) -> None:
    """Served by the (industry, region, tag) keys of ix_customers_facets: exact matches only,
    for all-of and any-of tags, visibility applied, and kept up to date by edits."""
    a = await create(client, world, name="杭州西湖电子商务有限公司", industry="ecommerce",
                     tags=["vip"])
    b = await create(client, world, name="苏州工业园制造有限公司", tags=["b2b", "export"])
    c = await create(client, world, name="南京钢铁制造有限公司", tags=["vip", "export"],
                     region="north")
    other = await create(client, world, who="north_rep", name="无锡外贸制造有限公司",
                         tags=["b2b", "export"])

    async def names(who: str = "rep", **params: Any) -> set[str]:
        r = await client.get("/api/v1/customers", params=params, headers=world.auth(who))
        assert r.status_code == 200, r.text
        return {x["name"] for x in r.json()["items"]}

    east = {"industry": "manufacturing", "region": "east"}
    assert await names(**east, tag=["export"]) == {b["name"]}
    assert await names(**east, tag=["b2b", "export"]) == {b["name"]}
    assert await names(**east, tag=["b2b", "vip"]) == set()
    assert await names(**east, tag=["vip"]) == set()  # a is ecommerce, c is in the north
    assert await names(industry="manufacturing", region="north",
                       tag_any=["vip", "b2b"]) == {c["name"]}
    assert await names(industry="ecommerce", region="east", tag_any=["vip"]) == {a["name"]}
    assert await names(industry="manufacturing", region="eas", tag=["t"]) == set()
    assert await names("manager", **east, tag=["export"]) == {b["name"]}
    assert await names("north_rep", **east, tag=["export"]) == {other["name"]}
    assert await names("admin", **east, tag=["export"]) == {b["name"], other["name"]}
    r = await client.patch(f"/api/v1/customers/{b['id']}", json={"tags": ["vip"]},
                           headers=world.auth("rep"))
    assert r.status_code == 200, r.text
    assert await names(**east, tag=["vip"]) == {b["name"]}
    assert await names(**east, tag_any=["export", "b2b"]) == set()


async def test_filters_search_sort_fields_and_pages(client: httpx.AsyncClient,
                                                    world: World) -> None:
    a = await create(client, world, name="杭州西湖电子商务有限公司", industry="ecommerce",
                     tags=["vip"], custom={"erp_code": "A-1", "employees": 12},
                     contacts=[{"name": "赵敏", "mobile": "13700000001"}])
    b = await create(client, world, name="苏州工业园制造有限公司", tags=["b2b", "export"],
                     annual_purchase="50000")
    c = await create(client, world, name="南京钢铁制造有限公司", tags=["vip", "export"],
                     region="north")
    h = world.auth("rep")

    async def names(**params: Any) -> list[str]:
        r = await client.get("/api/v1/customers", params=params, headers=h)
        assert r.status_code == 200, r.text
        return [x["name"] for x in r.json()["items"]]

    assert await names(industry="manufacturing", region="east") == [b["name"]]
    assert await names(tag=["vip", "export"]) == [c["name"]]
    assert set(await names(tag_any=["export"])) == {b["name"], c["name"]}
    assert await names(**{"cf.erp_code": "A-1"}) == [a["name"]]
    assert await names(**{"cf.employees": "12"}) == [a["name"]]
    assert await names(q="赵敏") == [a["name"]]
    assert await names(q=b["number"].lower()) == [b["name"]]
    assert await names(tier="normal") == [b["name"]]
    assert await names(sort="name") == sorted([a["name"], b["name"], c["name"]])
    assert await names(sort="-created_at") == [c["name"], b["name"], a["name"]]
    first = await client.get("/api/v1/customers", params={"limit": 2}, headers=h)
    second = await client.get("/api/v1/customers", headers=h, params={
        "limit": 2, "cursor": first.json()["next_cursor"]})
    assert [x["id"] for x in first.json()["items"] + second.json()["items"]] == [
        c["id"], b["id"], a["id"]]
    assert second.json()["next_cursor"] is None
    trimmed = await client.get("/api/v1/customers", params={"fields": "name,tier"}, headers=h)
    assert set(trimmed.json()["items"][0]) == {"id", "name", "tier", "deleted"}
    bad = await client.get("/api/v1/customers", params={"sort": "password"}, headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sort"


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


async def test_updates_are_audited_with_a_masked_diff(client: httpx.AsyncClient, world: World,
                                                      container: Container) -> None:
    c = await create(client, world)
    r = await client.patch(f"/api/v1/customers/{c['id']}", headers=world.auth("rep"), json={
        "contacts": [{"id": c["contacts"][0]["id"], "name": "张三", "mobile": "13900009999"}],
        "tags": ["vip"]})
    assert r.status_code == 200
    async with container.engine.connect() as conn:
        diff = await conn.scalar(select(tables.audit_log.c.diff).where(
            tables.audit_log.c.action == "customer.updated"))
    assert diff["tags"] == [["vip", "b2b"], ["vip"]]
    old, new = diff["contacts"]
    assert old[0]["mobile"] == "138****5678" and new[0]["mobile"] == "139****9999"
    assert "13900009999" not in str(diff)


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


async def test_a_listed_customer_is_exactly_what_get_answers(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    """List pages are written by PostgreSQL from the masked columns, single customers by the
    response model: the two must agree field for field (timestamps to the character)."""
    from api.v1.schemas.customers import Tombstone
    from domain.shared.authz import Visibility

    person = await create(client, world, kind="person", name="王小明", id_card_number=CARD,
                          tags=[], custom={}, contacts=[{"name": "王小明",
                                                          "mobile": "+44 7911 123456"}])
    odd = await create(client, world, name="Acme \"Quotes\" \\ Ltd", key_needs="a\nb\t\"c\"\u0001é",
                       custom={"erp_code": "字\n\"x\"", "employees": 120},
                       next_followup_plan="回访", next_followup_at="2026-12-01T08:00:00Z")
    plain = await create(client, world, name="简单有限公司", industry=None, region=None,
                         annual_purchase=None, tags=["x"], custom={},
                         contacts=[{"name": "赵六", "email": "zhao@example.com"},
                                   {"name": "钱七", "mobile": MOBILE}])
    async with container.engine.begin() as conn:  # a time with no fraction of a second
        await conn.execute(text("UPDATE customers SET created_at = '2026-11-02T03:04:05Z', "
                                "first_contact_date = '2026-11-01' WHERE id = :id"),
                           {"id": plain["id"]})
    h = world.auth("rep")
    listed = {x["id"]: x for x in (await client.get("/api/v1/customers", headers=h)).json()[
        "items"]}
    for c in (person, odd, plain):
        got = await client.get(f"/api/v1/customers/{c['id']}", headers=h)
        assert listed[c["id"]] == got.json()
    assert listed[plain["id"]]["created_at"] == "2026-11-02T03:04:05Z"
    assert listed[person["id"]]["id_card_number"] == "110101********1233"
    trimmed = (await client.get("/api/v1/customers", params={"fields": "name,grade"},
                                headers=h)).json()["items"]
    assert {tuple(x) for x in trimmed} == {("id", "name", "grade", "deleted")}

    since = listed[odd["id"]]["updated_at"]
    assert (await client.delete(f"/api/v1/customers/{odd['id']}", headers=world.auth(
        "manager"))).status_code == 204
    r = await client.get("/api/v1/customers", params={"updated_since": since}, headers=h)
    assert r.status_code == 200, r.text
    sync = r.json()["items"]
    async with container.uow() as uow:
        gone = await uow.customers.get(uuid.UUID(odd["id"]), Visibility(everything=True),
                                       include_deleted=True)
    assert gone is not None
    (tomb,) = [x for x in sync if x["id"] == odd["id"]]
    model = Tombstone(id=gone.id, version=gone.version, updated_at=gone.updated_at,
                      merged_into=gone.merged_into_id)
    assert tomb == json.loads(model.model_dump_json()) and tomb["deleted"] is True


async def stored_documents(container: Container) -> dict[str, str]:
    """Every live customer's stored list document, checked against one built from the row
    and its contacts now: none missing, none stale."""
    from adapters.db.customer_documents import DOC_FIELDS, customer_document

    fresh = customer_document(frozenset(name for name, _ in DOC_FIELDS))
    async with container.engine.connect() as conn:
        rows = (await conn.execute(text(
            f"SELECT customers.id, d.doc, {fresh} AS fresh FROM customers LEFT JOIN "
            "customer_docs AS d ON d.customer_id = customers.id "
            "WHERE customers.deleted_at IS NULL"))).all()
    assert rows and [row.id for row in rows if row.doc is None or row.doc != row.fresh] == []
    return {str(row.id): row.doc for row in rows}


async def test_every_stored_list_document_is_the_rows_own_after_any_write(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    """customer_docs is written by triggers (migration 0016): after each kind of write (create,
    edit with new contacts, follow-up, bulk tags, merge, reassign, delete and restore, a
    contact changed in place) every stored document equals one built from the row and its
    contacts now."""
    h, boss = world.auth("rep"), world.auth("manager")
    a = await create(client, world)
    b = await create(client, world, name="明远精密机械（上海）有限公司", contacts=[
        {"name": "王五", "mobile": "13900001111"}])
    r = await client.patch(f"/api/v1/customers/{a['id']}", headers=h, json={
        "key_needs": "报价", "contacts": [{"name": "赵六", "email": "zhao6@example.com"},
                                        {"name": "张三", "mobile": MOBILE}]})
    assert r.status_code == 200, r.text
    r = await client.post(f"/api/v1/customers/{a['id']}/followups", headers=h,
                          json={"method": "phone", "summary": "回访"})
    assert r.status_code == 201, r.text
    r = await client.post("/api/v1/tags/apply", headers=h,
                          json={"filter": {"q": "明远"}, "add": ["重点"]})
    assert r.status_code == 200 and r.json()["customers"] == 2, r.text
    r = await client.post(f"/api/v1/customers/{a['id']}/merge", headers=boss,
                          json={"from": [b["id"]]})
    assert r.status_code == 200, r.text
    assert len(r.json()["contacts"]) == 3, "the duplicate's contact moved over"
    r = await client.patch(f"/api/v1/customers/{a['id']}", headers=boss,
                           json={"owner_id": str(world.users["manager"].id)})
    assert r.status_code == 200, r.text
    assert (await client.delete(f"/api/v1/customers/{a['id']}", headers=boss)).status_code == 204
    r = await client.post(f"/api/v1/customers/{a['id']}/restore", headers=boss)
    assert r.status_code == 200, r.text

    async with container.engine.begin() as conn:  # no route edits a contact in place
        await conn.execute(text("UPDATE contacts SET title = '总经理' WHERE customer_id = :id "
                                "AND name = '王五'"), {"id": a["id"]})
    stored = await stored_documents(container)
    got = (await client.get(f"/api/v1/customers/{a['id']}", headers=boss)).json()
    assert json.loads(stored[a["id"]]) == got and got["key_needs"] == "报价"
    assert {(c["name"], c["title"]) for c in got["contacts"]} == {
        ("赵六", None), ("张三", None), ("王五", "总经理")}
