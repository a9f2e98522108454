"""The approval chain over in-memory fakes: the chain the policy and the amount choose,
deciding each step in turn, rejection and a second round, the inbox, and the policy."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from domain.contracts.commands import ContractChanges, PolicySettings, UpdateContract
from domain.contracts.model import ContractStatus, EventType
from domain.contracts.rounds import StepRole, StepStatus
from domain.contracts.service import ContractService
from domain.shared.authz import Actor, Principal, Scope
from domain.shared.errors import (
    Conflict,
    HiddenRecord,
    InvalidTransition,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from domain.shared.paging import PageRequest
from tests.fakes.contracts import BIG, SMALL, approved, drafted, submitted
from tests.fakes.pipeline import SalesTeam


def chain_of(team: SalesTeam, c) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(s.role.value, team.who(s.assignee_id), s.status.value) for s in c.round_steps()]


def approver(team: SalesTeam, c, step: int) -> str:  # type: ignore[no-untyped-def]
    """Who the step waits on (of the two finance people, the policy picks one)."""
    return team.who(c.round_steps()[step - 1].assignee_id)


async def test_below_the_threshold_the_manager_then_finance_approve(
        team: SalesTeam, contracts: ContractService) -> None:
    c = await submitted(team, amount=SMALL)
    assert c.status == ContractStatus.IN_APPROVAL and c.round == 1
    assert chain_of(team, c) == [("manager", "manager", "pending"),
                                 ("finance", approver(team, c, 2), "waiting")]
    assert approver(team, c, 2) in ("finance", "finance2")
    (event,) = team.events(EventType.SUBMITTED)
    assert event.payload["next_assignee_id"] == str(team.users["manager"].id)
    assert team.timeline(c.customer_id)[-1].summary.endswith(
        "submitted for approval (Sales manager → Finance)")
    assert team.audit_actions(c.id) == ["contract.created", "contract.submitted"]


async def test_at_the_threshold_or_in_a_currency_without_one_an_executive_approves_too(
        team: SalesTeam) -> None:
    big = await submitted(team, amount=BIG)
    assert [s.role for s in big.round_steps()] == [StepRole.MANAGER, StepRole.FINANCE,
                                                    StepRole.EXECUTIVE]
    dollars = await submitted(team, amount=Decimal("10.00"), currency="USD")
    assert [s.role for s in dollars.round_steps()][-1] == StepRole.EXECUTIVE


async def test_finance_steps_go_to_the_named_approver_else_the_least_loaded(
        team: SalesTeam, contracts: ContractService) -> None:
    first = await submitted(team)
    await contracts.decide(team.actor("manager"), first.id, 1, True, None)
    busy = team.who(first.round_steps()[1].assignee_id)
    second = await submitted(team)
    assert team.who(second.round_steps()[1].assignee_id) != busy, "the one with less waiting"
    await contracts.set_policy(team.actor("admin"), PolicySettings(
        finance_approver_id=team.users[busy].id), None)
    third = await submitted(team)
    assert team.who(third.round_steps()[1].assignee_id) == busy


async def test_a_managers_own_contract_goes_to_the_manager_above_else_an_admin(
        team: SalesTeam, contracts: ContractService) -> None:
    c = await submitted(team, "manager")
    assert chain_of(team, c)[0] == ("manager", "admin", "pending")
    with pytest.raises(PermissionDenied, match="own"):
        await contracts.decide(team.actor("manager"), c.id, 1, True, None)


async def test_submitting_needs_dates_and_someone_to_approve(
        team: SalesTeam, contracts: ContractService) -> None:
    c = await drafted(team, start_date=None)
    with pytest.raises(ValidationFailed) as e:
        await contracts.submit(team.actor("rep"), c.id, None)
    assert e.value.problems[0].field == "start_date"
    for who in ("finance", "finance2"):
        team.users[who].role = team.users["legal"].role
    c = await drafted(team)
    with pytest.raises(ValidationFailed) as e:
        await contracts.submit(team.actor("rep"), c.id, None)
    assert e.value.problems[0].field == "approval"
    assert (await contracts.get(team.actor("rep"), c.id)).status == ContractStatus.DRAFT


async def test_each_step_is_decided_in_turn_by_its_approver_only(
        team: SalesTeam, contracts: ContractService) -> None:
    c = await submitted(team, amount=BIG)
    decide, finance = contracts.decide, approver(team, c, 2)
    with pytest.raises(PermissionDenied, match="not yours"):
        await decide(team.actor(finance), c.id, 1, True, None)
    with pytest.raises(Conflict, match="not open yet"):
        await decide(team.actor(finance), c.id, 2, True, None)
    with pytest.raises(PermissionDenied):
        await decide(team.actor("rep"), c.id, 1, True, None)
    with pytest.raises(ValidationFailed) as e:
        await decide(team.actor("manager"), c.id, 4, True, None)
    assert e.value.problems[0].field == "step"
    c = await decide(team.actor("manager"), c.id, 1, True, "ok from manager")
    assert chain_of(team, c)[:2] == [("manager", "manager", "approved"),
                                     ("finance", finance, "pending")]
    with pytest.raises(Conflict, match="already decided"):
        await decide(team.actor("manager"), c.id, 1, False, "changed my mind")
    c = await decide(team.actor(finance), c.id, 2, True, None)
    c = await decide(team.actor("executive"), c.id, 3, True, None)
    assert c.status == ContractStatus.APPROVED and c.approved_at == team.clock.now()
    assert [e.type for e in team.events()][-3:] == [
        EventType.STEP_APPROVED, EventType.STEP_APPROVED, EventType.APPROVED]
    assert team.audit_actions(c.id).count("contract.step_approved") == 3
    with pytest.raises(Conflict, match="nothing to decide"):
        await decide(team.actor("executive"), c.id, 3, True, None)


async def test_a_rejection_needs_a_reason_and_an_edit_opens_a_second_round(
        team: SalesTeam, contracts: ContractService) -> None:
    c = await submitted(team)
    finance = approver(team, c, 2)
    await contracts.decide(team.actor("manager"), c.id, 1, True, None)
    with pytest.raises(ValidationFailed) as e:
        await contracts.decide(team.actor(finance), c.id, 2, False, "  ")
    assert e.value.problems[0].field == "comment"
    c = await contracts.decide(team.actor(finance), c.id, 2, False, "付款条件需改为 30/70")
    assert c.status == ContractStatus.REJECTED
    (rejected,) = team.events(EventType.REJECTED)
    assert rejected.payload["comment"] == "付款条件需改为 30/70"
    with pytest.raises(InvalidTransition):
        await contracts.submit(team.actor("rep"), c.id, None)
    c = await contracts.update(team.actor("rep"), c.id, UpdateContract(
        changes=ContractChanges(payment_terms="30/70")), c.version)
    assert c.status == ContractStatus.DRAFT
    c = await contracts.submit(team.actor("rep"), c.id, c.version)
    assert c.round == 2 and [s.status for s in c.round_steps()] == [StepStatus.PENDING,
                                                                    StepStatus.WAITING]
    assert [s.comment for s in c.steps if s.round == 1] == [None, "付款条件需改为 30/70"]


async def test_people_decide_approvals_not_integrations(team: SalesTeam,
                                                      contracts: ContractService) -> None:
    c = await submitted(team)
    robot = Actor(Principal(kind="api_key", id=uuid.uuid4(), label="api-key:erp",
                            scopes=frozenset(Scope)))
    with pytest.raises(PermissionDenied, match="people"):
        await contracts.decide(robot, c.id, 1, True, None)
    with pytest.raises(PermissionDenied):
        await contracts.decide(team.actor("legal"), c.id, 1, True, None)


async def test_another_teams_contract_is_out_of_sight_even_to_approve(
        team: SalesTeam, contracts: ContractService) -> None:
    c = await submitted(team)
    with pytest.raises(HiddenRecord):
        await contracts.decide(team.actor("north_manager"), c.id, 1, True, None)
    with pytest.raises(StaleVersion):
        await contracts.submit(team.actor("rep"), (await drafted(team)).id, 99)


async def test_the_inbox_shows_each_approver_their_steps_and_overseers_all(
        team: SalesTeam, contracts: ContractService) -> None:
    c = await submitted(team)
    other = await submitted(team, "north_rep")
    inbox = await contracts.inbox(team.actor("manager"), team.users["manager"].id,
                                  PageRequest())
    assert [(i.contract_id, i.step) for i in inbox.items] == [(c.id, 1)]
    assert inbox.items[0].customer_name == c.customer_name
    finance = approver(team, c, 2)
    assert (await contracts.inbox(team.actor(finance), team.users[finance].id,
                                  PageRequest())).items == [], "step 2 is not open yet"
    with pytest.raises(PermissionDenied):
        await contracts.inbox(team.actor("manager"), None, PageRequest())
    with pytest.raises(PermissionDenied):
        await contracts.inbox(team.actor("rep"), team.users["manager"].id, PageRequest())
    everyone = await contracts.inbox(team.actor("executive"), None, PageRequest())
    assert {i.contract_id for i in everyone.items} == {c.id, other.id}


async def test_admins_set_the_policy_and_a_named_approver_must_fit_the_step(
        team: SalesTeam, contracts: ContractService) -> None:
    admin = team.actor("admin")
    with pytest.raises(PermissionDenied):
        await contracts.set_policy(team.actor("manager"), PolicySettings(), None)
    with pytest.raises(ValidationFailed) as e:
        await contracts.set_policy(admin, PolicySettings(
            finance_approver_id=team.users["rep"].id), None)
    assert e.value.problems[0].field == "finance_approver_id"
    with pytest.raises(ValidationFailed) as e:
        await contracts.set_policy(admin, PolicySettings(
            executive_thresholds={"rmb": Decimal("1")}), None)
    assert e.value.problems[0].field == "executive_thresholds.rmb"
    saved = await contracts.set_policy(admin, PolicySettings(
        executive_thresholds={"CNY": Decimal("50000")}, remind_after_hours=2), 0)
    assert saved.version == 1 and saved.remind_after_hours == 2
    assert (await contracts.policy(team.actor("legal"))) == saved
    with pytest.raises(StaleVersion):
        await contracts.set_policy(admin, PolicySettings(), 0)
    assert team.audit_actions("approval_policy") == ["approval_policy.updated"]
    c = await submitted(team, amount=SMALL)
    assert [s.role for s in c.round_steps()][-1] == StepRole.EXECUTIVE, "80000 ≥ 50000 now"


async def test_an_approved_contract_marks_its_deal_ready_to_sign(
        team: SalesTeam, contracts: ContractService) -> None:
    from domain.pipeline.commands import OpenOpportunity

    customer = team.customer()
    deal = await team.deals().create(team.actor("rep"),
                                     OpenOpportunity(customer_id=customer.id))
    c = await submitted(team, customer_id=customer.id, opportunity_id=deal.id)
    c = await approved(team, c)
    linked, _ = await team.deals().get(team.actor("rep"), deal.id)
    assert (linked.contract_status, linked.contract_reference) == (ContractStatus.APPROVED,
                                                                   c.number)
