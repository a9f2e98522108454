"""The scheduled contract work with a controlled clock, on real PostgreSQL and Redis: reminders
and escalation in working hours with the approval-times report, and the daily sweep that
activates, asks for renewal and expires once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from adapters.bootstrap import Container
from domain.contracts.service import ContractService
from domain.customers.service import CustomerService
from domain.pipeline.service import OpportunityService
from tests.conftest import World, drain
from tests.fakes.shared import FakeClock
from tests.integration.contracts_helpers import SMALL, contract, post
from tests.integration.leads_helpers import notifications


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 30, 1, 0, tzinfo=UTC))  # Monday 09:00 in Shanghai


def clocked(c: Container, clock: FakeClock) -> ContractService:
    customers = CustomerService(c.uow, clock, c.customers.tier_policy)
    return ContractService(c.uow, clock, customers,
                           OpportunityService(c.uow, clock, customers, "en"))


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
    # The renewal task is written in the language its owner reads.
    saved = await client.put("/api/v1/me/notification-preferences", headers=world.auth("rep"),
                             json={"locale": "en"})
    assert saved.status_code == 200, saved.text
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
