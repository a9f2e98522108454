"""Contract drafts over in-memory fakes: drafting with line items, the deal a contract
closes, editing and handing over a draft, deleting it, and who sees which contract."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from domain.contracts.commands import ContractChanges, UpdateContract
from domain.contracts.lines import LineSpec
from domain.contracts.model import ContractStatus, EventType
from domain.contracts.queries import ContractFilter
from domain.contracts.service import ContractService
from domain.pipeline.commands import OpenOpportunity
from domain.shared.errors import (
    HiddenRecord,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from domain.shared.paging import PageRequest
from tests.fakes.contracts import contract_of, drafted, submitted
from tests.fakes.pipeline import SalesTeam


def edit(**changes: object) -> UpdateContract:
    return UpdateContract(changes=ContractChanges(**changes))  # type: ignore[arg-type]


async def test_a_draft_takes_its_amount_from_its_lines(team: SalesTeam,
                                                       contracts: ContractService) -> None:
    customer = team.customer()
    lines = (LineSpec(product="GW-200", quantity=Decimal("3"), unit_price=Decimal("1999.99"),
                      discount=Decimal("10")),
             LineSpec(product="安装服务", quantity=Decimal("1.5"), unit_price=Decimal("800")))
    c = await contracts.create(team.actor("rep"), contract_of(customer.id, lines=lines))
    assert c.amount == Decimal("6599.97") and [x.total for x in c.lines] == [
        Decimal("5399.97"), Decimal("1200.00")]
    assert (c.number, c.status, c.customer_name) == ("HT202611000001", ContractStatus.DRAFT,
                                                     customer.name)
    assert c.owner_id == team.users["rep"].id
    (created,) = team.events(EventType.CREATED)
    assert created.payload["amount"] == "6599.97"
    assert team.timeline(customer.id)[-1].summary == (
        "Contract HT202611000001 drafted: 2027 年度网关采购合同 (¥6,599.97)")
    assert team.audit_actions(c.id) == ["contract.created"]


@pytest.mark.parametrize(("over", "field"), [
    ({"lines": ()}, "lines"),
    ({"lines": (LineSpec(product="p", quantity=Decimal("1.0001"), unit_price=Decimal("1")),)},
     "lines.0.quantity"),
    ({"lines": (LineSpec(product="p", quantity=Decimal("1"), unit_price=Decimal("1"),
                         discount=Decimal("150")),)}, "lines.0.discount"),
    ({"lines": (LineSpec(product=" ", quantity=Decimal("1"), unit_price=Decimal("1")),)},
     "lines.0.product"),
    ({"start_date": date(2027, 2, 1), "end_date": date(2027, 1, 1)}, "end_date"),
    ({"currency": "rmb!"}, "currency"),
    ({"title": "  "}, "title"),
])
async def test_a_bad_draft_is_refused_naming_the_field(team: SalesTeam,
                                                       contracts: ContractService,
                                                       over: dict[str, object],
                                                       field: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        await contracts.create(team.actor("rep"), contract_of(team.customer().id, **over))
    assert e.value.problems[0].field == field
    assert team.events() == []


async def test_a_contract_closes_a_deal_of_its_own_customer_which_follows_its_state(
        team: SalesTeam, contracts: ContractService) -> None:
    rep = team.actor("rep")
    customer, other = team.customer(), team.customer(name="北京华北重工有限公司")
    deal = await team.deals().create(rep, OpenOpportunity(customer_id=customer.id))
    with pytest.raises(ValidationFailed) as e:
        await contracts.create(rep, contract_of(other.id, opportunity_id=deal.id))
    assert e.value.problems[0].field == "opportunity_id"
    c = await contracts.create(rep, contract_of(customer.id, opportunity_id=deal.id))
    linked, _ = await team.deals().get(rep, deal.id)
    assert (linked.contract_reference, linked.contract_status) == (c.number,
                                                                   ContractStatus.DRAFT)
    await contracts.submit(rep, c.id, None)
    linked, _ = await team.deals().get(rep, deal.id)
    assert linked.contract_status == ContractStatus.IN_APPROVAL


async def test_a_deal_out_of_sight_cannot_be_linked(team: SalesTeam,
                                                    contracts: ContractService) -> None:
    customer = team.customer("rep2")
    theirs = await team.deals().create(team.actor("rep2"),
                                       OpenOpportunity(customer_id=customer.id))
    c = await drafted(team, "manager", customer_id=customer.id,
                      owner_id=team.users["rep"].id)
    with pytest.raises(ValidationFailed) as e:
        await contracts.update(team.actor("rep"), c.id, edit(opportunity_id=theirs.id), None)
    assert e.value.problems[0].field == "opportunity_id", "rep cannot see rep2's deal"
    updated = await contracts.update(team.actor("manager"), c.id,
                                     edit(opportunity_id=theirs.id), None)
    assert updated.opportunity_id == theirs.id


async def test_a_customer_out_of_sight_is_404(team: SalesTeam,
                                              contracts: ContractService) -> None:
    with pytest.raises(HiddenRecord):
        await contracts.create(team.actor("rep"), contract_of(team.customer("north_rep").id))
    with pytest.raises(ValidationFailed) as e:
        await contracts.create(team.actor("rep"), contract_of(uuid.uuid4()))
    assert e.value.problems[0].field == "customer_id"


async def test_editing_a_draft_bumps_its_version_and_a_stale_edit_is_refused(
        team: SalesTeam, contracts: ContractService) -> None:
    c = await drafted(team)
    rep = team.actor("rep")
    edited = await contracts.update(rep, c.id, edit(payment_terms="30/70", end_date=None),
                                    c.version)
    assert (edited.payment_terms, edited.end_date) == ("30/70", None)
    assert edited.version == c.version + 1
    (updated,) = team.events(EventType.UPDATED)
    assert updated.payload["changed"] == ["end_date", "payment_terms"]
    with pytest.raises(StaleVersion):
        await contracts.update(rep, c.id, edit(title="stale"), c.version)
    assert (await contracts.get(rep, c.id)).title == c.title
    assert team.audit_actions(c.id) == ["contract.created", "contract.updated"]


async def test_only_a_draft_or_a_rejected_contract_is_edited_or_deleted(
        team: SalesTeam, contracts: ContractService) -> None:
    c = await submitted(team)
    with pytest.raises(InvalidTransition):
        await contracts.update(team.actor("rep"), c.id, edit(title="new"), None)
    with pytest.raises(InvalidTransition):
        await contracts.delete(team.actor("rep"), c.id, None)


async def test_a_draft_is_handed_over_within_the_team(team: SalesTeam,
                                                      contracts: ContractService) -> None:
    c = await drafted(team)
    to_rep2 = UpdateContract(owner_id=team.users["rep2"].id)
    with pytest.raises(PermissionDenied):
        await contracts.update(team.actor("rep"), c.id, to_rep2, None)
    with pytest.raises(ValidationFailed) as e:
        await contracts.update(team.actor("manager"), c.id,
                               UpdateContract(owner_id=team.users["north_rep"].id), None)
    assert e.value.problems[0].field == "owner_id"
    handed = await contracts.update(team.actor("manager"), c.id, to_rep2, None)
    assert handed.owner_id == team.users["rep2"].id and handed.version == c.version + 1
    with pytest.raises(HiddenRecord):
        await contracts.get(team.actor("rep"), c.id)


async def test_a_deleted_draft_is_gone(team: SalesTeam, contracts: ContractService) -> None:
    c = await drafted(team)
    with pytest.raises(StaleVersion):
        await contracts.delete(team.actor("rep"), c.id, c.version + 1)
    await contracts.delete(team.actor("rep"), c.id, c.version)
    with pytest.raises(NotFound) as e:
        await contracts.get(team.actor("rep"), c.id)
    assert not isinstance(e.value, HiddenRecord)
    assert team.audit_actions(c.id) == ["contract.created", "contract.deleted"]
    assert [e.type for e in team.events()][-1] == EventType.DELETED


async def test_who_reads_and_who_writes_contracts(team: SalesTeam,
                                                  contracts: ContractService) -> None:
    c = await drafted(team)
    for who in ("rep", "manager", "admin", "finance", "executive", "legal"):
        assert (await contracts.get(team.actor(who), c.id)).id == c.id
    for who in ("north_rep", "north_manager"):
        with pytest.raises(HiddenRecord):
            await contracts.get(team.actor(who), c.id)
    with pytest.raises(PermissionDenied):
        await contracts.get(team.actor("service_agent"), c.id)
    for who in ("legal", "finance"):
        with pytest.raises(PermissionDenied):
            await contracts.create(team.actor(who), contract_of(team.customer().id))


async def test_the_list_shows_what_each_caller_may_see_and_finds_by_number_or_title(
        team: SalesTeam, contracts: ContractService) -> None:
    mine = await drafted(team)
    other = await drafted(team, title="北区 备件合同")
    await drafted(team, "north_rep")
    everything = ContractFilter()
    listed = await contracts.list(team.actor("rep"), everything, PageRequest())
    assert {c.id for c in listed.items} == {mine.id, other.id}
    found = await contracts.list(team.actor("admin"), replace(everything, q="备件"),
                                 PageRequest())
    assert [c.id for c in found.items] == [other.id]
    by_number = await contracts.list(team.actor("rep"), replace(everything, q=mine.number),
                                     PageRequest())
    assert [c.id for c in by_number.items] == [mine.id]
    assert len((await contracts.list(team.actor("legal"), everything, PageRequest())).items) == 3
