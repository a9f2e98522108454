"""Capturing a lead on fakes: validation flags, score and grade, duplicates, who gets it
(the user, the territory rules, their fallbacks), refusals, and what is recorded."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

import pytest

from domain.customers.activity import TaskOrigin, TaskStatus
from domain.customers.model import Contact, Customer, CustomerKind, Source, TierPolicy
from domain.leads.base import FIRST_CONTACT
from domain.leads.commands import ChangeAvailability
from domain.leads.model import LeadStatus
from domain.leads.routing import AssignedBy, Method
from domain.leads.scoring import LeadGrade, RuleKind
from domain.leads.validation import FlagCode
from domain.shared.authz import Scope
from domain.shared.catalogue import render
from domain.shared.errors import PermissionDenied, ValidationFailed
from tests.fakes.leads_world import PHONE, LeadsWorld, inquiry


@pytest.fixture
def world() -> LeadsWorld:
    return LeadsWorld()


def flags(lead) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.code.value for f in lead.flags}


def field_of(error: ValidationFailed) -> str:
    return error.problems[0].field


def customer_of(world: LeadsWorld, owner: str, phone: str) -> Customer:
    """An existing customer, one of whose contacts has this phone."""
    user = world.users[owner]
    customer = Customer.create(
        number="C000042", name="上海明远精密机械制造有限公司", kind=CustomerKind.COMPANY,
        owner_id=user.id, owner_department_id=user.department_id, tier_policy=TierPolicy(),
        created_by=user.id, contacts=[Contact.create(0, name="李雷", mobile=phone)])
    world.state.table("customers")[customer.id] = customer
    return customer


# ---- what a user types in ------------------------------------------------------------------------


async def test_a_user_keeps_the_lead_they_enter_scored_and_graded(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    rep = world.users["rep"]
    assert (lead.owner_id, lead.owner_department_id) == (rep.id, rep.department_id)
    assert lead.assignment is not None and lead.assignment.by == AssignedBy.CREATOR
    assert (lead.score, lead.grade) == (78, LeadGrade.HIGH)
    assert {line.rule for line in lead.score_breakdown} == set(RuleKind)
    assert lead.flags == [] and lead.status == LeadStatus.NEW
    assert lead.number == f"L{world.clock.now():%Y%m}000001"
    assert lead.source == Source.WEBSITE


async def test_the_owner_gets_a_first_contact_task_due_within_the_configured_hours(
        world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    [task] = world.tasks
    assert task.assignee_id == world.users["rep"].id and task.related_id == lead.id
    assert (task.origin, task.notes, task.status) == (TaskOrigin.RULE, FIRST_CONTACT,
                                                      TaskStatus.OPEN)
    assert task.due_at == world.clock.now() + timedelta(hours=24)


async def test_a_capture_is_audited_timelined_and_announced(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    [created] = world.audit("lead.created")
    assert created.target_id == str(lead.id) and created.actor_label == "rep@example.com"
    assert created.diff["phone"][1] == "139****5678"  # personal data masked in the log
    assert [e.kind for e in world.timeline(lead.id)] == ["created", "assigned"]
    assert len(world.events("lead.created")) == 1
    [assigned] = world.events("lead.assigned")
    assert assigned.payload["owner_id"] == str(world.users["rep"].id)
    assert assigned.payload["by"] == "creator"


async def test_problems_become_flags_with_a_reason_not_refusals(world: LeadsWorld) -> None:
    lead = await world.capture("rep", phone="12345", email="not an address", name=None,
                               company=None, message=None)
    assert flags(lead) == {"invalid_phone", "invalid_email", "no_contact", "empty_content"}
    assert (lead.phone, lead.phone_valid) == ("12345", False)
    assert all(f.reason for f in lead.flags)
    assert lead.status == LeadStatus.NEW
    assert "flagged: invalid phone" in world.timeline(lead.id)[0].summary


async def test_a_disposable_mailbox_is_flagged(world: LeadsWorld) -> None:
    lead = await world.capture("rep", email="x@mailinator.com")
    assert FlagCode.DISPOSABLE_EMAIL in {f.code for f in lead.flags}


async def test_spam_is_kept_but_disqualified_on_arrival_off_every_desk(
        world: LeadsWorld) -> None:
    await world.route(queue="east_manager")
    lead = await world.capture("rep", message="best casino bonus, click now")
    assert lead.status == LeadStatus.DISQUALIFIED
    assert lead.disqualify_reason is not None and lead.disqualify_reason.startswith("spam:")
    assert lead.owner_id == world.users["east_manager"].id  # the queue, not the rep
    assert lead.assignment is not None and lead.assignment.by == AssignedBy.QUEUE
    assert world.tasks == []  # nobody is asked to contact spam


async def test_a_smaller_inquiry_grades_lower(world: LeadsWorld) -> None:
    lead = await world.capture("rep", company_size=None, budget=None, title=None,
                               industry="retail", source=Source.OTHER)
    assert lead.grade == LeadGrade.LOW and lead.score < 35


# ---- who gets it ---------------------------------------------------------------------------------


async def test_an_integrations_leads_go_round_the_territorys_reps(world: LeadsWorld) -> None:
    await world.route(world.rule("east"))
    api = world.integration()
    owners = Counter()
    for i in range(4):
        lead = await world.capture(api, phone=f"1380000000{i}", email=None)
        assert lead.assignment is not None and lead.assignment.by == AssignedBy.ROUND_ROBIN
        assert lead.assignment.rule_name == "east rule"
        assert lead.source == Source.WEBSITE
        owners[lead.owner_id] += 1
    assert owners == {world.users["rep"].id: 2, world.users["rep2"].id: 2}


async def test_an_integration_without_a_source_is_the_api(world: LeadsWorld) -> None:
    await world.route(world.rule("east"))
    lead = await world.capture(world.integration(), source=None)
    assert lead.source == Source.API and lead.created_by is not None


async def test_auto_assign_routes_a_users_lead_instead_of_keeping_it(world: LeadsWorld) -> None:
    await world.route(world.rule("north", regions=("east",)))
    lead = await world.leads.capture(world.actor("rep"), inquiry(auto_assign=True))
    assert lead.owner_id == world.users["north_rep"].id


async def test_rules_are_tried_in_order(world: LeadsWorld) -> None:
    await world.route(world.rule("north", regions=(), industries=("software",)),
                      world.rule("east", regions=()))
    software = await world.capture(world.integration(), industry="software")
    other = await world.capture(world.integration(), industry="retail", phone="13800000009",
                                email=None)
    assert software.owner_id == world.users["north_rep"].id
    assert other.owner_department_id == world.departments["east"].id


async def test_a_lead_no_rule_matches_goes_to_the_queue(world: LeadsWorld) -> None:
    await world.route(world.rule("east"), queue="east_manager")
    lead = await world.capture(world.integration(), region="south")
    assert lead.owner_id == world.users["east_manager"].id
    assert lead.assignment is not None and lead.assignment.by == AssignedBy.QUEUE
    assert "no routing rule matches region south" in render(lead.assignment.reason)


async def test_without_a_queue_an_unrouted_lead_goes_to_an_administrator(
        world: LeadsWorld) -> None:
    lead = await world.capture(world.integration(), region="south")
    assert lead.owner_id == world.users["admin"].id
    assert lead.assignment is not None and lead.assignment.by == AssignedBy.ADMIN_FALLBACK


async def test_a_rep_at_capacity_is_skipped_and_the_rest_overflow(world: LeadsWorld) -> None:
    await world.route(world.rule("east"))
    await world.settings.set_availability(world.actor("east_manager"), world.users["rep"].id,
                                          ChangeAvailability(capacity=1))
    owners = Counter()
    for i in range(4):
        lead = await world.capture(world.integration(), phone=f"1380000000{i}", email=None)
        owners[lead.owner_id] += 1
    assert owners == {world.users["rep"].id: 1, world.users["rep2"].id: 3}


async def test_with_every_rep_away_the_departments_manager_takes_it(world: LeadsWorld) -> None:
    await world.route(world.rule("east"))
    for rep in ("rep", "rep2"):
        await world.settings.set_availability(world.actor(rep), world.users[rep].id,
                                              ChangeAvailability(away=True))
    lead = await world.capture(world.integration())
    assert lead.owner_id == world.users["east_manager"].id
    assert lead.assignment is not None
    assert lead.assignment.by == AssignedBy.DEPARTMENT_MANAGER
    assert "2 away" in render(lead.assignment.reason)


async def test_least_loaded_gives_the_lead_to_the_rep_with_fewest_open_leads(
        world: LeadsWorld) -> None:
    for i in range(2):
        await world.capture("rep", phone=f"1370000000{i}", email=None)
    await world.route(world.rule("east", method=Method.LEAST_LOADED))
    lead = await world.capture(world.integration())
    assert lead.owner_id == world.users["rep2"].id
    assert lead.assignment is not None and lead.assignment.by == AssignedBy.LEAST_LOADED


async def test_an_existing_customers_inquiry_goes_to_its_owner(world: LeadsWorld) -> None:
    await world.route(world.rule("east"))
    customer = customer_of(world, "north_rep", PHONE)
    lead = await world.capture(world.integration())
    assert lead.owner_id == world.users["north_rep"].id
    assert lead.assignment is not None and lead.assignment.by == AssignedBy.CUSTOMER_OWNER
    assert "existing_customer" in flags(lead)
    # The integration may not read customers: it is not told which one (the lead knows).
    assert lead.customer_id is None and world.lead(lead.id).customer_id == customer.id
    [entry] = world.state.table("customer_activity")["entries"]
    assert entry.customer_id == customer.id and entry.ref_id == lead.id


async def test_a_repeat_inquiry_is_flagged_and_the_open_lead_gains_an_interaction(
        world: LeadsWorld) -> None:
    await world.route(world.rule("east"))
    first = await world.capture("rep2")
    again = await world.capture(world.integration(), email="other@example.com")
    assert again.duplicate_of_id == first.id and "duplicate_lead" in flags(again)
    assert again.owner_id == world.users["rep2"].id
    assert again.assignment is not None
    assert again.assignment.by == AssignedBy.DUPLICATE_OWNER
    original = world.lead(first.id)
    assert (original.engagement, original.version) == (1, first.version + 1)
    assert [e.kind for e in world.timeline(first.id)][-1] == "duplicate"
    assert [e.target_id for e in world.audit("lead.updated")] == [str(first.id)]


# ---- owners named at capture and refusals --------------------------------------------------------


async def test_a_rep_may_name_only_themself_as_owner(world: LeadsWorld) -> None:
    with pytest.raises(PermissionDenied):
        await world.capture("rep", owner_id=world.users["rep2"].id)
    assert world.state.table("leads") == {}


async def test_a_manager_names_an_owner_in_their_team(world: LeadsWorld) -> None:
    lead = await world.capture("east_manager", owner_id=world.users["rep"].id)
    assert lead.owner_id == world.users["rep"].id
    assert lead.assignment is not None and lead.assignment.by == AssignedBy.MANUAL
    assert lead.assignment.assigned_by_user == world.users["east_manager"].id


async def test_a_manager_cannot_name_an_owner_outside_their_team(world: LeadsWorld) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await world.capture("east_manager", owner_id=world.users["north_rep"].id)
    assert field_of(refused.value) == "owner_id"


async def test_an_owner_must_be_an_active_user(world: LeadsWorld) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await world.capture("admin", owner_id=uuid.uuid4())
    assert field_of(refused.value) == "owner_id"


@pytest.mark.parametrize("name", ["industry", "region"])
async def test_a_value_not_in_its_picklist_is_refused_naming_the_field(
        world: LeadsWorld, name: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await world.capture("rep", **{name: "astrology"})
    assert field_of(refused.value) == name
    assert world.state.table("leads") == {}


async def test_a_picklist_value_added_a_moment_ago_is_accepted_at_once(
        world: LeadsWorld) -> None:
    await world.capture("rep")  # the lists are remembered from here
    world.state.table("picklists")["industry"].add("energy")
    lead = await world.capture("rep", industry="energy", phone="13700000001")
    assert lead.industry == "energy"


async def test_capturing_needs_leads_write(world: LeadsWorld) -> None:
    for who in (world.actor("finance"), world.actor("executive"),
                world.integration(Scope.LEADS_READ)):
        with pytest.raises(PermissionDenied):
            await world.capture(who)
    assert world.state.table("leads") == {} and world.state.audit == []


async def test_capture_in_joins_the_callers_unit_of_work(world: LeadsWorld) -> None:
    async with world.uow() as uow:
        lead = await world.leads.capture_in(uow, world.actor("rep"), inquiry())
        assert world.audit("lead.created") == []  # nothing recorded before the caller commits
        await uow.commit()
    assert [e.target_id for e in world.audit("lead.created")] == [str(lead.id)]
