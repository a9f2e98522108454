"""After approval and the clocks, over in-memory fakes: signing, the payment that wins the
deal, fulfilment and termination; reminders and escalations counted in working hours; the
daily sweep; the approval-time report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.contracts.model import ContractStatus, EventType
from domain.contracts.service import ContractService
from domain.customers.activity import TaskOrigin
from domain.pipeline.commands import OpenOpportunity
from domain.pipeline.model import OpportunityStatus
from domain.shared.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from tests.fakes.contracts import SMALL, approved, submitted
from tests.fakes.pipeline import SalesTeam


def shanghai(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A time in 2026 on a Shanghai (UTC+8) clock, the calendar's time zone."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


async def test_a_signed_contract_takes_its_payment_which_wins_the_deal(
        team: SalesTeam, contracts: ContractService) -> None:
    customer = team.customer()
    deal = await team.deals().create(team.actor("rep"),
                                     OpenOpportunity(customer_id=customer.id))
    c = await submitted(team, customer_id=customer.id, opportunity_id=deal.id)
    with pytest.raises(InvalidTransition):
        await contracts.sign(team.actor("rep"), c.id)
    c = await approved(team, c)
    c = await contracts.sign(team.actor("rep"), c.id)
    assert c.status == ContractStatus.SIGNED and c.signed_at == team.clock.now()
    (signed,) = team.events(EventType.SIGNED)
    assert signed.payload["by"] == str(team.users["rep"].id)
    with pytest.raises(PermissionDenied):
        await contracts.payment_received(team.actor("rep"), c.id)
    c = await contracts.payment_received(team.actor("finance"), c.id)
    assert (c.status, c.paid_at) == (ContractStatus.ACTIVE, team.clock.now())
    won, _ = await team.deals().get(team.actor("rep"), deal.id)
    assert (won.status, won.amount) == (OpportunityStatus.WON, SMALL)
    assert won.contract_status == ContractStatus.ACTIVE
    assert team.customers.closed == [customer.id]
    with pytest.raises(Conflict):
        await contracts.payment_received(team.actor("finance"), c.id)
    assert team.audit_actions(c.id)[-2:] == ["contract.signed", "contract.payment_received"]


async def test_an_active_contract_is_fulfilled_or_ended_early_with_a_reason(
        team: SalesTeam, contracts: ContractService) -> None:
    done = await approved(team, await submitted(team))
    await contracts.sign(team.actor("rep"), done.id)
    with pytest.raises(InvalidTransition):
        await contracts.complete(team.actor("rep"), done.id)
    await contracts.activate(team.actor("rep"), done.id)
    done = await contracts.complete(team.actor("rep"), done.id)
    assert done.status == ContractStatus.COMPLETED and done.ended_at == team.clock.now()
    ended = await approved(team, await submitted(team))
    await contracts.sign(team.actor("rep"), ended.id)
    with pytest.raises(ValidationFailed) as e:
        await contracts.terminate(team.actor("rep"), ended.id, " ")
    assert e.value.problems[0].field == "reason"
    ended = await contracts.terminate(team.actor("manager"), ended.id, "客户违约")
    assert (ended.status, ended.termination_reason) == (ContractStatus.TERMINATED, "客户违约")
    assert team.timeline(ended.customer_id)[-1].summary == f"Contract {ended.number} terminated"
    with pytest.raises(PermissionDenied):
        await contracts.terminate(team.actor("legal"), ended.id, "x")


async def test_a_waiting_step_is_reminded_after_four_working_hours_then_escalated_once(
        team: SalesTeam, contracts: ContractService) -> None:
    c = await submitted(team)  # Monday 09:00
    team.clock.advance(hours=3, minutes=59)
    assert (await contracts.scan_approvals()).reminded == 0
    team.clock.advance(minutes=2)
    assert (await contracts.scan_approvals()).reminded == 1
    assert (await contracts.scan_approvals()).reminded == 0, "once per step"
    (reminder,) = team.events(EventType.APPROVAL_REMINDED)
    assert reminder.payload["assignee_id"] == str(team.users["manager"].id)
    team.clock.current = shanghai(11, 30, 18)  # nine working hours
    assert (await contracts.scan_approvals()).escalated == 0
    team.clock.current = shanghai(12, 1, 13, 1)  # Tuesday 13:01: thirteen working hours
    assert (await contracts.scan_approvals()).escalated == 1
    assert (await contracts.scan_approvals()).escalated == 0, "once per step"
    (escalation,) = team.events(EventType.APPROVAL_ESCALATED)
    admin = team.users["admin"].id
    assert escalation.payload["escalated_to"] == str(admin), "HQ has no manager: an admin"
    assert team.audit_actions(c.id).count("contract.approval_chased") == 2
    c = await contracts.decide(team.actor("admin"), c.id, 1, True, "on the manager's behalf")
    assert c.round_steps()[0].decided_by == admin


async def test_nights_and_weekends_do_not_count_towards_a_reminder(
        team: SalesTeam, contracts: ContractService) -> None:
    team.clock.current = shanghai(11, 27, 17)  # Friday 17:00
    await submitted(team)
    team.clock.current = shanghai(11, 30, 11, 59)  # Monday: 1 + 2:59 working hours
    assert (await contracts.scan_approvals()).reminded == 0
    team.clock.current = shanghai(11, 30, 12, 1)
    assert (await contracts.scan_approvals()).reminded == 1


async def test_a_decided_step_is_neither_reminded_nor_escalated(
        team: SalesTeam, contracts: ContractService) -> None:
    c = await submitted(team)  # Monday 09:00
    team.clock.current = shanghai(11, 30, 12)
    await contracts.decide(team.actor("manager"), c.id, 1, True, None)
    team.clock.current = shanghai(11, 30, 14)  # step 1 would be due; step 2 waited 2 hours
    result = await contracts.scan_approvals()
    assert (result.reminded, result.escalated) == (0, 0)
    team.clock.current = shanghai(11, 30, 16, 1)
    assert (await contracts.scan_approvals()).reminded == 1
    (reminder,) = team.events(EventType.APPROVAL_REMINDED)
    assert reminder.payload["step"] == 2


async def test_the_daily_sweep_activates_asks_for_renewal_and_expires_each_once(
        team: SalesTeam, contracts: ContractService) -> None:
    c = await approved(team, await submitted(team, start_date=date(2026, 12, 1),
                                             end_date=date(2026, 12, 20)))
    await contracts.sign(team.actor("rep"), c.id)
    result = await contracts.sweep()  # 30 Nov: not started, ends within 30 days
    assert (result.activated, result.renewals, result.expired) == (0, 1, 0)
    assert (await contracts.sweep()).renewals == 0, "one renewal task per contract"
    (task,) = team.state.table("tasks").values()
    assert task.title == f"Repurchase reminder: contract {c.number} ends on 2026-12-20"
    assert (task.assignee_id, task.origin) == (c.owner_id, TaskOrigin.RULE)
    assert task.due_at == datetime(2026, 12, 13, 1, 0, tzinfo=UTC), "09:00 a week before"
    team.clock.current = shanghai(12, 1, 9)
    assert (await contracts.sweep()).activated == 1
    assert (await contracts.get(team.actor("rep"), c.id)).status == ContractStatus.ACTIVE
    team.clock.current = shanghai(12, 21, 9)
    assert (await contracts.sweep()).expired == 1
    assert (await contracts.sweep()).expired == 0
    assert (await contracts.get(team.actor("rep"), c.id)).status == ContractStatus.EXPIRED
    kinds = [e.type for e in team.events()]
    assert [kinds.count(k) for k in (EventType.RENEWAL_DUE, EventType.ACTIVATED,
                                     EventType.EXPIRED)] == [1, 1, 1]


async def test_the_report_tells_how_long_each_step_and_round_took(
        team: SalesTeam, contracts: ContractService) -> None:
    c = await submitted(team)
    team.clock.advance(hours=2)
    c = await contracts.decide(team.actor("manager"), c.id, 1, True, None)
    waiting = await submitted(team)
    team.clock.advance(hours=1)
    finance = team.who(c.round_steps()[1].assignee_id)
    await contracts.decide(team.actor(finance), c.id, 2, True, None)
    team.clock.advance(minutes=1)  # the report reads up to now, exclusive
    with pytest.raises(PermissionDenied):
        await contracts.approval_times(team.actor("rep"), None, None)
    with pytest.raises(ValidationFailed) as e:
        await contracts.approval_times(team.actor("manager"), team.clock.now(),
                                       team.clock.now())
    assert e.value.problems[0].field == "since"
    report = await contracts.approval_times(team.actor("executive"), None, None)
    assert [(s.role.value, s.durations.count, s.durations.max_hours, s.approved)
            for s in report.steps] == [("manager", 1, 2.0, 1), ("finance", 1, 1.0, 1)]
    assert report.rounds.count == 1 and report.rounds.avg_hours == 3.0
    assert report.rounds.avg_working_hours == 3.0 and report.rounds_within_one_day == 1.0
    assert report.pending == {"manager": 1}
    assert waiting.round_steps()[0].status.value == "pending"
