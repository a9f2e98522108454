"""Customers' personal data over HTTP on PostgreSQL: masked in answers, encrypted at rest,
found by a blind index, revealed only with pii:reveal and audited, masked in audit diffs."""

from __future__ import annotations

import httpx
from sqlalchemy import select, text

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import World
from tests.integration.customers_helpers import CARD, MOBILE, create


async def test_the_database_holds_no_personal_data_in_clear(client: httpx.AsyncClient,
                                                            world: World,
                                                            container: Container) -> None:
    await create(client, world, kind="person", name="王小明", id_card_number=CARD)
    async with container.engine.connect() as conn:
        rows = []
        for table in ("customers", "contacts", "audit_log", "outbox", "customer_activity"):
            rows += [str(tuple(r)) for r in await conn.execute(text(f"SELECT * FROM {table}"))]
    dump = "\n".join(rows)
    for secret in (MOBILE, "138 1234 5678", "66667777", "zhang.san", CARD, "19900307"):
        assert secret not in dump.lower(), f"{secret} found in clear"
    assert "k1:" in dump, "ciphertext carries its key id"


async def test_phone_and_email_lookup_use_the_blind_index(client: httpx.AsyncClient,
                                                          world: World) -> None:
    c = await create(client, world)
    await create(client, world, name="北京另一家科技有限公司", contacts=[
        {"name": "王五", "mobile": "13900001111"}])
    for phone in (MOBILE, "+86 138-1234-5678", "021-66667777"):
        r = await client.get("/api/v1/customers", params={"phone": phone},
                             headers=world.auth("rep"))
        assert [x["id"] for x in r.json()["items"]] == [c["id"]], phone
    r = await client.get("/api/v1/customers", params={"email": "zhang.san@EXAMPLE.com"},
                         headers=world.auth("rep"))
    assert [x["id"] for x in r.json()["items"]] == [c["id"]]
    r = await client.get("/api/v1/customers", params={"phone": "12"}, headers=world.auth("rep"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "phone"


async def test_reveal_gives_cleartext_to_pii_reveal_only_and_is_audited(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    c = await create(client, world, kind="person", name="王小明", id_card_number=CARD)
    denied = await client.post(f"/api/v1/customers/{c['id']}/reveal", headers=world.auth("rep"))
    assert denied.status_code == 403
    r = await client.post(f"/api/v1/customers/{c['id']}/reveal", headers=world.auth("manager"))
    assert r.status_code == 200
    assert r.json()["id_card_number"] == CARD
    assert r.json()["contacts"][0]["mobile"] == MOBILE
    assert r.json()["contacts"][0]["email"] == "Zhang.San@example.com"
    async with container.engine.connect() as conn:
        actors = list((await conn.execute(select(tables.audit_log.c.actor_id).where(
            tables.audit_log.c.action == "customer.revealed",
            tables.audit_log.c.target_id == c["id"]))).scalars())
    assert actors == [world.users["manager"].id]
    outside = await client.post(f"/api/v1/customers/{c['id']}/reveal",
                                headers=world.auth("north_manager"))
    assert outside.status_code == 404


async def test_updates_are_audited_with_a_masked_diff(client: httpx.AsyncClient, world: World,
                                                      container: Container) -> None:
    c = await create(client, world)
    r = await client.patch(f"/api/v1/customers/{c['id']}", headers=world.auth("rep"), json={
        "contacts": [{"id": c["contacts"][0]["id"], "name": "张三", "mobile": "13900009999"}],
        "tags": ["vip"]})
    assert r.status_code == 200
    async with container.engine.connect() as conn:
        diff = await conn.scalar(select(tables.audit_log.c.diff).where(
            tables.audit_log.c.action == "customer.updated"))
    assert diff["tags"] == [["vip", "b2b"], ["vip"]]
    old, new = diff["contacts"]
    assert old[0]["mobile"] == "138****5678" and new[0]["mobile"] == "139****9999"
    assert "13900009999" not in str(diff)
