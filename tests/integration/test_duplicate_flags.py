"""A lead's duplicate flags name only records the caller may see; otherwise they say that one
exists, owned by someone else, with no number, name or id."""

from __future__ import annotations

import httpx

from adapters.bootstrap import Container
from domain.shared.authz import Scope
from tests.conftest import World
from tests.integration.customers_helpers import create
from tests.integration.leads_helpers import api_key, capture


def flags_of(lead: dict) -> dict[str, dict]:
    return {f["code"]: f for f in lead["flags"]}


async def test_a_customer_out_of_sight_is_not_named(client: httpx.AsyncClient, world: World,
                                                    container: Container) -> None:
    theirs = await create(client, world, who="north_rep")
    writer_only = await api_key(container, Scope.LEADS_WRITE)
    for headers in (world.auth("rep"), writer_only):
        lead = await capture(client, headers, email="zhang.san@example.com", phone=None)
        flag = flags_of(lead)["existing_customer"]
        assert flag["ref_id"] is None and lead["customer_id"] is None
        assert "someone else" in flag["reason"]
        for secret in (theirs["number"], theirs["name"], theirs["id"]):
            assert secret not in str(lead), secret
    # Whoever may see the customer is told which one it is.
    own = await capture(client, world.auth("north_rep"), email="zhang.san@example.com",
                        phone=None)
    flag = flags_of(own)["existing_customer"]
    assert flag["ref_id"] == theirs["id"] and theirs["number"] in flag["reason"]
    assert own["customer_id"] == theirs["id"]


async def test_another_reps_open_lead_is_not_named(client: httpx.AsyncClient, world: World,
                                                   container: Container) -> None:
    first = await capture(client, world.auth("north_rep"))
    for headers in (world.auth("rep"), await api_key(container, Scope.LEADS_WRITE)):
        lead = await capture(client, headers)
        flag = flags_of(lead)["duplicate_lead"]
        assert flag["ref_id"] is None and lead["duplicate_of_id"] is None
        assert "someone else" in flag["reason"]
        assert first["number"] not in str(lead) and first["id"] not in str(lead)
        timeline = await client.get(f"/api/v1/leads/{lead['id']}/timeline",
                                    headers=world.auth("rep"))
        if timeline.status_code == 200:
            assert first["number"] not in timeline.text
    admin_view = await client.get("/api/v1/leads", params={"flag": "duplicate_lead"},
                                  headers=world.auth("admin"))
    assert {flags_of(x)["duplicate_lead"]["ref_id"] for x in admin_view.json()["items"]} == {
        first["id"]}
