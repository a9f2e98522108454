"""`crm keys rotate`: personal data re-encrypted under a new field key, in chunks, readable by
a process holding only the new key afterwards; a wrong keyring is refused before any change."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text

from adapters.bootstrap import Container, build
from adapters.crypto.rotation import ENCRYPTED, rotate_all
from adapters.keys_cli import new_key
from adapters.settings import DEV_FIELD_KEY
from adapters.web import create_web_app
from tests.conftest import World
from tests.integration.customers_helpers import CARD, MOBILE, create, stored_documents
from tests.integration.test_cli import crm


async def _key_ids(container: Container) -> set[str]:
    ids: set[str] = set()
    async with container.engine.connect() as conn:
        for table, names in ENCRYPTED:
            for name in names:
                ids |= set((await conn.execute(text(
                    f"SELECT DISTINCT split_part({name}, ':', 1) FROM {table.name} "
                    f"WHERE {name} IS NOT NULL"))).scalars())
    return ids


async def test_rotate_re_encrypts_customers_and_leads_under_the_new_key(
        client: httpx.AsyncClient, world: World, container: Container) -> None:
    customers = [await create(client, world, kind="person", name=f"王小明{n}",
                              id_card_number=CARD) for n in range(5)]
    lead = await client.post("/api/v1/leads", headers=world.auth("rep"), json={
        "name": "赵六", "company": "杭州某公司", "phone": "13911112222",
        "email": "zhao@example.com"})
    assert lead.status_code == 201, lead.text
    assert await _key_ids(container) == {"k1"}
    settings = container.settings
    assert settings.database_url and settings.redis_url
    new = f"k2:{new_key()}"
    keyring = f"{new},k1:{DEV_FIELD_KEY}"

    done = crm("keys", "rotate", "--chunk", "2", database_url=settings.database_url,
               redis_url=settings.redis_url, extra={"CRM_FIELD_KEY": keyring})
    assert done.returncode == 0, done.stderr
    assert "contacts: 15 values in 10 rows re-encrypted" in done.stdout
    assert await _key_ids(container) == {"k2"}

    # A process holding only the new key reads everything: reveal and look-up by phone.
    rotated = build(settings.model_copy(update={"field_key": new}))
    try:
        app = create_web_app(rotated)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://crm.test") as new_client:
            for customer in customers:
                r = await new_client.post(f"/api/v1/customers/{customer['id']}/reveal",
                                          headers=world.auth("manager"))
                assert r.status_code == 200, r.text
                assert r.json()["id_card_number"] == CARD
                assert r.json()["contacts"][0]["mobile"] == MOBILE
            found = await new_client.get("/api/v1/customers", params={"phone": MOBILE},
                                         headers=world.auth("manager"))
            assert len(found.json()["items"]) == 5
    finally:
        await rotated.close()

    again = crm("keys", "rotate", database_url=settings.database_url,
                redis_url=settings.redis_url, extra={"CRM_FIELD_KEY": keyring})
    assert again.returncode == 0 and "contacts: 0 values" in again.stdout


async def test_rotate_refuses_a_keyring_without_the_data_s_key(
        client: httpx.AsyncClient, world: World, container: Container) -> None:
    await create(client, world)
    settings = container.settings
    assert settings.database_url and settings.redis_url
    first = crm("keys", "rotate", database_url=settings.database_url,
                redis_url=settings.redis_url)  # records the current key's check
    assert first.returncode == 0, first.stderr
    done = crm("keys", "rotate", database_url=settings.database_url,
               redis_url=settings.redis_url, extra={"CRM_FIELD_KEY": f"k1:{new_key()}"})
    assert done.returncode == 2 and "CRM_FIELD_KEY" in done.stderr
    assert await _key_ids(container) == {"k1"}


async def test_rotation_runs_while_customers_are_written(
        client: httpx.AsyncClient, world: World, container: Container) -> None:
    before = [await create(client, world) for n in range(12)]
    settings = container.settings
    new = f"k2:{new_key()}"
    # The processes restarted with the new key first: they write under it while rotation runs.
    running = build(settings.model_copy(update={"field_key": f"{new},k1:{DEV_FIELD_KEY}"}))
    reader = build(settings.model_copy(update={"field_key": new}))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_web_app(running)),
                                     base_url="http://crm.test") as live:
            async def writes() -> list[dict]:
                made = []
                for n, customer in enumerate(before):
                    r = await live.patch(f"/api/v1/customers/{customer['id']}",
                                         headers=world.auth("rep"), json={"contacts": [
                                             {"id": customer["contacts"][0]["id"], "name": "张三",
                                              "mobile": f"1390000{n:04d}"}]})
                    assert r.status_code == 200, r.text
                    made.append(await create(live, world))
                return made

            _, made = await asyncio.gather(rotate_all(running.engine, running.cipher, chunk=3),
                                           writes())
        assert await _key_ids(container) == {"k2"}
        await stored_documents(container)  # the list documents are as fresh as before
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_web_app(reader)),
                                     base_url="http://crm.test") as after:
            for n, customer in enumerate(before):
                r = await after.post(f"/api/v1/customers/{customer['id']}/reveal",
                                     headers=world.auth("manager"))
                assert r.json()["contacts"][0]["mobile"] == f"1390000{n:04d}"
            for customer in made:
                r = await after.post(f"/api/v1/customers/{customer['id']}/reveal",
                                     headers=world.auth("manager"))
                assert r.json()["contacts"][0]["mobile"] == MOBILE
    finally:
        await running.close()
        await reader.close()
