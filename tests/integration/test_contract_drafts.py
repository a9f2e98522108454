"""Working on a draft contract over HTTP on real PostgreSQL and Redis: what submitting still
needs is answered up front, the draft is edited (lines, dates, terms) under If-Match with the
edit audited and on the timeline, and the approval notices of a step are resolved once the
step is decided, whoever decided it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from adapters.bootstrap import Container
from domain.notifications.model import Notification
from tests.conftest import World, drain
from tests.integration.contracts_helpers import BIG, contract, post
from tests.integration.leads_helpers import notifications


async def _patch(client: httpx.AsyncClient, world: World, url: str, body: dict[str, Any],
                 who: str = "rep", etag: str | None = None) -> httpx.Response:
    if etag is None:
        etag = (await client.get(url, headers=world.auth(who))).headers["ETag"]
    return await client.patch(url, json=body, headers={**world.auth(who), "If-Match": etag})


async def test_a_draft_says_what_submitting_needs_and_is_edited_until_it_has_it(
    client: httpx.AsyncClient, world: World
) -> None:
    k = await contract(client, world, start_date=None, end_date=None)
    url = f"/api/v1/contracts/{k['id']}"
    assert k["missing_for_submit"] == [{"field": "start_date", "code": "required_to_submit"},
                                       {"field": "end_date", "code": "required_to_submit"}]
    r = await client.post(f"{url}/submit", headers={**world.auth("rep"), "Accept-Language": "en"})
    assert r.status_code == 422
    assert [(e["field"], e["code"], e["message"]) for e in r.json()["errors"]] == [
        ("start_date", "required_to_submit", "is required to submit"),
        ("end_date", "required_to_submit", "is required to submit")]

    r = await _patch(client, world, url, {
        "start_date": "2027-03-01", "end_date": "2028-02-29", "payment_terms": "50/50",
        "lines": [{"product": "GW-200", "quantity": "3", "unit_price": "1000.00",
                   "discount": "10"},
                  {"product": "安装服务", "quantity": "1", "unit_price": "500.00"}]})
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["missing_for_submit"] == []
    assert edited["amount"] == "3200.00" and edited["version"] == k["version"] + 1
    assert r.headers["ETag"] != ""

    r = await _patch(client, world, url, {"end_date": "2026-01-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "end_date"
    r = await _patch(client, world, url, {"lines": [{"product": "GW-200", "quantity": "0",
                                                     "unit_price": "1"}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lines.0.quantity"
    r = await _patch(client, world, url, {"lines": [{"product": "", "quantity": "1",
                                                     "unit_price": "1"}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lines.0.product"
    r = await _patch(client, world, url, {"title": "stale"}, etag=f'"{k["version"]}"')
    assert r.status_code == 412

    for language, words in (("en", f"Contract {k['number']} draft edited"),
                            ("zh-CN", f"合同 {k['number']} 草稿已修改")):
        timeline = (await client.get(f"/api/v1/customers/{k['customer_id']}/timeline", headers={
            **world.auth("rep"), "Accept-Language": language})).json()["items"]
        assert words in [e["summary"] for e in timeline]
    (audited,) = (await client.get("/api/v1/audit-log", headers=world.auth("admin"), params={
        "target_type": "contract", "target_id": k["id"], "action": "contract.updated"})
    ).json()["items"]
    assert audited["diff"]["start_date"] == [None, "2027-03-01"]
    assert audited["diff"]["amount"] == [BIG, "3200.00"]

    r = await post(client, world, "rep", f"{url}/submit")
    assert r.status_code == 200 and r.json()["missing_for_submit"] == []
    r = await _patch(client, world, url, {"payment_terms": "too late"})
    assert r.status_code == 409, "only a draft is edited"


async def _notice(container: Container, user_id: uuid.UUID, kind: str, k: dict[str, Any],
                  step: int) -> None:
    data = {"contract_id": k["id"], "contract_number": k["number"],
            "contract_title": k["title"], "amount": k["amount"], "currency": k["currency"],
            "customer_name": k["customer_name"], "owner_name": "Rep", "step": step,
            "step_name": "Sales manager", "waiting_hours": 5}
    async with container.uow() as uow:
        await uow.notifications.add(Notification.for_event(
            user_id, kind, "waiting", "waiting", uuid.uuid4(), data=data))
        await uow.commit()


async def test_deciding_a_step_resolves_every_notice_that_asked_for_it(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    users = world.users
    k = await contract(client, world)
    other = await contract(client, world)
    url = f"/api/v1/contracts/{k['id']}"
    for c in (k, other):
        assert (await post(client, world, "rep", f"/api/v1/contracts/{c['id']}/submit")
                ).status_code == 200
    await drain(container)
    # The step was escalated to the admin as well; a reminder waits for the manager.
    await _notice(container, users["admin"].id, "approval_escalated", k, 1)
    await _notice(container, users["manager"].id, "approval_reminder", k, 1)
    before = [n.kind for n in await notifications(container, users["manager"].id)
              if n.data.get("contract_id") == k["id"] and n.read_at is None]
    assert sorted(before) == ["approval_reminder", "approval_requested"]

    r = await post(client, world, "manager", f"{url}/approvals/1/approve", {"comment": "ok"})
    assert r.status_code == 200, r.text
    waiting = [n for n in await notifications(container, users["manager"].id)
               if n.data.get("contract_id") == k["id"]]
    assert {n.kind for n in waiting} == {"approval_requested", "approval_reminder"}
    assert all(n.read_at is not None for n in waiting)
    (escalated,) = await notifications(container, users["admin"].id, "approval_escalated")
    assert escalated.read_at is not None
    (still,) = [n for n in await notifications(container, users["manager"].id)
                if n.data.get("contract_id") == other["id"]]
    assert still.read_at is None, "another contract's step is still waiting"

    await drain(container)
    (next_step,) = await notifications(container, users["finance"].id, "approval_requested")
    assert next_step.data["contract_id"] == k["id"] and next_step.read_at is None, \
        "the step that opens next asks its approver"


async def test_mark_all_read(client: httpx.AsyncClient, world: World,
                             container: Container) -> None:
    k = await contract(client, world)
    assert (await post(client, world, "rep", f"/api/v1/contracts/{k['id']}/submit")
            ).status_code == 200
    await drain(container)
    manager = world.auth("manager")
    unread = (await client.get("/api/v1/notifications/unread-count", headers=manager)
              ).json()["unread"]
    assert unread >= 1, "the approval request at least"
    r = await client.post("/api/v1/notifications/read-all", headers=manager)
    assert r.status_code == 200 and r.json() == {"marked": unread}
    assert (await client.get("/api/v1/notifications/unread-count", headers=manager)
            ).json()["unread"] == 0
    assert (await client.post("/api/v1/notifications/read-all", headers=manager)
            ).json() == {"marked": 0}
    (audited,) = (await client.get("/api/v1/audit-log", headers=world.auth("admin"), params={
        "action": "notification.read_all"})).json()["items"]
    assert audited["actor_id"] == str(world.users["manager"].id)
    assert audited["diff"] == {"marked": [None, unread]}


async def test_a_notice_that_arrives_after_its_step_was_decided_is_not_sent(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    users = world.users
    k = await contract(client, world)
    url = f"/api/v1/contracts/{k['id']}"
    assert (await post(client, world, "rep", f"{url}/submit")).status_code == 200
    # Decided from the approvals inbox before the queue delivered the request to decide.
    assert (await post(client, world, "manager", f"{url}/approvals/1/approve")
            ).status_code == 200
    await drain(container)
    assert [n for n in await notifications(container, users["manager"].id,
                                           "approval_requested")
            if n.data.get("contract_id") == k["id"]] == []
    (asked,) = await notifications(container, users["finance"].id, "approval_requested")
    assert asked.data["step"] == 2 and asked.read_at is None
