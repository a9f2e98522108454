"""Lists a person works through: a total on request (exact up to a bound, "at least" beyond,
unknown rather than slow) and the sorts a user expects, under the caller's visibility."""

from __future__ import annotations

import httpx
from sqlalchemy import select, text

from adapters.bootstrap import Container
from adapters.db import tables
from adapters.db.keyset import COUNT_TIMEOUT_KEY, bounded_count
from domain.shared.paging import Total
from tests.conftest import World
from tests.integration.contracts_helpers import contract
from tests.integration.customers_helpers import create
from tests.integration.leads_helpers import capture


async def test_the_customer_list_counts_only_when_asked(client: httpx.AsyncClient,
                                                        world: World) -> None:
    for n in range(3):
        await create(client, world, name=f"上海明远精密机械第{n}分公司")
    h = world.auth("rep")
    plain = (await client.get("/api/v1/customers", headers=h, params={"limit": 1})).json()
    assert "total" not in plain, "a sync's pages are not counted"
    counted = await client.get("/api/v1/customers", headers=h,
                               params={"limit": 1, "with_total": "true"})
    assert counted.status_code == 200, counted.text
    body = counted.json()
    assert (len(body["items"]), body["total"], body["total_is_lower_bound"]) == (1, 3, False)
    later = await client.get("/api/v1/customers", headers=h, params={
        "with_total": "true", "cursor": body["next_cursor"]})
    assert later.json()["total"] == 3, "the whole filtered list, whatever the page"
    theirs = await client.get("/api/v1/customers", headers=world.auth("north_rep"),
                              params={"with_total": "true"})
    assert theirs.json()["total"] == 0, "only what the caller sees is counted"
    bad = await client.get("/api/v1/customers", headers=h, params={"with_total": "maybe"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "with_total"


async def test_every_worked_list_answers_a_total(client: httpx.AsyncClient,
                                                 world: World) -> None:
    h = world.auth("rep")
    c = await contract(client, world)
    await capture(client, h)
    await client.post("/api/v1/opportunities", json={"customer_id": c["customer_id"]},
                      headers=h)
    await client.post("/api/v1/tasks", headers=h, json={"title": "call back"})
    await client.post("/api/v1/followups", headers=h, json={
        "customer_id": c["customer_id"], "method": "phone", "summary": "first call",
        "occurred_at": "2026-11-20T09:30:00+08:00"})
    for path in ("contracts", "leads", "opportunities", "tasks", "followups"):
        r = await client.get(f"/api/v1/{path}", headers=h, params={"with_total": "true"})
        assert r.status_code == 200, (path, r.text)
        assert (r.json()["total"], r.json()["total_is_lower_bound"]) == (
            len(r.json()["items"]), False), path
        assert r.json()["total"] >= 1, path


async def test_a_count_stops_at_its_bound_and_gives_up_rather_than_wait(
        container: Container, world: World) -> None:
    async with container.uow() as uow:
        conn = uow.connection
        users = select(tables.users)
        assert await bounded_count(conn, users, bound=100) == Total(len(world.users))
        assert await bounded_count(conn, users, bound=3) == Total(3, lower_bound=True)
        conn.info[COUNT_TIMEOUT_KEY] = 50
        slow = users.where(text("(SELECT true FROM pg_sleep(0.2))"))
        assert await bounded_count(conn, slow, bound=100) is None
        # the transaction goes on: the savepoint took the cancelled count with it
        assert len((await conn.execute(users)).all()) == len(world.users)
        assert await conn.scalar(text("SELECT current_setting('statement_timeout')")) in (
            "0", "0ms")


async def test_contracts_sort_by_amount_and_number(client: httpx.AsyncClient,
                                                   world: World) -> None:
    small = await contract(client, world, amount="80000.00")
    big = await contract(client, world, amount="1200000.00")
    middle = await contract(client, world, amount="300000.00")
    h = world.auth("rep")

    async def order(sort: str) -> list[str]:
        ids: list[str] = []
        cursor = None
        while True:  # one per page: the keyset continues the sort
            params = {"sort": sort, "limit": "1", **({"cursor": cursor} if cursor else {})}
            r = await client.get("/api/v1/contracts", headers=h, params=params)
            assert r.status_code == 200, r.text
            ids += [x["id"] for x in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                return ids

    assert await order("-amount") == [big["id"], middle["id"], small["id"]]
    assert await order("amount") == [small["id"], middle["id"], big["id"]]
    assert await order("number") == [small["id"], big["id"], middle["id"]]
    bad = await client.get("/api/v1/contracts", headers=h, params={"sort": "owner"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sort"


async def test_leads_sort_by_next_follow_up_none_planned_last(client: httpx.AsyncClient,
                                                              world: World) -> None:
    h = world.auth("rep")
    later = await capture(client, h, name="李四", phone="13900000001", email="li@example.com")
    unplanned = await capture(client, h, name="张三", phone="13900000002",
                              email="zhang@example.com")
    sooner = await capture(client, h, name="王五", phone="13900000003", email="wang@example.com")
    for lead, when in ((later, "2027-02-01T09:00:00Z"), (sooner, "2027-01-05T09:00:00Z")):
        r = await client.patch(f"/api/v1/leads/{lead['id']}", headers=h,
                               json={"next_followup_at": when})
        assert r.status_code == 200, r.text
    r = await client.get("/api/v1/leads", headers=h, params={"sort": "next_followup_at"})
    assert [x["id"] for x in r.json()["items"]] == [sooner["id"], later["id"], unplanned["id"]]
    by_name = await client.get("/api/v1/leads", headers=h, params={"sort": "-name", "limit": 2})
    rest = await client.get("/api/v1/leads", headers=h, params={
        "sort": "-name", "cursor": by_name.json()["next_cursor"]})
    names = [x["name"] for x in by_name.json()["items"] + rest.json()["items"]]
    assert names == sorted(names, reverse=True) and len(names) == 3
