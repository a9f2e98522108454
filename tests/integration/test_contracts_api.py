"""Contracts over HTTP on real PostgreSQL and Redis: the approval chain with its notifications,
rejection and resubmission, concurrent decisions, life after approval, bad input, merged
customers, and a decision while Redis is down. Reminders and the daily sweep:
test_contracts_scheduled.py; who may do what: test_contracts_roles.py."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from adapters.bootstrap import Container, build
from adapters.db import tables
from adapters.embedded import RedisProcess
from adapters.settings import Settings
from domain.shared.ports import QueueUnavailable
from tests.conftest import CachingHasher, World, drain
from tests.integration.contracts_helpers import SMALL, contract, customer, post
from tests.integration.leads_helpers import count, notifications


async def test_a_big_contract_clears_manager_finance_and_executive_with_everyone_told(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    cid = await customer(client, world)
    r = await client.post("/api/v1/opportunities", json={"customer_id": cid},
                          headers=world.auth("rep"))
    oid = r.json()["id"]
    k = await contract(client, world, customer_id=cid, opportunity_id=oid,
                       lines=[{"product": "GW-200", "quantity": "10", "unit_price": "125000",
                               "discount": "4"}])
    assert k["amount"] == "1200000.00" and k["lines"][0]["total"] == "1200000.00"
    assert k["status"] == "draft" and k["number"].startswith("HT")
    url = f"/api/v1/contracts/{k['id']}"
    r = await post(client, world, "rep", f"{url}/submit")
    assert r.status_code == 200, r.text
    steps = r.json()["steps"]
    users = world.users
    assert [(s["role"], s["assignee_id"], s["status"]) for s in steps] == [
        ("manager", str(users["manager"].id), "pending"),
        ("finance", str(users["finance"].id), "waiting"),
        ("executive", str(users["executive"].id), "waiting")]
    r = await client.get(f"/api/v1/opportunities/{oid}", headers=world.auth("rep"))
    assert r.json()["contract_status"] == "in_approval"
    assert r.json()["contract_reference"] == k["number"]

    for step, who in ((1, "manager"), (2, "finance"), (3, "executive")):
        await drain(container)
        (note,) = await notifications(container, users[who].id, "approval_requested")
        assert note.data["contract_number"] == k["number"] and note.data["step"] == step
        inbox = (await client.get("/api/v1/approvals?assignee=me",
                                  headers=world.auth(who))).json()["items"]
        assert [(i["contract_id"], i["step"]) for i in inbox] == [(k["id"], step)]
        r = await post(client, world, who, f"{url}/approvals/{step}/approve",
                       {"comment": f"ok from {who}"})
        assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    await drain(container)
    assert len(await notifications(container, users["rep"].id, "contract_approved")) == 1

    r = await post(client, world, "rep", f"{url}/sign")
    assert r.status_code == 200 and r.json()["status"] == "signed"
    await drain(container)
    assert len(await notifications(container, users["legal"].id, "contract_signed")) == 1

    r = await post(client, world, "rep", f"{url}/payment-received")
    assert r.status_code == 403, "finance confirms payments"
    r = await post(client, world, "finance", f"{url}/payment-received")
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["paid_at"]
    o = (await client.get(f"/api/v1/opportunities/{oid}", headers=world.auth("rep"))).json()
    assert o["status"] == "won" and o["amount"] == "1200000.00"
    c = (await client.get(f"/api/v1/customers/{cid}", headers=world.auth("rep"))).json()
    assert c["grade"] == "closed"

    history = (await client.get(f"{url}/approvals", headers=world.auth("rep"))).json()
    (rnd,) = history["rounds"]
    assert rnd["outcome"] == "approved"
    assert [s["comment"] for s in rnd["steps"]] == ["ok from manager", "ok from finance",
                                                    "ok from executive"]
    assert all(s["seconds_taken"] is not None and s["decided_at"] for s in rnd["steps"])
    timeline = (await client.get(f"/api/v1/customers/{cid}/timeline",
                                 headers=world.auth("rep"))).json()["items"]
    assert any("submitted for approval" in e["summary"] for e in timeline)
    actions = [a["action"] for a in (await client.get(
        f"/api/v1/audit-log?target_type=contract&target_id={k['id']}",
        headers=world.auth("admin"))).json()["items"]]
    for action in ("contract.created", "contract.submitted", "contract.step_approved",
                   "contract.signed", "contract.payment_received"):
        assert action in actions


async def test_below_the_threshold_two_steps_and_rejection_starts_a_new_round(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    k = await contract(client, world, SMALL)
    url = f"/api/v1/contracts/{k['id']}"
    r = await post(client, world, "rep", f"{url}/submit")
    assert [s["role"] for s in r.json()["steps"]] == ["manager", "finance"]
    await post(client, world, "manager", f"{url}/approvals/1/approve")
    r = await post(client, world, "finance", f"{url}/approvals/2/reject", {})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "comment"
    r = await post(client, world, "finance", f"{url}/approvals/2/reject",
                   {"comment": "付款条件需改为 30/70"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    await drain(container)
    (note,) = await notifications(container, world.users["rep"].id, "contract_rejected")
    assert note.data["comment"] == "付款条件需改为 30/70"

    r = await post(client, world, "rep", f"{url}/submit")
    assert r.status_code == 409, "edit it first"
    etag = (await client.get(url, headers=world.auth("rep"))).headers["ETag"]
    r = await client.patch(url, json={"payment_terms": "30/70"},
                           headers={**world.auth("rep"), "If-Match": etag})
    assert r.status_code == 200 and r.json()["status"] == "draft"
    r = await client.patch(url, json={"title": "stale"},
                           headers={**world.auth("rep"), "If-Match": etag})
    assert r.status_code == 412
    r = await post(client, world, "rep", f"{url}/submit")
    assert r.status_code == 200 and r.json()["round"] == 2
    history = (await client.get(f"{url}/approvals", headers=world.auth("rep"))).json()
    assert [(x["round"], x["outcome"]) for x in history["rounds"]] == [(2, "pending"),
                                                                       (1, "rejected")]


async def test_two_decisions_at_once_on_one_step_give_one_decision_and_one_409(
    client: httpx.AsyncClient, world: World
) -> None:
    k = await contract(client, world, SMALL)
    url = f"/api/v1/contracts/{k['id']}"
    await post(client, world, "rep", f"{url}/submit")
    results = await asyncio.gather(
        post(client, world, "manager", f"{url}/approvals/1/approve", {"comment": "a"}),
        post(client, world, "manager", f"{url}/approvals/1/reject", {"comment": "b"}))
    assert sorted(r.status_code for r in results) == [200, 409]
    r = await client.get(f"{url}/approvals", headers=world.auth("rep"))
    decided = [s for s in r.json()["rounds"][0]["steps"] if s["decided_at"]]
    assert len(decided) == 1


async def test_nobody_approves_what_is_not_theirs(client: httpx.AsyncClient,
                                                 world: World) -> None:
    k = await contract(client, world, SMALL)
    url = f"/api/v1/contracts/{k['id']}"
    await post(client, world, "rep", f"{url}/submit")
    assert (await post(client, world, "rep", f"{url}/approvals/1/approve")).status_code == 403
    r = await post(client, world, "finance", f"{url}/approvals/1/approve")
    assert r.status_code == 403 and "not yours" in r.json()["detail"]
    r = await post(client, world, "north_manager", f"{url}/approvals/1/approve")
    assert r.status_code == 404, "another team's contract is out of sight"
    # a manager's own contract goes to someone else: the nearest manager above, else an admin
    mk = await contract(client, world, SMALL, who="manager")
    r = await post(client, world, "manager", f"/api/v1/contracts/{mk['id']}/submit")
    assert r.json()["steps"][0]["assignee_id"] == str(world.users["admin"].id)
    r = await post(client, world, "manager", f"/api/v1/contracts/{mk['id']}/approvals/1/approve")
    assert r.status_code == 403


async def test_bad_input_names_the_field(client: httpx.AsyncClient, world: World) -> None:
    cid = await customer(client, world)
    h = world.auth("rep")
    base = {"customer_id": cid, "title": "t", "lines": [
        {"product": "p", "quantity": "1", "unit_price": "10"}]}
    for body, field in (
        ({**base, "lines": []}, "lines"),
        ({**base, "lines": [{"product": "p", "quantity": "-1", "unit_price": "1"}]},
         "lines.0.quantity"),
        ({**base, "lines": [{"product": "p", "quantity": "1", "unit_price": "1",
                             "discount": "150"}]}, "lines.0.discount"),
        ({**base, "amount": "1"}, "amount"),
        ({**base, "start_date": "2027-02-01", "end_date": "2027-01-01"}, "end_date"),
        ({**base, "customer_id": str(uuid.uuid4())}, "customer_id"),
        ({**base, "currency": "rmb!"}, "currency"),
    ):
        r = await client.post("/api/v1/contracts", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in {e["field"].split("body.")[-1] for e in r.json()["errors"]}, r.text
    r = await client.put("/api/v1/approval-policy", json={"executive_thresholds": {"CNY": "x"}},
                         headers=world.auth("admin"))
    assert r.status_code == 422
    r = await client.put("/api/v1/approval-policy",
                         json={"finance_approver_id": str(world.users["rep"].id)},
                         headers=world.auth("admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "finance_approver_id"


async def test_merging_customers_moves_their_contracts(client: httpx.AsyncClient,
                                                       world: World) -> None:
    a = await customer(client, world)
    r = await client.post("/api/v1/customers", json={"name": "上海明远精密机械有限公司",
                                                     "kind": "company"},
                          headers=world.auth("rep"))
    b = r.json()["id"]
    k = await contract(client, world, SMALL, customer_id=b)
    r = await client.post(f"/api/v1/customers/{a}/merge", json={"from": [b]},
                          headers=world.auth("rep"))
    assert r.status_code == 200, r.text
    r = await client.get(f"/api/v1/contracts/{k['id']}", headers=world.auth("rep"))
    assert r.json()["customer_id"] == a


@pytest.mark.slow
async def test_an_approval_while_redis_is_down_loses_no_notification(
    settings: Settings, tmp_path: Path, container: Container, world: World,
    client: httpx.AsyncClient
) -> None:
    k = await contract(client, world, SMALL)
    await post(client, world, "rep", f"/api/v1/contracts/{k['id']}/submit")
    await drain(container)
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    redis = RedisProcess(tmp_path / "redis", port=port, persist=False).start()
    c = build(settings.model_copy(update={"redis_url": redis.url,
                                          "queue_name": f"crm:down:{uuid.uuid4().hex[:6]}"}))
    c.identity.hasher = CachingHasher(c.identity.hasher)
    try:
        redis.stop(hard=True)
        await c.contracts.decide(world.actor("manager"), uuid.UUID(k["id"]), 1, True, "ok")
        with pytest.raises(QueueUnavailable):
            await c.relay.relay_once()
        finance = world.users["finance"].id
        assert await notifications(c, finance, "approval_requested") == []
        redis = RedisProcess(tmp_path / "redis", port=port, persist=False).start()
        await drain(c)
        assert len(await notifications(c, finance, "approval_requested")) == 1
    finally:
        redis.stop()
        await c.close()


async def test_contract_rows_keep_the_computed_amount(container: Container, world: World,
                                                      client: httpx.AsyncClient) -> None:
    await contract(client, world, SMALL)
    async with container.engine.connect() as conn:
        amount = await conn.scalar(select(tables.contracts.c.amount))
    assert str(amount) == SMALL
    assert await count(container, tables.contract_steps) == 0
