"""The public website-form intake against real PostgreSQL and Redis: the happy path, CORS, and
abuse (spam, honeypot, oversize bodies, floods from one address or at one form)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from adapters.bootstrap import Container
from adapters.db import tables
from adapters.web import create_web_app
from tests.conftest import World
from tests.integration.leads_helpers import count, east_rule, route

SITE = "https://www.example.com"


@pytest.fixture(autouse=True)
async def fresh_limits(container: Container) -> AsyncIterator[None]:
    await container.limiter.clear()
    yield


def visitor(container: Container, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_web_app(container), client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://crm.test")


async def new_form(client: httpx.AsyncClient, world: World, **over: Any) -> dict[str, Any]:
    body = {"name": "Contact us", "site_origin": SITE + "/", "campaign": "spring-2026"}
    body.update(over)
    r = await client.post("/api/v1/lead-forms", json=body, headers=world.auth("admin"))
    assert r.status_code == 201, r.text
    return r.json()


FIELDS = {"name": "赵六", "company": "杭州云帆网络科技有限公司", "phone": "13800138000",
          "email": "zhao@example.com", "message": "请联系我，想要一份报价", "region": "east",
          "industry": "software", "budget": "300000", "utm_source": "baidu"}


async def test_a_browser_on_the_site_submits_and_the_lead_is_routed(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    await route(client, world, [east_rule(world)])
    form = await new_form(client, world)
    assert form["site_origin"] == SITE and form["key"].startswith("lf_")
    url = form["intake_url"]
    pre = await client.options(url, headers={"Origin": SITE,
                                             "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == SITE
    assert pre.headers["access-control-allow-methods"] == "POST"
    r = await client.post(url, json=FIELDS, headers={"Origin": SITE})
    assert r.status_code == 202, r.text
    assert r.json() == {"status": "received"}
    assert r.headers["access-control-allow-origin"] == SITE
    leads = (await client.get("/api/v1/leads", headers=world.auth("admin"))).json()["items"]
    (lead,) = leads
    assert lead["source"] == "website" and lead["campaign"] == "spring-2026"
    assert lead["form_id"] == form["id"] and lead["budget"] == "300000.00"
    assert lead["attribution"] == {"utm_source": "baidu"}
    assert lead["owner_id"] == str(world.users["rep"].id)
    assert lead["assignment"]["by"] == "round_robin"
    async with container.engine.connect() as conn:
        actor = (await conn.execute(
            select(tables.audit_log.c.actor_type, tables.audit_log.c.actor_label)
            .where(tables.audit_log.c.action == "lead.created"))).one()
    assert actor == ("intake_form", "form:Contact us")


async def test_plain_html_forms_and_servers_without_an_origin_are_accepted(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    form = await new_form(client, world)
    r = await client.post(form["intake_url"], data={**FIELDS, "submit": "Send"})
    assert r.status_code == 202, r.text
    assert "access-control-allow-origin" not in r.headers
    r = await client.post(form["intake_url"], content=b'{"name": "x", "phone": "13800138001"}',
                          headers={"content-type": "text/plain", "Origin": SITE})
    assert r.status_code == 202
    assert await count(container, tables.leads) == 2


async def test_another_site_is_refused_and_gets_no_cors_grant(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    form = await new_form(client, world)
    evil = {"Origin": "https://evil.example.net"}
    pre = await client.options(form["intake_url"], headers=evil)
    assert pre.status_code == 403 and "access-control-allow-origin" not in pre.headers
    r = await client.post(form["intake_url"], json=FIELDS, headers=evil)
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    assert r.headers["content-type"] == "application/problem+json"
    assert await count(container, tables.leads) == 0


async def test_unknown_inactive_and_rotated_keys_are_404(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    form = await new_form(client, world)
    assert (await client.post("/api/v1/intake/lf_doesnotexist00", json=FIELDS)
            ).status_code == 404
    admin = world.auth("admin")
    rotated = await client.post(f"/api/v1/lead-forms/{form['id']}/rotate-key", headers=admin)
    assert rotated.status_code == 200 and rotated.json()["key"] != form["key"]
    assert (await client.post(form["intake_url"], json=FIELDS)).status_code == 404
    new_url = rotated.json()["intake_url"]
    assert (await client.post(new_url, json=FIELDS)).status_code == 202
    off = await client.patch(f"/api/v1/lead-forms/{form['id']}", json={"active": False},
                             headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    assert (await client.post(new_url, json=FIELDS)).status_code == 404
    assert await count(container, tables.leads) == 1


async def test_the_honeypot_catches_bots_silently(client: httpx.AsyncClient, world: World,
                                                  container: Container) -> None:
    form = await new_form(client, world, honeypot_field="fax")
    r = await client.post(form["intake_url"], json={**FIELDS, "fax": "0101234567"},
                          headers={"Origin": SITE})
    assert r.status_code == 202 and r.json() == {"status": "received"}, "the bot learns nothing"
    assert await count(container, tables.leads) == 0
    assert await count(container, tables.audit_log,
                       tables.audit_log.c.action == "lead.created") == 0


async def test_spam_is_kept_disqualified_off_the_reps_desks(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    await route(client, world, [east_rule(world)])
    form = await new_form(client, world)
    spam = {**FIELDS, "message": "Cheap casino bonus http://a.example http://b.example "
            "http://c.example", "email": "bot@yopmail.com"}
    assert (await client.post(form["intake_url"], json=spam)).status_code == 202
    (lead,) = (await client.get("/api/v1/leads", headers=world.auth("admin"))).json()["items"]
    assert lead["status"] == "disqualified"
    assert {f["code"] for f in lead["flags"]} == {"spam", "disposable_email"}
    assert lead["owner_id"] == str(world.users["admin"].id)
    assert await count(container, tables.tasks) == 0


async def test_oversized_and_malformed_bodies_are_refused(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    form = await new_form(client, world)
    url = form["intake_url"]
    big = {**FIELDS, "message": "x" * 20_000}
    r = await client.post(url, json=big)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"message": "'
        for _ in range(40):
            yield b"y" * 1024
        yield b'"}'

    r = await client.post(url, content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert (await client.post(url, content=b"{nope", headers={
        "content-type": "application/json"})).status_code == 400
    for body, field in [({"name": {"first": "a"}}, "name"), ({"phone": "1" * 41}, "phone"),
                        ({f"f{i}": "x" for i in range(60)}, "body")]:
        r = await client.post(url, json=body)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == field
    r = await client.post(url, json=["a", "list"])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    r = await client.post(url, files={"cv": ("cv.pdf", b"%PDF")})
    assert r.status_code == 415
    assert await count(container, tables.leads) == 0


async def test_loose_values_are_dropped_not_refused(client: httpx.AsyncClient, world: World,
                                                    container: Container) -> None:
    form = await new_form(client, world)
    r = await client.post(form["intake_url"], json={
        **FIELDS, "budget": "about 50万", "industry": "astrology", "company_size": "huge",
        "phone": 13800138000})
    assert r.status_code == 202, r.text
    (lead,) = (await client.get("/api/v1/leads", headers=world.auth("admin"))).json()["items"]
    assert lead["budget"] is None and lead["industry"] is None
    assert lead["company_size"] is None and lead["phone"] == "138****8000"
    assert lead["attribution"]["form_industry"] == "astrology"


async def test_one_address_is_limited_per_form_with_retry_after(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    form = await new_form(client, world, per_ip_per_hour=3)
    url = form["intake_url"]
    for i in range(3):
        r = await client.post(url, json={**FIELDS, "phone": f"1380013810{i}"})
        assert r.status_code == 202
    r = await client.post(url, json=FIELDS)
    assert r.status_code == 429
    assert 0 < int(r.headers["retry-after"]) <= 3600
    assert r.headers["content-type"] == "application/problem+json"
    async with visitor(container, "198.51.100.20") as other:
        assert (await other.post(url, json=FIELDS)).status_code == 202
    assert await count(container, tables.leads) == 4


async def test_a_form_is_limited_across_addresses(client: httpx.AsyncClient, world: World,
                                                  container: Container) -> None:
    form = await new_form(client, world, per_form_per_minute=4)
    statuses = []
    for i in range(6):
        async with visitor(container, f"198.51.100.{i + 1}") as v:
            statuses.append((await v.post(form["intake_url"], json=FIELDS)).status_code)
    assert statuses == [202] * 4 + [429] * 2
    assert await count(container, tables.leads) == 4


async def test_an_address_guessing_keys_is_stopped(client: httpx.AsyncClient,
                                                   container: Container) -> None:
    statuses = [(await client.post(f"/api/v1/intake/lf_guess{i:08d}", json=FIELDS)).status_code
                for i in range(62)]
    assert statuses[:60] == [404] * 60 and statuses[60:] == [429, 429]


async def test_forms_are_admin_only(client: httpx.AsyncClient, world: World) -> None:
    for who in ("manager", "rep", "executive"):
        r = await client.post("/api/v1/lead-forms", json={"name": "x",
                                                          "site_origin": SITE},
                              headers=world.auth(who))
        assert r.status_code == 403
        assert (await client.get("/api/v1/lead-forms", headers=world.auth(who))
                ).status_code == 403
    bad = await client.post("/api/v1/lead-forms", json={"name": "x", "site_origin": "evil"},
                            headers=world.auth("admin"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "site_origin"
