"""Importing customers from files a real office produces."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import World, drain
from tests.integration.customers_helpers import stored_documents

ROOT = Path(__file__).resolve().parents[2]

HEADER = ["客户名称", "联系人", "手机", "邮箱", "所属行业", "负责销售", "标签"]


def gb18030_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("gb18030")


async def upload(client: httpx.AsyncClient, world: World, name: str, content: bytes,
                 who: str = "rep", **form: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/imports", headers=world.auth(who),
                          files={"file": (name, content)},
                          data={k: str(v).lower() if isinstance(v, bool) else v
                                for k, v in form.items()})
    assert r.status_code == 202, r.text
    return r.json()


async def finished(client: httpx.AsyncClient, world: World, container: Container,
                   import_id: str, who: str = "rep") -> dict[str, Any]:
    await drain(container)
    r = await client.get(f"/api/v1/imports/{import_id}", headers=world.auth(who))
    assert r.status_code == 200
    return r.json()


async def errors_of(client: httpx.AsyncClient, world: World, import_id: str) -> list[list[str]]:
    r = await client.get(f"/api/v1/imports/{import_id}/errors", headers=world.auth("rep"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))[1:]


async def customers(client: httpx.AsyncClient, world: World, who: str = "rep"
                    ) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/customers", params={"limit": 200}, headers=world.auth(who))
    return r.json()["items"]


async def test_a_gb18030_csv_with_messy_rows(client: httpx.AsyncClient, world: World,
                                             container: Container) -> None:
    rep = world.users["rep"].email
    content = gb18030_csv([
        ["上海明远精密机械制造有限公司", "张三", "+86 138 1234 5678", "zs@example.com",
         "制造业", rep, "重点客户，B2B"],
        ["", "", "", "", "", "", ""],  # a blank row is passed over
        ["杭州西湖电子商务有限公司", "李四", "139 0000 1111", "", "电子商务", "", "电商"],
        ["明远机械", "王五", "13700002222", "", "制造业", "", ""],  # an abbreviation
        ["苏州工业园区新材料科技有限公司", "赵六", "12345", "", "制造业", "", ""],  # bad phone
        ["南京某某有限公司", "钱七", "13600003333", "", "占星术", "", ""],  # unknown industry
        ["上海明远精密机械制造有限公司", "张三", "13812345678", "", "制造业", "", ""],  # dup
    ])
    imp = await upload(client, world, "客户名单.csv", content)
    assert imp["status"] == "pending"
    done = await finished(client, world, container, imp["id"])
    assert done["status"] == "done" and done["encoding"] == "gb18030"
    assert (done["rows_read"], done["created"], done["rejected"], done["skipped"]) == (6, 2, 3, 1)
    assert done["progress"] == 1.0
    mine = {c["name"]: c for c in await customers(client, world)}
    assert set(mine) == {"上海明远精密机械制造有限公司", "杭州西湖电子商务有限公司"}
    first = mine["上海明远精密机械制造有限公司"]
    assert first["industry"] == "manufacturing" and first["tags"] == ["重点客户", "B2B"]
    assert first["contacts"][0]["mobile"] == "138****5678"
    docs = await stored_documents(container)  # written for the chunk, in one statement
    assert all(json.loads(docs[c["id"]]) == c for c in mine.values())
    errors = {(int(r[0]), r[1], r[3]) for r in await errors_of(client, world, imp["id"])}
    assert (5, "客户名称", "rejected") in errors
    assert (6, "手机", "rejected") in errors
    assert (7, "所属行业", "rejected") in errors
    assert (8, "", "skipped") in errors


async def test_an_xlsx_with_a_merged_title_and_forty_columns(client: httpx.AsyncClient,
                                                             world: World,
                                                             container: Container) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["2026 年客户名单"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=40)
    extra = [f"备注{i}" for i in range(1, 34)]
    ws.append(["Customer Name", "Contact", "Mobile", "Email", "Industry", "Region", "Tags",
               *extra])
    ws.append(["北京中关村软件股份有限公司", "赵敏", 13467890123, "zm@example.com",
               "Software & IT", "north", "SaaS", *["x"] * 33])
    ws.append([None] * 40)
    ws.append(["Acme Trading Co., Ltd.", "John", "+44 7911 123456", "", "retail", "east", "",
               *[""] * 33])
    buf = io.BytesIO()
    wb.save(buf)
    imp = await upload(client, world, "customers.xlsx", buf.getvalue())
    done = await finished(client, world, container, imp["id"])
    assert (done["status"], done["created"], done["rejected"]) == ("done", 2, 0), done
    assert done["mapping"]["Customer Name"] == "name"
    assert done["mapping"]["备注1"] == "ignore"
    by_name = {c["name"]: c for c in await customers(client, world)}
    assert by_name["北京中关村软件股份有限公司"]["industry"] == "software"
    assert by_name["Acme Trading Co., Ltd."]["contacts"][0]["mobile"].startswith("+44")


async def test_a_dry_run_writes_nothing_until_started(client: httpx.AsyncClient, world: World,
                                                      container: Container) -> None:
    content = gb18030_csv([["宁波港湾物流有限公司", "杨磊", "13556789012", "", "物流", "", ""],
                           ["宁波港湾物流有限公司", "杨磊", "13556789012", "", "物流", "", ""]])
    imp = await upload(client, world, "a.csv", content, dry_run=True)
    preview = await finished(client, world, container, imp["id"])
    assert (preview["status"], preview["created"], preview["skipped"]) == ("previewed", 1, 1)
    assert await customers(client, world) == []
    r = await client.post(f"/api/v1/imports/{imp['id']}/start", headers=world.auth("rep"))
    assert r.status_code == 202
    done = await finished(client, world, container, imp["id"])
    assert (done["status"], done["created"], done["skipped"]) == ("done", 1, 1)
    assert len(await customers(client, world)) == 1
    again = await client.post(f"/api/v1/imports/{imp['id']}/start", headers=world.auth("rep"))
    assert again.status_code == 409


@pytest.mark.parametrize(("policy", "expect_created", "expect_outcome"), [
    ("skip", 0, "skipped"), ("update", 0, "updated"), ("merge", 0, "merged"),
    ("create", 1, "created")])
async def test_duplicates_of_existing_customers_follow_the_policy(
    client: httpx.AsyncClient, world: World, container: Container, policy: str,
    expect_created: int, expect_outcome: str
) -> None:
    r = await client.post("/api/v1/customers", headers=world.auth("rep"), json={
        "name": "上海明远精密机械制造有限公司", "kind": "company", "industry": "manufacturing",
        "key_needs": "old needs", "tags": ["老客户"],
        "contacts": [{"name": "张三", "mobile": "13812345678"}]})
    existing = r.json()
    content = gb18030_csv([["上海明远精密机械制造有限公司", "新联系人", "13900009999", "",
                            "零售", "", "复购"]])
    imp = await upload(client, world, "b.csv", content, policy=policy)
    done = await finished(client, world, container, imp["id"])
    assert done[expect_outcome] == 1 and done["created"] == expect_created, done
    after = (await client.get(f"/api/v1/customers/{existing['id']}",
                              headers=world.auth("rep"))).json()
    if policy == "update":
        assert after["industry"] == "retail" and after["tags"] == ["老客户", "复购"]
        assert [c["name"] for c in after["contacts"]] == ["张三", "新联系人"]
    elif policy == "merge":
        assert after["industry"] == "manufacturing" and after["tags"] == ["老客户", "复购"]
    else:
        assert after["industry"] == "manufacturing" and after["tags"] == ["老客户"]


async def test_the_same_upload_with_the_same_key_creates_nothing_twice(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    content = gb18030_csv([["天津滨海能源发展有限公司", "孙强", "13378901234", "", "能源", "",
                            ""]])
    h = {**world.auth("rep"), "Idempotency-Key": "upload-1"}
    first = await client.post("/api/v1/imports", headers=h, files={"file": ("c.csv", content)})
    second = await client.post("/api/v1/imports", headers=h, files={"file": ("c.csv", content)})
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    await finished(client, world, container, first.json()["id"])
    assert len(await customers(client, world)) == 1


async def test_uploads_are_checked(client: httpx.AsyncClient, world: World,
                                   container: Container) -> None:
    h = world.auth("rep")
    huge = b"x" * (container.settings.max_import_bytes + 1)
    r = await client.post("/api/v1/imports", headers=h, files={"file": ("big.csv", huge)})
    assert r.status_code == 413
    r = await client.post("/api/v1/imports", headers=h, files={"file": ("a.pdf", b"%PDF")})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"
    r = await client.post("/api/v1/imports", headers=world.auth("finance"),
                          files={"file": ("a.csv", gb18030_csv([]))})
    assert r.status_code == 403
    no_name = await upload(client, world, "n.csv", "联系人,手机\n张三,13812345678\n".encode())
    failed = await finished(client, world, container, no_name["id"])
    assert failed["status"] == "failed" and "customer name" in failed["error"]
    other = await client.get(f"/api/v1/imports/{no_name['id']}", headers=world.auth("north_rep"))
    assert other.status_code == 404


async def test_owners_named_in_the_file_follow_the_rules(client: httpx.AsyncClient,
                                                         world: World,
                                                         container: Container) -> None:
    north = world.users["north_rep"].email
    content = gb18030_csv([
        ["上海一号有限公司", "甲", "13811110001", "", "制造业", north, ""],
        ["上海二号有限公司", "乙", "13811110002", "", "制造业", "Nobody Here", ""]])
    imp = await upload(client, world, "o.csv", content, who="manager")
    done = await finished(client, world, container, imp["id"], who="manager")
    assert (done["created"], done["rejected"]) == (0, 2), "north is outside the manager's team"
    content = gb18030_csv([["上海三号有限公司", "丙", "13811110003", "", "制造业",
                            world.users["rep"].email, ""]])
    imp = await upload(client, world, "p.csv", content, who="manager")
    done = await finished(client, world, container, imp["id"], who="manager")
    assert done["created"] == 1
    assert [c["name"] for c in await customers(client, world, "rep")] == ["上海三号有限公司"]


@pytest.mark.slow
async def test_a_worker_killed_half_way_resumes_without_applying_anything_twice(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    rows = [[f"测试客户{i:05d}有限公司", f"联系人{i}", f"139{i:08d}", "", "制造业", "", ""]
            for i in range(6000)]
    imp = await upload(client, world, "big.csv", gb18030_csv(rows))
    settings = container.settings
    env = {**os.environ, "CRM_DATABASE_URL": settings.database_url or "",
           "CRM_REDIS_URL": settings.redis_url or "", "CRM_QUEUE_NAME": settings.queue_name,
           "CRM_LOG_LEVEL": "WARNING"}

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "adapters.cli", "worker"], cwd=ROOT,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)

    async def progress() -> dict[str, Any]:
        r = await client.get(f"/api/v1/imports/{imp['id']}", headers=world.auth("rep"))
        return r.json()

    worker = start()
    try:
        deadline = time.monotonic() + 120
        while (await progress())["rows_read"] == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        os.killpg(worker.pid, signal.SIGKILL)  # mid-import, no goodbye
        worker.wait(10)
        halfway = await progress()
        assert 0 < halfway["rows_read"] < 6000, halfway
        worker = start()
        while (await progress())["status"] != "done" and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        done = await progress()
        assert (done["status"], done["created"], done["rows_read"]) == ("done", 6000, 6000)
        async with container.engine.connect() as conn:
            count = await conn.scalar(select(func.count()).select_from(tables.customers))
            distinct = await conn.scalar(select(func.count(func.distinct(tables.customers.c.name))))
        assert count == distinct == 6000
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(20)


async def test_a_trade_show_list_comes_in_as_leads(client: httpx.AsyncClient, world: World,
                                                   container: Container) -> None:
    content = gb18030_csv([
        ["宁波展会客户有限公司", "周八", "13912340001", "zb@example.com", "制造业", "", ""],
        ["宁波展会客户有限公司", "周八", "13912340001", "", "制造业", "", ""],  # the same person
        ["", "无名", "12345", "", "", "", ""],  # a broken phone: flagged, as at the API
        ["某某有限公司", "钱九", "", "", "占星术", "", ""],  # not an industry: rejected
    ])
    denied = await client.post("/api/v1/imports", headers=world.auth("finance"),
                               files={"file": ("show.csv", content)}, data={"target": "leads"})
    assert denied.status_code == 403
    imp = await upload(client, world, "2026 工博会.csv", content, target="leads")
    assert imp["target"] == "leads"
    done = await finished(client, world, container, imp["id"])
    assert (done["status"], done["created"], done["rejected"]) == ("done", 3, 1), done
    leads = (await client.get("/api/v1/leads", params={"limit": 50},
                              headers=world.auth("admin"))).json()["items"]
    assert len(leads) == 3
    codes = sorted(f["code"] for lead in leads for f in lead["flags"])
    assert "duplicate_lead" in codes and "invalid_phone" in codes
    assert {lead["source"] for lead in leads} == {"import"}
    assert all(lead["campaign"] == "2026 工博会.csv" for lead in leads)
    assert all(lead["owner_id"] for lead in leads), "every imported lead is owned"
    assert await customers(client, world) == [], "no customer is created by a lead import"
