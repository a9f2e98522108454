"""Bulk actions on the lists: each record changes as it would alone (permissions, stage
requirements, audit, events), and the answer says how each fared."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import World
from tests.integration.contracts_helpers import contract, customer
from tests.integration.leads_helpers import capture
from tests.integration.test_pipeline_api import default_pipeline, opportunity, stage


def outcome(r: httpx.Response) -> dict[str, tuple[bool, int]]:
    assert r.status_code == 200, r.text
    return {x["id"]: (x["ok"], x["status"]) for x in r.json()["items"]}


async def audited(container: Container, action: str) -> int:
    async with container.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(tables.audit_log).where(
            tables.audit_log.c.action == action)) or 0)


async def test_a_manager_reassigns_leads_in_bulk(client: httpx.AsyncClient, world: World,
                                                 container: Container) -> None:
    rep = world.auth("rep")
    first = await capture(client, rep, phone="13900000001", email="a@example.com")
    second = await capture(client, rep, phone="13900000002", email="b@example.com")
    theirs = await capture(client, world.auth("north_rep"), phone="13900000003",
                           email="c@example.com")
    body: dict[str, Any] = {"ids": [first["id"], second["id"], theirs["id"]],
                            "owner_id": str(world.users["manager"].id)}
    refused = await client.post("/api/v1/leads/bulk-assign", json=body, headers=rep)
    assert set(outcome(refused).values()) == {(False, 403)}, "reps do not reassign"
    r = await client.post("/api/v1/leads/bulk-assign", json=body,
                          headers=world.auth("manager"))
    assert outcome(r) == {first["id"]: (True, 200), second["id"]: (True, 200),
                          theirs["id"]: (False, 404)}, "another team's lead is not seen"
    assert (r.json()["succeeded"], r.json()["failed"]) == (2, 1)
    mine = await client.get("/api/v1/leads", params={"owner": "me"},
                            headers=world.auth("manager"))
    assert {x["id"] for x in mine.json()["items"]} == {first["id"], second["id"]}
    assert await audited(container, "lead.reassigned") == 2
    bad = await client.post("/api/v1/leads/bulk-assign", headers=world.auth("manager"),
                            json={"ids": [], "owner_id": str(world.users["manager"].id)})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "ids"
    denied = await client.post("/api/v1/leads/bulk-assign", json=body,
                               headers=world.auth("finance"))
    assert denied.status_code == 403, "no leads:write at all: refused as a whole"


async def test_opportunities_move_together_each_meeting_its_stage(client: httpx.AsyncClient,
                                                                  world: World) -> None:
    p = await default_pipeline(client, world)
    cid = await customer(client, world)
    ready = await opportunity(client, world, cid, amount="100000.00")
    also = await opportunity(client, world, cid, amount="200000.00")
    h = world.auth("rep")
    r = await client.post("/api/v1/opportunities/bulk-update", headers=h, json={
        "ids": [ready["id"], also["id"]], "stage_id": stage(p, "needs_analysis")})
    assert outcome(r) == {ready["id"]: (True, 200), also["id"]: (True, 200)}
    moved = await client.get("/api/v1/opportunities", headers=h,
                             params={"stage_id": stage(p, "needs_analysis")})
    assert len(moved.json()["items"]) == 2
    # Proposal/quote needs a quote reference: each deal is refused naming it
    r = await client.post("/api/v1/opportunities/bulk-update", headers=h, json={
        "ids": [ready["id"]], "stage_id": stage(p, "proposal")})
    (item,) = r.json()["items"]
    assert (item["ok"], item["status"], item["field"]) == (False, 422, "quote_reference")
    nothing = await client.post("/api/v1/opportunities/bulk-update", headers=h,
                                json={"ids": [ready["id"]]})
    assert nothing.status_code == 422 and nothing.json()["errors"][0]["field"] == "stage_id"


async def test_only_draft_contracts_are_deleted_in_bulk(client: httpx.AsyncClient,
                                                        world: World,
                                                        container: Container) -> None:
    draft = await contract(client, world, amount="80000.00")
    submitted = await contract(client, world, amount="80000.00")
    h = world.auth("rep")
    sent = await client.post(f"/api/v1/contracts/{submitted['id']}/submit", headers=h)
    assert sent.status_code == 200, sent.text
    r = await client.post("/api/v1/contracts/bulk-delete", headers=h,
                          json={"ids": [draft["id"], submitted["id"]]})
    assert outcome(r) == {draft["id"]: (True, 200), submitted["id"]: (False, 409)}
    left = await client.get("/api/v1/contracts", headers=h)
    assert [x["id"] for x in left.json()["items"]] == [submitted["id"]]
    assert await audited(container, "contract.deleted") == 1


async def test_contracts_change_hands_in_bulk(client: httpx.AsyncClient, world: World) -> None:
    one = await contract(client, world)
    two = await contract(client, world)
    r = await client.post("/api/v1/contracts/bulk-assign", headers=world.auth("manager"),
                          json={"ids": [one["id"], two["id"]],
                                "owner_id": str(world.users["manager"].id)})
    assert outcome(r) == {one["id"]: (True, 200), two["id"]: (True, 200)}
    theirs = await client.get("/api/v1/contracts", params={"owner": "me"},
                              headers=world.auth("manager"))
    assert {x["id"] for x in theirs.json()["items"]} == {one["id"], two["id"]}
