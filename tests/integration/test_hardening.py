"""Inputs at the edges of what the API takes: text PostgreSQL cannot store, dates and cursors
out of range, an idempotency key replayed by an unverified caller, another customer's
contact ids, formulas bound for exported cells, unknown choices in imported rows. None may
answer 500, leak what the caller may not see, or leave a job stuck."""

from __future__ import annotations

import base64
import csv
import io

import httpx
from sqlalchemy import func, select

from adapters.bootstrap import Container
from adapters.db import tables
from domain.exports.labels import Locale, header
from tests.conftest import World, drain
from tests.integration.customers_helpers import create, new_customer
from tests.integration.test_imports import HEADER, upload


async def test_text_the_database_cannot_store_is_a_422(client: httpx.AsyncClient,
                                                       world: World) -> None:
    h = world.auth("rep")
    for escaped in ("a\\u0000b有限公司", "\\ud800有限公司"):  # JSON escapes, sent as such
        body = '{"name": "' + escaped + '", "kind": "company"}'
        r = await client.post("/api/v1/customers", content=body.encode(),
                              headers={**h, "content-type": "application/json"})
        assert r.status_code == 422, r.text
    r = await client.get("/api/v1/customers", params={"q": "a\x00b"}, headers=h)
    assert r.status_code == 422


async def test_dates_and_cursors_out_of_range_are_422(client: httpx.AsyncClient,
                                                      world: World) -> None:
    h = world.auth("rep")
    for value in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        r = await client.get("/api/v1/customers", params={"created_from": value}, headers=h)
        assert r.status_code == 422, (value, r.text)
    deep = base64.urlsafe_b64encode(b"[" * 1400).decode().rstrip("=")
    assert (await client.get("/api/v1/customers", params={"cursor": deep},
                             headers=h)).status_code == 422
    bogus = base64.urlsafe_b64encode(b'[1e30, "x"]').decode().rstrip("=")
    assert (await client.get("/api/v1/customers", params={"cursor": bogus},
                             headers=h)).status_code == 422
    assert (await client.get("/api/v1/customers", params={"cf.x": "[" * 1000},
                             headers=h)).status_code in (200, 422)


async def test_idempotency_never_replays_to_an_unverified_caller(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    c = await create(client, world)
    h = {**world.auth("manager"), "Idempotency-Key": "reveal-1"}
    first = await client.post(f"/api/v1/customers/{c['id']}/reveal", headers=h)
    second = await client.post(f"/api/v1/customers/{c['id']}/reveal", headers=h)
    assert first.status_code == second.status_code == 200
    assert "idempotent-replayed" not in second.headers, "cleartext is never cached"
    async with container.engine.connect() as conn:
        reveals = await conn.scalar(select(func.count()).select_from(tables.audit_log).where(
            tables.audit_log.c.action == "customer.revealed"))
        stored = await conn.scalar(select(func.count()).select_from(tables.idempotency_keys))
    assert reveals == 2 and stored == 0
    key = (await client.post("/api/v1/api-keys", headers=world.auth("admin"), json={
        "name": "k", "scopes": ["customers:write", "customers:read"]})).json()["secret"]
    good = {"X-API-Key": key, "Idempotency-Key": "same"}
    body = new_customer(name="幂等测试有限公司", owner_id=str(world.users["rep"].id),
                        contacts=[])
    assert (await client.post("/api/v1/customers", json=body, headers=good)).status_code == 201
    forged = {"X-API-Key": key[:17] + "_forged", "Idempotency-Key": "same"}
    r = await client.post("/api/v1/customers", json=body, headers=forged)
    assert r.status_code == 401 and "idempotent-replayed" not in r.headers


async def test_contact_ids_of_other_customers_are_not_taken(client: httpx.AsyncClient,
                                                            world: World) -> None:
    a = await create(client, world)
    stolen = a["contacts"][0]["id"]
    b = await create(client, world, name="另一家有限公司",
                     contacts=[{"id": stolen, "name": "x"}, {"id": stolen, "name": "y"}])
    ids = [x["id"] for x in b["contacts"]]
    assert stolen not in ids and len(set(ids)) == 2


async def test_exports_never_carry_formulas(client: httpx.AsyncClient, world: World,
                                            container: Container) -> None:
    await create(client, world, kind="person", name='=HYPERLINK("http://x","open")',
                 contacts=[])
    r = await client.post("/api/v1/exports", json={}, headers=world.auth("rep"))
    await drain(container)
    got = await client.get(f"/api/v1/exports/{r.json()['id']}/download",
                           headers=world.auth("rep"))
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0][header("customer", "name", Locale.EN)].startswith("'=")


async def test_import_rows_with_unknown_choices_are_rejected_not_stuck(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([[*HEADER, "规模", "客户等级"],
                               ["一号有限公司", "甲", "13811112222", "", "制造业", "", "", "大型",
                                "VIP"],
                               ["二号有限公司", "乙", "13811113333", "", "制造业", "", "", "", ""]])
    imp = await upload(client, world, "x.csv", out.getvalue().encode())
    await drain(container)
    done = (await client.get(f"/api/v1/imports/{imp['id']}", headers=world.auth("rep"))).json()
    assert (done["status"], done["created"], done["rejected"]) == ("done", 1, 1)
    async with container.engine.connect() as conn:
        left = await conn.scalar(select(func.count()).select_from(tables.import_rows))
    assert left == 0, "the uploaded rows (personal data in clear) are gone once done"
