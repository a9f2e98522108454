"""Contracts over HTTP on real PostgreSQL and Redis: the approval chain with its notifications,
rejection and resubmission, concurrent decisions, life after approval, reminders and
escalation with a controlled clock, the daily sweep, the report, and who may do what."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from adapters.bootstrap import Container, build
from adapters.db import tables
from adapters.embedded import RedisProcess
from adapters.settings import Settings
from domain.contracts.service import ContractService
from domain.customers.service import CustomerService
from domain.pipeline.service import OpportunityService
from domain.shared.ports import QueueUnavailable
from tests.conftest import CachingHasher, World, drain
from tests.fakes.shared import FakeClock
from tests.integration.leads_helpers import count, notifications

BIG = "1200000.00"   # at or above the default threshold: manager → finance → executive
SMALL = "80000.00"   # below: manager → finance


async def customer(client: httpx.AsyncClient, world: World, who: str = "rep") -> str:
    r = await client.post("/api/v1/customers", json={"name": "上海明远精密机械制造有限公司",
                                                     "kind": "company"},
                          headers=world.auth(who))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def contract(client: httpx.AsyncClient, world: World, amount: str = BIG,
                   who: str = "rep", customer_id: str | None = None, **over: Any
                   ) -> dict[str, Any]:
    body = {"customer_id": customer_id or await customer(client, world, who),
            "title": "2027 年度网关采购合同", "start_date": "2027-01-01",
            "end_date": "2027-12-31", "payment_terms": "30% 预付，70% 验收后",
            "lines": [{"product": "工业网关 GW-200", "quantity": "2",
                       "unit_price": str(float(amount) / 2), "discount": "0"}], **over}
    r = await client.post("/api/v1/contracts", json=body, headers=world.auth(who))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def post(client: httpx.AsyncClient, world: World, who: str, url: str,
               body: Any = None) -> httpx.Response:
    return await client.post(url, json=body, headers=world.auth(who))


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


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))  # Monday 09:00 in Shanghai


def clocked(c: Container, clock: FakeClock) -> ContractService:
    customers = CustomerService(c.uow, clock, c.customers.tier_policy)
    return ContractService(c.uow, clock, customers, OpportunityService(c.uow, clock, customers))


async def test_waiting_steps_are_reminded_then_escalated_in_working_hours(
    client: httpx.AsyncClient, world: World, container: Container, clock: FakeClock
) -> None:
    service = clocked(container, clock)
    k = await contract(client, world, SMALL)
    actor = world.actor("rep")
    await service.submit(actor, uuid.UUID(k["id"]), None)
    # HQ has no manager above East's, so the escalation goes to an admin
    clock.advance(hours=3, minutes=59)
    assert (await service.scan_approvals()).reminded == 0
    clock.advance(minutes=2)
    assert (await service.scan_approvals()).reminded == 1
    assert (await service.scan_approvals()).reminded == 0, "once per step"
    clock.current = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Mon 18:00: 9 working hours
    assert (await service.scan_approvals()).escalated == 0
    clock.current = datetime(2026, 12, 1, 5, 1, tzinfo=UTC)  # Tue 13:01: 13 working hours
    result = await service.scan_approvals()
    assert result.escalated == 1
    await drain(container)
    (reminder,) = await notifications(container, world.users["manager"].id, "approval_reminder")
    assert reminder.data["waiting_hours"] >= 4
    (esc,) = await notifications(container, world.users["admin"].id, "approval_escalated")
    assert esc.data["step"] == 1
    # the escalation target may decide in the approver's place
    r = await post(client, world, "admin", f"/api/v1/contracts/{k['id']}/approvals/1/approve")
    assert r.status_code == 200, r.text
    report = (await client.get("/api/v1/reports/approval-times?since=2026-01-01T00:00:00Z",
                               headers=world.auth("admin"))).json()
    (manager_times,) = [s for s in report["steps"] if s["role"] == "manager"]
    assert manager_times["durations"]["count"] == 1
    assert manager_times["reminded"] == 1 and manager_times["escalated"] == 1
    assert report["pending"] == {"finance": 1}


async def test_the_daily_sweep_activates_renews_and_expires_once(
    client: httpx.AsyncClient, world: World, container: Container, clock: FakeClock
) -> None:
    service = clocked(container, clock)
    k = await contract(client, world, SMALL, start_date="2026-12-01", end_date="2026-12-20")
    url = f"/api/v1/contracts/{k['id']}"
    await post(client, world, "rep", f"{url}/submit")
    await post(client, world, "manager", f"{url}/approvals/1/approve")
    await post(client, world, "finance", f"{url}/approvals/2/approve")
    assert (await post(client, world, "rep", f"{url}/sign")).status_code == 200
    result = await service.sweep()  # 2026-11-30: not started, but ends within 30 days
    assert (result.activated, result.renewals, result.expired) == (0, 1, 0)
    assert (await service.sweep()).renewals == 0, "one renewal task per contract"
    tasks = (await client.get("/api/v1/tasks?assignee=me", headers=world.auth("rep"))
             ).json()["items"]
    assert [x["title"] for x in tasks if x["origin"] == "rule"] == [
        f"Repurchase reminder: contract {k['number']} ends on 2026-12-20"]
    clock.current = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert (await service.sweep()).activated == 1
    clock.current = datetime(2026, 12, 21, 1, 0, tzinfo=UTC)
    assert (await service.sweep()).expired == 1
    assert (await service.sweep()).expired == 0
    r = await client.get(url, headers=world.auth("rep"))
    assert r.json()["status"] == "expired"
    await drain(container)
    rep = world.users["rep"].id
    assert len(await notifications(container, rep, "contract_renewal_due")) == 1
    assert len(await notifications(container, rep, "contract_expired")) == 1


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
