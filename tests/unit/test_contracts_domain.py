"""The Contract aggregate, its approval rounds and the policy, without any I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.contracts.calendar import WorkingCalendar
from domain.contracts.commands import ContractChanges, DraftContract
from domain.contracts.lines import LineSpec
from domain.contracts.model import Contract, ContractStatus, EventType
from domain.contracts.policy import ApprovalPolicy, parse_policy
from domain.contracts.rounds import StepPlan, StepRole, StepStatus
from domain.shared.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai
OWNER, MANAGER, FINANCE, EXEC = (uuid.uuid4() for _ in range(4))


def draft(amount: str = "1000000.00", **over: Any) -> Contract:
    """Lines as a client would write them (strings), checked by the aggregate."""
    data = {"title": "年度网关采购合同", "start_date": date(2027, 1, 1),
            "end_date": date(2027, 12, 31),
            "lines": [{"product": "GW-200", "quantity": "1", "unit_price": amount}], **over}
    data["lines"] = tuple(LineSpec(**line) for line in data["lines"])
    return Contract.draft(number="HT202611000001", customer_name="上海明远精密机械制造有限公司",
                          owner_id=OWNER, owner_department_id=None, by=OWNER,
                          details=DraftContract(customer_id=uuid.uuid4(), **data))


def chain(*roles: StepRole) -> list[StepPlan]:
    people = {StepRole.MANAGER: MANAGER, StepRole.FINANCE: FINANCE, StepRole.EXECUTIVE: EXEC}
    return [StepPlan(r, people[r]) for r in roles]


FULL = (StepRole.MANAGER, StepRole.FINANCE, StepRole.EXECUTIVE)


def submitted(amount: str = "1000000.00") -> Contract:
    c = draft(amount)
    c.submit(chain(*FULL), NOW, OWNER)
    return c


def test_the_amount_is_computed_from_the_lines_with_discounts() -> None:
    c = draft(lines=[{"product": "GW-200", "quantity": "3", "unit_price": "1999.99",
                      "discount": "10"},
                     {"product": "安装服务", "quantity": "1.5", "unit_price": "800",
                      "discount": "0"}])
    assert [line.total for line in c.lines] == [Decimal("5399.97"), Decimal("1200.00")]
    assert c.amount == Decimal("6599.97")


@pytest.mark.parametrize("line, field", [
    ({"product": "", "quantity": "1", "unit_price": "1"}, "lines.0.product"),
    ({"product": "x", "quantity": "0", "unit_price": "1"}, "lines.0.quantity"),
    ({"product": "x", "quantity": "1", "unit_price": "-1"}, "lines.0.unit_price"),
    ({"product": "x", "quantity": "1", "unit_price": "1.001"}, "lines.0.unit_price"),
    ({"product": "x", "quantity": "1", "unit_price": "1", "discount": "101"}, "lines.0.discount"),
    ({"product": "x", "quantity": "abc", "unit_price": "1"}, "lines.0.quantity"),
])
def test_a_bad_line_is_refused_naming_its_field(line: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        draft(lines=[line])
    assert e.value.problems[0].field == field


def test_dates_must_be_in_order_and_present_to_submit() -> None:
    with pytest.raises(ValidationFailed, match="end_date"):
        draft(start_date=date(2027, 1, 2), end_date=date(2027, 1, 1))
    c = draft(end_date=None)
    with pytest.raises(ValidationFailed, match="end_date"):
        c.submit(chain(*FULL), NOW, OWNER)


@pytest.mark.parametrize("amount, executive", [
    ("999999.99", False), ("1000000.00", True), ("1000000.01", True)])
def test_the_executive_step_comes_at_or_above_the_threshold(amount: str, executive: bool
                                                            ) -> None:
    roles = ApprovalPolicy().roles_for(Decimal(amount), "CNY")
    assert roles == [StepRole.MANAGER, StepRole.FINANCE] + (
        [StepRole.EXECUTIVE] if executive else [])


def test_a_currency_without_a_threshold_always_goes_to_an_executive() -> None:
    assert StepRole.EXECUTIVE in ApprovalPolicy().roles_for(Decimal("10"), "USD")
    policy = parse_policy({"executive_thresholds": {"USD": "150000"}})
    assert StepRole.EXECUTIVE not in policy.roles_for(Decimal("10"), "USD")


def test_approval_walks_the_chain_step_by_step() -> None:
    c = submitted()
    assert c.status == ContractStatus.IN_APPROVAL and c.round == 1
    assert [s.status for s in c.round_steps()] == [StepStatus.PENDING, StepStatus.WAITING,
                                                    StepStatus.WAITING]
    nxt = c.approve(1, MANAGER, "ok", NOW + timedelta(hours=1))
    assert nxt is not None and nxt.role == StepRole.FINANCE and nxt.started_at is not None
    nxt = c.approve(2, FINANCE, None, NOW + timedelta(hours=2))
    assert nxt is not None and nxt.role == StepRole.EXECUTIVE
    assert c.approve(3, EXEC, None, NOW + timedelta(hours=3)) is None
    assert c.status == ContractStatus.APPROVED and c.approved_at == NOW + timedelta(hours=3)
    kinds = [e.type for e in c.events]
    assert kinds == [EventType.CREATED, EventType.SUBMITTED, EventType.STEP_APPROVED,
                     EventType.STEP_APPROVED, EventType.APPROVED]
    assert c.events[1].payload["next_assignee_id"] == str(MANAGER)
    assert c.events[2].payload["next_assignee_id"] == str(FINANCE)


def test_nobody_approves_their_own_contract_or_twice() -> None:
    with pytest.raises(ValidationFailed, match="none of them the owner"):
        draft().submit([StepPlan(StepRole.MANAGER, OWNER)], NOW, OWNER)
    c = submitted()
    with pytest.raises(PermissionDenied, match="own"):
        c.approve(1, OWNER, None, NOW)
    with pytest.raises(PermissionDenied, match="not yours"):
        c.approve(1, FINANCE, None, NOW)
    c.approve(1, MANAGER, None, NOW)
    step2 = c.current_step()
    assert step2 is not None
    step2.escalated_to = MANAGER  # even when escalated to them, the manager approved already
    with pytest.raises(PermissionDenied, match="already approved"):
        c.approve(2, MANAGER, None, NOW)


def test_a_decided_step_cannot_be_decided_again() -> None:
    c = submitted()
    c.approve(1, MANAGER, None, NOW)
    with pytest.raises(Conflict, match="already decided"):
        c.approve(1, MANAGER, None, NOW)
    with pytest.raises(Conflict, match="not open yet"):
        c.approve(3, EXEC, None, NOW)


def test_reject_needs_a_comment_then_edit_and_resubmit_starts_a_new_round() -> None:
    c = submitted()
    c.approve(1, MANAGER, None, NOW)
    with pytest.raises(ValidationFailed, match="comment"):
        c.reject(2, FINANCE, "  ", NOW)
    c.reject(2, FINANCE, "付款条件需改为 30/70", NOW + timedelta(hours=1))
    assert c.status == ContractStatus.REJECTED
    assert [s.status for s in c.round_steps()] == [StepStatus.APPROVED, StepStatus.REJECTED,
                                                    StepStatus.CANCELLED]
    with pytest.raises(InvalidTransition):
        c.submit(chain(*FULL), NOW, OWNER)  # edit first
    c.revise(ContractChanges(payment_terms="30% 预付，70% 验收后"))
    assert c.status == ContractStatus.DRAFT
    c.submit(chain(*FULL), NOW + timedelta(days=1), OWNER)
    assert c.round == 2 and len(c.steps) == 6
    assert c.round_steps()[0].status == StepStatus.PENDING
    assert [s.comment for s in c.steps if s.round == 1][1] == "付款条件需改为 30/70"


def test_only_drafts_are_edited_or_deleted() -> None:
    c = submitted()
    with pytest.raises(InvalidTransition):
        c.revise(ContractChanges(title="new"))
    with pytest.raises(InvalidTransition):
        c.delete(NOW)


def test_life_after_approval() -> None:
    c = submitted("5000.00")
    with pytest.raises(InvalidTransition):
        c.sign(NOW, OWNER)
    for i, who in enumerate((MANAGER, FINANCE, EXEC), start=1):
        c.approve(i, who, None, NOW)
    with pytest.raises(InvalidTransition):
        c.record_payment(NOW)
    c.sign(NOW, OWNER)
    c.record_payment(NOW)
    assert c.status == ContractStatus.ACTIVE and c.paid_at == NOW
    with pytest.raises(Conflict):
        c.record_payment(NOW)
    with pytest.raises(ValidationFailed, match="reason"):
        c.terminate("", NOW)
    c.complete(NOW)
    assert c.status == ContractStatus.COMPLETED
    with pytest.raises(InvalidTransition):
        c.terminate("客户违约", NOW)


def test_expiry_and_renewal_windows() -> None:
    c = submitted("5000.00")
    for i, who in enumerate((MANAGER, FINANCE, EXEC), start=1):
        c.approve(i, who, None, NOW)
    c.sign(NOW, OWNER)
    assert not c.renewal_due(date(2027, 11, 30), 30)
    assert c.renewal_due(date(2027, 12, 1), 30)
    c.mark_renewal(uuid.uuid4())
    assert not c.renewal_due(date(2027, 12, 2), 30), "one renewal task per contract"
    assert not c.expire(date(2027, 12, 31), NOW)
    assert c.expire(date(2028, 1, 1), NOW) and c.status == ContractStatus.EXPIRED


def test_reminder_and_escalation_happen_once() -> None:
    c = submitted()
    step = c.current_step()
    assert step is not None
    c.remind(step, NOW, 4 * 3600)
    c.remind(step, NOW, 5 * 3600)
    c.escalate(step, OWNER, NOW, 13 * 3600)  # never the owner
    c.escalate(step, MANAGER, NOW, 14 * 3600)
    kinds = [e.type for e in c.events]
    assert kinds.count(EventType.APPROVAL_REMINDED) == 1
    assert kinds.count(EventType.APPROVAL_ESCALATED) == 1
    assert step.escalated_to is None and step.escalated_at == NOW


def test_working_hours_skip_nights_and_weekends() -> None:
    cal = WorkingCalendar()  # 09:00-18:00 Monday to Friday, Shanghai
    fri_5pm = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    mon_10am = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    assert cal.working_seconds(fri_5pm, mon_10am) == 2 * 3600
    assert cal.add(fri_5pm, 4 * 3600) == datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # Mon 12:00
    assert cal.working_seconds(mon_10am, fri_5pm) == 0
    assert cal.hours_per_day == 9


def test_a_policy_document_is_validated_field_by_field() -> None:
    for doc, field in (({"remind_after_hours": 0}, "remind_after_hours"),
                       ({"executive_thresholds": {"rmb": "1"}}, "executive_thresholds.rmb"),
                       ({"renewal_days_before": 0}, "renewal_days_before"),
                       ({"calendar": {"timezone": "Mars/Olympus"}}, "calendar.timezone"),
                       ({"calendar": {"start": "18:00", "end": "09:00"}}, "calendar.end")):
        with pytest.raises(ValidationFailed) as e:
            parse_policy(doc)
        assert e.value.problems[0].field == field
    policy = parse_policy({})
    assert policy.executive_thresholds == {"CNY": Decimal("1000000.00")}
    assert policy.escalate_after_seconds == 13 * 3600
