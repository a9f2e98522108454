"""Saved views of the customer, lead, opportunity and contract lists: the list's filters (each
key checked against that list's), sort and columns, private or shared with a department."""

from __future__ import annotations

import httpx

from tests.conftest import World


async def test_a_lead_view_keeps_its_filters_sort_and_columns(client: httpx.AsyncClient,
                                                              world: World) -> None:
    h = world.auth("rep")
    r = await client.post("/api/v1/segments", headers=h, json={
        "name": "本周要跟进的展会线索", "object": "lead",
        "filter": {"source": "trade_show", "open_only": True}, "sort": "next_followup_at",
        "columns": ["number", "name", "company", "status", "next_followup_at"]})
    assert r.status_code == 201, r.text
    view = r.json()
    assert (view["object"], view["sort"], view["columns"][-1]) == (
        "lead", "next_followup_at", "next_followup_at")
    await client.post("/api/v1/segments", headers=h, json={
        "name": "大客户", "filter": {"annual_purchase_min": "1000000"}})
    leads = await client.get("/api/v1/segments", headers=h, params={"object": "lead"})
    assert [v["name"] for v in leads.json()["items"]] == ["本周要跟进的展会线索"]
    every = await client.get("/api/v1/segments", headers=h)
    assert {v["object"] for v in every.json()["items"]} == {"lead", "customer"}
    changed = await client.patch(f"/api/v1/segments/{view['id']}", headers=h, json={
        "sort": "-score", "columns": ["number", "score"]})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["sort"], changed.json()["columns"]) == ("-score", ["number", "score"])
    assert changed.json()["filter"] == {"source": "trade_show", "open_only": True}
    members = await client.get(f"/api/v1/segments/{view['id']}/members", headers=h)
    assert members.status_code == 409, "a lead view is opened on the lead list"
    theirs = await client.get(f"/api/v1/segments/{view['id']}",
                              headers=world.auth("north_rep"))
    assert theirs.status_code == 404, "private to its owner"


async def test_a_view_refuses_what_its_list_does_not_have(client: httpx.AsyncClient,
                                                          world: World) -> None:
    h = world.auth("rep")

    async def refused(body: dict[str, object]) -> str:
        r = await client.post("/api/v1/segments", headers=h, json={"name": "x", **body})
        assert r.status_code == 422, r.text
        return str(r.json()["errors"][0]["field"])

    # a customer filter key on a contract view, and a contract status on a lead view
    assert await refused({"object": "contract", "filter": {"industry": "retail"}}) == (
        "filter.industry")
    assert await refused({"object": "lead", "filter": {"status": "signed"}}) == "filter.status"
    assert await refused({"object": "opportunity", "filter": {}, "sort": "-score"}) == "sort"
    assert await refused({"object": "contract", "filter": {}, "columns": ["Amount!"]}) == (
        "columns.0")
    assert await refused({"object": "invoice", "filter": {}}) == "object"
    ok = await client.post("/api/v1/segments", headers=h, json={
        "name": "待审批的大合同", "object": "contract", "filter": {"status": "in_approval"},
        "sort": "-amount", "sharing": "department",
        "department_id": str(world.departments["east"].id)})
    assert ok.status_code == 201, ok.text
    shared = await client.get("/api/v1/segments", headers=world.auth("manager"),
                              params={"object": "contract"})
    assert [v["name"] for v in shared.json()["items"]] == ["待审批的大合同"]


async def test_each_user_keeps_columns_and_sort_per_list(client: httpx.AsyncClient,
                                                         world: World) -> None:
    h = world.auth("rep")
    fresh = await client.get("/api/v1/me/list-settings/contract", headers=h)
    assert fresh.status_code == 200 and fresh.json()["version"] == 0
    assert fresh.headers["etag"] == '"0"'
    body = {"columns": ["number", "customer_name", "amount", "status"], "sort": "-amount"}
    saved = await client.put("/api/v1/me/list-settings/contract", headers=h | {
        "If-Match": '"0"'}, json=body)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["version"], saved.json()["sort"]) == (1, "-amount")
    again = await client.get("/api/v1/me/list-settings/contract", headers=h)
    assert again.json()["columns"] == body["columns"]
    stale = await client.put("/api/v1/me/list-settings/contract", headers=h | {
        "If-Match": '"0"'}, json=body)
    assert stale.status_code == 412, "another device saved in between"
    other = await client.get("/api/v1/me/list-settings/contract",
                             headers=world.auth("manager"))
    assert other.json()["version"] == 0, "each user's own"
    bad = await client.put("/api/v1/me/list-settings/lead", headers=h,
                           json={"columns": ["number"], "sort": "amount"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sort"
    nowhere = await client.get("/api/v1/me/list-settings/invoice", headers=h)
    assert nowhere.status_code == 422
