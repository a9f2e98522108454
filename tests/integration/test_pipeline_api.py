"""Pipelines and opportunities over HTTP: the default pipeline, stage requirements, history,
the customer's timeline, the board, admin-defined pipelines."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import World, drain
from tests.integration.leads_helpers import count, notifications


async def customer(client: httpx.AsyncClient, world: World, who: str = "rep",
                   name: str = "上海明远精密机械制造有限公司") -> dict[str, Any]:
    r = await client.post("/api/v1/customers", json={"name": name, "kind": "company"},
                          headers=world.auth(who))
    assert r.status_code == 201, r.text
    return r.json()


async def default_pipeline(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    r = await client.get("/api/v1/pipelines", headers=world.auth("rep"))
    assert r.status_code == 200, r.text
    (p,) = [x for x in r.json() if x["is_default"]]
    return p


async def opportunity(client: httpx.AsyncClient, world: World, customer_id: str,
                      who: str = "rep", **over: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/opportunities", json={"customer_id": customer_id, **over},
                          headers=world.auth(who))
    assert r.status_code == 201, r.text
    return r.json()


def stage(p: dict[str, Any], key: str) -> str:
    return next(s["id"] for s in p["stages"] if s["key"] == key)


async def test_the_default_pipeline_is_there_from_the_start(client: httpx.AsyncClient,
                                                            world: World) -> None:
    p = await default_pipeline(client, world)
    assert [(s["key"], s["probability"], s["kind"], s["requirements"]) for s in p["stages"]] == [
        ("initial_contact", 10, "open", []), ("needs_analysis", 20, "open", []),
        ("proposal", 50, "open", ["amount", "quote_reference"]),
        ("contract_signing", 80, "open", ["contract"]),
        ("won", 100, "won", ["amount"]), ("lost", 0, "lost", [])]
    assert p["stages"][4]["name"] == "Payment received (won)"
    assert p["stale_days"] == 7
    again = await default_pipeline(client, world)
    assert again["id"] == p["id"]


async def test_a_deal_walks_the_pipeline_meeting_each_stages_requirements(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    p = await default_pipeline(client, world)
    c = await customer(client, world)
    o = await opportunity(client, world, c["id"], name="二期产线改造")
    assert o["stage_id"] == stage(p, "initial_contact") and o["probability"] == 10
    assert o["number"].startswith("O") and o["owner_id"] == str(world.users["rep"].id)
    h, url = world.auth("rep"), f"/api/v1/opportunities/{o['id']}"

    async def patch(body: dict[str, Any]) -> httpx.Response:
        return await client.patch(url, json=body, headers=h)

    assert (await patch({"stage_id": stage(p, "needs_analysis")})).status_code == 200
    r = await patch({"stage_id": stage(p, "proposal")})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"amount", "quote_reference"}
    r = await patch({"amount": "1250000.00", "quote_reference": "Q-2026-118",
                     "stage_id": stage(p, "proposal")})
    assert r.status_code == 200, r.text
    assert r.json()["amount"] == "1250000.00" and r.json()["weighted_amount"] == "625000.00"
    r = await patch({"stage_id": stage(p, "contract_signing")})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "contract_status"
    r = await patch({"contract_status": "draft", "stage_id": stage(p, "contract_signing")})
    assert r.status_code == 422, "a draft is not in approval"
    r = await patch({"contract_status": "in_approval", "contract_reference": "HT-2026-007",
                     "stage_id": stage(p, "contract_signing")})
    assert r.status_code == 200 and r.json()["probability"] == 80
    r = await patch({"stage_id": stage(p, "won")})
    assert r.status_code == 200
    assert r.json()["status"] == "won" and r.json()["closed_at"] is not None
    history = (await client.get(f"{url}/history", headers=h)).json()
    assert [v["stage_name"] for v in history] == [
        "Initial contact", "Needs analysis", "Proposal/quote", "Contract signing",
        "Payment received (won)"]
    assert all(v["left_at"] and v["left_by"] == str(world.users["rep"].id)
               for v in history[:-1])
    assert history[-1]["left_at"] is None and history[0]["seconds_in_stage"] >= 0
    timeline = (await client.get(f"/api/v1/customers/{c['id']}/timeline", headers=h)
                ).json()["items"]
    moves = [e for e in timeline if e["kind"] == "stage_changed"]
    assert len(moves) == 4 and moves[0]["summary"].endswith(
        "Contract signing → Payment received (won)")
    assert moves[0]["ref_id"] == o["id"]
    assert await count(container, tables.audit_log, tables.audit_log.c.target_id == o["id"]) == 5, \
        "created and four moves; refused moves leave no trace"


async def test_skipping_stages_does_not_skip_their_requirements(
    client: httpx.AsyncClient, world: World
) -> None:
    p = await default_pipeline(client, world)
    o = await opportunity(client, world, (await customer(client, world))["id"])
    r = await client.patch(f"/api/v1/opportunities/{o['id']}",
                           json={"stage_id": stage(p, "contract_signing")},
                           headers=world.auth("rep"))
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"amount", "quote_reference",
                                                        "contract_status"}
    r = await client.post("/api/v1/opportunities", headers=world.auth("rep"), json={
        "customer_id": o["customer_id"], "stage_id": stage(p, "proposal")})
    assert r.status_code == 422, "starting at a stage needs its requirements too"


async def test_losing_needs_a_reason_and_a_lost_deal_can_be_reopened(
    client: httpx.AsyncClient, world: World
) -> None:
    p = await default_pipeline(client, world)
    o = await opportunity(client, world, (await customer(client, world))["id"])
    url, h = f"/api/v1/opportunities/{o['id']}", world.auth("rep")
    r = await client.patch(url, json={"stage_id": stage(p, "lost")}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lost_reason"
    r = await client.patch(url, json={"stage_id": stage(p, "lost"),
                                      "lost_reason": "chose a competitor"}, headers=h)
    assert r.status_code == 200
    assert r.json()["status"] == "lost" and r.json()["lost_reason"] == "chose a competitor"
    r = await client.patch(url, json={"lost_reason": "x"}, headers=h)
    assert r.status_code == 422
    r = await client.patch(url, json={"stage_id": stage(p, "needs_analysis")}, headers=h)
    assert r.status_code == 200
    assert r.json()["status"] == "open" and r.json()["lost_reason"] is None
    assert r.json()["closed_at"] is None
    stale = await client.patch(url, json={"name": "x"}, headers={**h, "If-Match": '"1"'})
    assert stale.status_code == 412


async def test_the_board_sums_each_stage_and_pages_its_cards(
    client: httpx.AsyncClient, world: World
) -> None:
    p = await default_pipeline(client, world)
    c = await customer(client, world)
    for amount in ("100.00", "200.00", "300.50"):
        await opportunity(client, world, c["id"], amount=amount)
    await opportunity(client, world, c["id"], amount="1000.00", currency="USD")
    await opportunity(client, world, c["id"])  # no amount yet
    await opportunity(client, world, c["id"], amount="5000.00", quote_reference="Q-1",
                      stage_id=stage(p, "proposal"))
    other = await customer(client, world, "north_rep", "北京华北重工有限公司")
    await opportunity(client, world, other["id"], "north_rep", amount="7.00")
    r = await client.get("/api/v1/opportunities", params={"view": "board", "cards": 2},
                         headers=world.auth("admin"))
    assert r.status_code == 200, r.text
    board = r.json()
    assert board["view"] == "board" and board["pipeline"]["id"] == p["id"]
    cols = {col["stage"]["key"]: col for col in board["columns"]}
    assert list(cols) == ["initial_contact", "needs_analysis", "proposal", "contract_signing",
                          "won", "lost"]
    first = cols["initial_contact"]
    assert first["count"] == 6
    assert first["totals"] == [
        {"currency": "CNY", "amount": "607.50", "weighted": "60.75"},
        {"currency": "USD", "amount": "1000.00", "weighted": "100.00"}]
    assert len(first["cards"]) == 2 and first["next_cursor"]
    assert cols["proposal"]["count"] == 1
    assert cols["proposal"]["totals"] == [{"currency": "CNY", "amount": "5000.00",
                                           "weighted": "2500.00"}]
    assert cols["won"] == {**cols["won"], "count": 0, "totals": [], "cards": [],
                           "next_cursor": None}
    seen = [x["id"] for x in first["cards"]]
    cursor = first["next_cursor"]
    while cursor:
        more = (await client.get("/api/v1/opportunities", headers=world.auth("admin"), params={
            "pipeline_id": p["id"], "stage_id": stage(p, "initial_contact"), "limit": 2,
            "cursor": cursor})).json()
        seen += [x["id"] for x in more["items"]]
        cursor = more["next_cursor"]
    assert len(seen) == len(set(seen)) == 6, "the column's cursor continues the list"
    names = {c["id"]: c["name"], other["id"]: other["name"]}
    assert all(card["customer_name"] == names[card["customer_id"]] for card in first["cards"]), (
        "a card names its customer")
    mine = (await client.get("/api/v1/opportunities", params={"view": "board"},
                             headers=world.auth("north_rep"))).json()
    north_card = next(col for col in mine["columns"] if col["count"])["cards"][0]
    assert north_card["customer_name"] == "北京华北重工有限公司"
    one = (await client.get(f"/api/v1/opportunities/{north_card['id']}",
                            headers=world.auth("north_rep"))).json()
    assert one["customer_name"] == "北京华北重工有限公司"
    assert [(col["stage"]["key"], col["count"]) for col in mine["columns"] if col["count"]] == [
        ("initial_contact", 1)], "a rep's board shows their own deals"
    by_amount = (await client.get("/api/v1/opportunities", params={"sort": "-amount"},
                                  headers=world.auth("rep"))).json()["items"]
    assert [x["amount"] for x in by_amount][:2] == ["5000.00", "1000.00"]
    assert by_amount[-1]["amount"] is None


async def test_admins_define_pipelines_and_their_stages(client: httpx.AsyncClient,
                                                        world: World) -> None:
    admin = world.auth("admin")
    body = {"name": "Renewals", "stale_days": 14, "stages": [
        {"key": "review", "name": "Usage review", "probability": 30},
        {"key": "offer", "name": "Renewal offer", "probability": 70,
         "requirements": ["amount", "expected_close_date"]},
        {"key": "renewed", "name": "Renewed", "kind": "won"},
        {"key": "churned", "name": "Churned", "kind": "lost"}]}
    assert (await client.post("/api/v1/pipelines", json=body,
                              headers=world.auth("manager"))).status_code == 403
    r = await client.post("/api/v1/pipelines", json=body, headers=admin)
    assert r.status_code == 201, r.text
    renewals = r.json()
    assert [s["probability"] for s in renewals["stages"]] == [30, 70, 100, 0]
    for broken, field in [
        ({**body, "stages": [*body["stages"][:3], {"key": "x", "name": "X",
                                                   "probability": 5}]}, "stages"),
        ({**body, "stages": [*body["stages"], {"key": "review", "name": "Again",
                                              "probability": 5}]}, "stages.4.key"),
        ({**body, "stages": [{"key": "a", "name": "A"}, *body["stages"][1:]]},
         "stages.0.probability"),
        ({**body, "stages": [{**body["stages"][0], "requirements": ["karma"]},
                             *body["stages"][1:]]}, "stages.0.requirements.0"),
    ]:
        r = await client.post("/api/v1/pipelines", json=broken, headers=admin)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["errors"][0]["field"] == field, r.text
    c = await customer(client, world)
    o = await opportunity(client, world, c["id"], pipeline_id=renewals["id"])
    r = await client.patch(f"/api/v1/opportunities/{o['id']}", headers=world.auth("rep"),
                           json={"stage_id": stage(renewals, "offer"), "amount": "10.00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "expected_close_date"
    url = f"/api/v1/pipelines/{renewals['id']}"
    kept = [{"id": s["id"], "key": s["key"], "name": s["name"],
             "probability": s["probability"], "kind": s["kind"],
             "requirements": s["requirements"]} for s in renewals["stages"]]
    r = await client.patch(url, json={"stages": kept[1:]}, headers=admin)
    assert r.status_code == 422 and "Usage review" in r.json()["detail"], "it holds a deal"
    kept[1]["probability"] = 75
    renamed = [{**kept[0], "name": "Health check"}, kept[1],
               {"key": "negotiation", "name": "Negotiation", "probability": 85}, *kept[2:]]
    r = await client.patch(url, json={"stages": renamed, "is_default": True},
                           headers={**admin, "If-Match": f'"{renewals["version"]}"'})
    assert r.status_code == 200, r.text
    assert [s["key"] for s in r.json()["stages"]] == ["review", "offer", "negotiation",
                                                      "renewed", "churned"]
    assert r.json()["stages"][0]["id"] == renewals["stages"][0]["id"]
    assert r.json()["is_default"] is True
    pipelines = (await client.get("/api/v1/pipelines", headers=world.auth("rep"))).json()
    assert [x["name"] for x in pipelines if x["is_default"]] == ["Renewals"]
    assert (await client.get(url, headers=world.auth("rep"))).json()["stages"][0]["name"] \
        == "Health check"


async def test_managers_reassign_deals_and_the_new_owner_hears_of_it(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    o = await opportunity(client, world, (await customer(client, world))["id"])
    url = f"/api/v1/opportunities/{o['id']}"
    target = {"owner_id": str(world.users["manager"].id)}
    assert (await client.patch(url, json=target, headers=world.auth("rep"))).status_code == 403
    r = await client.patch(url, json=target, headers=world.auth("manager"))
    assert r.status_code == 200 and r.json()["owner_id"] == target["owner_id"]
    await drain(container)
    assert len(await notifications(container, world.users["manager"].id,
                                   "opportunity_assigned")) == 1


async def test_who_sees_which_deals(client: httpx.AsyncClient, world: World) -> None:
    c = await customer(client, world)
    o = await opportunity(client, world, c["id"])
    url = f"/api/v1/opportunities/{o['id']}"
    for who, status in [("rep", 200), ("manager", 200), ("admin", 200), ("finance", 200),
                        ("executive", 200), ("north_rep", 404), ("north_manager", 404),
                        ("legal", 403), ("service_agent", 403)]:
        assert (await client.get(url, headers=world.auth(who))).status_code == status, who
    r = await client.patch(url, json={"name": "x"}, headers=world.auth("finance"))
    assert r.status_code == 403
    hidden = await customer(client, world, "north_rep", "北京华北重工有限公司")
    r = await client.post("/api/v1/opportunities", json={"customer_id": hidden["id"]},
                          headers=world.auth("rep"))
    assert r.status_code == 404
    r = await client.post("/api/v1/opportunities", json={
        "customer_id": "00000000-0000-0000-0000-000000000001"}, headers=world.auth("rep"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "customer_id"
    for body, field in [({"customer_id": c["id"], "amount": "1.001"}, "amount"),
                        ({"customer_id": c["id"], "amount": "12.50", "currency": "R1B"},
                         "currency"),
                        ({"customer_id": c["id"], "contract_status": "maybe"},
                         "contract_status")]:
        r = await client.post("/api/v1/opportunities", json=body, headers=world.auth("rep"))
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text


async def test_the_kept_board_totals_always_equal_the_live_sums(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    from datetime import UTC, datetime

    from domain.pipeline.queries import OpportunityFilter
    from domain.shared.authz import Visibility

    p = await default_pipeline(client, world)
    c = await customer(client, world)
    north = await customer(client, world, "north_rep", "北京华北重工有限公司")
    deals = [await opportunity(client, world, c["id"], amount=f"{i}00.10",
                               currency="USD" if i % 3 == 0 else "CNY") for i in range(1, 7)]
    deals.append(await opportunity(client, world, north["id"], "north_rep", amount="55.55"))
    h = world.auth("admin")
    edits = [
        (deals[0], {"amount": "999.99"}), (deals[1], {"amount": None}),
        (deals[2], {"currency": "EUR"}),
        (deals[3], {"quote_reference": "Q", "stage_id": stage(p, "proposal")}),
        (deals[4], {"stage_id": stage(p, "lost"), "lost_reason": "price"}),
        (deals[5], {"owner_id": str(world.users["north_rep"].id)}),
        (deals[6], {"stage_id": stage(p, "needs_analysis"), "amount": "1.00"}),
    ]
    for deal, body in edits:
        r = await client.patch(f"/api/v1/opportunities/{deal['id']}", json=body, headers=h)
        assert r.status_code == 200, r.text
    managers_team = [world.departments["east"].id]
    for vis in (Visibility(everything=True),
                Visibility(owner_id=world.users["manager"].id, department_ids=managers_team),
                Visibility(owner_id=world.users["north_rep"].id)):
        for extra in ({}, {"stage_id": uuid.UUID(stage(p, "initial_contact"))},
                      {"owner_id": world.users["north_rep"].id}):
            kept = OpportunityFilter(pipeline_id=uuid.UUID(p["id"]), **extra)
            live = OpportunityFilter(pipeline_id=uuid.UUID(p["id"]),
                                     updated_since=datetime(2000, 1, 1, tzinfo=UTC), **extra)
            async with container.uow() as uow:
                a = await uow.opportunities.stage_totals(kept, vis)
                b = await uow.opportunities.stage_totals(live, vis)
            key = (lambda x: str(x.stage_id))  # noqa: E731
            assert sorted(a, key=key) == sorted(b, key=key), (vis, extra)
