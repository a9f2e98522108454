"""Each role against each lead, settings, pipeline and opportunity route, for records owned by
an East sales rep. Out of sight answers 404, missing permission 403."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import World
from tests.integration.leads_helpers import capture

ROLES = ["admin", "manager", "rep", "north_rep", "north_manager", "finance", "executive",
         "legal", "service_agent"]
NORTH = {"north_rep", "north_manager"}
LEAD_READERS = {"admin", "manager", "rep", "executive"} | NORTH
LEAD_WRITERS = {"admin", "manager", "rep"} | NORTH
DEAL_READERS = {"admin", "manager", "rep", "finance", "executive"} | NORTH
DEAL_WRITERS = LEAD_WRITERS
ADMINS = {"admin"}


def expected(role: str, allowed: set[str], ok: int, hidden: set[str] = frozenset()) -> int:
    if role not in allowed:
        return 403
    return 404 if role in hidden else ok


@pytest.mark.parametrize("role", ROLES)
async def test_sales_routes_by_role(client: httpx.AsyncClient, world: World, role: str) -> None:
    lead = await capture(client, world.auth("rep"))
    lid = lead["id"]
    r = await client.post("/api/v1/customers", json={"name": "上海明远精密机械制造有限公司",
                                                     "kind": "company"},
                          headers=world.auth("rep"))
    cid = r.json()["id"]
    r = await client.post("/api/v1/opportunities", json={"customer_id": cid},
                          headers=world.auth("rep"))
    oid = r.json()["id"]
    rep_id = world.users["rep"].id
    pipeline = {"name": f"P {role}", "stages": [
        {"key": "a", "name": "A", "probability": 10}, {"key": "w", "name": "W", "kind": "won"},
        {"key": "l", "name": "L", "kind": "lost"}]}
    team_leads = {"admin", "manager", "north_manager"}
    routes: list[tuple[str, str, object, int]] = [
        ("GET", "/api/v1/leads", None, expected(role, LEAD_READERS, 200)),
        ("POST", "/api/v1/leads", {"name": role, "phone": "13500001111"},
         expected(role, LEAD_WRITERS, 201)),
        ("GET", f"/api/v1/leads/{lid}", None, expected(role, LEAD_READERS, 200, NORTH)),
        ("PATCH", f"/api/v1/leads/{lid}", {"title": role},
         expected(role, LEAD_WRITERS, 200, NORTH)),
        ("POST", f"/api/v1/leads/{lid}/followups", {"method": "phone"},
         expected(role, LEAD_WRITERS, 201, NORTH)),
        ("GET", f"/api/v1/leads/{lid}/timeline", None,
         expected(role, LEAD_READERS, 200, NORTH)),
        ("POST", f"/api/v1/leads/{lid}/reveal", None,
         expected(role, {"admin", "manager"} | NORTH, 200, NORTH)),  # pii:reveal
        ("POST", f"/api/v1/leads/{lid}/assign", {"owner_id": str(rep_id)},
         expected(role, team_leads, 200, {"north_manager"})),
        ("GET", "/api/v1/lead-scoring", None, expected(role, LEAD_READERS, 200)),
        ("PUT", "/api/v1/lead-scoring", {"rules": []}, expected(role, ADMINS, 200)),
        ("GET", "/api/v1/lead-routing", None, expected(role, LEAD_READERS, 200)),
        ("PUT", "/api/v1/lead-routing", {"rules": []}, expected(role, ADMINS, 200)),
        ("GET", "/api/v1/lead-routing/reps", None, expected(role, LEAD_READERS, 200)),
        ("PATCH", f"/api/v1/lead-routing/reps/{rep_id}", {"away": False},
         expected(role, LEAD_WRITERS, 200, NORTH)),
        ("GET", "/api/v1/lead-forms", None, expected(role, ADMINS, 200)),
        ("POST", "/api/v1/lead-forms", {"name": "f", "site_origin": "https://a.example"},
         expected(role, ADMINS, 201)),
        ("GET", "/api/v1/pipelines", None, expected(role, DEAL_READERS, 200)),
        ("POST", "/api/v1/pipelines", pipeline, expected(role, ADMINS, 201)),
        ("GET", "/api/v1/opportunities", None, expected(role, DEAL_READERS, 200)),
        ("GET", "/api/v1/opportunities?view=board", None, expected(role, DEAL_READERS, 200)),
        ("POST", "/api/v1/opportunities", {"customer_id": cid},
         expected(role, DEAL_WRITERS, 201, NORTH)),
        ("GET", f"/api/v1/opportunities/{oid}", None,
         expected(role, DEAL_READERS, 200, NORTH)),
        ("PATCH", f"/api/v1/opportunities/{oid}", {"name": f"by {role}"},
         expected(role, DEAL_WRITERS, 200, NORTH)),
        ("GET", f"/api/v1/opportunities/{oid}/history", None,
         expected(role, DEAL_READERS, 200, NORTH)),
        # last: a converted lead takes no more edits
        ("POST", f"/api/v1/leads/{lid}/convert", {}, expected(role, LEAD_WRITERS, 200, NORTH)),
    ]
    failures = []
    for method, path, body, want in routes:
        r = await client.request(method, path, json=body, headers=world.auth(role))
        if r.status_code != want:
            failures.append(f"{method} {path}: {r.status_code}, wanted {want}: {r.text[:120]}")
    assert failures == []
