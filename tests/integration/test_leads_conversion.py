"""Converting a lead over HTTP on PostgreSQL: a customer, its contact and an opportunity
created exactly once under concurrent requests, or the matching customer linked."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import World
from tests.integration.leads_helpers import capture, count


async def test_conversion_creates_customer_contact_and_opportunity_exactly_once(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    lead = await capture(client, world.auth("rep"))
    url = f"/api/v1/leads/{lead['id']}/convert"
    results = await asyncio.gather(*[client.post(url, json={}, headers=world.auth("rep"))
                                     for _ in range(4)])
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    bodies = [r.json() for r in results]
    assert sum(b["converted_now"] for b in bodies) == 1
    assert len({(b["customer_id"], b["opportunity_id"]) for b in bodies}) == 1
    (done,) = [b for b in bodies if b["converted_now"]]
    assert done["lead"]["status"] == "converted" and done["customer_created"] is True
    assert await count(container, tables.customers) == 1
    assert await count(container, tables.opportunities) == 1
    customer = (await client.get(f"/api/v1/customers/{done['customer_id']}",
                                 headers=world.auth("rep"))).json()
    assert customer["name"] == "苏州精工自动化设备有限公司"
    assert customer["owner_id"] == str(world.users["rep"].id)
    (contact,) = customer["contacts"]
    assert contact["name"] == "王小明" and contact["mobile"] == "139****5678"
    opp = (await client.get(f"/api/v1/opportunities/{done['opportunity_id']}",
                            headers=world.auth("rep"))).json()
    assert opp["amount"] == "500000.00" and opp["lead_id"] == lead["id"]
    pipeline = (await client.get(f"/api/v1/pipelines/{opp['pipeline_id']}",
                                 headers=world.auth("rep"))).json()
    assert pipeline["is_default"] and opp["stage_id"] == pipeline["stages"][0]["id"]
    again = await client.post(url, json={}, headers=world.auth("rep"))
    assert again.json()["converted_now"] is False
    assert again.json()["customer_id"] == done["customer_id"]
    tasks = (await client.get(f"/api/v1/tasks?related_id={lead['id']}",
                              headers=world.auth("rep"))).json()["items"]
    assert [x["status"] for x in tasks] == ["cancelled"]
    async with container.engine.connect() as conn:
        actions = set((await conn.execute(select(tables.audit_log.c.action))).scalars())
    assert {"lead.created", "lead.converted", "customer.created",
            "opportunity.created"} <= actions


async def test_conversion_links_the_matching_customer_and_adds_the_contact_once(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    r = await client.post("/api/v1/customers", json={
        "name": "苏州精工自动化设备有限公司", "kind": "company",
        "contacts": [{"name": "李四", "mobile": "13700001111"}]}, headers=world.auth("rep"))
    customer = r.json()
    lead = await capture(client, world.auth("rep"))  # same legal name, a new person
    r = await client.post(f"/api/v1/leads/{lead['id']}/convert",
                          json={"create_opportunity": False}, headers=world.auth("rep"))
    assert r.status_code == 200, r.text
    assert r.json()["customer_id"] == customer["id"] and not r.json()["customer_created"]
    assert r.json()["opportunity_id"] is None
    contacts = (await client.get(f"/api/v1/customers/{customer['id']}",
                                 headers=world.auth("rep"))).json()["contacts"]
    assert [c["name"] for c in contacts] == ["李四", "王小明"]
    assert await count(container, tables.customers) == 1
