"""Simultaneous captures through the API on real PostgreSQL: no round-robin turn is taken twice,
no lead is left without an owner, and least-loaded sees every lead committed before it."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
from sqlalchemy import select, text

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import World, drain
from tests.integration.leads_helpers import (
    api_key,
    count,
    east_rule,
    more_reps,
    new_lead,
    route,
)

CAPTURES = 50


async def _capture_all(client: httpx.AsyncClient, key: dict[str, str], n: int,
                       region: str = "east", series: int = 0) -> list[httpx.Response]:
    """n different people (no duplicates among them), all at once."""
    return await asyncio.gather(*[
        client.post("/api/v1/leads", headers=key, json=new_lead(
            phone=f"13{series}{i:08d}", email=f"c{series}.{i}@example.com", region=region))
        for i in range(n)])


@pytest.mark.parametrize("method", ["round_robin", "least_loaded"])
async def test_fifty_simultaneous_captures_share_the_turns_exactly(
    client: httpx.AsyncClient, world: World, container: Container, method: str
) -> None:
    reps = ["rep", *await more_reps(world, 4)]
    await route(client, world, [east_rule(world, method)])
    key = await api_key(container)
    responses = await _capture_all(client, key, CAPTURES)
    assert [r.status_code for r in responses] == [201] * CAPTURES, [
        r.text for r in responses if r.status_code != 201][:3]
    async with container.engine.connect() as conn:
        owners = Counter((await conn.execute(select(tables.leads.c.owner_id))).scalars())
        if method == "round_robin":  # turn numbers drawn from the department's sequence
            name = f"lead_turn_{world.departments['east'].id.hex}"
            turns = await conn.scalar(text(f'SELECT last_value FROM "{name}"'))
        else:  # the department's row, locked by each capture in turn
            turns = await conn.scalar(select(tables.lead_rotation.c.turns))
    assert sum(owners.values()) == CAPTURES and None not in owners
    assert owners == {world.users[k].id: CAPTURES // len(reps) for k in reps}
    assert turns == CAPTURES, "one turn per capture, none taken twice"
    await drain(container)
    assert await count(container, tables.notifications,
                       tables.notifications.c.kind == "lead_assigned") == CAPTURES


async def test_simultaneous_captures_never_take_a_rep_past_capacity(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    """Round-robin holds nothing while it draws turns; a rep with a capacity is given leads
    one capture at a time, each counting the ones before it."""
    reps = ["rep", *await more_reps(world, 2)]
    await route(client, world, [east_rule(world)])
    r = await client.patch(f"/api/v1/lead-routing/reps/{world.users[reps[0]].id}",
                           json={"capacity": 2}, headers=world.auth("manager"))
    assert r.status_code == 200, r.text
    key = await api_key(container)
    responses = await _capture_all(client, key, 30, series=4)
    assert [x.status_code for x in responses] == [201] * 30
    owners = Counter(x.json()["owner_id"] for x in responses)
    capped, *others = (str(world.users[k].id) for k in reps)
    assert owners[capped] == 2
    a, b = (owners[k] for k in others)
    assert a + b == 28 and abs(a - b) <= 2, "the overflow goes round the others too"


async def test_simultaneous_captures_in_two_territories_never_go_unowned(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    await more_reps(world, 2, "north")
    await route(client, world, [
        east_rule(world),
        {"name": "North China", "department_id": str(world.departments["north"].id),
         "regions": ["north"]}])
    key = await api_key(container)
    east, north, nowhere = await asyncio.gather(
        _capture_all(client, key, 20, "east", 1),
        _capture_all(client, key, 21, "north", 2),
        _capture_all(client, key, 5, "overseas", 3))
    assert all(r.status_code == 201 for r in [*east, *north, *nowhere])
    north_owners = Counter(r.json()["owner_id"] for r in north)
    assert sorted(north_owners.values()) == [7, 7, 7]
    assert {r.json()["assignment"]["by"] for r in nowhere} == {"admin_fallback"}
    async with container.engine.connect() as conn:
        unowned = await conn.scalar(
            select(tables.leads.c.id).where(tables.leads.c.owner_id.is_(None)))
    assert unowned is None


async def test_the_same_new_person_captured_at_once_is_one_lead_and_duplicates(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    """Five channels deliver the same inquiry at once: the first becomes the lead, the others
    are flagged as its duplicates (their checks queue on the contact's lock)."""
    await route(client, world, [east_rule(world)])
    key = await api_key(container)
    responses = await asyncio.gather(*[
        client.post("/api/v1/leads", headers=key, json=new_lead(
            phone="13700001234", email="same.person@example.com", region="east"))
        for _ in range(5)])
    assert [r.status_code for r in responses] == [201] * 5
    leads = [r.json() for r in responses]
    originals = [x for x in leads if not any(f["code"] == "duplicate_lead" for f in x["flags"])]
    assert len(originals) == 1, [x["flags"] for x in leads]
    for x in leads:
        if x is not originals[0]:
            (flag,) = [f for f in x["flags"] if f["code"] == "duplicate_lead"]
            assert flag["ref_id"] == originals[0]["id"]


async def test_a_department_has_its_sequence_of_turns_from_creation_to_deletion(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    admin = world.auth("admin")
    r = await client.post("/api/v1/departments", json={"name": "West sales"}, headers=admin)
    assert r.status_code == 201, r.text
    dept = r.json()["id"]
    name = f"lead_turn_{dept.replace('-', '')}"

    async def exists() -> bool:
        async with container.engine.connect() as conn:
            return await conn.scalar(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name})

    assert await exists()
    r = await client.delete(f"/api/v1/departments/{dept}", headers=admin)
    assert r.status_code == 204, r.text
    assert not await exists()
