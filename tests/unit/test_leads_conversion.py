"""Converting a lead on fakes: the customer (new, matched or named) with the lead's person as
its contact, the opportunity, the replay, and the refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.customers.activity import TaskStatus
from domain.customers.model import Contact, Customer, CustomerKind, TierPolicy
from domain.leads.commands import ConvertLead, CustomerFromLead, OpportunityFromLead, UpdateLead
from domain.leads.model import LeadStatus
from domain.pipeline.commands import NewOpportunity
from domain.shared.authz import Scope
from domain.shared.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tests.fakes.leads_world import PHONE, LeadsWorld


@pytest.fixture
def world() -> LeadsWorld:
    return LeadsWorld()


def field_of(error: ValidationFailed) -> str:
    return error.problems[0].field


def existing_customer(world: LeadsWorld, owner: str, name: str, phone: str) -> Customer:
    user = world.users[owner]
    customer = Customer.create(
        number="C000042", name=name, kind=CustomerKind.COMPANY, owner_id=user.id,
        owner_department_id=user.department_id, tier_policy=TierPolicy(), created_by=user.id,
        contacts=[Contact.create(0, name="李雷", mobile=phone)])
    world.state.table("customers")[customer.id] = customer
    return customer


async def test_a_lead_becomes_a_new_customer_and_an_opportunity_for_its_budget(
        world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    done = await world.leads.convert(world.actor("rep"), lead.id, ConvertLead())
    assert (done.customer_created, done.converted_now) == (True, True)
    [customer] = world.customers
    assert (customer.name, customer.kind) == (lead.company, CustomerKind.COMPANY)
    assert customer.owner_id == world.users["rep"].id
    [contact] = customer.contacts
    assert (contact.name, contact.mobile, contact.email) == ("王小明", PHONE,
                                                             "wang.xm@example.com")
    [(_, asked, lead_id)] = world.opportunity_opener.opened
    assert asked == NewOpportunity(name=f"{lead.company} ({lead.number})",
                                   amount=Decimal("500000.00"), currency="CNY",
                                   owner_id=world.users["rep"].id)
    assert lead_id == lead.id
    converted = world.lead(lead.id)
    assert converted.status == LeadStatus.CONVERTED
    assert (converted.customer_id, converted.opportunity_id) == (customer.id,
                                                                 done.opportunity_id)


async def test_a_conversion_is_recorded_everywhere_it_shows(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    done = await world.leads.convert(world.actor("rep"), lead.id, ConvertLead())
    [event] = world.events("lead.converted")
    assert event.payload["customer_id"] == str(done.customer_id)
    [audited] = world.audit("lead.converted")
    assert audited.diff["status"] == ["new", "converted"]
    assert world.timeline(lead.id)[-1].summary == "Converted into customer C000001 and " \
                                                  "opportunity O000001"
    [entry] = world.state.table("customer_activity")["entries"]
    assert (entry.kind, entry.customer_id) == ("lead_converted", done.customer_id)
    [task] = world.tasks
    assert task.status == TaskStatus.CANCELLED  # no first contact to make any more


async def test_converting_again_answers_the_first_result(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    first = await world.leads.convert(world.actor("rep"), lead.id, ConvertLead())
    again = await world.leads.convert(world.actor("rep"), lead.id, ConvertLead())
    assert (again.customer_id, again.opportunity_id) == (first.customer_id,
                                                         first.opportunity_id)
    assert (again.customer_created, again.converted_now) == (False, False)
    assert len(world.customers) == 1 and len(world.opportunity_opener.opened) == 1


async def test_a_lead_matched_at_capture_joins_that_customer(world: LeadsWorld) -> None:
    customer = existing_customer(world, "rep", "上海明远精密机械制造有限公司", PHONE)
    lead = await world.capture("rep")
    done = await world.leads.convert(world.actor("rep"), lead.id, ConvertLead())
    assert (done.customer_id, done.customer_created) == (customer.id, False)
    assert len(world.customers) == 1
    assert len(world.customers[0].contacts) == 1  # the person was already its contact
    assert world.audit("customer.updated") == []


async def test_a_customer_of_the_same_legal_name_gains_the_leads_person(
        world: LeadsWorld) -> None:
    customer = existing_customer(world, "rep", "苏州精工自动化设备有限公司", "13700000001")
    lead = await world.capture("rep")
    done = await world.leads.convert(world.actor("rep"), lead.id, ConvertLead())
    assert done.customer_id == customer.id and not done.customer_created
    assert [c.mobile for c in world.customers[0].contacts] == ["13700000001", PHONE]
    [audited] = world.audit("customer.updated")
    assert audited.target_id == str(customer.id)


async def test_the_customer_named_must_be_one_the_caller_sees(world: LeadsWorld) -> None:
    hidden = existing_customer(world, "north_rep", "北京远景科技有限公司", "13700000001")
    lead = await world.capture("rep")
    with pytest.raises(ValidationFailed) as refused:
        await world.leads.convert(world.actor("rep"), lead.id,
                                  ConvertLead(customer_id=hidden.id))
    assert field_of(refused.value) == "customer_id"
    assert world.lead(lead.id).status == LeadStatus.NEW


async def test_a_lead_without_company_or_name_needs_the_customer_named(
        world: LeadsWorld) -> None:
    lead = await world.capture("rep", company=None, name=None)
    with pytest.raises(ValidationFailed) as refused:
        await world.leads.convert(world.actor("rep"), lead.id, ConvertLead())
    assert field_of(refused.value) == "customer.name"
    done = await world.leads.convert(world.actor("rep"), lead.id, ConvertLead(
        customer=CustomerFromLead(name="王小明", kind=CustomerKind.PERSON)))
    assert done.customer_created
    assert (world.customers[0].name, world.customers[0].kind) == ("王小明", CustomerKind.PERSON)


async def test_the_opportunity_takes_what_the_caller_sends_and_the_rest_from_the_lead(
        world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    await world.leads.convert(world.actor("rep"), lead.id, ConvertLead(
        opportunity=OpportunityFromLead(name=None, amount=Decimal("80000"))))
    [(_, asked, _)] = world.opportunity_opener.opened
    # null is sent on as null (the pipeline names it after the customer); an amount sent
    # leaves the currency to the pipeline's default
    assert asked == NewOpportunity(name=None, amount=Decimal("80000"),
                                   owner_id=world.users["rep"].id)


async def test_without_an_opportunity_only_customers_write_is_needed(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    sync = world.integration(Scope.LEADS_READ, Scope.LEADS_WRITE, Scope.CUSTOMERS_WRITE)
    with pytest.raises(PermissionDenied):
        await world.leads.convert(sync, lead.id, ConvertLead())
    done = await world.leads.convert(sync, lead.id, ConvertLead(create_opportunity=False))
    assert done.opportunity_id is None and world.opportunity_opener.opened == []
    assert world.lead(lead.id).status == LeadStatus.CONVERTED


async def test_converting_needs_customers_write(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    with pytest.raises(PermissionDenied):
        await world.leads.convert(world.integration(Scope.LEADS_READ, Scope.LEADS_WRITE),
                                  lead.id, ConvertLead(create_opportunity=False))
    assert world.lead(lead.id).status == LeadStatus.NEW and world.customers == []


async def test_a_disqualified_lead_is_reopened_before_it_converts(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    await world.leads.update(world.actor("rep"), lead.id, UpdateLead(
        status=LeadStatus.DISQUALIFIED, disqualify_reason="no budget this year"), None)
    with pytest.raises(InvalidTransition):
        await world.leads.convert(world.actor("rep"), lead.id, ConvertLead())
