"""The global search: pinyin full spellings and initials, groups by kind, the owner rule,
the look-up by a phone number's last four digits, and bad queries."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import World
from tests.integration.contracts_helpers import contract
from tests.integration.customers_helpers import create
from tests.integration.leads_helpers import capture

MINGYUAN = "上海明远精密机械有限公司"


async def search(client: httpx.AsyncClient, world: World, who: str, q: str,
                 **params: Any) -> dict[str, list[dict[str, Any]]]:
    r = await client.get("/api/v1/search", params={"q": q, **params}, headers=world.auth(who))
    assert r.status_code == 200, r.text
    return {group["type"]: group["items"] for group in r.json()["groups"]}


def titles(groups: dict[str, list[dict[str, Any]]], kind: str) -> list[str]:
    return [item["title"] for item in groups[kind]]


async def test_pinyin_spelling_and_initials_find_the_chinese_name(
    client: httpx.AsyncClient, world: World
) -> None:
    mingyuan = await create(client, world, name=MINGYUAN)
    await create(client, world, name="北京华信科技有限公司", contacts=[])
    for q in ("mingyuan", "MingYuan", "shanghaimingyuanjingmijixie", "shmyjm", "明远", "ming yuan",
              mingyuan["number"]):
        groups = await search(client, world, "rep", q)
        assert titles(groups, "customer") == [MINGYUAN], q
    (hit,) = (await search(client, world, "rep", "shmyjm"))["customer"]
    assert hit == {"id": mingyuan["id"], "type": "customer", "title": MINGYUAN,
                   "subtitle": f"{mingyuan['number']} · Rep", "customer_id": mingyuan["id"],
                   "matched": "text"}
    assert titles(await search(client, world, "rep", "hxkj"), "customer") == [
        "北京华信科技有限公司"]
    assert titles(await search(client, world, "rep", "mingyuanx"), "customer") == []


async def test_a_renamed_customer_is_found_by_its_new_name_only(
    client: httpx.AsyncClient, world: World
) -> None:
    c = await create(client, world, name=MINGYUAN)
    r = await client.patch(f"/api/v1/customers/{c['id']}", json={"name": "杭州青松贸易有限公司"},
                           headers={**world.auth("rep"), "If-Match": f'"{c["version"]}"'})
    assert r.status_code == 200, r.text
    assert titles(await search(client, world, "rep", "qingsong"), "customer") == [
        "杭州青松贸易有限公司"]
    assert titles(await search(client, world, "rep", "mingyuan"), "customer") == []


async def test_results_come_grouped_by_kind(client: httpx.AsyncClient, world: World) -> None:
    c = await create(client, world, name=MINGYUAN)
    await capture(client, world.auth("rep"), name="明远采购部", company=MINGYUAN)
    r = await client.post("/api/v1/opportunities", headers=world.auth("rep"),
                          json={"customer_id": c["id"], "name": "明远二期产线"})
    assert r.status_code == 201, r.text
    signed = await contract(client, world, customer_id=c["id"], title="明远网关采购合同")
    groups = await search(client, world, "rep", "mingyuan")
    assert list(groups) == ["customer", "contact", "lead", "opportunity", "contract"]
    assert titles(groups, "customer") == [MINGYUAN]
    assert titles(groups, "lead") == ["明远采购部"]
    assert titles(groups, "opportunity") == ["明远二期产线"]
    assert titles(groups, "contract") == ["明远网关采购合同"]
    assert groups["contract"][0]["subtitle"].startswith(f"{signed['number']} · {MINGYUAN}")
    assert groups["contact"] == []
    # A contact is found by its name and its pinyin, and leads to its customer's page.
    for q in ("张三", "zhangsan"):
        (contact,) = (await search(client, world, "rep", q))["contact"]
        assert contact["title"] == "张三" and contact["customer_id"] == c["id"]
        assert contact["subtitle"] == f"{MINGYUAN} · 采购经理 · 138****5678 · Rep"
    # Finance reads no leads: its groups are the kinds it may read.
    assert list(await search(client, world, "finance", "mingyuan")) == [
        "customer", "contact", "opportunity", "contract"]
    # the best match first: the name itself, then names starting with the query
    await create(client, world, name="明远精密有限公司")
    await create(client, world, name="明远有限公司")
    assert titles(await search(client, world, "rep", "明远"), "customer") == [
        "明远有限公司", "明远精密有限公司", MINGYUAN]
    assert titles(await search(client, world, "rep", "明远有限公司"), "customer") == [
        "明远有限公司"]
    assert len((await search(client, world, "rep", "明远", limit=2))["customer"]) == 2


async def test_a_rep_finds_only_its_own_records(client: httpx.AsyncClient, world: World) -> None:
    await create(client, world, who="north_rep", name=MINGYUAN)
    await capture(client, world.auth("north_rep"), company="明远北方分公司")
    for who in ("rep", "manager"):
        groups = await search(client, world, who, "mingyuan")
        assert all(items == [] for items in groups.values()), (who, groups)
        assert (await search(client, world, who, "zhangsan"))["contact"] == []
    assert titles(await search(client, world, "north_manager", "mingyuan"), "customer") == [
        MINGYUAN]
    assert titles(await search(client, world, "admin", "mingyuan"), "lead") == ["王小明"]


async def lookups(container: Container) -> list[dict[str, Any]]:
    async with container.engine.connect() as conn:
        rows = (await conn.execute(select(tables.audit_log.c.diff).where(
            tables.audit_log.c.action == "customer.looked_up"))).all()
    return [row.diff for row in rows]


async def test_the_last_four_digits_find_a_contact_for_those_allowed(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    mine = await create(client, world, name=MINGYUAN)  # 张三 138****5678, 李四 021-****7777
    (by_mobile,) = (await search(client, world, "rep", "5678"))["contact"]
    assert by_mobile["title"] == "张三" and by_mobile["matched"] == "phone"
    assert by_mobile["customer_id"] == mine["id"]
    assert titles(await search(client, world, "rep", "7777"), "contact") == ["李四"]
    assert (await search(client, world, "rep", "1234"))["contact"] == []
    # pii:reveal searches the whole sight; without it, only the caller's own customers
    assert titles(await search(client, world, "manager", "5678"), "contact") == ["张三"]
    assert (await search(client, world, "executive", "5678"))["contact"] == []
    assert (await search(client, world, "north_rep", "5678"))["contact"] == []
    logged = await lookups(container)
    assert [diff["found"] for diff in logged] == [
        [mine["id"]], [mine["id"]], [], [mine["id"]], [], []]
    assert logged[0]["phone"] == "****5678"
    # counted with the other look-ups by phone
    for _ in range(30):
        await client.get("/api/v1/search", params={"q": "0000"}, headers=world.auth("legal"))
    r = await client.get("/api/v1/search", params={"q": "5678"}, headers=world.auth("legal"))
    assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json"


async def test_bad_queries_are_refused_naming_the_field(
    client: httpx.AsyncClient, world: World
) -> None:
    for params in ({}, {"q": ""}, {"q": "明"}, {"q": "   "}, {"q": "x" * 101},
                   {"q": "明远", "limit": 0}, {"q": "明远", "limit": 21}):
        r = await client.get("/api/v1/search", params=params, headers=world.auth("rep"))
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        fields = {e["field"] for e in r.json()["errors"]}
        assert fields & {"q", "limit"}, (params, r.json())
    r = await client.get("/api/v1/search", params={"q": "明远"})
    assert r.status_code == 401
