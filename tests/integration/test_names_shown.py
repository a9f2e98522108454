"""Where one person is shown to another (timelines, routing reasons, the reps' list) they are
shown by name, never by e-mail address; the audit log keeps the e-mail for its readers."""

from __future__ import annotations

import httpx

from tests.conftest import World
from tests.integration.customers_helpers import create
from tests.integration.leads_helpers import capture


async def test_timelines_and_reasons_name_people(client: httpx.AsyncClient,
                                                 world: World) -> None:
    rep = world.users["rep"]
    customer = await create(client, world)
    await client.patch(f"/api/v1/customers/{customer['id']}", json={"key_needs": "二期"},
                       headers=world.auth("rep"))
    timeline = (await client.get(f"/api/v1/customers/{customer['id']}/timeline",
                                 headers=world.auth("manager"))).json()["items"]
    assert timeline and {entry["actor_label"] for entry in timeline} == {rep.name}

    lead = await capture(client, world.auth("rep"))
    assert lead["assignment"]["reason"] == f"entered by {rep.name}"
    reassigned = await client.post(f"/api/v1/leads/{lead['id']}/assign",
                                   json={"owner_id": str(rep.id)},
                                   headers=world.auth("manager"))
    assert reassigned.status_code == 200, reassigned.text
    assert reassigned.json()["assignment"]["reason"] == \
        f"reassigned by {world.users['manager'].name}"
    lead_timeline = await client.get(f"/api/v1/leads/{lead['id']}/timeline",
                                     headers=world.auth("manager"))
    shown = lead_timeline.text
    assert rep.name in shown and "@" not in shown


async def test_the_reps_list_shows_names_not_addresses(client: httpx.AsyncClient,
                                                       world: World) -> None:
    r = await client.get("/api/v1/lead-routing/reps", headers=world.auth("rep"))
    assert r.status_code == 200 and r.json()["items"]
    assert "@" not in r.text
    assert world.users["rep"].name in {item["name"] for item in r.json()["items"]}
