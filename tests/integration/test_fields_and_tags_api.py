"""Custom fields, tags and bulk tagging, segments, duplicates and merge."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import World
from tests.integration.customers_helpers import MOBILE, create, new_customer


async def test_a_phone_that_exists_answers_409_with_the_visible_record(
    client: httpx.AsyncClient, world: World
) -> None:
    first = await create(client, world)
    r = await client.post("/api/v1/customers", json=new_customer(name="上海明远机械有限公司"),
                          headers=world.auth("rep"))
    assert r.status_code == 409 and r.json()["existing_id"] == first["id"]
    hidden = await client.post("/api/v1/customers", json=new_customer(name="别家公司有限公司"),
                               headers=world.auth("north_rep"))
    assert hidden.status_code == 409 and "existing_id" not in hidden.json()
    forced = await client.post("/api/v1/customers", params={"allow_duplicate": "true"},
                               json=new_customer(name="上海明远机械有限公司"),
                               headers=world.auth("rep"))
    assert forced.status_code == 201


async def test_custom_fields_are_defined_by_admins_and_enforced(client: httpx.AsyncClient,
                                                                world: World) -> None:
    h = world.auth("admin")
    denied = await client.post("/api/v1/custom-fields", headers=world.auth("manager"), json={
        "key": "level", "label": "Level", "type": "single_choice", "options": ["A", "B"]})
    assert denied.status_code == 403
    r = await client.post("/api/v1/custom-fields", headers=h, json={
        "key": "level", "label": "客户等级", "type": "single_choice", "options": ["A", "B"],
        "required": True})
    assert r.status_code == 201, r.text
    missing = await client.post("/api/v1/customers", params={"allow_duplicate": "true"},
                                json=new_customer(), headers=world.auth("rep"))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "custom.level"
    wrong = await client.post("/api/v1/customers", params={"allow_duplicate": "true"},
                              json=new_customer(custom={"level": "Z"}), headers=world.auth("rep"))
    assert wrong.json()["errors"][0]["field"] == "custom.level"
    ok = await create(client, world, custom={"level": "A", "employees": "120"})
    assert ok["custom"] == {"level": "A", "employees": 120}
    found = await client.get("/api/v1/customers", params={"cf.level": "A", "cf.employees": "120"},
                             headers=world.auth("rep"))
    assert [c["id"] for c in found.json()["items"]] == [ok["id"]]
    relaxed = await client.patch(f"/api/v1/custom-fields/{r.json()['id']}", headers=h,
                                 json={"required": False})
    assert relaxed.status_code == 200 and relaxed.json()["required"] is False


async def test_tags_catalogue_rename_and_bulk_apply(client: httpx.AsyncClient,
                                                    world: World) -> None:
    a = await create(client, world, tags=["vip", "b2b"], industry="manufacturing")
    b = await create(client, world, name="杭州另一家有限公司", tags=[], industry="retail")
    c = await create(client, world, "north_rep", name="北京别人的有限公司", tags=[],
                     industry="manufacturing")
    catalogue = (await client.get("/api/v1/tags", headers=world.auth("rep"))).json()
    assert {"vip", "b2b"} <= {t["name"] for t in catalogue}, "tags met on customers are listed"
    r = await client.post("/api/v1/tags/apply", headers=world.auth("rep"), json={
        "filter": {"industry": "manufacturing"}, "add": ["制造"], "remove": ["vip"]})
    assert r.status_code == 200 and r.json() == {"customers": 1}, "only what the rep may edit"

    async def tags_of(cid: str, who: str = "admin") -> list[str]:
        return (await client.get(f"/api/v1/customers/{cid}", headers=world.auth(who))).json()[
            "tags"]

    assert await tags_of(a["id"]) == ["b2b", "制造"]
    assert await tags_of(b["id"]) == [] and await tags_of(c["id"]) == []
    again = await client.post("/api/v1/tags/apply", headers=world.auth("rep"), json={
        "filter": {"industry": "manufacturing"}, "add": ["制造"]})
    assert again.json() == {"customers": 0}, "applying twice changes nothing"
    tag = next(t for t in (await client.get("/api/v1/tags", headers=world.auth("rep"))).json()
               if t["name"] == "制造")
    assert (await client.patch(f"/api/v1/tags/{tag['id']}", json={"name": "制造业"},
                               headers=world.auth("manager"))).status_code == 403
    renamed = await client.patch(f"/api/v1/tags/{tag['id']}", headers=world.auth("admin"),
                                 json={"name": "制造业", "category": "value",
                                       "colour": "#fa541c"})
    assert renamed.status_code == 200
    assert await tags_of(a["id"]) == ["b2b", "制造业"]
    assert (await client.delete(f"/api/v1/tags/{tag['id']}",
                                headers=world.auth("admin"))).status_code == 204
    assert await tags_of(a["id"]) == ["b2b"]


async def test_segments_count_live_and_share_with_a_department(client: httpx.AsyncClient,
                                                               world: World) -> None:
    big = await create(client, world, annual_purchase="2000000")
    await create(client, world, name="小公司有限公司", annual_purchase="5000")
    spec: dict[str, Any] = {"industry": "manufacturing", "annual_purchase_min": "1000000",
                            "no_followup_days": 90}
    r = await client.post("/api/v1/segments", headers=world.auth("manager"), json={
        "name": "制造业大客户 3 个月未跟进", "filter": spec, "sharing": "department",
        "department_id": str(world.departments["east"].id)})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    for who, count in (("manager", 1), ("rep", 1), ("admin", 1)):
        got = await client.get(f"/api/v1/segments/{sid}/count", headers=world.auth(who))
        assert got.json() == {"count": count}, who
    assert (await client.get(f"/api/v1/segments/{sid}",
                             headers=world.auth("north_rep"))).status_code == 404
    members = await client.get(f"/api/v1/segments/{sid}/members", headers=world.auth("rep"))
    assert [m["id"] for m in members.json()["items"]] == [big["id"]]
    await client.post(f"/api/v1/customers/{big['id']}/followups", headers=world.auth("rep"),
                      json={"method": "phone", "summary": "called"})
    assert (await client.get(f"/api/v1/segments/{sid}/count",
                             headers=world.auth("rep"))).json() == {"count": 0}
    assert (await client.patch(f"/api/v1/segments/{sid}", json={"name": "x"},
                               headers=world.auth("rep"))).status_code == 403
    bad = await client.post("/api/v1/segments", headers=world.auth("rep"), json={
        "name": "bad", "filter": {"no_followup_days": "soon"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == \
        "filter.no_followup_days"
    mine = await client.get("/api/v1/segments", headers=world.auth("rep"))
    assert [s["id"] for s in mine.json()["items"]] == [sid]


async def test_duplicates_are_found_and_merged_with_their_history(client: httpx.AsyncClient,
                                                                  world: World) -> None:
    h = world.auth("rep")
    keep = await create(client, world, tags=["vip"], key_needs=None)
    dup = await create(client, world, name="上海明远精密机械制造有限公司", tags=["export"],
                       key_needs="二期扩产", industry="retail",
                       contacts=[{"name": "张三", "mobile": MOBILE},
                                 {"name": "王五", "mobile": "13600001111"}])
    await client.post(f"/api/v1/customers/{dup['id']}/followups", headers=h,
                      json={"method": "visit", "summary": "visited the duplicate"})
    await client.post("/api/v1/tasks", headers=h, json={
        "title": "call", "related_type": "customer", "related_id": dup["id"]})
    deal = await client.post("/api/v1/opportunities", headers=h, json={
        "customer_id": dup["id"], "name": "二期产线改造", "amount": "500000.00"})
    assert deal.status_code == 201, deal.text
    found = (await client.get(f"/api/v1/customers/{keep['id']}/duplicates", headers=h)).json()
    assert [d["customer"]["id"] for d in found] == [dup["id"]]
    assert set(found[0]["reasons"]) == {"same phone", "same name"} and found[0]["score"] > 0.9
    r = await client.post(f"/api/v1/customers/{keep['id']}/merge", headers=h, json={
        "from": [dup["id"]], "field_choices": {"industry": dup["id"]}})
    assert r.status_code == 200, r.text
    merged = r.json()
    assert merged["industry"] == "retail" and merged["key_needs"] == "二期扩产"
    assert merged["tags"] == ["vip", "export"]
    assert [c["name"] for c in merged["contacts"]] == ["张三", "李四", "王五"]
    followups = (await client.get(f"/api/v1/customers/{keep['id']}/followups",
                                  headers=h)).json()["items"]
    assert [f["summary"] for f in followups] == ["visited the duplicate"]
    tasks = (await client.get("/api/v1/tasks", params={"related_id": keep["id"]},
                              headers=h)).json()["items"]
    assert [t["title"] for t in tasks] == ["call"]
    moved = await client.get(f"/api/v1/opportunities/{deal.json()['id']}", headers=h)
    assert moved.json()["customer_id"] == keep["id"], "the deal follows the survivor"
    assert (await client.get(f"/api/v1/customers/{dup['id']}", headers=h)).status_code == 404
    sync = await client.get("/api/v1/customers", headers=h,
                            params={"updated_since": "2000-01-01T00:00:00Z"})
    tomb = next(i for i in sync.json()["items"] if i["id"] == dup["id"])
    assert tomb["deleted"] is True and tomb["merged_into"] == keep["id"]
    timeline = (await client.get(f"/api/v1/customers/{keep['id']}/timeline",
                                 headers=h)).json()["items"]
    assert timeline[0]["kind"] == "merged"
    assert "followup" in [e["kind"] for e in timeline], "the duplicate's history moved over"
    other = await create(client, world, "north_rep", name="别人的客户有限公司")
    hidden = await client.post(f"/api/v1/customers/{keep['id']}/merge", headers=h,
                               json={"from": [other["id"]]})
    assert hidden.status_code == 404
    selfmerge = await client.post(f"/api/v1/customers/{keep['id']}/merge", headers=h,
                                  json={"from": [keep["id"]]})
    assert selfmerge.status_code == 422
