"""Exports honour visibility and masking, stream in chunks, and are audited."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlalchemy import select

from adapters.bootstrap import Container
from adapters.db import tables
from domain.exports import service as exports_module
from domain.exports.labels import Locale, header
from domain.exports.service import COLUMNS
from tests.conftest import World, drain
from tests.integration.customers_helpers import MOBILE, create


async def export(client: httpx.AsyncClient, world: World, container: Container, who: str,
                 **body: Any) -> httpx.Response:
    r = await client.post("/api/v1/exports", json=body, headers=world.auth(who))
    assert r.status_code == 202, r.text
    await drain(container)
    state = (await client.get(f"/api/v1/exports/{r.json()['id']}",
                              headers=world.auth(who))).json()
    assert state["status"] == "done", state
    return await client.get(state["download"], headers=world.auth(who))


# An export in the suite organisation's language (English): each header back to its key
KEY_OF = {header("customer", c, Locale.EN): c for c in COLUMNS} | {"ERP code": "erp_code"}
NUMBER, NAME = header("customer", "number", Locale.EN), header("customer", "name", Locale.EN)


def rows_of(r: httpx.Response) -> list[dict[str, str]]:
    assert r.headers["content-type"].startswith("text/csv")
    return [{KEY_OF.get(k, k): v for k, v in row.items()}
            for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))]


async def test_a_rep_exports_only_its_own_customers_masked(client: httpx.AsyncClient,
                                                           world: World,
                                                           container: Container) -> None:
    mine = await create(client, world)
    await create(client, world, "north_rep", name="北京别人的客户有限公司")
    rows = rows_of(await export(client, world, container, "rep"))
    assert [r["number"] for r in rows] == [mine["number"]]
    assert rows[0]["mobile"] == "138****5678" and rows[0]["erp_code"] == "MY-001"
    assert MOBILE not in str(rows)


async def test_reveal_needs_pii_reveal_and_is_audited(client: httpx.AsyncClient, world: World,
                                                      container: Container) -> None:
    await create(client, world)
    denied = await client.post("/api/v1/exports", json={"reveal": True},
                               headers=world.auth("rep"))
    assert denied.status_code == 403
    rows = rows_of(await export(client, world, container, "manager", reveal=True))
    assert rows[0]["mobile"] == MOBILE
    async with container.engine.connect() as conn:
        actions = list((await conn.execute(select(tables.audit_log.c.action).where(
            tables.audit_log.c.actor_id == world.users["manager"].id))).scalars())
    assert "export.created" in actions and "export.downloaded" in actions


async def test_many_rows_go_out_in_several_chunks(client: httpx.AsyncClient, world: World,
                                                  container: Container, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(exports_module, "ROWS_PER_CHUNK", 2)
    for i in range(5):
        await create(client, world, name=f"分块测试{i}有限公司",
                     contacts=[{"name": "x", "mobile": f"1380000000{i}"}])
    r = await client.post("/api/v1/exports", json={"filter": {"q": "分块"}},
                          headers=world.auth("rep"))
    await drain(container)
    async with container.engine.connect() as conn:
        chunks = await conn.scalar(select(tables.exports.c.chunks).where(
            tables.exports.c.id == r.json()["id"]))
    assert chunks == 3
    got = await client.get(f"/api/v1/exports/{r.json()['id']}/download",
                           headers=world.auth("rep"))
    assert sorted(row["name"] for row in rows_of(got)) == [f"分块测试{i}有限公司"
                                                           for i in range(5)]


async def test_a_segment_exports_as_xlsx(client: httpx.AsyncClient, world: World,
                                         container: Container) -> None:
    big = await create(client, world, annual_purchase="3000000")
    await create(client, world, name="小小有限公司", annual_purchase="100")
    seg = await client.post("/api/v1/segments", headers=world.auth("rep"), json={
        "name": "大客户", "filter": {"annual_purchase_min": "1000000"}})
    r = await export(client, world, container, "rep", format="xlsx",
                     segment_id=seg.json()["id"])
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == (NUMBER, NAME) and len(values) == 2
    assert values[1][0] == big["number"]


async def test_an_xlsx_written_over_several_steps_is_one_valid_workbook(
        client: httpx.AsyncClient, world: World, container: Container,
        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(exports_module, "ROWS_PER_CHUNK", 2)
    names = [f"分块表格{i}有限公司" for i in range(4)] + ["分块表格<&>有限公司"]
    for i, name in enumerate(names):
        await create(client, world, name=name, contacts=[{"name": "=SUM(A1)",
                                                           "mobile": f"1380000000{i}"}])
    r = await export(client, world, container, "rep", format="xlsx", filter={"q": "分块表格"})
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    async with container.engine.connect() as conn:
        chunks = await conn.scalar(select(tables.exports.c.chunks).where(
            tables.exports.c.status == "done", tables.exports.c.format == "xlsx"))
    assert chunks == 3
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        assert archive.testzip() is None
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    header_row, *rows = list(sheet.iter_rows(values_only=True))
    assert header_row[:2] == (NUMBER, NAME) and len(rows) == 5
    assert sorted(str(row[1]) for row in rows) == sorted(names)
    contact, mobile = (header_row.index(header("customer", c, Locale.EN))
                       for c in ("contact", "mobile"))
    assert {row[contact] for row in rows} == {"'=SUM(A1)"}
    assert {row[mobile] for row in rows} == {"138****0000", "138****0001",
                                                             "138****0002", "138****0003",
                                                             "138****0004"}


async def test_exports_belong_to_their_maker(client: httpx.AsyncClient, world: World,
                                             container: Container) -> None:
    r = await client.post("/api/v1/exports", json={}, headers=world.auth("rep"))
    not_yet = await client.get(f"/api/v1/exports/{r.json()['id']}/download",
                               headers=world.auth("rep"))
    assert not_yet.status_code == 409
    other = await client.get(f"/api/v1/exports/{r.json()['id']}",
                             headers=world.auth("north_rep"))
    assert other.status_code == 404
    bad = await client.post("/api/v1/exports", json={"filter": {"grade": "gold"}},
                            headers=world.auth("rep"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "filter.grade"


async def test_one_user_has_at_most_three_exports_waiting_or_running(
        client: httpx.AsyncClient, world: World, container: Container) -> None:
    await create(client, world)
    for _ in range(3):
        r = await client.post("/api/v1/exports", json={}, headers=world.auth("rep"))
        assert r.status_code == 202, r.text
    fourth = await client.post("/api/v1/exports", json={}, headers=world.auth("rep"))
    assert fourth.status_code == 429, fourth.text
    assert fourth.headers["content-type"].startswith("application/problem+json")
    assert "3 exports waiting or running" in fourth.json()["detail"]
    assert int(fourth.headers["retry-after"]) > 0
    other = await client.post("/api/v1/exports", json={}, headers=world.auth("manager"))
    assert other.status_code == 202, "the cap is per user"
    await drain(container)
    again = await client.post("/api/v1/exports", json={}, headers=world.auth("rep"))
    assert again.status_code == 202, "finished exports no longer count"
