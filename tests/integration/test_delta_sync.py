"""A phone keeps tasks, follow-ups, contracts and its inbox offline: `updated_since` answers what
changed after its last sync, oldest change first, deleted records as tombstones, under the same
visibility as the lists."""

from __future__ import annotations

import httpx

from tests.conftest import World
from tests.integration.contracts_helpers import contract
from tests.integration.customers_helpers import create
from tests.integration.notify_helpers import notify


def _ids(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["items"]]


async def test_tasks_changed_since_come_oldest_change_first(client: httpx.AsyncClient,
                                                            world: World) -> None:
    h = world.auth("rep")
    first = (await client.post("/api/v1/tasks", headers=h, json={"title": "call back"})).json()
    second = (await client.post("/api/v1/tasks", headers=h, json={"title": "send quote"})).json()
    since = (await client.get(f"/api/v1/tasks/{second['id']}", headers=h)).json()["updated_at"]
    assert _ids(await client.get("/api/v1/tasks", headers=h,
                                 params={"updated_since": since})) == []
    done = await client.patch(f"/api/v1/tasks/{first['id']}", headers=h,
                              json={"status": "done"})
    assert done.status_code == 200
    sync = await client.get("/api/v1/tasks", headers=h, params={"updated_since": since})
    assert _ids(sync) == [first["id"]] and sync.json()["items"][0]["status"] == "done"
    everything = await client.get("/api/v1/tasks", headers=h, params={
        "updated_since": "2000-01-01T00:00:00Z", "limit": 1})
    assert _ids(everything) == [second["id"]], "the oldest change first"
    rest = await client.get("/api/v1/tasks", headers=h, params={
        "updated_since": "2000-01-01T00:00:00Z", "cursor": everything.json()["next_cursor"]})
    assert _ids(rest) == [first["id"]]
    assert _ids(await client.get("/api/v1/tasks", headers=world.auth("north_rep"), params={
        "updated_since": "2000-01-01T00:00:00Z"})) == [], "another team's tasks stay out"


async def test_followups_changed_since(client: httpx.AsyncClient, world: World) -> None:
    c = await create(client, world)
    h = world.auth("rep")
    made = await client.post(f"/api/v1/customers/{c['id']}/followups", headers=h, json={
        "method": "phone", "occurred_at": "2026-11-20T09:30:00+08:00", "summary": "first call"})
    assert made.status_code == 201, made.text
    f = made.json()
    sync = await client.get("/api/v1/followups", headers=h,
                            params={"updated_since": "2000-01-01T00:00:00Z"})
    assert _ids(sync) == [f["id"]]
    since = sync.json()["items"][0]["updated_at"]
    assert _ids(await client.get("/api/v1/followups", headers=h,
                                 params={"updated_since": since})) == []
    edited = await client.patch(f"/api/v1/followups/{f['id']}", headers=h,
                                json={"summary": "first call, price asked"})
    assert edited.status_code == 200, edited.text
    again = await client.get("/api/v1/followups", headers=h,
                             params={"updated_since": since})
    assert [x["summary"] for x in again.json()["items"]] == ["first call, price asked"]
    assert _ids(await client.get("/api/v1/followups", headers=world.auth("north_rep"), params={
        "updated_since": "2000-01-01T00:00:00Z"})) == []


async def test_a_deleted_draft_contract_comes_back_as_a_tombstone(client: httpx.AsyncClient,
                                                                 world: World) -> None:
    kept = await contract(client, world)
    dropped = await contract(client, world)
    h = world.auth("rep")
    since = dropped["updated_at"]
    gone = await client.delete(f"/api/v1/contracts/{dropped['id']}", headers=h)
    assert gone.status_code == 204, gone.text
    assert _ids(await client.get("/api/v1/contracts", headers=h)) == [kept["id"]]
    sync = await client.get("/api/v1/contracts", headers=h, params={"updated_since": since})
    assert sync.json()["items"] == [{
        "id": dropped["id"], "deleted": True, "version": dropped["version"] + 1,
        "merged_into": None, "updated_at": sync.json()["items"][0]["updated_at"]}]
    full = await client.get("/api/v1/contracts", headers=h,
                            params={"updated_since": "2000-01-01T00:00:00Z"})
    assert [(x["id"], x["deleted"]) for x in full.json()["items"]] == [
        (kept["id"], False), (dropped["id"], True)]
    assert _ids(await client.get("/api/v1/contracts", headers=world.auth("north_rep"), params={
        "updated_since": "2000-01-01T00:00:00Z"})) == [], "not even a tombstone of others'"


async def test_reading_a_notification_is_a_change_to_sync(client: httpx.AsyncClient,
                                                          world: World) -> None:
    rep = world.users["rep"]
    first = await notify(world.c, rep.id)
    second = await notify(world.c, rep.id)
    h = world.auth("rep")
    sync = await client.get("/api/v1/notifications", headers=h,
                            params={"updated_since": "2000-01-01T00:00:00Z"})
    assert _ids(sync) == [str(first.id), str(second.id)], "oldest change first"
    since = sync.json()["items"][-1]["updated_at"]
    assert _ids(await client.get("/api/v1/notifications", headers=h,
                                 params={"updated_since": since})) == []
    read = await client.post(f"/api/v1/notifications/{first.id}/read", headers=h)
    assert read.status_code == 204
    changed = await client.get("/api/v1/notifications", headers=h,
                               params={"updated_since": since})
    assert _ids(changed) == [str(first.id)] and changed.json()["items"][0]["read_at"]
    assert _ids(await client.get("/api/v1/notifications", headers=world.auth("manager"),
                                 params={"updated_since": "2000-01-01T00:00:00Z"})) == []
