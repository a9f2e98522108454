"""Routing of captured leads over HTTP on PostgreSQL: round-robin with the owner notified
after commit, reps skipped when away, inactive or full, the manager, queue and admin
fallbacks, and least-loaded."""

from __future__ import annotations

import httpx

from adapters.bootstrap import Container
from tests.conftest import World, drain
from tests.integration.leads_helpers import (
    api_key,
    capture,
    east_rule,
    more_reps,
    notifications,
    route,
)


async def test_an_integration_lead_is_routed_round_robin_and_the_owner_notified(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    await route(client, world, [east_rule(world)])
    reps = ["rep", *await more_reps(world, 2)]
    key = await api_key(container)
    owners = []
    for i in range(6):
        lead = await capture(client, key, phone=f"1391234000{i}", email=f"x{i}@example.com")
        assert lead["assignment"]["by"] == "round_robin"
        assert lead["assignment"]["rule_name"] == "East China"
        assert lead["source"] == "website"
        owners.append(lead["owner_id"])
    ids = {str(world.users[k].id) for k in reps}
    assert set(owners) == ids and all(owners.count(i) == 2 for i in ids)
    assert owners[:3] == owners[3:], "the same order every round"
    assert await notifications(container, world.users["rep"].id) == [], "after commit only"
    await drain(container)
    for k in reps:
        assert len(await notifications(container, world.users[k].id, "lead_assigned")) == 2


async def test_routing_skips_away_inactive_and_full_reps_then_parks_with_the_manager(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    await route(client, world, [east_rule(world)])
    a, b, c = "rep", *await more_reps(world, 2)
    key = await api_key(container)
    admin = world.auth("admin")
    r = await client.patch(f"/api/v1/lead-routing/reps/{world.users[a].id}",
                           json={"away": True}, headers=world.auth(a))
    assert r.status_code == 200 and r.json()["away"] is True
    r = await client.patch(f"/api/v1/lead-routing/reps/{world.users[b].id}",
                           json={"capacity": 1}, headers=world.auth("manager"))
    assert r.status_code == 200, r.text
    owners = [(await capture(client, key, phone=f"1391234100{i}",
                             email=f"y{i}@example.com"))["owner_id"] for i in range(3)]
    assert str(world.users[a].id) not in owners
    assert owners.count(str(world.users[b].id)) == 1, "capacity 1 respected"
    r = await client.patch(f"/api/v1/users/{world.users[c].id}", json={"is_active": False},
                           headers=admin)
    assert r.status_code == 200
    parked = await capture(client, key, phone="13912341111", email="z@example.com")
    assert parked["owner_id"] == str(world.users["manager"].id)
    assert parked["assignment"]["by"] == "department_manager"
    assert parked["assignment"]["fallback"] is True
    assert "away" in parked["assignment"]["reason"]
    assert "at capacity" in parked["assignment"]["reason"]
    listed = await client.get("/api/v1/leads?fallback=true", headers=world.auth("manager"))
    assert [x["id"] for x in listed.json()["items"]] == [parked["id"]]
    # back from holiday: the rotation takes the rep again
    r = await client.patch(f"/api/v1/lead-routing/reps/{world.users[a].id}",
                           json={"away": False}, headers=world.auth(a))
    again = await capture(client, key, phone="13912342222", email="w@example.com")
    assert again["owner_id"] == str(world.users[a].id)
    reps = await client.get("/api/v1/lead-routing/reps", headers=world.auth("manager"))
    by_id = {x["user_id"]: x for x in reps.json()["items"]}
    assert by_id[str(world.users[b].id)]["at_capacity"] is True


async def test_without_a_matching_rule_a_lead_goes_to_the_queue_or_an_admin(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    key = await api_key(container)
    lead = await capture(client, key, region="south")
    assert lead["owner_id"] == str(world.users["admin"].id)
    assert lead["assignment"]["by"] == "admin_fallback" and lead["assignment"]["fallback"]
    await route(client, world, [east_rule(world)],
                queue_user_id=str(world.users["north_manager"].id))
    lead = await capture(client, key, region="south", phone="13800000001",
                         email="q@example.com")
    assert lead["owner_id"] == str(world.users["north_manager"].id)
    assert lead["assignment"]["by"] == "queue"
    assert "no routing rule matches region south" in lead["assignment"]["reason"]


async def test_least_loaded_gives_the_next_lead_to_the_rep_with_fewest_open_leads(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    a, b = "rep", *await more_reps(world, 1)
    for i in range(3):  # rep a already holds three open leads
        await capture(client, world.auth(a), phone=f"1370000000{i}", email=f"a{i}@example.com")
    await route(client, world, [east_rule(world, "least_loaded")])
    key = await api_key(container)
    owners = [(await capture(client, key, phone=f"1360000000{i}",
                             email=f"b{i}@example.com"))["owner_id"] for i in range(4)]
    assert owners[:3] == [str(world.users[b].id)] * 3, "b catches up first"
    assert owners[3] in {str(world.users[a].id), str(world.users[b].id)}
    assert (await capture(client, key, phone="13600000009",
                          email="b9@example.com"))["assignment"]["by"] == "least_loaded"
