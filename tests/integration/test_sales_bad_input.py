"""Bad input never gets a 500: random mixes of good and bad values on the sales routes answer
2xx or a problem+json 4xx that names a field it was sent."""

from __future__ import annotations

import random
from typing import Any

import httpx

from tests.conftest import World
from tests.integration.leads_helpers import capture

ODD: list[Any] = [None, "", " ", "x" * 6000, -1, 0, 1.5, 10**20, True, [], {}, ["a"],
                  {"a": 1}, "NaN", "Infinity", "1e30", "12.345", "2026-13-45",
                  "2026-12-01T10:00:00", "2026-12-01T10:00:00+08:00",
                  "00000000-0000-0000-0000-000000000000", "🙂", "\x00", "a\x00b", {"k\x00": "v"},
                  ["\x00"], "<script>", "13812345678", "a@b.c", "east", "won"]


def mutate(rng: random.Random, good: dict[str, Any]) -> dict[str, Any]:
    body = dict(good)
    for name in rng.sample(sorted(good), k=rng.randint(1, 3)):
        body[name] = rng.choice(ODD)
    if rng.random() < 0.2:
        body[rng.choice(["colour", "id", "version"])] = rng.choice(ODD)
    return body


def fields_of(body: dict[str, Any]) -> set[str]:
    return set(body) | {"body"}


async def _check(r: httpx.Response, body: dict[str, Any]) -> None:
    assert r.status_code < 500, (body, r.text)
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json", r.text
    if r.status_code == 422:
        named = {e["field"].split(".")[0] for e in r.json()["errors"]}
        assert named & fields_of(body) or named <= {"disqualify_reason", "lost_reason"}, (
            body, r.text)


async def test_random_lead_bodies_never_crash(client: httpx.AsyncClient, world: World) -> None:
    rng = random.Random(2026)
    h = world.auth("manager")
    good = {"name": "王小明", "company": "苏州精工自动化设备有限公司", "phone": "13912345678",
            "email": "w@example.com", "industry": "manufacturing", "region": "east",
            "company_size": "large", "budget": "5000.00", "source": "website",
            "message": "hi", "engagement": 2, "currency": "CNY"}
    lead = await capture(client, h)
    for _ in range(80):
        body = mutate(rng, good)
        await _check(await client.post("/api/v1/leads", json=body, headers=h), body)
        patch = mutate(rng, {**good, "status": "contacted", "next_followup_at": None})
        await _check(await client.patch(f"/api/v1/leads/{lead['id']}", json=patch, headers=h),
                     patch)


async def test_random_opportunity_and_pipeline_bodies_never_crash(
    client: httpx.AsyncClient, world: World
) -> None:
    rng = random.Random(7)
    h = world.auth("admin")
    c = (await client.post("/api/v1/customers", json={"name": "上海明远精密机械制造有限公司",
                                                      "kind": "company"}, headers=h)).json()
    o = (await client.post("/api/v1/opportunities", json={"customer_id": c["id"]},
                           headers=h)).json()
    good = {"name": "二期", "amount": "10.00", "currency": "CNY", "quote_reference": "Q",
            "expected_close_date": "2026-12-31", "contract_status": "approved",
            "stage_id": o["stage_id"]}
    for _ in range(60):
        body = mutate(rng, good)
        await _check(await client.patch(f"/api/v1/opportunities/{o['id']}", json=body,
                                        headers=h), body)
        body = mutate(rng, {"customer_id": c["id"], **good})
        await _check(await client.post("/api/v1/opportunities", json=body, headers=h), body)
    stages = [{"key": "a", "name": "A", "probability": 10},
              {"key": "w", "name": "W", "kind": "won"}, {"key": "l", "name": "L", "kind": "lost"}]
    for _ in range(30):
        body = mutate(rng, {"name": "P", "stale_days": 5, "stages": stages})
        await _check(await client.post("/api/v1/pipelines", json=body, headers=h), body)
    for _ in range(30):
        body = mutate(rng, {"rules": [{"kind": "source", "points": {"website": 5}}],
                            "high_from": 50, "medium_from": 20})
        await _check(await client.put("/api/v1/lead-scoring", json=body, headers=h), body)
        body = mutate(rng, {"rules": [], "stale_days": 7, "first_contact_hours": 24,
                            "queue_user_id": None})
        await _check(await client.put("/api/v1/lead-routing", json=body, headers=h), body)
    for params in [{"view": "board", "cards": "0"}, {"sort": "-karma"}, {"cursor": "zz"},
                   {"close_from": "yesterday"}, {"pipeline_id": "not-a-uuid"},
                   {"view": "kanban"}, {"owner": "someone"}]:
        r = await client.get("/api/v1/opportunities", params=params, headers=h)
        assert 400 <= r.status_code < 500, (params, r.text)
    for params in [{"grade": "hot"}, {"flag": "weird"}, {"cursor": "%%"}, {"phone": "12"},
                   {"email": "nope"}, {"owner": "x"}, {"sort": "budget"}]:
        r = await client.get("/api/v1/leads", params=params, headers=h)
        assert 400 <= r.status_code < 500, (params, r.text)
