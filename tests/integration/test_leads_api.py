"""Leads over HTTP on PostgreSQL: capture, flags, duplicates, lifecycle, follow-ups,
reassignment, the list and bad input (routing and conversion: test_leads_routing.py and
test_leads_conversion.py; the settings endpoints: test_lead_settings_api.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy import text

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import World, drain
from tests.integration.leads_helpers import (
    MOBILE,
    api_key,
    capture,
    count,
    east_rule,
    more_reps,
    new_lead,
    notifications,
    route,
)


async def test_a_rep_captures_a_lead_masked_encrypted_scored_and_keeps_it(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    r = await client.post("/api/v1/leads", json=new_lead(), headers=world.auth("rep"))
    assert r.status_code == 201, r.text
    lead = r.json()
    assert lead["number"].startswith("L") and lead["status"] == "new"
    assert lead["phone"] == "139****5678" and lead["email"] == "W***@example.com"
    assert MOBILE not in r.text and "Wang.XM" not in r.text
    assert lead["owner_id"] == str(world.users["rep"].id)
    assert lead["assignment"]["by"] == "creator" and not lead["assignment"]["fallback"]
    assert lead["flags"] == [] and lead["budget"] == "500000.00"
    rules = {x["rule"]: x["points"] for x in lead["score_breakdown"]}
    # manufacturing 20, large 15, budget ≥200k 15, website 8, completeness 4+4+4+2+3+1+1+1
    assert rules == {"industry_fit": 20, "company_size": 15, "budget": 15, "source": 8,
                     "completeness": 20, "engagement": 0}
    assert lead["score"] == 78 and lead["grade"] == "high"
    got = await client.get(f"/api/v1/leads/{lead['id']}", headers=world.auth("rep"))
    assert got.json()["score_breakdown"] == lead["score_breakdown"]
    assert got.headers["etag"] == '"1"'
    rows = []
    async with container.engine.connect() as conn:
        for table in ("leads", "audit_log", "outbox", "lead_activity"):
            rows += [str(tuple(row)) for row in await conn.execute(text(f"SELECT * FROM {table}"))]
    dump = "\n".join(rows)
    assert MOBILE not in dump and "wang.xm" not in dump.lower()
    tasks = (await client.get("/api/v1/tasks?assignee=me", headers=world.auth("rep"))).json()
    (task,) = tasks["items"]
    assert task["origin"] == "rule" and task["related_id"] == lead["id"]
    assert task["title"].startswith("First contact within 24 hours: L")
    due = datetime.fromisoformat(task["due_at"]) - datetime.fromisoformat(lead["created_at"])
    assert timedelta(hours=23) < due < timedelta(hours=25)


async def test_validation_flags_name_the_problem_and_spam_is_set_aside(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    await route(client, world, [east_rule(world)])
    key = await api_key(container)
    bad = await capture(client, key, phone="12345", email="not-an-email")
    codes = {f["code"]: f["reason"] for f in bad["flags"]}
    assert set(codes) == {"invalid_phone", "invalid_email", "no_contact"}
    assert bad["phone_valid"] is False and bad["status"] == "new"
    throwaway = await capture(client, key, phone="13511112222", email="x@mailinator.com")
    assert [f["code"] for f in throwaway["flags"]] == ["disposable_email"]
    empty = await capture(client, key, name=None, company=None, message="  !!! ",
                          phone="13511113333", email="e@example.com")
    assert [f["code"] for f in empty["flags"]] == ["empty_content"]
    spam = await capture(client, key, message="Best SEO services, cheap backlinks!",
                         phone="13511114444", email="s@example.com")
    assert "spam" in {f["code"] for f in spam["flags"]}
    assert spam["status"] == "disqualified" and spam["disqualify_reason"].startswith("spam")
    assert spam["owner_id"] == str(world.users["admin"].id), "not on a rep's desk"
    assert await count(container, tables.tasks, tables.tasks.c.related_id == spam["id"]) == 0
    flagged = await client.get("/api/v1/leads?flag=spam", headers=world.auth("admin"))
    assert [x["id"] for x in flagged.json()["items"]] == [spam["id"]]


async def test_a_duplicate_of_an_open_lead_is_flagged_and_stays_with_its_owner(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    first = await capture(client, world.auth("rep"))
    await route(client, world, [east_rule(world)])
    await more_reps(world, 2)
    key = await api_key(container)
    again = await capture(client, key, phone="139-1234-5678", email="other@example.com")
    (flag,) = again["flags"]
    assert flag["code"] == "duplicate_lead" and flag["ref_id"] == first["id"]
    assert first["number"] in flag["reason"]
    assert again["duplicate_of_id"] == first["id"]
    assert again["owner_id"] == first["owner_id"]
    assert again["assignment"]["by"] == "duplicate_owner"
    original = (await client.get(f"/api/v1/leads/{first['id']}",
                                 headers=world.auth("rep"))).json()
    assert original["engagement"] == 1 and original["score"] == first["score"] + 2
    by_mail = await capture(client, key, phone=None, email="wang.xm@EXAMPLE.com")
    assert by_mail["duplicate_of_id"] == first["id"]


async def test_a_duplicate_of_a_customer_links_to_it_and_tells_its_owner(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    r = await client.post("/api/v1/customers", json={
        "name": "苏州精工自动化设备有限公司", "kind": "company",
        "contacts": [{"name": "王小明", "mobile": MOBILE}]}, headers=world.auth("north_rep"))
    customer = r.json()
    await route(client, world, [east_rule(world)])
    lead = await capture(client, await api_key(container), email="new@example.com")
    # The integration may not read customers: told that one exists, not which.
    assert lead["customer_id"] is None
    as_owner = await client.get(f"/api/v1/leads/{lead['id']}", headers=world.auth("north_rep"))
    assert as_owner.json()["customer_id"] == customer["id"]
    assert lead["owner_id"] == str(world.users["north_rep"].id)
    assert lead["assignment"]["by"] == "customer_owner"
    assert [f["code"] for f in lead["flags"]] == ["existing_customer"]
    assert await count(container, tables.customers) == 1, "no second customer"
    await drain(container)
    (note,) = await notifications(container, world.users["north_rep"].id,
                                  "lead_existing_customer")
    assert lead["number"] in note.body
    timeline = (await client.get(f"/api/v1/customers/{customer['id']}/timeline",
                                 headers=world.auth("north_rep"))).json()["items"]
    assert timeline[0]["kind"] == "lead" and lead["number"] in timeline[0]["summary"]


async def test_the_lifecycle_moves_and_refusals(client: httpx.AsyncClient,
                                               world: World) -> None:
    lead = await capture(client, world.auth("rep"))
    h, url = world.auth("rep"), f"/api/v1/leads/{lead['id']}"

    async def move(status: str, **extra: str) -> httpx.Response:
        return await client.patch(url, json={"status": status, **extra}, headers=h)

    r = await move("contacted")
    assert r.status_code == 200 and r.json()["last_followup_at"] is not None
    tasks = (await client.get(f"/api/v1/tasks?related_id={lead['id']}", headers=h)).json()
    assert [x["status"] for x in tasks["items"]] == ["done"], "first contact made"
    assert (await move("qualified")).status_code == 200
    back = await move("contacted")
    assert back.status_code == 409 and "from qualified" in back.json()["detail"]
    assert (await move("converted")).status_code == 409
    no_reason = await move("disqualified")
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "disqualify_reason"
    r = await move("disqualified", disqualify_reason="no budget this year")
    assert r.status_code == 200 and r.json()["disqualify_reason"] == "no budget this year"
    assert (await client.post(f"{url}/convert", json={}, headers=h)).status_code == 409
    r = await move("new")
    assert r.status_code == 200 and r.json()["disqualify_reason"] is None
    stale = await client.patch(url, json={"title": "x"}, headers={**h, "If-Match": '"1"'})
    assert stale.status_code == 412
    timeline = (await client.get(f"{url}/timeline", headers=h)).json()["items"]
    assert [e["kind"] for e in timeline][:2] == ["status_changed", "status_changed"]


async def test_logging_a_followup_contacts_a_new_lead(client: httpx.AsyncClient,
                                                      world: World) -> None:
    lead = await capture(client, world.auth("rep"))
    when = "2026-11-20T10:00:00+08:00"
    r = await client.post(f"/api/v1/leads/{lead['id']}/followups", headers=world.auth("rep"),
                          json={"method": "phone", "summary": "约了演示", "occurred_at": when,
                                "next_followup_at": "2026-11-27T10:00:00+08:00"})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "contacted"
    assert datetime.fromisoformat(r.json()["last_followup_at"]) == datetime.fromisoformat(when)
    bad = await client.post(f"/api/v1/leads/{lead['id']}/followups", headers=world.auth("rep"),
                            json={"method": "pigeon"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "method"


async def test_a_manager_reassigns_and_the_new_owner_hears_of_it(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    lead = await capture(client, world.auth("rep"))
    url = f"/api/v1/leads/{lead['id']}/assign"
    (other,) = await more_reps(world, 1)
    target = {"owner_id": str(world.users[other].id)}
    assert (await client.post(url, json=target, headers=world.auth("rep"))).status_code == 403
    assert (await client.post(url, json=target,
                              headers=world.auth("north_manager"))).status_code == 404
    outside = await client.post(url, json={"owner_id": str(world.users["north_rep"].id)},
                                headers=world.auth("manager"))
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "owner_id"
    r = await client.post(url, json=target, headers=world.auth("manager"))
    assert r.status_code == 200, r.text
    assert r.json()["owner_id"] == target["owner_id"]
    assert r.json()["assignment"]["by"] == "manual"
    assert r.json()["assignment"]["assigned_by_user"] == str(world.users["manager"].id)
    tasks = (await client.get(f"/api/v1/tasks?related_id={lead['id']}",
                              headers=world.auth("manager"))).json()["items"]
    assert [x["assignee_id"] for x in tasks] == [target["owner_id"]], "the to-do follows"
    await drain(container)
    assert len(await notifications(container, world.users[other].id, "lead_assigned")) == 1
    await route(client, world, [east_rule(world)])
    rerun = await client.post(url, json={}, headers=world.auth("admin"))
    assert rerun.json()["assignment"]["by"] == "round_robin"


async def test_list_filters(client: httpx.AsyncClient, world: World,
                            container: Container) -> None:
    mine = await capture(client, world.auth("rep"), source="trade_show")
    theirs = await capture(client, world.auth("north_rep"), industry=None, company_size=None,
                           budget=None, phone="13600001234", email="n@example.com")
    admin = world.auth("admin")

    async def ids(params: dict[str, str], who: dict[str, str] = admin) -> list[str]:
        r = await client.get("/api/v1/leads", params=params, headers=who)
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["items"]]

    assert await ids({"owner": "me"}, world.auth("rep")) == [mine["id"]]
    assert await ids({"source": "trade_show"}) == [mine["id"]]
    assert await ids({"grade": theirs["grade"]}) == [theirs["id"]]
    assert await ids({"status": "new", "sort": "-score"}) == [mine["id"], theirs["id"]]
    assert await ids({"phone": "136 0000 1234"}) == [theirs["id"]]
    assert await ids({"q": "精工"}) == [theirs["id"], mine["id"]]
    assert await ids({"q": mine["number"]}) == [mine["id"]]
    assert set(await ids({"open": "true"})) == {mine["id"], theirs["id"]}
    since = theirs["updated_at"]
    await client.patch(f"/api/v1/leads/{mine['id']}", json={"title": "CTO"},
                       headers=world.auth("rep"))
    assert await ids({"updated_since": since}) == [mine["id"]]
    assert await ids({}, world.auth("north_rep")) == [theirs["id"]]
    r = await client.get("/api/v1/leads", params={"sort": "colour"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "sort"


async def test_bad_input_is_a_4xx_naming_the_field(client: httpx.AsyncClient,
                                                   world: World) -> None:
    h = world.auth("rep")
    for body, field in [
        (new_lead(budget="abc"), "budget"), (new_lead(budget="-5"), "budget"),
        (new_lead(source="pigeon"), "source"), (new_lead(colour="red"), "colour"),
        (new_lead(industry="astrology"), "industry"), (new_lead(currency="yuan"), "currency"),
        (new_lead(company_size="galactic"), "company_size"),
        (new_lead(engagement=-1), "engagement"),
        (new_lead(owner_id="not-a-uuid"), "owner_id"),
    ]:
        r = await client.post("/api/v1/leads", json=body, headers=h)
        assert r.status_code == 422, (field, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == field, r.text
    lead = await capture(client, h)
    for body, field in [({"status": "won"}, "status"), ({"budget": "1.234"}, "budget"),
                        ({"next_followup_at": "2026-12-01T10:00:00"}, "next_followup_at"),
                        ({"disqualify_reason": "x"}, "disqualify_reason")]:
        r = await client.patch(f"/api/v1/leads/{lead['id']}", json=body, headers=h)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["errors"][0]["field"] == field
    r = await client.post("/api/v1/leads", content=b"{", headers={
        **h, "content-type": "application/json"})
    assert r.status_code == 400


async def test_a_person_cannot_type_an_empty_lead_but_an_integration_keeps_one_flagged(
        client: httpx.AsyncClient, world: World, container: Container) -> None:
    before = await count(container, tables.leads)
    for lang, words in (("zh-CN", "请至少填写姓名、公司、电话或邮箱中的一项"),
                        ("en", "give at least a name, a company, a phone or an e-mail")):
        r = await client.post("/api/v1/leads", json={"name": "  ", "message": "hi"},
                              headers={**world.auth("rep"), "Accept-Language": lang})
        assert r.status_code == 422, r.text
        error = r.json()["errors"][0]
        assert (error["field"], error["code"], error["message"]) == (
            "name", "lead.nothing_to_identify", words)
    assert await count(container, tables.leads) == before, "nothing was written"
    key = await api_key(container)
    kept = await capture(client, key, name=None, company=None, phone=None, email=None)
    assert "no_contact" in {f["code"] for f in kept["flags"]}


async def test_the_phone_is_revealed_to_pii_reveal_only(client: httpx.AsyncClient,
                                                        world: World) -> None:
    lead = await capture(client, world.auth("rep"))
    url = f"/api/v1/leads/{lead['id']}/reveal"
    assert (await client.post(url, headers=world.auth("rep"))).status_code == 403
    r = await client.post(url, headers=world.auth("manager"))
    assert r.status_code == 200 and r.json()["phone"] == MOBILE
    assert (await client.post(url, headers=world.auth("north_manager"))).status_code == 404
