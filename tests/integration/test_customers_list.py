"""The customer list over HTTP on PostgreSQL: facets, filters, search, sort, fields and pages;
listed customers equal to what GET answers, tombstones for sync, and the stored list documents
kept equal to their rows."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from sqlalchemy import text

from adapters.bootstrap import Container
from tests.conftest import World
from tests.integration.customers_helpers import CARD, MOBILE, create, stored_documents


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
