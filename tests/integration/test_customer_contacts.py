"""A customer's contacts one at a time: a rep who may not see phone numbers in clear still adds
and edits contacts, without sending (or losing) the numbers it never saw."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import World
from tests.integration.customers_helpers import MOBILE, create


def _contacts(customer: dict) -> dict[str, dict]:
    return {x["name"]: x for x in customer["contacts"]}


async def _revealed(client: httpx.AsyncClient, world: World, customer_id: str) -> dict[str, dict]:
    r = await client.post(f"/api/v1/customers/{customer_id}/reveal",
                          headers=world.auth("manager"))
    assert r.status_code == 200, r.text
    return {x["name"]: x for x in r.json()["contacts"]}


async def test_a_rep_adds_changes_and_removes_contacts_keeping_numbers_it_never_saw(
        client: httpx.AsyncClient, world: World, container: Container) -> None:
    c = await create(client, world)
    base = f"/api/v1/customers/{c['id']}/contacts"
    added = await client.post(base, headers={**world.auth("rep"), "If-Match": f'"{c["version"]}"'},
                              json={"name": "王五", "title": "设备部长", "mobile": "13900001111"})
    assert added.status_code == 201, added.text
    assert added.headers["etag"] == f'"{c["version"] + 1}"'
    wang = _contacts(added.json())["王五"]
    assert wang["mobile"] == "139****1111", "answers stay masked"

    zhang = _contacts(added.json())["张三"]
    changed = await client.patch(f"{base}/{zhang['id']}", headers=world.auth("rep"),
                                 json={"title": "采购总监", "is_primary": True})
    assert changed.status_code == 200, changed.text
    after = _contacts(changed.json())
    assert after["张三"]["title"] == "采购总监" and after["张三"]["is_primary"]
    assert [name for name, x in after.items() if x["is_primary"]] == ["张三"]
    clear = await _revealed(client, world, c["id"])
    assert clear["张三"]["mobile"] == MOBILE, "a number not sent is kept, not masked over"
    assert clear["王五"]["mobile"] == "13900001111"

    removed = await client.delete(f"{base}/{wang['id']}", headers=world.auth("rep"))
    assert removed.status_code == 200
    assert "王五" not in _contacts(removed.json())
    async with container.engine.connect() as conn:
        actions = list((await conn.execute(select(tables.audit_log.c.action).where(
            tables.audit_log.c.target_id == c["id"]))).scalars())
    assert actions.count("customer.updated") == 3, "every contact change is audited"


async def test_bad_contact_input_names_the_field_and_changes_nothing(
        client: httpx.AsyncClient, world: World) -> None:
    c = await create(client, world)
    base = f"/api/v1/customers/{c['id']}/contacts"
    zhang = _contacts(c)["张三"]
    bad_phone = await client.post(base, headers=world.auth("rep"),
                                  json={"name": "赵六", "mobile": "12"})
    assert bad_phone.status_code == 422
    assert bad_phone.json()["errors"][0]["field"].endswith("mobile")
    no_name = await client.patch(f"{base}/{zhang['id']}", headers=world.auth("rep"),
                                 json={"name": None})
    assert no_name.status_code == 422 and no_name.json()["errors"][0]["field"] == "name"
    stale = await client.patch(f"{base}/{zhang['id']}", json={"title": "x"},
                               headers={**world.auth("rep"), "If-Match": '"999"'})
    assert stale.status_code == 412
    unknown = await client.patch(f"{base}/00000000-0000-4000-8000-000000000000",
                                 headers=world.auth("rep"), json={"title": "x"})
    assert unknown.status_code == 404
    again = await client.get(f"/api/v1/customers/{c['id']}", headers=world.auth("rep"))
    assert again.json()["version"] == c["version"], "nothing was written"


async def test_someone_elses_customer_is_not_there(client: httpx.AsyncClient,
                                                   world: World) -> None:
    c = await create(client, world)
    r = await client.post(f"/api/v1/customers/{c['id']}/contacts",
                          headers=world.auth("north_rep"), json={"name": "王五"})
    assert r.status_code == 404
    finance = await client.post(f"/api/v1/customers/{c['id']}/contacts",
                                headers=world.auth("finance"), json={"name": "王五"})
    assert finance.status_code in (403, 404)
