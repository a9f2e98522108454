"""Each role against each Customer 360 route, for a customer owned by an East sales rep."""

from __future__ import annotations

import uuid

import httpx
import pytest

from domain.shared.authz import Role
from tests.conftest import World
from tests.integration.customers_helpers import create

ROLES = ["admin", "manager", "rep", "north_rep", "north_manager", "finance", "executive",
         "legal", "service_agent"]
WRITERS = {"admin", "manager", "rep", "north_rep", "north_manager"}
OUT_OF_SIGHT = {"north_rep", "north_manager"}  # other team: the customer is invisible
REVEALERS = {"admin", "manager"}


def expect(role: str, kind: str) -> int:
    """kind: read / write / reveal of the rep's customer, create, list, admin."""
    if kind == "list":
        return 200
    if kind == "create":
        return 201 if role in WRITERS else 403
    if kind == "admin":
        return 204 if role == "admin" else 403
    if kind in ("write", "write-new") and role not in WRITERS:
        return 403
    if role in OUT_OF_SIGHT:
        return 404
    if kind == "reveal" and role not in REVEALERS:
        return 403
    return {"read": 200, "write": 200, "write-new": 201, "reveal": 200}[kind]


@pytest.mark.parametrize("role", ROLES)
async def test_customer_routes_by_role(client: httpx.AsyncClient, world: World,
                                       role: str) -> None:
    c = await create(client, world, "rep")
    cid = c["id"]
    routes = [
        ("GET", "/api/v1/customers", None, "list"),
        ("POST", "/api/v1/customers", {"name": f"{role}的客户有限公司", "kind": "company"},
         "create"),
        ("GET", f"/api/v1/customers/{cid}", None, "read"),
        ("PATCH", f"/api/v1/customers/{cid}", {"key_needs": f"by {role}"}, "write"),
        ("POST", f"/api/v1/customers/{cid}/reveal", None, "reveal"),
        ("GET", f"/api/v1/customers/{cid}/timeline", None, "read"),
        ("GET", f"/api/v1/customers/{cid}/followups", None, "read"),
        ("POST", f"/api/v1/customers/{cid}/followups", {"method": "phone", "summary": "call"},
         "write-new"),
        ("GET", "/api/v1/followups", None, "list"),
        ("GET", "/api/v1/tasks", None, "list"),
        ("POST", "/api/v1/tasks", {"title": "t", "related_type": "customer",
                                   "related_id": cid}, "write-new"),
        ("GET", "/api/v1/picklists/region", None, "list"),
        ("POST", "/api/v1/picklists/region", {"value": "hk", "label": "香港"}, "admin"),
    ]
    failures = []
    for method, path, body, kind in routes:
        r = await client.request(method, path, json=body, headers=world.auth(role))
        if r.status_code != expect(role, kind):
            failures.append(f"{method} {path}: {r.status_code}, wanted {expect(role, kind)}")
    assert failures == []


async def test_a_team_moved_away_leaves_the_managers_reads_at_once(
        client: httpx.AsyncClient, world: World) -> None:
    """Reads remember a manager's department subtree for a moment (caller_cache_seconds); a
    department created or moved through the API is seen by the next request all the same."""
    admin, manager = world.auth("admin"), world.auth("manager")
    await client.get("/api/v1/customers", headers=manager)  # the East subtree, remembered
    r = await client.post("/api/v1/departments", headers=admin, json={
        "name": "East key accounts", "parent_id": str(world.departments["east"].id)})
    assert r.status_code == 201, r.text
    team = await world.c.identity.get_department(world.actor("admin"), uuid.UUID(r.json()["id"]))
    world.users["key_rep"] = await world.user("key_rep", Role.SALES_REP, team)
    c = await create(client, world, "key_rep", name="钥匙客户科技有限公司")
    path = f"/api/v1/customers/{c['id']}"

    def listed(r: httpx.Response) -> set[str]:
        assert r.status_code == 200, r.text
        return {item["id"] for item in r.json()["items"]}

    assert (await client.get(path, headers=manager)).status_code == 200
    assert c["id"] in listed(await client.get("/api/v1/customers", headers=manager,
                                              params={"q": "钥匙客户"}))
    r = await client.patch(f"/api/v1/departments/{team.id}", headers=admin,
                           json={"parent_id": str(world.departments["north"].id)})
    assert r.status_code == 200, r.text
    assert (await client.get(path, headers=manager)).status_code == 404
    assert c["id"] not in listed(await client.get("/api/v1/customers", headers=manager,
                                                  params={"q": "钥匙客户"}))
    assert (await client.get(path, headers=world.auth("north_manager"))).status_code == 200
