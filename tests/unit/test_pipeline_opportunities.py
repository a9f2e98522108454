"""The opportunity use cases over in-memory fakes: opening deals, moving them through stages
with their requirements, winning and losing, history, the board, reassignment, and who sees
which deal."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from domain.customers.model import Customer
from domain.pipeline.commands import (
    NewOpportunity,
    OpenOpportunity,
    OpportunityChanges,
    UpdateOpportunity,
)
from domain.pipeline.model import EventType, Opportunity, OpportunityStatus
from domain.pipeline.queries import OpportunityFilter
from domain.pipeline.service import OpportunityService
from domain.pipeline.stages import Pipeline
from domain.shared.authz import Actor, Principal, Scope
from domain.shared.errors import (
    HiddenRecord,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from domain.shared.paging import PageRequest, Sort
from tests.fakes.pipeline import SalesTeam


async def standard(team: SalesTeam, deals: OpportunityService) -> Pipeline:
    (p,) = await deals.list_pipelines(team.actor("admin"))
    return p


async def open_deal(team: SalesTeam, deals: OpportunityService, who: str = "rep",
                    customer: Customer | None = None, **fields: object) -> Opportunity:
    customer = customer or team.customer(who)
    return await deals.create(team.actor(who), OpenOpportunity(customer_id=customer.id,
                                                               **fields))  # type: ignore[arg-type]


async def move(team: SalesTeam, deals: OpportunityService, o: Opportunity, stage: str,
               who: str = "rep", changes: OpportunityChanges | None = None,
               lost_reason: str | None = None) -> Opportunity:
    p = await standard(team, deals)
    moved, _ = await deals.update(team.actor(who), o.id, UpdateOpportunity(
        changes=changes or OpportunityChanges(), stage_id=p.stage_by_key(stage).id,
        lost_reason=lost_reason), None)
    return moved


def fields_of(e: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {p.field for p in e.value.problems}


QUOTED = OpportunityChanges(amount=Decimal("1250000.00"), quote_reference="Q-2026-118")


async def test_a_new_deal_opens_in_the_first_stage_of_the_default_pipeline(
        team: SalesTeam, deals: OpportunityService) -> None:
    customer = team.customer()
    o = await open_deal(team, deals, customer=customer, name="二期产线改造")
    p = await standard(team, deals)
    assert (o.pipeline_id, o.stage_id, o.probability) == (p.id, p.first_stage.id, 10)
    assert o.number == "O202611000001" and o.name == "二期产线改造"
    assert (o.owner_id, o.owner_department_id) == (team.users["rep"].id,
                                                   team.departments["east"].id)
    (created,) = team.events(EventType.CREATED)
    assert created.payload["stage"] == "initial_contact"
    assert [e.summary for e in team.timeline(customer.id)] == [
        "Opportunity O202611000001 opened in Initial contact"]
    assert team.audit_actions(o.id) == ["opportunity.created"]
    unnamed = await open_deal(team, deals, customer=customer)
    assert unnamed.name == customer.name and unnamed.number == "O202611000002"


async def test_starting_further_along_needs_the_requirements_of_the_stages_skipped(
        team: SalesTeam, deals: OpportunityService) -> None:
    p = await standard(team, deals)
    with pytest.raises(ValidationFailed) as e:
        await open_deal(team, deals, stage_id=p.stage_by_key("proposal").id)
    assert fields_of(e) == {"amount", "quote_reference"}
    assert team.events() == [] and "opportunity.created" not in team.audit_actions()
    o = await open_deal(team, deals, stage_id=p.stage_by_key("proposal").id,
                        amount=Decimal("5000.00"), quote_reference="Q-1")
    assert o.probability == 50 and o.weighted_amount == Decimal("2500.00")
    with pytest.raises(ValidationFailed) as e:
        await open_deal(team, deals, stage_id=p.stage_by_key("won").id)
    assert fields_of(e) == {"stage_id"}


async def test_a_customer_out_of_sight_is_404_and_an_unknown_one_names_customer_id(
        team: SalesTeam, deals: OpportunityService) -> None:
    with pytest.raises(HiddenRecord):
        await open_deal(team, deals, customer=team.customer("north_rep"))
    with pytest.raises(ValidationFailed) as e:
        await deals.create(team.actor("rep"), OpenOpportunity(customer_id=uuid.uuid4()))
    assert fields_of(e) == {"customer_id"}


async def test_a_rep_opens_deals_for_themself_and_a_manager_for_their_team(
        team: SalesTeam, deals: OpportunityService) -> None:
    customer = team.customer()
    with pytest.raises(PermissionDenied):
        await open_deal(team, deals, customer=customer, owner_id=team.users["rep2"].id)
    with pytest.raises(ValidationFailed) as e:
        await open_deal(team, deals, "manager", customer=customer,
                        owner_id=team.users["north_rep"].id)
    assert fields_of(e) == {"owner_id"}
    o = await open_deal(team, deals, "manager", customer=customer,
                        owner_id=team.users["rep2"].id)
    assert o.owner_id == team.users["rep2"].id


async def test_bad_fields_are_refused_naming_them(team: SalesTeam,
                                                  deals: OpportunityService) -> None:
    for fields, field in (({"amount": Decimal("1.001")}, "amount"),
                          ({"amount": Decimal("-1")}, "amount"),
                          ({"currency": "R1B"}, "currency"),
                          ({"quote_reference": "Q" * 101}, "quote_reference")):
        with pytest.raises(ValidationFailed) as e:
            await open_deal(team, deals, **fields)
        assert fields_of(e) == {field}
    o = await open_deal(team, deals)
    with pytest.raises(ValidationFailed) as e:
        await deals.update(team.actor("rep"), o.id, UpdateOpportunity(
            changes=OpportunityChanges(name="  ")), None)
    assert fields_of(e) == {"name"}


async def test_a_move_checks_the_stage_requirements_after_the_same_calls_edits(
        team: SalesTeam, deals: OpportunityService) -> None:
    o = await open_deal(team, deals)
    with pytest.raises(ValidationFailed) as e:
        await move(team, deals, o, "proposal")
    assert fields_of(e) == {"amount", "quote_reference"}
    moved = await move(team, deals, o, "proposal", changes=QUOTED)
    assert moved.probability == 50 and moved.weighted_amount == Decimal("625000.00")
    assert moved.version == o.version + 2, "one edit, one move"
    (changed,) = team.events(EventType.STAGE_CHANGED)
    assert (changed.payload["from"], changed.payload["to"]) == ("initial_contact", "proposal")
    assert team.timeline(o.customer_id)[-1].summary == (
        f"Opportunity {o.number}: Initial contact → Proposal/quote")
    assert team.audit_actions(o.id) == ["opportunity.created", "opportunity.updated"]


async def test_skipping_stages_does_not_skip_their_requirements(
        team: SalesTeam, deals: OpportunityService) -> None:
    o = await open_deal(team, deals)
    with pytest.raises(ValidationFailed) as e:
        await move(team, deals, o, "contract_signing")
    assert fields_of(e) == {"amount", "quote_reference", "contract_status"}
    with pytest.raises(ValidationFailed) as e:
        await move(team, deals, o, "contract_signing", changes=OpportunityChanges(
            amount=Decimal("1.00"), quote_reference="Q", contract_status="draft"))
    assert fields_of(e) == {"contract_status"}, "a draft contract is not in approval"
    moved = await move(team, deals, o, "contract_signing", changes=OpportunityChanges(
        amount=Decimal("1.00"), quote_reference="Q", contract_status="in_approval"))
    assert moved.probability == 80


async def test_winning_closes_a_deal_losing_needs_a_reason_and_reopening_opens_it(
        team: SalesTeam, deals: OpportunityService) -> None:
    o = await open_deal(team, deals, amount=Decimal("10.00"), quote_reference="Q",
                        contract_status="approved")
    team.clock.advance(days=3)
    won = await move(team, deals, o, "won")
    assert won.status == OpportunityStatus.WON and won.closed_at == team.clock.now()
    with pytest.raises(ValidationFailed) as e:
        await move(team, deals, o, "lost")
    assert fields_of(e) == {"lost_reason"}
    with pytest.raises(ValidationFailed) as e:
        await deals.update(team.actor("rep"), o.id, UpdateOpportunity(lost_reason="x"), None)
    assert fields_of(e) == {"lost_reason"}, "a reason goes with a move to lost"
    lost = await move(team, deals, o, "lost", lost_reason="chose a competitor")
    assert (lost.status, lost.lost_reason, lost.probability) == (
        OpportunityStatus.LOST, "chose a competitor", 0)
    assert team.timeline(o.customer_id)[-1].summary.endswith("(chose a competitor)")
    reopened = await move(team, deals, o, "needs_analysis")
    assert reopened.status == OpportunityStatus.OPEN
    assert reopened.closed_at is None and reopened.lost_reason is None


async def test_history_lists_each_stage_visit_with_who_and_how_long(
        team: SalesTeam, deals: OpportunityService) -> None:
    o = await open_deal(team, deals)
    team.clock.advance(hours=5)
    await move(team, deals, o, "needs_analysis")
    team.clock.advance(hours=1)
    await move(team, deals, o, "proposal", "manager", changes=QUOTED)
    visits = await deals.history(team.actor("rep"), o.id)
    assert [v.stage_name for v in visits] == ["Initial contact", "Needs analysis",
                                              "Proposal/quote"]
    assert visits[0].duration_seconds(team.clock.now()) == 5 * 3600
    assert visits[1].left_by == team.users["manager"].id
    assert visits[1].entered_by_label == team.users["rep"].name  # a name, not an e-mail
    assert visits[2].left_at is None
    with pytest.raises(HiddenRecord):
        await deals.history(team.actor("north_rep"), o.id)


async def test_the_board_counts_and_sums_each_stage_per_currency_weighted(
        team: SalesTeam, deals: OpportunityService) -> None:
    p = await standard(team, deals)
    customer = team.customer()
    for amount in ("100.00", "200.00", "300.50"):
        await open_deal(team, deals, customer=customer, amount=Decimal(amount))
    await open_deal(team, deals, customer=customer, amount=Decimal("1000.00"), currency="USD")
    await open_deal(team, deals, customer=customer)
    await open_deal(team, deals, customer=customer, amount=Decimal("5000.00"),
                    quote_reference="Q", stage_id=p.stage_by_key("proposal").id)
    await open_deal(team, deals, "north_rep", amount=Decimal("7.00"))
    board = await deals.board(team.actor("admin"), OpportunityFilter(), 2)
    columns = {p.stages[i].key: c for i, c in enumerate(board.columns)}
    first = columns["initial_contact"]
    assert first.count == 6 and len(first.cards) == 2 and first.next_cursor
    assert [(m.currency, m.amount, m.weighted) for m in first.totals] == [
        ("CNY", Decimal("607.50"), Decimal("60.75")),
        ("USD", Decimal("1000.00"), Decimal("100.00"))]
    assert [(m.amount, m.weighted) for m in columns["proposal"].totals] == [
        (Decimal("5000.00"), Decimal("2500.00"))]
    assert (columns["won"].count, columns["won"].cards) == (0, [])
    mine = await deals.board(team.actor("north_rep"), OpportunityFilter(), 20)
    assert [c.count for c in mine.columns] == [1, 0, 0, 0, 0, 0], "a rep's own deals only"
    with pytest.raises(ValidationFailed) as e:
        await deals.board(team.actor("admin"), OpportunityFilter(), 51)
    assert fields_of(e) == {"limit"}


async def test_the_list_shows_each_caller_what_they_may_see_in_the_order_asked(
        team: SalesTeam, deals: OpportunityService) -> None:
    for amount in ("5.00", "500.00", "50.00"):
        await open_deal(team, deals, amount=Decimal(amount))
    await open_deal(team, deals, "north_rep")
    by_amount = OpportunityFilter(sort=Sort("amount", descending=True))
    mine = await deals.list(team.actor("rep"), by_amount, PageRequest(limit=10))
    assert [o.amount for o in mine.items] == [Decimal("500.00"), Decimal("50.00"),
                                              Decimal("5.00")]
    everyone = await deals.list(team.actor("executive"), OpportunityFilter(),
                                PageRequest(limit=3))
    assert len(everyone.items) == 3 and everyone.next_cursor is not None
    with pytest.raises(PermissionDenied):
        await deals.list(team.actor("legal"), OpportunityFilter(), PageRequest())


async def test_team_leads_reassign_deals_within_their_team(
        team: SalesTeam, deals: OpportunityService) -> None:
    o = await open_deal(team, deals)
    to_rep2 = UpdateOpportunity(owner_id=team.users["rep2"].id)
    with pytest.raises(PermissionDenied):
        await deals.update(team.actor("rep"), o.id, to_rep2, None)
    with pytest.raises(ValidationFailed) as e:
        await deals.update(team.actor("manager"), o.id,
                           UpdateOpportunity(owner_id=team.users["north_rep"].id), None)
    assert fields_of(e) == {"owner_id"}
    moved, _ = await deals.update(team.actor("manager"), o.id, to_rep2, None)
    assert moved.owner_id == team.users["rep2"].id
    (event,) = team.events(EventType.REASSIGNED)
    assert event.payload["to_owner_id"] == str(team.users["rep2"].id)
    assert team.timeline(o.customer_id)[-1].kind == "owner_changed"
    with pytest.raises(HiddenRecord):
        await deals.get(team.actor("rep"), o.id)


async def test_a_deal_out_of_sight_answers_as_if_it_did_not_exist(
        team: SalesTeam, deals: OpportunityService) -> None:
    o = await open_deal(team, deals)
    for who in ("north_rep", "north_manager"):
        with pytest.raises(HiddenRecord):
            await deals.get(team.actor(who), o.id)
        with pytest.raises(HiddenRecord):
            await deals.update(team.actor(who), o.id, UpdateOpportunity(
                changes=OpportunityChanges(name="mine now")), None)
    with pytest.raises(NotFound) as e:
        await deals.get(team.actor("rep"), uuid.uuid4())
    assert not isinstance(e.value, HiddenRecord)
    for who in ("manager", "finance", "executive", "admin"):
        found, _ = await deals.get(team.actor(who), o.id)
        assert found.name == o.name


async def test_readers_of_deals_may_not_edit_them(team: SalesTeam,
                                                  deals: OpportunityService) -> None:
    o = await open_deal(team, deals)
    with pytest.raises(PermissionDenied):
        await deals.update(team.actor("finance"), o.id, UpdateOpportunity(
            changes=OpportunityChanges(name="x")), None)
    with pytest.raises(PermissionDenied):
        await open_deal(team, deals, "executive", customer=team.customer())


async def test_a_stale_edit_is_refused_and_changes_nothing(
        team: SalesTeam, deals: OpportunityService) -> None:
    o = await open_deal(team, deals)
    rename = UpdateOpportunity(changes=OpportunityChanges(name="renamed"))
    await deals.update(team.actor("rep"), o.id, rename, o.version)
    with pytest.raises(StaleVersion):
        await deals.update(team.actor("rep"), o.id, UpdateOpportunity(
            changes=OpportunityChanges(amount=None, name="again")), o.version)
    current, _ = await deals.get(team.actor("rep"), o.id)
    assert (current.name, current.version) == ("renamed", o.version + 1)


async def test_a_paid_contract_wins_its_deal_from_any_open_stage(
        team: SalesTeam, deals: OpportunityService) -> None:
    o = await open_deal(team, deals)
    await move(team, deals, o, "needs_analysis")
    async with team.uow() as uow:
        await deals.win_by_payment(uow, team.actor("finance"), o.id, Decimal("80000.00"),
                                   "CNY")
        await uow.commit()
    won, p = await deals.get(team.actor("rep"), o.id)
    assert won.status == OpportunityStatus.WON and won.stage_id == p.stage_by_key("won").id
    assert won.amount == Decimal("80000.00")
    assert team.timeline(o.customer_id)[-1].summary.endswith("(contract paid)")
    async with team.uow() as uow:
        await deals.win_by_payment(uow, team.actor("finance"), o.id, Decimal("1.00"), "USD")
        await uow.commit()
    again, _ = await deals.get(team.actor("rep"), o.id)
    assert again.version == won.version and again.amount == Decimal("80000.00")


async def test_a_converted_lead_opens_its_deal_in_the_converters_transaction(
        team: SalesTeam, deals: OpportunityService) -> None:
    lead_id = uuid.uuid4()
    customer = team.customer()
    async with team.uow() as uow:
        o = await deals.open_in(uow, team.actor("rep"), customer, NewOpportunity(
            name="From the trade show", amount=Decimal("600000.00")), lead_id=lead_id)
        await uow.commit()
    found, _ = await deals.get(team.actor("rep"), o.id)
    assert (found.lead_id, found.amount) == (lead_id, Decimal("600000.00"))
    integration = Actor(Principal(kind="api_key", id=uuid.uuid4(), label="api-key:erp",
                                  scopes=frozenset({Scope.OPPORTUNITIES_WRITE})))
    async with team.uow() as uow:
        o = await deals.open_in(uow, integration, customer, NewOpportunity())
    assert o.owner_id == customer.owner_id, "an integration's deal goes to the customer's owner"
