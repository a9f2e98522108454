"""Follow-ups and tasks of customers over HTTP on PostgreSQL: a follow-up updates its customer
and the timeline; tasks make a to-do list for their assignee and the team."""

from __future__ import annotations

import httpx

from tests.conftest import World
from tests.integration.customers_helpers import create


async def test_a_followup_updates_the_customer_and_the_timeline(client: httpx.AsyncClient,
                                                                world: World) -> None:
    c = await create(client, world)
    h = world.auth("rep")
    r = await client.post(f"/api/v1/customers/{c['id']}/followups", headers=h, json={
        "method": "visit", "occurred_at": "2026-11-20T09:30:00+08:00",
        "summary": "拜访，确认二期需求", "feedback": "价格敏感", "next_action": "发送报价单",
        "next_followup_at": "2026-11-27T10:00:00+08:00",
        "check_in": {"latitude": 31.2304, "longitude": 121.4737, "accuracy_m": 12}})
    assert r.status_code == 201, r.text
    assert r.json()["check_in"]["latitude"] == 31.2304
    after = (await client.get(f"/api/v1/customers/{c['id']}", headers=h)).json()
    assert after["last_followup_at"] == "2026-11-20T01:30:00Z"
    assert after["next_followup_plan"] == "发送报价单"
    assert after["next_followup_at"] == "2026-11-27T02:00:00Z"
    assert after["first_contact_date"] == "2026-11-20"
    older = await client.post("/api/v1/followups", headers=h, json={
        "customer_id": c["id"], "method": "phone", "occurred_at": "2026-11-01T09:00:00Z",
        "summary": "first call"})
    assert older.status_code == 201
    again = (await client.get(f"/api/v1/customers/{c['id']}", headers=h)).json()
    assert again["last_followup_at"] == "2026-11-20T01:30:00Z", "an older one changes nothing"
    timeline = (await client.get(f"/api/v1/customers/{c['id']}/timeline", headers=h)).json()
    assert [e["kind"] for e in timeline["items"]] == ["followup", "followup", "created"]
    bad = await client.post(f"/api/v1/customers/{c['id']}/followups", headers=h, json={
        "method": "phone", "summary": "x", "check_in": {"latitude": 1, "longitude": 2}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "check_in"


async def test_tasks_make_a_to_do_list(client: httpx.AsyncClient, world: World) -> None:
    c = await create(client, world)
    h = world.auth("rep")
    due = [("2026-12-01T09:00:00Z", "call back"), ("2026-11-30T09:00:00Z", "send quote"),
           ("2027-03-01T09:00:00Z", "renewal")]
    for due_at, title in due:
        r = await client.post("/api/v1/tasks", headers=h, json={
            "title": title, "due_at": due_at, "related_type": "customer", "related_id": c["id"]})
        assert r.status_code == 201
    todo = await client.get("/api/v1/tasks", headers=h, params={
        "assignee": "me", "status": "open", "due_before": "2027-01-01T00:00:00Z"})
    assert [x["title"] for x in todo.json()["items"]] == ["send quote", "call back"]
    task_id = todo.json()["items"][0]["id"]
    done = await client.patch(f"/api/v1/tasks/{task_id}", json={"status": "done"}, headers=h)
    assert done.status_code == 200 and done.json()["completed_at"]
    refused = await client.patch(f"/api/v1/tasks/{task_id}", json={"status": "cancelled"},
                                 headers=h)
    assert refused.status_code == 409
    to_other = await client.post("/api/v1/tasks", headers=h, json={
        "title": "yours", "assignee_id": str(world.users["north_rep"].id)})
    assert to_other.status_code == 403
    assert (await client.get(f"/api/v1/tasks/{task_id}",
                             headers=world.auth("north_rep"))).status_code == 404
    mine = await client.get("/api/v1/tasks", headers=world.auth("north_rep"))
    assert mine.json()["items"] == []
    team = await client.get("/api/v1/tasks", headers=world.auth("manager"))
    assert len(team.json()["items"]) == 3
