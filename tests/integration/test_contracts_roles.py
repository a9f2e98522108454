"""Who may do what with contracts over HTTP: each role against each contract route and each
lifecycle route, another team's contract out of sight."""

from __future__ import annotations

import httpx

from tests.conftest import World
from tests.integration.contracts_helpers import SMALL, contract


async def test_each_role_against_each_contract_route(client: httpx.AsyncClient,
                                                     world: World) -> None:
    k = await contract(client, world, SMALL)
    url = f"/api/v1/contracts/{k['id']}"
    readers = {"admin", "manager", "rep", "finance", "executive", "legal"}
    writers_of_east = {"admin", "manager", "rep"}
    for role in ("admin", "manager", "rep", "north_rep", "north_manager", "finance",
                 "executive", "legal", "service_agent"):
        h = world.auth(role)
        r = await client.get(url, headers=h)
        want = 200 if role in readers else 403 if role == "service_agent" else 404
        assert r.status_code == want, (role, r.status_code)
        r = await client.get("/api/v1/contracts", headers=h)
        assert r.status_code == (403 if role == "service_agent" else 200), role
        if r.status_code == 200:
            assert (k["id"] in [x["id"] for x in r.json()["items"]]) == (role in readers), role
        r = await client.patch(url, json={"title": f"by {role}"}, headers=h)
        want = 200 if role in writers_of_east else 404 if role in {"north_rep",
                                                                   "north_manager"} else 403
        assert r.status_code == want, (role, r.status_code)
        r = await client.get("/api/v1/approval-policy", headers=h)
        assert r.status_code == (403 if role == "service_agent" else 200), role
        r = await client.put("/api/v1/approval-policy", json={"remind_after_hours": 2},
                             headers=h)
        assert r.status_code == (200 if role == "admin" else 403), role
        r = await client.get("/api/v1/reports/approval-times", headers=h)
        assert r.status_code == (200 if role in {"admin", "manager", "north_manager",
                                                 "finance", "executive"} else 403), role
        r = await client.get("/api/v1/approvals?assignee=all", headers=h)
        assert r.status_code == (200 if role in {"admin", "executive"} else 403), role
    r = await client.post("/api/v1/contracts", json={}, headers=world.auth("finance"))
    assert r.status_code in (403, 422)


async def test_each_role_against_the_lifecycle_routes(client: httpx.AsyncClient,
                                                      world: World) -> None:
    """Another team's contract is out of sight (404) on every route; roles without
    contracts:write are refused (403) before anything changes."""
    k = await contract(client, world, SMALL)
    url = f"/api/v1/contracts/{k['id']}"
    routes = [("POST", f"{url}/submit", None), ("POST", f"{url}/sign", None),
              ("POST", f"{url}/activate", None), ("POST", f"{url}/complete", None),
              ("POST", f"{url}/terminate", {"reason": "x"}),
              ("POST", f"{url}/payment-received", None), ("DELETE", url, None)]
    for role, want in (("north_rep", 404), ("north_manager", 404), ("legal", 403),
                       ("service_agent", 403)):
        for method, path, body in routes:
            r = await client.request(method, path, json=body, headers=world.auth(role))
            expected = 403 if (role == "legal" or role == "service_agent") else want
            if path.endswith("payment-received") and role == "north_rep":
                expected = 403  # reps do not confirm payments (contracts:payments)
            assert r.status_code == expected, (role, method, path, r.status_code)
        r = await client.get(f"{url}/approvals", headers=world.auth(role))
        assert r.status_code == {"legal": 200, "service_agent": 403}.get(role, 404), role
    r = await client.get(url, headers=world.auth("rep"))
    assert r.json()["status"] == "draft" and r.json()["version"] == k["version"]
