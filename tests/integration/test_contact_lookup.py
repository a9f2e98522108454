"""Finding customers and leads by phone or e-mail cannot recover a masked number: without
pii:reveal the look-up searches only the caller's own records, every look-up is counted per
caller and written to the audit log, found or not."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from adapters.bootstrap import Container
from adapters.db import tables
from domain.shared.authz import Scope
from tests.conftest import World
from tests.integration.customers_helpers import MOBILE, create
from tests.integration.leads_helpers import MOBILE as LEAD_MOBILE
from tests.integration.leads_helpers import api_key, capture


async def lookups(container: Container, action: str) -> list[tuple[object, dict]]:
    async with container.engine.connect() as conn:
        rows = (await conn.execute(select(tables.audit_log.c.actor_id, tables.audit_log.c.diff)
                                   .where(tables.audit_log.c.action == action)
                                   .order_by(tables.audit_log.c.id))).all()
    return [(row.actor_id, row.diff) for row in rows]


async def test_walking_numbers_does_not_find_the_customer_behind_a_mask(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    customer = await create(client, world)
    shown = (await client.get(f"/api/v1/customers/{customer['id']}",
                              headers=world.auth("service_agent"))).json()
    assert shown["contacts"][0]["mobile"] == "138****5678"
    agent = world.auth("service_agent")
    # The walk over the four hidden digits, the right number among the first tries.
    walk = [f"138{n:04d}5678" for n in range(1230, 1260)]
    assert MOBILE in walk
    for number in walk:
        r = await client.get("/api/v1/customers", params={"phone": number, "fields": "id"},
                             headers=agent)
        assert r.status_code == 200 and r.json()["items"] == [], number
    r = await client.get("/api/v1/customers", params={"email": "zhang.san@example.com"},
                         headers=agent)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    # Every try is in the audit log, masked.
    logged = await lookups(container, "customer.looked_up")
    assert len(logged) == 30
    assert {actor for actor, _ in logged} == {world.users["service_agent"].id}
    assert logged[0][1]["phone"] == "138****5678" and MOBILE not in str(logged)


async def test_those_who_may_reveal_find_within_their_sight(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    customer = await create(client, world)
    found = {}
    for who in ("rep", "manager", "admin", "north_manager", "north_rep", "executive"):
        r = await client.get("/api/v1/customers", params={"phone": MOBILE},
                             headers=world.auth(who))
        found[who] = [item["id"] for item in r.json()["items"]]
    assert found == {"rep": [customer["id"]], "manager": [customer["id"]],
                     "admin": [customer["id"]], "north_manager": [], "north_rep": [],
                     "executive": []}
    logged = await lookups(container, "customer.looked_up")
    assert [diff["found"] for _, diff in logged] == [
        [customer["id"]], [customer["id"]], [customer["id"]], [], [], []]


async def test_lead_lookups_follow_the_same_rule(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    lead = await capture(client, world.auth("rep"))
    integration = await api_key(container, Scope.LEADS_READ, Scope.LEADS_WRITE)
    found = {}
    for who, headers in (("rep", world.auth("rep")), ("manager", world.auth("manager")),
                         ("executive", world.auth("executive")), ("key", integration)):
        r = await client.get("/api/v1/leads", params={"phone": LEAD_MOBILE}, headers=headers)
        assert r.status_code == 200, r.text
        found[who] = [item["id"] for item in r.json()["items"]]
    assert found == {"rep": [lead["id"]], "manager": [lead["id"]], "executive": [],
                     "key": []}
    assert len(await lookups(container, "lead.looked_up")) == 4
