"""The lead settings over HTTP on PostgreSQL: the scoring model and the routing rules,
versioned with ETag / If-Match, validated naming the field, and followed by new leads."""

from __future__ import annotations

import httpx

from tests.conftest import World
from tests.integration.leads_helpers import capture, east_rule, route


async def test_admins_edit_the_scoring_rules_and_new_leads_follow_them(
    client: httpx.AsyncClient, world: World
) -> None:
    admin = world.auth("admin")
    current = await client.get("/api/v1/lead-scoring", headers=world.auth("rep"))
    assert current.status_code == 200 and current.headers["etag"] == '"0"'
    assert len(current.json()["rules"]) == 6
    model = {"high_from": 30, "medium_from": 10, "rules": [
        {"kind": "industry_fit", "points": {"software": 40}},
        {"kind": "budget", "brackets": [{"from_amount": "100000", "points": 20}]},
        {"kind": "source", "points": {"referral": 30}, "enabled": False},
    ]}
    assert (await client.put("/api/v1/lead-scoring", json=model,
                             headers=world.auth("manager"))).status_code == 403
    r = await client.put("/api/v1/lead-scoring", json=model, headers={**admin,
                                                                        "If-Match": '"0"'})
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"1"'
    stale = await client.put("/api/v1/lead-scoring", json=model, headers={**admin,
                                                                            "If-Match": '"0"'})
    assert stale.status_code == 412
    lead = await capture(client, world.auth("rep"), industry="software", source="referral")
    assert lead["score"] == 60 and lead["grade"] == "high"
    assert [x["rule"] for x in lead["score_breakdown"]] == ["industry_fit", "budget"]
    low = await capture(client, world.auth("rep"), industry="retail", budget=None,
                        phone="13500000000", email="l@example.com")
    assert low["score"] == 0 and low["grade"] == "low"
    bad = dict(model, rules=[{"kind": "company_size", "points": {"huge": 5}}])
    r = await client.put("/api/v1/lead-scoring", json=bad, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "rules.0.points.huge"
    twice = dict(model, rules=[{"kind": "source"}, {"kind": "source"}])
    r = await client.put("/api/v1/lead-scoring", json=twice, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "rules.1.kind"


async def test_routing_settings_are_validated(client: httpx.AsyncClient, world: World) -> None:
    admin = world.auth("admin")
    for rule, field in [({"name": "x", "department_id": "00000000-0000-0000-0000-000000000001",
                          "regions": ["east"]}, "rules.0.department_id"),
                        ({"name": "x", "department_id": str(world.departments["east"].id),
                          "regions": ["atlantis"]}, "rules.0.regions")]:
        r = await client.put("/api/v1/lead-routing", json={"rules": [rule]}, headers=admin)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
    r = await client.put("/api/v1/lead-routing", json={"rules": [], "stale_days": 0},
                         headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "stale_days"
    saved = await route(client, world, [east_rule(world)])
    assert saved["rules"][0]["id"] and saved["version"] == 1
