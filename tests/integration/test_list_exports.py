"""Exports of the lead, opportunity and contract lists: the whole filtered list, as the caller
sees it, with headers and labels in the requester's language instead of codes."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

from adapters.bootstrap import Container
from tests.conftest import World, drain
from tests.integration.contracts_helpers import contract
from tests.integration.leads_helpers import capture


async def exported(client: httpx.AsyncClient, world: World, container: Container, who: str,
                   language: str | None = None, **body: Any) -> list[list[str]]:
    headers = world.auth(who) | ({"Accept-Language": language} if language else {})
    r = await client.post("/api/v1/exports", json=body, headers=headers)
    assert r.status_code == 202, r.text
    await drain(container)
    state = (await client.get(f"/api/v1/exports/{r.json()['id']}",
                              headers=world.auth(who))).json()
    assert state["status"] == "done", state
    got = await client.get(state["download"], headers=world.auth(who))
    assert got.status_code == 200
    assert f'filename="{body["object"]}s-' in got.headers["content-disposition"]
    return list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))


async def test_a_lead_export_has_chinese_headers_and_labels(client: httpx.AsyncClient,
                                                            world: World,
                                                            container: Container) -> None:
    h = world.auth("rep")
    mine = await capture(client, h, source="trade_show")
    await capture(client, world.auth("north_rep"), name="别人的线索", phone="13911112222",
                  email="other@example.com")
    header, *rows = await exported(client, world, container, "rep", "zh-CN", object="lead")
    assert header[:6] == ["线索编号", "姓名", "公司", "职务", "电话", "邮箱"]
    assert len(rows) == 1, "only the leads the rep sees"
    lead = dict(zip(header, rows[0], strict=True))
    assert lead["线索编号"] == mine["number"] and lead["来源"] == "展会"
    assert lead["状态"] == "新线索" and lead["负责人"] == "Rep"
    assert lead["电话"] == "139****5678", "masked without pii:reveal"
    assert lead["公司规模"] == "大型"


async def test_english_when_the_requester_prefers_it(client: httpx.AsyncClient, world: World,
                                                     container: Container) -> None:
    c = await contract(client, world)
    header, *rows = await exported(client, world, container, "rep", "en-US,en;q=0.9",
                                   object="contract", filter={"status": "draft"})
    assert header[:4] == ["Contract no.", "Title", "Customer", "Status"]
    assert [r[0] for r in rows] == [c["number"]] and rows[0][3] == "Draft"
    none = await exported(client, world, container, "rep", "en", object="contract",
                          filter={"status": "signed"})
    assert len(none) == 1, "the header alone: the filter holds"


async def test_an_opportunity_export_names_the_stage(client: httpx.AsyncClient, world: World,
                                                     container: Container) -> None:
    c = await contract(client, world)
    r = await client.post("/api/v1/opportunities", json={"customer_id": c["customer_id"],
                                                         "amount": "500000.00"},
                          headers=world.auth("rep"))
    assert r.status_code == 201, r.text
    header, row = await exported(client, world, container, "manager", "zh-CN", object="opportunity")
    got = dict(zip(header, row, strict=True))
    assert got["商机编号"] == r.json()["number"] and got["状态"] == "进行中"
    assert got["金额"] == "500000.00" and got["阶段"] and "-" not in got["阶段"][:9]


async def test_a_list_export_refuses_what_its_list_does_not_filter_by(
        client: httpx.AsyncClient, world: World) -> None:
    h = world.auth("rep")
    bad = await client.post("/api/v1/exports", headers=h, json={
        "object": "lead", "filter": {"industry_fit": "x"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "filter.industry_fit"
    bad = await client.post("/api/v1/exports", headers=h, json={
        "object": "lead", "filter": {"status": "won"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "filter.status"
    bad = await client.post("/api/v1/exports", headers=h, json={
        "object": "contract", "segment_id": "6c3e9f8e-7a59-4a36-9d57-3b1f2c1d0e11"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "segment_id"
    bad = await client.post("/api/v1/exports", headers=h, json={"object": "invoice"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "object"
    denied = await client.post("/api/v1/exports", json={"object": "lead"},
                               headers=world.auth("finance"))
    assert denied.status_code == 403, "finance does not read leads"
